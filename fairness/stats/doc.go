// Package stats holds the statistics every audit verdict rests on: score
// intervals for rates (Wilson), for differences of rates (Newcombe's
// hybrid score) and for ratios of rates (MOVER-R with Wilson limits),
// exact tests for counts (binomial, sign, Fisher), paired tests for
// matched comparisons (paired t, Wilcoxon signed-rank), Welch's interval
// and test for a difference of two means (Welch, for regression scores),
// Holm's
// multiple-comparison correction with intervals drawn at the level each
// test's Holm step gives it (HolmLevels, HolmFamily), and the one decision
// rule (Decide) that turns an effect's corrected interval and its
// tolerance band into PASS (inside the band), FAIL (outside it), WARN
// (straddling it, or a zero-width interval) or INFO (no estimate).
//
// For the audits' mergeable state it also holds ExactSum, an exactly
// rounded sum that does not depend on the order of its terms,
// Moments (a sample's count and exact sums of values and squares, for a
// mean and variance that merge to the same bits), and PairedStream, the
// paired tests' summary in bounded memory, which merges.
//
// Everything else here is a pure function of counts or values, so each
// test in the audit is checked by simulation against its nominal level.
package stats
