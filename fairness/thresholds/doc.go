// Package thresholds corrects a classifier's group disparities after
// training, without retraining: it fits per-group decision rules on the
// positive-class score (post-processing, Hardt, Price and Srebro, "Equality
// of Opportunity in Supervised Learning", NeurIPS 2016; the method of
// fairlearn's ThresholdOptimizer), writes them as a JSON file, and applies
// them to new rows.
//
// # Fitting
//
// Scores streams labelled rows (group, positive-class score, true label,
// the model's own decision) into per-group histograms of the score, one for
// the labelled positives and one for the labelled negatives, with
// NumBins (4,000) bins of width 0.01 on the logit scale over [−20, 20]
// (scores beyond fall into the end bins). So memory is 64 KB per group
// however many rows stream through, at most MaxGroups (256) groups are
// tracked, and a threshold can sit at any of 3,999 bin edges: 0.0025 apart
// in probability near 0.5 and finer towards 0 and 1, where a fine-tuned
// classifier's scores crowd. Rows of further groups, rows with an empty
// group value and groups with fewer labelled rows than
// Options.MinGroupSize (or without the positives or negatives the
// constraint needs) are counted and listed in File.Unfitted; their rows
// keep the model's own decision when the file is applied.
//
// For each fitted group, every threshold k (predict positive when the
// score's bin is ≥ k) gives a point of a trade-off curve; randomly mixing
// two thresholds reaches every point of the segment between them, so what
// a group can achieve is the upper concave hull of its points. Fit then
// chooses, with accuracy as the objective:
//
//   - demographic-parity: one positive rate x shared by all groups, on the
//     hull of (positive rate, correct rows) of each group, maximising the
//     sum of the groups' correct rows;
//   - equal-opportunity: one true-positive rate shared by all groups, on
//     the hull of (TPR, correct rows);
//   - equalized-odds: one ROC point (FPR x, TPR y) shared by all groups.
//     Each group's upper ROC hull H_g bounds what it can reach, so y is at
//     most min_g H_g(x), and accuracy P·y + N·(1 − x) is maximised at
//     y = min_g H_g(x). A group whose hull lies above that point mixes its
//     hull point (x, H_g(x)) with the "ignore the score" classifier that
//     predicts positive with probability x, which sits on the diagonal
//     (x, x): with weight q = (y − x) / (H_g(x) − x) on the hull point the
//     mixture lands on (x, y) exactly (fairlearn calls 1 − q p_ignore).
//
// The objective is concave and piecewise linear in the shared rate, so Fit
// maximises it exactly (golden-section search to float64 precision, then the hull
// vertices next to the optimum) instead of on fairlearn's grid of 1,000
// points.
//
// # Rules and randomisation
//
// A fitted group's Rule is a step function of the score: ascending Cuts and
// Probabilities one longer, P(positive | score) = Probabilities[i] where i
// is the number of cuts ≤ score. A deterministic threshold is one cut with
// probabilities [0, 1]. Between two mixed thresholds the probability is the
// mixing weight; under equalized odds the diagonal mixture adds a floor
// and lowers the ceiling. Where the probability is strictly between 0 and
// 1 the decision is a draw, and the draw is a hash: u = splitmix64(FNV-1a(
// seed, group, text)) / 2^64, positive when u < p. So a decision is
// reproducible under the file's seed (the audit's --seed at fit time),
// independent of the order or batching of rows, and the same text in the
// same group always gets the same decision.
//
// # Judging the rules
//
// Fit's in-sample figures (GroupRule.Expected, computed exactly from the
// histograms) describe the data the rules were fitted on and are
// optimistic. Comparison judges the rules on a second, held-out file: the
// model's decisions and the adjusted decisions go row by row into two
// group.Accumulators, so before and after come with the same bootstrap
// intervals, pairwise tests and verdicts as the audit's group metrics, and
// the accuracy change is a paired difference of the same rows (Agresti–Min
// interval, exact McNemar test).
package thresholds
