// Package attribution explains a text classifier's output: how much each
// feature of a text (a word, a token, a phrase, a sentence, or each text of
// a pair) contributes to the model's score. Explainer ties a tokenizer and
// a model (through evaluate.Evaluator) to the estimators; Request says
// what to explain and how, and Result is the answer, with its plain-words
// summary.
//
// # Where things are
//
// The estimators live in packages of their own below this one, and know
// nothing of texts, tokenizers or ONNX Runtime:
//
//   - game: the vocabulary (Game, Attribution, budgets, checked valuing).
//   - shapley: ExactShapley, KernelSHAP and its refinement, Partition and
//     ExactOwen, the coalition Table (methods exact, kernelshap,
//     partition).
//   - lime: LIME as lime's LimeTextExplainer computes it (lime).
//   - occlusion: one feature removed at a time (occlusion, and the
//     counterfactual method's attributions).
//   - path: integrated gradients, gradient × input and saliency in
//     embedding space (ig, grad-input, saliency).
//   - faithfulness: how well an attribution's ranking explains the game.
//   - wls: the weighted least squares the regression estimators share.
//
// This package builds a Game from a text (the masked rows of its features,
// scored by the model's head and batched by the evaluator: textGame), runs
// the estimator the Request names, and maps the attributions back to the
// text's characters. It also holds what needs a whole text rather than a
// game: the counterfactual edit search (Explainer.CounterfactualEdit), long
// texts explained in windows (Request.Window), every label from one set of
// coalitions (Request.Target "all"), sentence pairs (Request.Pair), the
// coalition table of a text (Explainer.CoalitionTable), and the summaries.
// The published estimators Lucid is compared against live in
// bench/baselines.
//
// It scores by the model's head (engine.HeadOf): a softmax label's
// probability, a multi-label model's own sigmoid per label, or a
// regression head's raw score (output "score").
//
// # The path method's derivatives
//
// The path method (ig) runs the model's gradient graph (model_grad.onnx,
// path.IntegratedGradients) when the model folder has one: steps + 1
// gradient rows per text, f(x) taken from the prediction run, and
// ExplainAll batches several texts' rows together. A model without a
// gradient graph, or a Request with FiniteDifferences, takes each token's
// derivative by central finite differences (path.IntegratedPath, 2 +
// 2·tokens·steps rows); Result.Settings.Derivatives says which ran and
// why.
//
// # Limits and cancellation
//
// Every request is bounded before anything that grows with it is
// allocated: Request.Validate checks budgets against MaxBudget and steps
// against MaxPathSteps, EstimateBytes estimates the memory an explanation
// takes and Request.MaxMemoryBytes refuses one estimated above it, and the
// path method fits its steps to its budget (DefaultPathBudget rows by
// default). Every loop that can run long checks its context: a cancelled
// explanation returns ctx.Err() without starting another model batch.
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
// SummarizeTechnical the precise wording. A windowed explanation says how
// its windows combined (Windowing) and what lucid predict says for the
// text.
package attribution
