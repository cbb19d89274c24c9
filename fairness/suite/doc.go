// Package suite runs test suites a team writes itself, in the manner of
// CheckList (Ribeiro et al. 2020): templates with {slot} placeholders
// filled from lexicons, and an expectation per test.
//
//   - MFT (minimum functionality test): every expansion of the templates
//     should be predicted as one label.
//   - INV (invariance): the expansions that differ only in the test's
//     varied slots form a group (one case); the target label's
//     probability should not move by more than the tolerance from the
//     group's reference, the expansion with every varied slot at its
//     lexicon's first value.
//   - DIR (directional): the same groups, but every non-reference
//     expansion should move the named label's probability up (or down);
//     only a move the wrong way by more than the tolerance fails, and a
//     reference that cannot fail is counted as saturated, as CheckList's
//     Expect.monotonic does.
//
// A case of INV or DIR fails when any expansion in its group fails
// (CheckList's rule for a test case with several perturbations). Each
// case is judged by consistency.Judge and each test's failure rate by
// consistency.FailureFamily: the same tolerance (0.1 by default), the same
// one-sided exact binomial test against the failure-rate threshold,
// Holm-corrected across the suite's tests, and stats.Decide's verdict.
//
// Expansion is bounded before anything is allocated: a test whose
// templates expand to more cases than its limit (MaxCases) is sampled,
// uniformly without replacement and seeded, and a group may hold at most
// MaxGroupSize expansions. Cases are treated as independent, as CheckList
// treats them; cases that share lexicon words are not, so a verdict speaks
// for the lexicons as written, not for a population of words.
package suite
