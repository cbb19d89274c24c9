// Package databias measures bias in a labelled dataset itself, with no
// model: is an identity term, or a group, associated with a label in the
// data a model will learn from? A model gap that mirrors a data skew is a
// different finding, with a different remedy (rebalancing, augmentation),
// from a gap the data does not show.
//
// A Scanner takes rows one at a time (text, label, group values) and keeps
// counts only: per family term and per family group (any of its terms),
// per value of each group column, the labelled rows by class and the rows
// it occurs in. Matching of terms in text is the counterfactual package's
// (counterfactual.Mentions: whole words, case-insensitive, longest term
// first), so the scan counts exactly the words the counterfactual audit
// swaps. Memory is O(terms × labels + group values × labels) plus
// Options.Samples sample sentences per term (the distinct sentences with
// the smallest hash of text and Options.Seed, so the choice does not
// depend on row order), each cut to MaxSampleRunes; group columns are capped as in fairness/group (the
// largest Options.MaxGroups values kept by name, the rest pooled as
// "other (N groups)" and never compared), so a million-row scan runs in
// flat memory.
//
// # The statistics
//
// Every term, family group and group value (a "unit") is compared with the
// labelled rows where it does not occur ("elsewhere"): the positive-label
// share in both, each with its Wilson 95% interval; their difference
// (occurs − elsewhere) with Newcombe's hybrid score interval (his method
// 10, built from the two Wilson intervals); their ratio with the Katz log
// interval (0.5 added to every cell when a count is 0 or full,
// Haldane–Anscombe); and Fisher's exact two-sided test on the 2×2 table
// (positive / not positive × occurs / elsewhere). The p-values are
// Holm-corrected across the units of one list: a family's terms, a
// family's groups, a column's values. Rows count once per unit however
// often the term occurs in them, and a row mentioning two groups of a
// family counts for both.
//
// Pointwise mutual information of a unit with each label is
// log2( P(label | unit) / P(label) ), in bits, at the row level, with
// add-one (Laplace) smoothing of the label counts on both sides:
// P(label | unit) = (n(unit, label) + 1) / (n(unit) + K) and
// P(label) = (n(label) + 1) / (N + K), for K labels and N labelled rows.
// The smoothing pulls rare units towards 0 bits, so a term seen twice with
// the same label does not top the list; a term never seen with a label has
// a finite, negative PMI. Report.Skewed lists the terms (of every family)
// with the largest PMI towards some label, among those in at least
// Options.MinCount labelled rows, each with its sample sentences.
//
// # Verdicts
//
// Each unit with at least Options.MinCount labelled rows on both sides is
// judged by stats.Decide on its positive-share difference: the tolerance
// is [−T, T] (Options.Tolerance, default 0.1, CheckList's and the group
// parity tolerance), and the interval judged is Newcombe's at the level
// the list's Holm family gives the unit (stats.HolmFamily). FAIL: that
// interval lies wholly outside [−T, T], a skew shown larger than T;
// Fisher's p, Holm-corrected, names the kind of WARN. Smaller units are reported with an info
// verdict naming why. A list's verdict is the worst of its units', the
// report's the worst of its lists'. Checked by simulation
// (simulation_test.go): a planted skew (a term's positive share 0.75
// against 0.45 elsewhere) is found; on data where labels are independent
// of the terms the scan fails a family at most at the nominal rate.
//
// # Weights
//
// A WeightedTable sums a column of row weights by group and label over
// the labelled rows, for each group column: P_w(label | group) and its
// largest gap from P_w(label). It is how the scan shows what reweighing
// (lucid augment --reweigh) did: under those weights the gap is 0 up to
// rounding. Its sums are exact (stats.ExactSum), so it merges like the
// Scanner. The verdicts above stay on the unweighted counts: Fisher's
// test and the Wilson intervals are for counts of rows, not sums of
// weights.
package databias
