// Package group measures how a binary classifier's behaviour differs
// between the groups of one column (gender, dialect, source...), with
// bootstrap confidence intervals, for lucid audit.
//
// An Accumulator takes rows one at a time — whether the true label is the
// positive label, whether the prediction is, and the row's group — and
// keeps only each group's 2x2 confusion table (plus predicted-positive
// counts for unlabelled rows), so memory is O(groups) however many rows
// stream through. A multi-class model is audited one-vs-rest: the caller
// picks the positive label and passes label == positive.
//
// # Per-group metrics
//
// For each group: accuracy, positive rate (the share predicted positive,
// fairlearn's selection rate), TPR (recall), FPR, FNR, precision (PPV) and
// base rate (the share truly positive), each with a percentile bootstrap
// interval. Rows without a true label (AddUnlabelled) count only towards
// the positive rate; every other metric is over the labelled rows.
//
// # Disparities
//
// The across-group measures follow fairlearn's "between_groups" convention:
// a difference is the largest group value minus the smallest, a ratio the
// smallest over the largest, whatever groups they are, so every value is
// in [0, 1] and 0 (difference) or 1 (ratio) is parity:
//
//   - demographic_parity_difference: max − min positive rate;
//   - demographic_parity_ratio: min / max positive rate;
//   - equal_opportunity_difference: max − min TPR;
//   - equalized_odds_difference: the larger of the TPR and FPR differences
//     (fairlearn's default "worst_case" aggregation);
//   - predictive_parity_difference: max − min precision;
//   - disparate_impact: the lowest, over the other groups, of a group's
//     positive rate divided by the reference group's.
//
// Disparate impact needs a reference group. By default it is the group with
// the highest positive rate, as in the four-fifths rule of the US Uniform
// Guidelines on Employee Selection ("less than four-fifths of the rate for
// the group with the highest rate"), so disparate_impact then usually
// equals demographic_parity_ratio. Groups smaller than MinGroupSize are
// passed over as reference unless all are small, because a handful of rows
// that happen to be predicted positive would make a noisy yardstick for
// every other group. Options.Reference names the reference instead (a
// privileged group, as in AIF360). Each group's own ratio is in GroupStats, and a ratio
// below 0.8 sets BelowFourFifths. The rule presumes that a positive
// prediction is the favourable outcome; when it is not (a toxicity flag),
// read the ratios the other way up.
//
// A group for which the underlying metric is undefined (no positive labels
// for TPR, say) is left out of that disparity and named in its Excluded
// list, as fairlearn's NaN-skipping max and min would silently do.
//
// # Intervals
//
// Intervals come from a stratified bootstrap: each resample draws, within
// every group, as many rows as the group has, with replacement, so every
// group stays present at its own size. Because the metrics depend on a
// group's rows only through its confusion table, resampling a group's rows
// is the same as drawing its table from a multinomial distribution with
// the observed cell shares; that is what is done (as successive binomial
// draws), so no row is kept. The interval is the percentile interval of the
// resampled values (linear interpolation between order statistics). Each
// group draws from its own random stream, seeded from the Result seed and
// the group's name, so the intervals do not depend on the order rows were
// added or on which other groups exist.
//
// A resample in which a metric is undefined (a small group that drew no
// positive rows, so no TPR) is left out of that metric's interval, and
// Metric.Resamples says how many counted; for a disparity, a resample
// counts only if the metric is defined there for every group the point
// estimate used. A max − min interval never goes below zero, so when the
// true difference is near zero the interval sits above it: read a small
// difference by its upper bound.
//
// # Undefined values and warnings
//
// An undefined metric is NaN with a reason in Metric.Undefined ("empty
// group", "no labels", "no positive labels", ...), never a silent 0. The
// result types encode NaN as JSON null, which encoding/json would otherwise
// refuse. Groups too small to say much are flagged, not dropped: a group
// with fewer than Options.MinGroupSize rows (default 30) is Small, and any
// interval wider than Options.MaxCIWidth (default 0.5, half the range of a
// rate) adds a flag saying so, to the group or to the disparity.
package group
