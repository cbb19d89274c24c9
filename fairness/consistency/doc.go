// Package consistency runs CheckList-style behavioural tests on a text
// classifier, over any stream of texts (a validation set, production
// traffic), with no labels needed except for slices:
//
//   - Invariance: a meaning-preserving edit (a typo in a word that carries
//     no sentiment, punctuation, casing, contractions, neutral names and
//     places, extra white space) should not move the target's probability
//     by more than a tolerance (CheckList's 0.1).
//   - Directional: adding a negation should move the score against the
//     original prediction (for a text predicted positive, the positive
//     score goes down); adding an intensifier should move it further
//     towards the original prediction (away from 0.5 for a binary model).
//     As in CheckList's Expect.monotonic, only a move the wrong way by
//     more than the tolerance fails, and an original that cannot fail is
//     counted apart (TestResult says exactly how).
//   - Slice stability: accuracy by slice of the data (short texts, texts
//     with a negation, with a question, ...), each with a Wilson interval,
//     compared with the rest of the data: the difference with Newcombe's
//     score interval, Fisher's exact test beside it.
//   - Explanation stability: SpearmanRank and TopKOverlap compare two
//     attribution vectors for the same text.
//
// Every test's failure rate and every slice's gap carries its n, a 95%
// interval and a test, Holm-corrected across the run's tests (or slices),
// and a verdict from fairness/stats.Decide on the interval drawn at the
// level its Holm step gives it (stats.HolmFamily), so FAIL is the
// corrected test.
//
// Edits are small, documented heuristics, not a grammar: each says when it
// does not apply rather than force a change, and each is seeded so a run
// can be repeated exactly. The directional edits apply only where their
// rules parse the text (negation: a main-clause copula before an
// evaluative adjective, or one evaluative noun phrase; intensifiers: a
// gradable adjective after a copula or an opening article), so that an
// edit is a valid test; each built-in generator's validity, measured by
// hand on SST-2 dev (GeneratorValidity), is reported beside its failure
// rate. Runner scores
// originals and edits together in full batches; its memory is bounded by
// one batch plus a few counters, K examples and a bounded sample of Δp per
// test.
package consistency
