// Package game is the vocabulary every estimator of Lucid speaks: a Game
// is a model's score v(S) with only the features in the coalition S
// present (see perturb.Coalition; how absent features are masked is the
// Game's business), and an Attribution is what an estimator returns for
// it. The estimators (packages shapley, lime, occlusion, faithfulness)
// know nothing of models or tokenizers, so they are tested against
// pure-Go games whose exact answers are known (package gametest).
//
//   - n is Game.NumFeatures; N is the full coalition and ∅ the empty one.
//   - A budget is the most coalitions a method may have valued, ∅ and N
//     included: the model evaluations it costs (a Game may cache; the
//     methods never pass a coalition twice in one call). MaxBudget bounds
//     every budget before anything that grows with it is allocated.
//   - A seed makes a sampled method reproducible: the same game, options
//     and seed give the same Attribution, bit for bit.
//   - Values is batched: each method hands the Game all the coalitions it
//     needs in one call (or in a few rounds), so the Game can batch the
//     model's runs. ValueCoalitions and ValueDistinct check what comes
//     back, so a wrong count or a NaN is named where it happens.
//   - Every method returns an Attribution: one value per feature, Base and
//     Full (v(∅) and v(N), except LIME's Base, its surrogate's intercept),
//     the distinct coalitions valued, and documented diagnostics.
//     DiagEfficiencyGap (|Σφ − (v(N) − v(∅))|) is reported by every method
//     that values ∅: about 1e-15 for the Shapley methods, informative for
//     occlusion.
package game
