package attribution

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/lucid-nlp/lucid/attribution/game"
	"github.com/lucid-nlp/lucid/attribution/lime"
	"github.com/lucid-nlp/lucid/attribution/occlusion"
	"github.com/lucid-nlp/lucid/attribution/path"
	"github.com/lucid-nlp/lucid/attribution/shapley"
	"github.com/lucid-nlp/lucid/engine"
	"github.com/lucid-nlp/lucid/evaluate"
	"github.com/lucid-nlp/lucid/internal/shorten"
	"github.com/lucid-nlp/lucid/perturb"
	"github.com/lucid-nlp/lucid/tokenize"
)

// Method names an explanation method.
type Method string

// The methods Explain knows.
const (
	MethodKernelSHAP Method = "kernelshap"
	MethodExact      Method = "exact"
	MethodLIME       Method = "lime"
	MethodPath       Method = "ig"
	MethodOcclusion  Method = "occlusion"
	// MethodGradInput and MethodSaliency need the model's gradient graph.
	MethodGradInput Method = "grad-input"
	MethodSaliency  Method = "saliency"
	// MethodCounterfactual attributes by occlusion and searches for the
	// smallest edit that makes the model give another label
	// (CounterfactualEdit).
	MethodCounterfactual Method = "counterfactual"
	// MethodPartition estimates Owen values over the text's hierarchy.
	MethodPartition Method = "partition"
)

// Methods lists every method, in the order help texts show them.
var Methods = []Method{MethodKernelSHAP, MethodExact, MethodLIME, MethodPath, MethodOcclusion, MethodGradInput, MethodSaliency, MethodCounterfactual, MethodPartition}

// ParseMethod reads a method name.
func ParseMethod(s string) (Method, error) {
	for _, m := range Methods {
		if string(m) == s {
			return m, nil
		}
	}
	switch s {
	case "", "shap":
		return MethodKernelSHAP, nil
	case "integrated-gradients", "path":
		return MethodPath, nil
	case "input-x-gradient", "gradient-x-input":
		return MethodGradInput, nil
	}
	return "", fmt.Errorf("attribution: method %q: want one of kernelshap, exact, lime, ig, occlusion, grad-input, saliency, counterfactual, partition", s)
}

// Default budgets (model evaluations) when a request gives none.
const (
	// DefaultBudget is a sampled method's budget (game.DefaultBudget).
	DefaultBudget = game.DefaultBudget
	// DefaultShortBudget is KernelSHAP's default for texts of at most
	// ShortTextFeatures features, where it is accurate enough: on the
	// shipped model, against exact Shapley values (all 2^n coalitions),
	// 5 seeds each, the refined estimator's mean |error| at 128
	// evaluations was 0.0026 (95% CI 0.0022-0.0030, p90 0.0058) over the
	// 32 SST-2 dev sentences of 12 words and 0.0031 (0.0023-0.0039, p90
	// 0.0071) over 12 of 14 words, against 0.0006 and 0.0008 at 512
	// (README, "Speed on a base-size model"); an explanation then costs a
	// quarter of the rows, the difference between ~8 s and ~2 s with a
	// BERT-base model on a CPU. Longer texts keep DefaultBudget: their
	// error at 128 was not measured.
	DefaultShortBudget = 128
	ShortTextFeatures  = 14
	// DefaultExactFeatures bounds exact Shapley when no budget is given:
	// 2^12 = 4,096 rows.
	DefaultExactFeatures = 12
)

// Request is one explanation to compute. The zero value of every field but
// Text is a sensible default.
type Request struct {
	Text   string
	Method Method
	// Budget is the number of model evaluations the method may spend
	// (KernelSHAP, LIME; an upper bound for exact and for the path method's
	// rows), at most MaxBudget. 0 means the default: DefaultBudget
	// (KernelSHAP on at most ShortTextFeatures features:
	// DefaultShortBudget), 2^DefaultExactFeatures for exact, DefaultPathBudget for the path
	// method. The path method lowers its steps to fit its budget, with a
	// warning, down to MinPathSteps, and refuses below that.
	Budget int
	// Steps and Rule set the path method's quadrature; Steps is at most
	// MaxPathSteps, 0 meaning DefaultPathSteps.
	Steps int
	Rule  path.Quadrature
	// FiniteDifferences makes the path method take its derivatives by
	// central finite differences (2 + 2·tokens·steps rows) even when the
	// model has a gradient graph (steps + 2 rows): for benchmarks and for
	// checking one path against the other.
	FiniteDifferences bool
	// Linearization makes grad-input and saliency also run the text at
	// zero word embeddings (one more gradient row), so that gradient ×
	// input's sum can be set against f(x) − f(0) (the
	// linearization_error diagnostic) and the base value is a model run;
	// without it the base value is f(x) − Σ attributions
	// (Settings.BaseImplied).
	Linearization bool
	// Level makes features words (default), tokens, phrases or sentences
	// (perturb.Outline). For MethodPartition it is the level reported: the
	// hierarchy's leaves, with the coarser outline levels above them.
	Level perturb.Level
	// Masking says what an absent feature becomes; for the path method, the
	// token whose embedding is the baseline.
	Masking perturb.Masking
	// Target is the label to explain, by name or index; "" means the
	// predicted label.
	Target string
	Seed   uint64
	// Tolerance, when positive, makes KernelSHAP sample in doubling rounds
	// until every standard error is below it (KernelSHAPToTolerance), with
	// Budget (default MaxBudget) as the cap; the diagnostics say whether it
	// was met.
	Tolerance float64
	// Plain turns off KernelSHAP's odd refinement (on by default:
	// KernelSHAPOptions.OddRefinement, an odd-component regression that
	// roughly halves the error at the same budget for a few milliseconds
	// of CPU). The tolerance and all-targets paths always run the plain
	// estimator; Settings.Refine says which ran.
	Plain bool
	// KernelWidth is LIME's kernel width (default 25, as lime's).
	KernelWidth float64
	// AllTargets explains every label at once, from one set of coalitions
	// whose every label's score is kept (Result.Labels); the Result's own
	// features are Target's (default: the predicted label). The path
	// method refuses it.
	AllTargets bool
	// MaxMemoryBytes, when positive, is the most memory the explanation may
	// take by EstimateBytes: a request estimated above it is refused
	// before anything grows with the budget is allocated. 0 means no limit.
	MaxMemoryBytes int64
	// WhyNot, when set, asks for the smallest edit that makes the model say
	// this label (by name or index) besides the attributions; the
	// counterfactual method asks for any label but the predicted one when
	// it is empty. EditBudget bounds the edit search's model evaluations
	// (0: DefaultEditBudget, at most MaxBudget).
	WhyNot     string
	EditBudget int
	// Window explains a text longer than the model's window in sliding
	// windows (see ExplainWindows) instead of its first window only;
	// WindowStride is the stride in tokens (0: half the window).
	Window       bool
	WindowStride int
	// NoPunctuation leaves words made only of punctuation marks out of the
	// features (perturb.FeatureOptions.DropPunctuation): they stay in
	// every row, unmasked, and get no attribution.
	NoPunctuation bool

	// Pair makes the input a sentence pair: Text and TextPair, encoded with
	// the tokenizer's pair template (tokenize.EncodePair; longest-first
	// truncation). Features are found in each text and marked with their
	// segment; the template's tokens are never masked. Windows and the edit
	// search do not take pairs.
	Pair     bool
	TextPair string
}

// features lists req.Text's features (enc must encode it) at req.Level,
// with req's feature options: the one place a request's text becomes
// features, so every method, the edit search and faithfulness agree.
func (req Request) features(enc *tokenize.Encoding) []perturb.Feature {
	return perturb.FeaturesWith(enc, req.Level, req.featureOptions())
}

func (req Request) featureOptions() perturb.FeatureOptions {
	return perturb.FeatureOptions{DropPunctuation: req.NoPunctuation}
}

// Explainer explains a classifier's predictions. Safe for concurrent use;
// concurrent explanations share the evaluator's batches.
type Explainer struct {
	Tokenizer *tokenize.Tokenizer
	Eval      *evaluate.Evaluator
	// ModelName is reported in results (the model folder, say).
	ModelName string
}

// NewExplainer explains model's predictions, scoring rows through eval.
func NewExplainer(tok *tokenize.Tokenizer, eval *evaluate.Evaluator, modelName string) *Explainer {
	return &Explainer{Tokenizer: tok, Eval: eval, ModelName: modelName}
}

func (x *Explainer) model() engine.Model { return x.Eval.Model() }

// head is how the model's logits become probabilities; the evaluator's
// scores follow it.
func (x *Explainer) head() engine.Head { return x.Eval.Head() }

// gradOutput is the output the gradient and path methods differentiate.
// Their graphs know the softmax's probability, logit and log-odds only,
// so a regression head's score and a sigmoid label's log-odds, both the
// logit itself, are asked for as the logit. A sigmoid label's
// probability is refused up front (checkGradOutput).
func (x *Explainer) gradOutput() evaluate.Output {
	o := x.Eval.Output()
	if h := x.head(); h == engine.Regression || (h == engine.MultiLabel && o == evaluate.LogOdds) {
		return evaluate.Logit
	}
	return o
}

// checkGradOutput refuses the gradient and path methods where their
// graphs would differentiate the wrong function: a multi-label model's
// sigmoid probability (they know the softmax's).
func (x *Explainer) checkGradOutput(m Method) error {
	if (m == MethodPath || m == MethodGradInput || m == MethodSaliency) && x.head() == engine.MultiLabel && x.Eval.Output() == evaluate.Probability {
		return fmt.Errorf("attribution: method %s on a multi-label model: the gradient graphs differentiate a softmax probability, not a label's own sigmoid; use output logit (a sigmoid label's log-odds), or kernelshap, exact, lime or occlusion for its probability", m)
	}
	return nil
}

// outputName is what Result.Output says: the evaluator's output, or
// "score" for a regression head, whose one number is its raw output.
func (x *Explainer) outputName() string {
	if x.head() == engine.Regression {
		return "score"
	}
	return x.Eval.Output().String()
}

// Explain computes one explanation.
func (x *Explainer) Explain(ctx context.Context, req Request) (*Result, error) {
	return x.explain(ctx, req, nil)
}

// explain is Explain with, for the gradient methods, the text's
// prediction and gradient rows already computed by ExplainAll in shared
// batches (nil: compute them here).
func (x *Explainer) explain(ctx context.Context, req Request, pre *precomputed) (*Result, error) {
	start := time.Now()
	if req.Method == "" {
		req.Method = MethodKernelSHAP
	}
	if err := req.Validate(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := req.checkPair(); err != nil {
		return nil, err
	}
	if req.AllTargets && (req.Method == MethodPath || req.Method == MethodGradInput || req.Method == MethodSaliency) {
		return nil, errAllTargetsPath
	}
	if err := x.checkGradOutput(req.Method); err != nil {
		return nil, err
	}
	enc, err := req.encode(x.Tokenizer)
	if err != nil {
		return nil, err
	}
	if req.Window && enc.Truncated {
		return x.explainWindows(ctx, req, start)
	}
	feats := req.features(enc)
	if len(feats) == 0 {
		return nil, fmt.Errorf("attribution: text %q has no %s to attribute", shorten.Bytes(req.Text, 40), req.Level)
	}
	hidden := 0
	if em, ok := x.model().(engine.EmbeddingModel); ok && (req.Method == MethodPath || req.Method == MethodGradInput || req.Method == MethodSaliency) {
		hidden = em.Hidden()
	}
	if err := checkMemory(req, len(feats), enc.Len(), hidden); err != nil {
		return nil, err
	}
	labels := x.model().Labels()
	res := &Result{Text: req.Text, Model: x.ModelName, Method: req.Method, Output: x.outputName(), Head: x.head().String(),
		Settings: Settings{Features: req.Level.String(), Mask: req.Masking.String(), Seed: req.Seed}}
	pairResult(res, enc, x.Tokenizer.MaxLength())
	if enc.Truncated && enc.Pair == nil {
		res.Warnings = append(res.Warnings, fmt.Sprintf("the text has %d tokens and the model reads %d: only the first %d tokens are explained (Window, --window, explains it all in sliding windows)",
			enc.FullLength, x.Tokenizer.MaxLength(), x.Tokenizer.MaxLength()))
	}

	// The full input once, for the prediction; its score seeds the game
	// (and is ig's f(x)). ExplainAll may have run it with other texts'.
	var logits engine.Logits
	var predictTime time.Duration
	if pre != nil && pre.logits != nil {
		logits = engine.Logits{Rows: 1, Labels: len(pre.logits), Data: pre.logits}
		predictTime = pre.predictTime
	} else {
		full := engine.Batch{Rows: 1, SeqLen: enc.Len(), InputIDs: enc.IDs, AttentionMask: enc.AttentionMask, TokenTypeIDs: enc.TypeIDs}
		t0 := time.Now()
		if logits, err = x.model().Run(ctx, full); err != nil {
			return nil, err
		}
		predictTime = logits.RunTime(t0)
	}
	probs := x.head().Probabilities(logits.Row(0))
	res.Probabilities = make(map[string]float64, len(labels))
	best := 0
	for i, l := range labels {
		res.Probabilities[l] = probs[i]
		if probs[i] > probs[best] {
			best = i
		}
	}
	res.Predicted = labels[best]
	target, err := resolveTarget(req.Target, labels, best)
	if err != nil {
		return nil, err
	}
	res.Target, res.TargetIndex = labels[target], target

	var attr *game.Attribution
	var stats evaluate.Stats
	switch req.Method {
	case MethodPath:
		attr, stats, err = x.explainPath(ctx, req, enc, feats, target, x.gradOutput().Score(logits.Row(0), target), res, pre)
	case MethodGradInput, MethodSaliency:
		attr, stats, err = x.explainGradient(ctx, req, enc, feats, target, res, pre)
	default:
		var shared map[string][]float64
		if req.AllTargets {
			shared = map[string][]float64{}
		}
		attr, stats, err = x.explainGame(ctx, req, enc, feats, target, logits.Row(0), res, shared)
		if err == nil && req.AllTargets {
			var more evaluate.Stats
			more, err = x.explainAllLabels(ctx, req, enc, feats, target, logits.Row(0), attr, shared, res)
			stats.Add(more)
		}
	}
	if err != nil {
		return nil, err
	}
	stats.Evaluations++ // the prediction run
	stats.Runtime += predictTime

	res.FX, res.BaseValue = attr.Full, attr.Base
	res.Features = make([]FeatureAttribution, len(feats))
	for i, f := range feats {
		fa := FeatureAttribution{Text: f.Text, ByteStart: f.Start, ByteEnd: f.End,
			Start: utf8.RuneCountInString(req.featureText(f.Segment)[:f.Start]), Attribution: attr.Values[i]}
		if req.Pair {
			fa.Segment = &feats[i].Segment
		}
		fa.End = fa.Start + utf8.RuneCountInString(f.Text)
		for _, pos := range f.Tokens {
			fa.Tokens = append(fa.Tokens, enc.Tokens[pos])
		}
		if attr.StdErr != nil {
			se := attr.StdErr[i]
			fa.StdErr = &se
		}
		res.Features[i] = fa
	}
	res.Diagnostics = attr.Diagnostics
	res.Evaluations = stats.Evaluations
	res.RuntimeSeconds = stats.Runtime.Seconds()
	if req.Method == MethodCounterfactual || req.WhyNot != "" {
		if res.Counterfactual, err = x.CounterfactualEdit(ctx, req, res, req.WhyNot, req.EditBudget); err != nil {
			return nil, err
		}
	}
	if req.Window {
		// The text fits the model's window: one window, predict's reading.
		res.Windowing = &Windowing{Windows: 1, Rule: WindowRule, PredictLabel: res.Predicted,
			PredictProbability: res.Probabilities[res.Predicted], PredictTokens: enc.Len(), Agrees: true}
	}
	res.Summary, res.SummaryTechnical = Summarize(res), SummarizeTechnical(res)
	res.WallSeconds = time.Since(start).Seconds()
	return res, nil
}

// explainGame runs the coalition methods (KernelSHAP, exact, LIME, occlusion).
func (x *Explainer) explainGame(ctx context.Context, req Request, enc *tokenize.Encoding, feats []perturb.Feature,
	target int, fullLogits []float32, res *Result, shared map[string][]float64) (*game.Attribution, evaluate.Stats, error) {
	masker, err := perturb.NewMasker(enc, feats, req.Masking, x.Tokenizer)
	if err != nil {
		return nil, evaluate.Stats{}, err
	}
	tg := newTextGame(masker, x.Eval, target)
	if shared != nil {
		// Every label's game reads and fills one table.
		tg.labels = shared
		shared[perturb.FullCoalition(len(feats)).Key()] = x.labelScores(fullLogits)
	} else {
		tg.cache[perturb.FullCoalition(len(feats)).Key()] = x.Eval.Output().ScoreHead(x.head(), fullLogits, target)
	}
	n := len(feats)
	budget := req.Budget
	var attr *game.Attribution
	switch req.Method {
	case MethodExact:
		need := 0
		if n < 63 {
			need = 1 << n
		}
		if budget == 0 {
			budget = 1 << DefaultExactFeatures
		}
		if n >= 63 || need > budget || need > shapley.MaxEnumeration {
			return nil, tg.stats, exactRefusal(n, req.Level, req.Budget)
		}
		res.Settings.Budget = need
		attr, err = shapley.ExactShapley(ctx, tg, need)
	case MethodKernelSHAP:
		if req.Tolerance > 0 {
			if budget == 0 {
				budget = MaxBudget
			}
			res.Settings.Budget = budget
			attr, err = shapley.KernelSHAPToTolerance(ctx, tg, req.Tolerance, budget, req.Seed)
			if err == nil && attr.Diagnostics[shapley.DiagToleranceMet] == 0 {
				res.Warnings = append(res.Warnings, fmt.Sprintf("tolerance %g not met within the budget cap %d: the largest standard error is %.3g", req.Tolerance, budget, attr.Diagnostics[shapley.DiagMaxStdErr]))
			}
			break
		}
		if budget == 0 && n <= ShortTextFeatures {
			budget = DefaultShortBudget
		}
		budget = res.sampledBudget(budget, shapley.MinKernelSHAPBudget(n), n, "evaluations KernelSHAP")
		attr, err = shapley.KernelSHAP(ctx, tg, shapley.KernelSHAPOptions{Budget: budget, Seed: req.Seed, OddRefinement: !req.Plain})
		res.Settings.Refine = !req.Plain && attr != nil && attr.Diagnostics[shapley.DiagExact] != 1
		if err == nil && attr.Diagnostics[shapley.DiagExact] == 1 {
			// 2^n fit the budget: the settings say what ran, not the cap.
			res.Settings.Budget = attr.Evaluations
		}
		if err == nil && attr.StdErr != nil && attr.Diagnostics[shapley.DiagStdErrCalibrated] == 0 {
			msg := fmt.Sprintf("standard errors at budget %d on %d features are not calibrated (fewer than %.1f sampled pairs per feature; their 95%% intervals cover less than 95%%)",
				budget, n, shapley.CalibratedPairsPerFeature)
			if b := shapley.CalibratedKernelSHAPBudget(n); b > 0 {
				msg += fmt.Sprintf(": use --budget %d or more for calibrated ones", b)
			}
			res.Warnings = append(res.Warnings, msg)
		}
	case MethodLIME:
		// One sample per feature plus the intercept and the original, or
		// the ridge surrogate is mostly prior.
		budget = res.sampledBudget(budget, n+2, n, "samples LIME")
		width := req.KernelWidth
		if width <= 0 {
			width = 25
		}
		res.Settings.KernelWidth = width
		// The base value f(∅) is reported for LIME too; fetch it with
		// LIME's samples rather than in a one-row run afterwards.
		tg.prefetch = append(tg.prefetch, perturb.NewCoalition(n))
		attr, err = lime.LIME(ctx, tg, lime.Options{Budget: budget, Seed: req.Seed, KernelWidth: width, FeatureSelection: "none", NumFeatures: n})
	case MethodOcclusion, MethodCounterfactual:
		res.Settings.Budget = n + 1
		attr, err = occlusion.Occlusion(ctx, tg)
	case MethodPartition:
		budget = res.sampledBudget(budget, 2, n, "evaluations partition")
		var h shapley.Group
		if h, err = shapley.HierarchyFromSpans(n, perturb.NewOutlineWith(enc, req.featureOptions()).Groups(req.Level, feats)); err == nil {
			attr, err = shapley.Partition(ctx, tg, h, shapley.PartitionOptions{Budget: budget})
		}
	default:
		return nil, tg.stats, fmt.Errorf("attribution: unknown method %q", req.Method)
	}
	if err != nil {
		return nil, tg.stats, err
	}
	if req.Method == MethodLIME {
		// LIME's Base is its surrogate's intercept; report f(∅) as the
		// base value like every other method, from the cache when sampled.
		base, err := tg.value(ctx, perturb.NewCoalition(n))
		if err != nil {
			return nil, tg.stats, err
		}
		attr.Base = base
	}
	return attr, tg.stats, nil
}

// sampledBudget fills in the default budget, raises one below minimum with
// a warning (never silently, never to 2^n), and records it in the settings.
func (res *Result) sampledBudget(budget, minimum, n int, what string) int {
	if budget == 0 {
		budget = DefaultBudget
	}
	if budget < minimum {
		res.Warnings = append(res.Warnings, fmt.Sprintf("budget %d is below the %d %s needs for %d features: raised to %d", budget, minimum, what, n, minimum))
		budget = minimum
	}
	res.Settings.Budget = budget
	return budget
}

// explainPath runs the integrated-gradient-style path method and sums its
// token attributions into features; full is f(x) from the prediction run.
// Settings.Derivatives says whether the gradient graph or finite
// differences took the derivatives, and Settings.DerivativesReason why
// finite differences did.
func (x *Explainer) explainPath(ctx context.Context, req Request, enc *tokenize.Encoding, feats []perturb.Feature,
	target int, full float64, res *Result, pre *precomputed) (*game.Attribution, evaluate.Stats, error) {
	em, ok := x.model().(engine.EmbeddingModel)
	if !ok {
		return nil, evaluate.Stats{}, fmt.Errorf("attribution: the path method needs a model that runs from embeddings; this one (%T) does not", x.model())
	}
	baseline, err := x.pathBaseline(req)
	if err != nil {
		return nil, evaluate.Stats{}, err
	}
	steps := req.Steps
	if steps <= 0 {
		steps = DefaultPathSteps
	}
	budget := req.Budget
	if budget == 0 {
		budget = DefaultPathBudget
	}
	res.Settings.Quadrature = req.Rule.String()
	gm, derivatives, why := derivativesPath(x.model(), req)
	res.Settings.Derivatives, res.Settings.DerivativesReason = derivatives, why
	if gm != nil {
		return x.explainGradientPath(ctx, gm, req, enc, feats, target, full, baseline, steps, budget, res, pre)
	}
	p, err := path.IntegratedPath(ctx, em, enc, path.Options{Steps: steps, Budget: budget, Rule: req.Rule, BaselineID: baseline, Target: target, Output: x.gradOutput()})
	if err != nil {
		return nil, evaluate.Stats{}, err
	}
	if p.Steps < steps {
		res.Warnings = append(res.Warnings, fmt.Sprintf("%d steps over %d tokens would take %d rows, more than the budget of %d: lowered to %d steps (%d rows)",
			steps, (p.Evaluations-2)/(2*p.Steps), 2+2*((p.Evaluations-2)/(2*p.Steps))*steps, budget, p.Steps, p.Evaluations))
	}
	return pathAttribution(p, feats, res), evaluate.Stats{Evaluations: p.Evaluations, Runtime: p.Runtime}, nil
}

// pathBaseline is the token whose embedding starts the path: req.Masking's.
func (x *Explainer) pathBaseline(req Request) (int64, error) {
	switch req.Masking {
	case perturb.MaskToken:
		id, ok := x.Tokenizer.MaskID()
		if !ok {
			return 0, fmt.Errorf("attribution: the tokenizer has no mask token for the path baseline; use --mask pad or unk")
		}
		return id, nil
	case perturb.Pad:
		return x.Tokenizer.PadID(), nil
	case perturb.Unknown:
		id, ok := x.Tokenizer.UnkID()
		if !ok {
			return 0, fmt.Errorf("attribution: the tokenizer has no unknown token for the path baseline; use --mask mask or pad")
		}
		return id, nil
	}
	return 0, fmt.Errorf("attribution: the path method needs a baseline token: --mask mask, pad or unk, not %s", req.Masking)
}

// pathAttribution sums a path result's token attributions into features
// and reports the completeness (convergence) delta.
func pathAttribution(p *path.Result, feats []perturb.Feature, res *Result) *game.Attribution {
	res.Settings.Steps = p.Steps
	res.Settings.Budget = p.Evaluations
	attr := &game.Attribution{Values: make([]float64, len(feats)), Base: p.Baseline, Full: p.Full, Evaluations: p.Evaluations}
	for i, f := range feats {
		for _, pos := range f.Tokens {
			attr.Values[i] += p.Tokens[pos]
		}
	}
	gap := p.Completeness()
	attr.Diagnostics = map[string]float64{"completeness_error": gap}
	if diff := p.Full - p.Baseline; diff != 0 {
		attr.Diagnostics["completeness_error_relative"] = gap / math.Abs(diff)
	}
	return attr
}

// ExplainAll explains many texts concurrently (workers at once, default 8)
// so their rows share the evaluator's batches; ig, grad-input and saliency
// on a model with a gradient graph run all their texts' prediction and
// gradient rows together first, in shared batches. results[i] and errs[i]
// answer reqs[i].
func (x *Explainer) ExplainAll(ctx context.Context, reqs []Request, workers int) ([]*Result, []error) {
	if workers <= 0 {
		workers = 8
	}
	start := time.Now()
	results, errs := make([]*Result, len(reqs)), make([]error, len(reqs))
	// The gradient methods do not go through the evaluator, whose batches
	// are what concurrent explanations share: their prediction and
	// gradient rows of all texts are run together first.
	pre := x.precomputeGradients(ctx, reqs)
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(workers, len(reqs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				results[i], errs[i] = x.explain(ctx, reqs[i], pre[i])
			}
		}()
	}
	for i := range reqs {
		next <- i
	}
	close(next)
	wg.Wait()
	shareBatchWall(results, time.Since(start).Seconds())
	return results, errs
}

// resolveTarget reads a label by name (case-insensitive) or index.
func resolveTarget(t string, labels []string, predicted int) (int, error) {
	if t == "" {
		return predicted, nil
	}
	for i, l := range labels {
		if strings.EqualFold(l, t) {
			return i, nil
		}
	}
	if i, err := strconv.Atoi(t); err == nil && i >= 0 && i < len(labels) {
		return i, nil
	}
	return 0, fmt.Errorf("attribution: unknown target label %q; the model's labels are %s (or their indexes 0..%d)",
		t, strings.Join(labels, ", "), len(labels)-1)
}
