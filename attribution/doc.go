// Package attribution computes explanations: how much each feature of an
// input (a word, a token) contributes to a model's score.
//
// # Coalition methods
//
// ExactShapley, KernelSHAP, LIME and Occlusion work on a Game: the model's
// score v(S) with only the features in the coalition S present (see
// perturb.Coalition; how absent features are masked is the Game's
// business). They know nothing of models or tokenizers, so they are tested
// against pure-Go games whose exact answers are known. They share one
// vocabulary:
//
//   - n is Game.NumFeatures; N is the full coalition and ∅ the empty one.
//   - A budget is the most coalitions a method may have valued, ∅ and N
//     included: the model evaluations it costs (a Game may cache; the
//     methods never pass a coalition twice in one call).
//   - A seed makes a sampled method reproducible: the same game, options and
//     seed give the same Attribution, bit for bit.
//   - Values is batched: each method hands the Game all the coalitions it
//     needs in one call, so the Game can batch the model's runs.
//   - Every method returns an Attribution: one value per feature, Base and
//     Full (v(∅) and v(N), except LIME's Base, its surrogate's intercept),
//     the distinct coalitions valued, and documented diagnostics.
//
// The methods:
//
//   - ExactShapley enumerates all 2^n coalitions: the Shapley values, the
//     unique attribution that is efficient (Σφ = v(N) − v(∅)), symmetric,
//     additive over games, and zero for a feature that never changes v. It is the oracle, affordable to about
//     12–16 features.
//   - KernelSHAP estimates them from a budget: shap's KernelExplainer
//     (enumerated outer sizes, paired samples, the Shapley kernel's
//     efficiency-constrained weighted regression), with a logistic control
//     variate for probability scores and jackknife standard errors whose
//     95% intervals cover 94–96% once CalibratedPairsPerFeature pairs per
//     feature are sampled, and are marked uncalibrated below that. On
//     12-feature sentiment-like games its mean absolute error against exact
//     values is about 0.003 at 256 evaluations (the project's target is
//     0.01); it equals ExactShapley when the budget covers 2^n. Explain
//     adds, unless Request.Plain, an odd-component refinement
//     (KernelSHAPOptions.OddRefinement, OddSHAP-style) that roughly halves
//     the error on the shipped model's tables.
//   - LIME is lime's LimeTextExplainer: a kernel-weighted ridge surrogate on
//     random removals, for comparison with the Python reference.
//   - Occlusion removes one feature at a time: n+2 evaluations, not
//     efficient; its efficiency gap says by how much.
//   - Partition estimates Owen values over a hierarchy of the features
//     (Group; for texts, sentences → phrases → words → tokens from
//     perturb.Outline), resolving the top-level groups (sentences) in
//     every context first, then refining inside them, so a 300-word text
//     gets exact sentence-level Owen values in a few hundred evaluations; with the budget to split every group it is exactly
//     ExactOwen on the binarized hierarchy. ExactOwen enumerates the
//     orders consistent with the hierarchy: the oracle.
//
// "efficiency_gap" (|Σφ − (v(N) − v(∅))|) is reported by every method
// that values ∅: about 1e-15 for the Shapley methods, informative for
// occlusion.
//
// # Limits and cancellation
//
// Every request is bounded before anything grows with it is allocated:
// Request.Validate checks budgets against MaxBudget and steps against
// MaxPathSteps, EstimateBytes estimates the memory an explanation takes and
// Request.MaxMemoryBytes refuses one estimated above it, and the path
// method fits its steps to its budget (DefaultPathBudget rows by default).
// Every loop that can run long checks its context: a cancelled explanation
// returns ctx.Err() without starting another model batch.
//
// # Path method and the text explainer
//
// The path method (ig) attributes along a straight path in embedding space,
// integrated-gradient style. By default it runs the model's gradient graph
// (engine.GradientModel, IntegratedGradients): steps + 1 gradient rows per
// text (the quadrature points and the baseline; f(x) is the prediction
// run's), and ExplainAll batches several texts' rows together. Models
// without a gradient graph, or a Request with FiniteDifferences, use
// IntegratedPath, which takes each token's derivative by central finite
// differences (2 + 2·tokens·steps rows); Result.Settings.Derivatives says
// which ran and why. GradientAttributions gives gradient × input and
// saliency from one gradient row per text, batched across texts.
// Explainer ties the methods to a tokenizer and a model for whole texts.
// It scores by the model's head (engine.HeadOf): a softmax label's
// probability, a multi-label model's own sigmoid per label, or a regression
// head's raw score (output "score"); and it explains a sentence pair
// (Request.Pair) over both texts' features, each marked with its segment.
//
// The published estimators Lucid's KernelSHAP is compared against
// (LeverageSHAP, kADD-SHAP, Tree MSR, OddSHAP) live in bench/baselines;
// BaselineSample, SampleBaseline and TreeProxy are exported for them.
//
// # Summaries
//
// Summarize turns a Result into plain words by one fixed template (see
// summary.go): how sure the model is; the main driver, the largest
// attribution towards the explained label, with shares of the total push
// in that direction (each 0–100%); when the words largely offset each
// other or lower the score below its all-hidden value, that in words and
// no shares; drivers within each other's standard errors named together;
// what ran and how many model evaluations it spent ("exact" only when
// every coalition was evaluated); "rough" once, only when it matters.
// Claims gives the same sentences with the numbers each rests on, and
// SummarizeTechnical the precise wording. A windowed explanation
// (Request.Window) says how its windows combined (Windowing) and what
// lucid predict says for the text.
package attribution
