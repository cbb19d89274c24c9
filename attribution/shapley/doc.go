// Package shapley estimates Shapley and Owen values of a game.Game: the
// product's coalition estimators, and the oracles they are checked against.
//
//   - ExactShapley enumerates all 2^n coalitions: the Shapley values, the
//     unique attribution that is efficient (Σφ = v(N) − v(∅)), symmetric,
//     additive over games, and zero for a feature that never changes v. It
//     is the oracle, affordable to about 12–16 features. Table holds a game
//     valued on every coalition, to benchmark estimators against exact
//     values without the model.
//   - KernelSHAP estimates them from a budget: shap's KernelExplainer
//     (enumerated outer sizes, paired samples, the Shapley kernel's
//     efficiency-constrained weighted regression; kernel_design.go and
//     kernel_regression.go), with a logistic control variate for
//     probability scores (kernel_surrogate.go) and jackknife standard
//     errors whose 95% intervals cover 94–96% once
//     CalibratedPairsPerFeature pairs per feature are sampled, and are
//     marked uncalibrated below that. KernelSHAPOptions.OddRefinement adds
//     an OddSHAP-style refinement of the odd components, chosen by a
//     boosted-tree proxy (oddfit.go, proxy_trees.go), which roughly halves
//     the error on the shipped model's tables. It equals ExactShapley when
//     the budget covers 2^n. KernelSHAPToTolerance doubles the budget until
//     every standard error is below a tolerance.
//   - Partition estimates Owen values over a hierarchy of the features
//     (Group; for texts, sentences → phrases → words → tokens from
//     perturb.Outline), resolving the top-level groups in every context
//     first, then refining inside them, so a 300-word text gets exact
//     sentence-level Owen values in a few hundred evaluations; with the
//     budget to split every group it is exactly ExactOwen on the binarized
//     hierarchy. ExactOwen enumerates the orders consistent with the
//     hierarchy: the oracle.
//
// The published estimators KernelSHAP is compared against (LeverageSHAP,
// kADD-SHAP, Tree MSR, OddSHAP) live in bench/baselines; BaselineSample,
// SampleBaseline, TreeProxy and the SizeMass designs are exported for them,
// so they draw their samples the way they were published and share this
// package's regression.
package shapley
