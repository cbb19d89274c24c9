package attribution

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/lucid-nlp/lucid/attribution/game"
	"github.com/lucid-nlp/lucid/attribution/path"
	"github.com/lucid-nlp/lucid/engine"
	"github.com/lucid-nlp/lucid/evaluate"
	"github.com/lucid-nlp/lucid/perturb"
	"github.com/lucid-nlp/lucid/tokenize"
)

// How ig takes its path derivatives (Settings.Derivatives).
const (
	DerivativesGradientGraph     = "gradient graph"
	DerivativesFiniteDifferences = "finite differences"
)

// derivativesPath says which derivatives ig takes on m and, for finite
// differences, why: ig never falls back to them without saying so.
func derivativesPath(m engine.Model, req Request) (gm engine.GradientModel, path, reason string) {
	gm, ok := m.(engine.GradientModel)
	switch {
	case req.FiniteDifferences:
		return nil, DerivativesFiniteDifferences, "asked for (FiniteDifferences; lucid bench --methods ig-fd)"
	case !ok:
		return nil, DerivativesFiniteDifferences, fmt.Sprintf("the model (%T) has no gradient graph", m)
	case !gm.HasGradientGraph():
		return nil, DerivativesFiniteDifferences, "the model folder has no model_grad.onnx, which scripts/export_models.py grad DIR writes"
	}
	return gm, DerivativesGradientGraph, ""
}

// explainGradientPath runs ig with the model's gradient graph: steps + 1
// rows (the quadrature points and the baseline f(x'); f(x) is full, the
// prediction run's score) instead of the finite differences' 2 +
// 2·tokens·steps.
func (x *Explainer) explainGradientPath(ctx context.Context, m engine.GradientModel, req Request, enc *tokenize.Encoding,
	feats []perturb.Feature, target int, full float64, baseline int64, steps, budget int, res *Result, pre *precomputed) (*game.Attribution, evaluate.Stats, error) {
	var p *path.Result
	if pre != nil && pre.path != nil && pre.target == target && pre.baseline == baseline {
		// ExplainAll ran this text's rows in batches shared with others.
		p = pre.path
	} else {
		ps, err := path.IntegratedGradients(ctx, m, []*tokenize.Encoding{enc}, []int{target},
			path.Options{Steps: steps, Budget: budget, Rule: req.Rule, BaselineID: baseline, Output: x.gradOutput(), FullScores: []float64{full}})
		if err != nil {
			return nil, evaluate.Stats{}, err
		}
		p = ps[0]
	}
	if p.Steps < steps {
		res.Warnings = append(res.Warnings, fmt.Sprintf("%d steps would take %d rows, more than the budget of %d: lowered to %d steps (%d rows)",
			steps, steps+1, budget, p.Steps, p.Evaluations))
	}
	attr := pathAttribution(p, feats, res)
	attr.Diagnostics["gradient_graph"] = 1
	return attr, evaluate.Stats{Evaluations: p.Evaluations, Runtime: p.Runtime}, nil
}

// gradientKind is the GradientKind a grad-input or saliency request asks for.
func gradientKind(m Method) path.GradientKind {
	if m == MethodSaliency {
		return path.Saliency
	}
	return path.GradientTimesInput
}

// explainGradient runs grad-input or saliency: one gradient row at the
// input (and, with req.Linearization, the zero-embedding row beside it in
// the same run).
func (x *Explainer) explainGradient(ctx context.Context, req Request, enc *tokenize.Encoding, feats []perturb.Feature,
	target int, res *Result, pre *precomputed) (*game.Attribution, evaluate.Stats, error) {
	gm, ok := x.model().(engine.GradientModel)
	if !ok || !gm.HasGradientGraph() {
		return nil, evaluate.Stats{}, fmt.Errorf("attribution: --method %s needs the model folder's gradient graph (model_grad.onnx, written by scripts/export_models.py grad DIR); this model has none: use --method ig, which falls back to finite differences", req.Method)
	}
	kind := gradientKind(req.Method)
	var g *path.GradientResult
	if pre != nil && pre.grad != nil && pre.target == target {
		g = pre.grad
	} else {
		gs, err := path.GradientAttributions(ctx, gm, []*tokenize.Encoding{enc}, []int{target},
			path.GradientOptions{Kind: kind, Output: x.gradOutput(), Linearize: req.Linearization})
		if err != nil {
			return nil, evaluate.Stats{}, err
		}
		g = gs[0]
	}
	res.Settings.Budget = g.Evaluations
	res.Settings.Derivatives = DerivativesGradientGraph
	attr := &game.Attribution{Values: make([]float64, len(feats)), Full: g.Full, Evaluations: g.Evaluations}
	var sum float64
	for i, f := range feats {
		for _, pos := range f.Tokens {
			if kind == path.Saliency {
				// Norms of a word's pieces combine as a norm, not a sum.
				attr.Values[i] = math.Hypot(attr.Values[i], g.Tokens[pos])
			} else {
				attr.Values[i] += g.Tokens[pos]
			}
		}
		sum += attr.Values[i]
	}
	attr.Diagnostics = map[string]float64{}
	if g.Linearized {
		attr.Base = g.Zero
		if kind == path.GradientTimesInput {
			// How far the first-order (linear) reading is from f(x) − f(0).
			attr.Diagnostics["linearization_error"] = math.Abs(sum - (g.Full - g.Zero))
		}
	} else {
		// No baseline row ran: the base is the one the attributions imply,
		// f(x) − Σ, as Settings.BaseImplied says.
		attr.Base = g.Full - sum
		res.Settings.BaseImplied = true
	}
	return attr, evaluate.Stats{Evaluations: g.Evaluations, Runtime: g.Runtime}, nil
}

// precomputed is a text's gradient work done ahead of Explain by
// ExplainAll, in batches shared with other texts: its prediction row and
// its ig path or grad-input/saliency row.
type precomputed struct {
	logits      []float32 // the prediction run's row
	predictTime time.Duration
	target      int
	baseline    int64
	path        *path.Result
	grad        *path.GradientResult
}

// gradientKey is what must agree for texts to share one
// IntegratedGradients or GradientAttributions call.
type gradientKey struct {
	method        Method
	steps, budget int
	rule          path.Quadrature
	baseline      int64
	linearize     bool
}

// precomputeGradients runs, for every ig, grad-input and saliency request
// that will use the gradient graph, its prediction and gradient rows
// together with the other texts' (several texts' rows in one batch, texts
// of about one length together), so that ExplainAll's texts fill batches
// instead of each sending its own one-row prediction and its few gradient
// rows. Requests it cannot settle here (no gradient graph, finite
// differences asked for, a bad request, a target it cannot resolve) are
// left out: Explain computes them on its own and reports their errors.
func (x *Explainer) precomputeGradients(ctx context.Context, reqs []Request) map[int]*precomputed {
	gm, ok := x.model().(engine.GradientModel)
	if !ok || !gm.HasGradientGraph() {
		return nil
	}
	type pending struct {
		i      int
		enc    *tokenize.Encoding
		target string
	}
	groups := map[gradientKey][]pending{}
	var keys []gradientKey
	for i, req := range reqs {
		gradient := req.Method == MethodGradInput || req.Method == MethodSaliency
		if (req.Method != MethodPath && !gradient) || req.FiniteDifferences || req.AllTargets || req.Window || req.Validate() != nil {
			continue
		}
		enc, err := req.encode(x.Tokenizer)
		if err != nil || req.checkPair() != nil || len(req.features(enc)) == 0 {
			continue
		}
		if checkMemory(req, len(req.features(enc)), enc.Len(), gm.Hidden()) != nil {
			continue
		}
		k := gradientKey{method: req.Method}
		if gradient {
			k.linearize = req.Linearization
		} else {
			baseline, err := x.pathBaseline(req)
			if err != nil {
				continue
			}
			k = gradientKey{method: req.Method, steps: req.Steps, budget: req.Budget, rule: req.Rule, baseline: baseline}
			if k.steps <= 0 {
				k.steps = DefaultPathSteps
			}
			if k.budget == 0 {
				k.budget = DefaultPathBudget
			}
		}
		if _, seen := groups[k]; !seen {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], pending{i: i, enc: enc, target: req.Target})
	}
	out := map[int]*precomputed{}
	labels := gm.Labels()
	output := x.gradOutput()
	for _, k := range keys {
		g := groups[k]
		if len(g) < 2 {
			continue // nothing to share: Explain runs it as it would alone
		}
		encs := make([]*tokenize.Encoding, len(g))
		for j, p := range g {
			encs[j] = p.enc
		}
		logits, times, err := predictRows(ctx, gm, encs, x.Tokenizer.PadID())
		if err != nil {
			return out
		}
		var ready []pending
		var targets []int
		var fulls []float64
		var rows [][]float32
		var rowTimes []time.Duration
		for j, p := range g {
			t, err := resolveTarget(p.target, labels, engine.Argmax(logits[j]))
			if err != nil {
				continue
			}
			ready = append(ready, p)
			targets = append(targets, t)
			fulls = append(fulls, output.Score(logits[j], t))
			rows = append(rows, logits[j])
			rowTimes = append(rowTimes, times[j])
		}
		encs = encs[:0]
		for _, p := range ready {
			encs = append(encs, p.enc)
		}
		if k.method == MethodPath {
			res, err := path.IntegratedGradients(ctx, gm, encs, targets,
				path.Options{Steps: k.steps, Budget: k.budget, Rule: k.rule, BaselineID: k.baseline, Output: output, FullScores: fulls})
			if err != nil {
				continue
			}
			for j, p := range ready {
				out[p.i] = &precomputed{logits: rows[j], predictTime: rowTimes[j], target: targets[j], baseline: k.baseline, path: res[j]}
			}
			continue
		}
		res, err := path.GradientAttributions(ctx, gm, encs, targets,
			path.GradientOptions{Kind: gradientKind(k.method), Output: output, Linearize: k.linearize})
		if err != nil {
			continue
		}
		for j, p := range ready {
			out[p.i] = &precomputed{logits: rows[j], predictTime: rowTimes[j], target: targets[j], grad: res[j]}
		}
	}
	return out
}

// predictRows is each text's logits row, from forward runs of up to
// evaluate.DefaultBatchSize texts padded to their longest (padding is
// masked), with each row's share of its run's model time.
func predictRows(ctx context.Context, m engine.Model, encs []*tokenize.Encoding, padID int64) ([][]float32, []time.Duration, error) {
	out := make([][]float32, len(encs))
	times := make([]time.Duration, len(encs))
	for start := 0; start < len(encs); start += evaluate.DefaultBatchSize {
		chunk := encs[start:min(start+evaluate.DefaultBatchSize, len(encs))]
		S := 0
		for _, e := range chunk {
			S = max(S, e.Len())
		}
		b := engine.Batch{Rows: len(chunk), SeqLen: S, InputIDs: make([]int64, len(chunk)*S),
			AttentionMask: make([]int64, len(chunk)*S), TokenTypeIDs: make([]int64, len(chunk)*S)}
		for r, e := range chunk {
			for c := range S {
				b.InputIDs[r*S+c] = padID
			}
			copy(b.InputIDs[r*S:], e.IDs)
			copy(b.AttentionMask[r*S:], e.AttentionMask)
			copy(b.TokenTypeIDs[r*S:], e.TypeIDs)
		}
		t0 := time.Now()
		logits, err := m.Run(ctx, b)
		if err != nil {
			return nil, nil, err
		}
		share := logits.RunTime(t0) / time.Duration(len(chunk))
		for r := range chunk {
			out[start+r] = append([]float32(nil), logits.Row(r)...)
			times[start+r] = share
		}
	}
	return out, times, nil
}
