// Package group measures how a binary classifier's behaviour differs
// between the groups of one column (gender, dialect, source...), with
// score confidence intervals and tested pairwise differences, for lucid
// audit.
//
// An Accumulator takes rows one at a time — whether the true label is the
// positive label, whether the prediction is, and the row's group — and
// keeps only each group's 2x2 confusion table (plus predicted-positive
// counts for unlabelled rows), so memory is O(groups) however many rows
// stream through, and the groups tracked are capped (see "Many groups"). A
// multi-class model is audited one-vs-rest: the caller picks the positive
// label and passes label == positive. A group name may be anything,
// including an intersection such as "female | black" built by the caller.
//
// # The verdict: pairwise, signed, tested differences
//
// The column's verdict (Report.Verdict) rests on tests of every pair of
// groups (A, B), never on a pooled summary or a point estimate alone. For
// each pair, Pair.Tests holds:
//
//   - the signed differences A − B in positive rate, TPR, FPR and
//     precision, each with Newcombe's hybrid score interval (which can
//     include 0, and keeps its coverage at rates of 0 or 1) and Fisher's
//     exact two-sided p-value on the 2×2 table of successes and failures:
//     predicted positives among all rows for the positive rate, true
//     positives among the labelled positives for TPR, false positives
//     among the labelled negatives for FPR, true positives among the
//     labelled predicted positives for precision;
//   - the disparate impact ratio B / A of positive rates, with the
//     MOVER-R interval (Wilson limits) of the ratio.
//
// A is the reference group when the pair has it, else the group with the
// higher positive rate. Every test that can make the column FAIL (all
// pairs × the five metrics) is one Holm family (Report.Family): each
// test's materiality p-value (stats.OutsideP: the smallest level at which
// its interval excludes the tolerance band) is Holm-adjusted over the
// family, and its interval is drawn at the level stats.HolmLevels gives
// it (PairTest.Confidence), so the interval lies outside the band exactly
// when Holm rejects. Each test then carries a stats.Evidence — the
// estimate, its corrected interval, Fisher's p Holm-adjusted over the
// family, and the tolerance band, [−T, T] for a difference (T =
// Options.ParityTolerance, default 0.1) and [0.8, 1.25] for disparate
// impact — and the verdict stats.Decide gives it: FAIL when the interval
// lies wholly outside the band (materiality shown), PASS when wholly
// inside (equivalence shown), WARN otherwise. A pair's verdict is the
// worst of its tests', the column's the worst over the pairs, and
// Report.Failing lists every failing test.
//
// Only groups with at least MinGroupSize rows are compared, and of those
// the largest Options.MaxPairGroups (default 20, so at most 190 pairs per
// metric), the reference always among them; Report.PairGroups names the
// groups compared and Report.LeftOut every other with why. Checked by
// simulation (simulation_test.go, 300–400 datasets each): with no gap,
// two or six groups of 100–1,000 rows, and with a true gap of 0.09 or
// 0.10 against the 0.1 tolerance, the verdict FAILs at most 0.3% of the
// time; a gap of 0.25 at 500 rows a group FAILs every time; the groups'
// 95% Wilson intervals and the differences' 95% Newcombe intervals cover
// 93–97% of the time, groups with no positives included.
//
// # Multi-label classifiers and regression heads
//
// A multi-label classifier is audited one label at a time, one
// Accumulator per label; CorrectAcrossLabels then makes the pairwise tests
// of every label (labels × group columns × pairs × metrics) one Holm
// family, since together they make one label-by-group verdict, and
// re-decides each test at its new level. A regression head has no
// decisions: a MeanAccumulator keeps each group's count and exact sums
// of the score and its square (stats.Moments), and its MeanReport compares
// every pair of groups by the difference of their mean scores, with
// Welch's interval and t-test, all pairs one Holm family, judged by
// stats.Decide against [−Tolerance, Tolerance] in score units (default
// DefaultMeanTolerance). Checked by simulation (means_test.go,
// family_test.go): the 95% Welch interval covers 0.950 of 2,000 draws;
// with no gap no dataset FAILs (0/300), with a true gap exactly at the
// tolerance 5/300 do; planted gaps are found every time; across four
// labels with no gap no dataset has any FAIL (0/200), and a gap in one
// label FAILs that label only (200/200).
//
// # Missing group values
//
// Rows whose group value is empty or only whitespace form one row named
// MissingGroup, "(missing)", with GroupStats.Missing set. Its rates are
// reported, but it is never the reference and is left out of the
// disparities and the pairwise tests (and named in their Excluded and
// LeftOut lists), because "no value" is not a group whose treatment can be
// compared — unless Options.MissingAsGroup (--missing-group as-group).
//
// # Many groups
//
// Above Options.MaxGroups distinct values (default 1,000) the report keeps
// by name the largest MaxGroups groups that have at least MinGroupSize
// rows and pools every other into one row "other (N groups)"
// (GroupStats.PooledGroups = N), with a warning in Report.Warnings; the
// pooled row is reported but never compared. Small groups are pooled too
// once the cap is passed: they would not be compared anyway, and an ID-like
// column would otherwise fill the report with a thousand rows of a handful
// each (50,000 IDs over 1M rows give a 4 KB report).
//
// Memory stays bounded while rows stream in: once more than 10 × MaxGroups
// groups are tracked, the smallest so far are folded into the pooled table
// until MaxGroups remain, and their names go into a fixed 512 KiB Bloom
// filter that routes their later rows to the pooled table too. Every group
// reported by name therefore has its exact table; what becomes approximate
// is which groups those are (a group whose rows mostly come after it was
// folded stays pooled even if it ends up large, and a new name that
// collides in the filter is pooled) and N, then estimated from the
// filter's fill and written "other (about N groups)". With at most
// 10 × MaxGroups distinct values nothing is folded early and the kept
// groups are exactly the largest.
//
// # Per-group metrics
//
// For each group: accuracy, positive rate (the share predicted positive,
// fairlearn's selection rate), TPR (recall), FPR, FNR, precision (PPV) and
// base rate (the share truly positive), each with a Wilson score interval
// at Options.Confidence (disparate impact: MOVER-R against the
// reference). Rows without a true label (AddUnlabelled) count only towards
// the positive rate; every other metric is over the labelled rows.
//
// # Disparities (descriptive)
//
// Report.Disparities are summaries to read, not the verdict. They are
// computed over the groups compared pairwise (Report.PairGroups; not the
// small, missing or pooled rows), or over every comparable group, flagged
// as resting on small groups, when fewer than two are compared, and
// follow fairlearn's "between_groups" convention:
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
// Rates, ratios and pairwise differences have closed-form score
// intervals (above). The disparities' max − min, which have none, come
// from a stratified bootstrap: each resample draws, within
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
// positive rows, so no TPR) is left out, and Metric.Resamples says how
// many counted (0 for a closed-form interval); for a disparity, a resample
// counts only if the metric is defined there for every group the point
// estimate used. A max − min interval never goes below zero, so when the
// true difference is near zero the interval sits above it: read a small
// difference by its upper bound, and a difference's sign and significance
// from the pairwise tests.
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
