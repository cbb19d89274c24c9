package attribution

import (
	"context"
	"fmt"
	"math"

	"github.com/lucid-nlp/lucid/engine"
	"github.com/lucid-nlp/lucid/evaluate"
	"github.com/lucid-nlp/lucid/perturb"
	"github.com/lucid-nlp/lucid/tokenize"
)

// explainGradientPath runs ig with the model's gradient graph: steps + 2
// rows instead of the finite differences' 2 + 2·tokens·steps.
func (x *Explainer) explainGradientPath(ctx context.Context, m engine.GradientModel, req Request, enc *tokenize.Encoding,
	feats []perturb.Feature, target int, baseline int64, steps, budget int, res *Result, pre *precomputedPath) (*Attribution, evaluate.Stats, error) {
	var p *PathResult
	if pre != nil && pre.target == target && pre.baseline == baseline {
		// ExplainAll ran this text's rows in batches shared with others.
		p = pre.result
	} else {
		ps, err := IntegratedGradients(ctx, m, []*tokenize.Encoding{enc}, []int{target},
			PathOptions{Steps: steps, Budget: budget, Rule: req.Rule, BaselineID: baseline, Output: x.gradOutput()})
		if err != nil {
			return nil, evaluate.Stats{}, err
		}
		p = ps[0]
	}
	if p.Steps < steps {
		res.Warnings = append(res.Warnings, fmt.Sprintf("%d steps would take %d rows, more than the budget of %d: lowered to %d steps (%d rows)",
			steps, steps+2, budget, p.Steps, p.Evaluations))
	}
	attr := pathAttribution(p, feats, res)
	attr.Diagnostics["gradient_graph"] = 1
	return attr, evaluate.Stats{Evaluations: p.Evaluations, Runtime: p.Runtime}, nil
}

// explainGradient runs grad-input or saliency: one gradient row at the
// input (and the zero-embedding row beside it in the same run).
func (x *Explainer) explainGradient(ctx context.Context, req Request, enc *tokenize.Encoding, feats []perturb.Feature,
	target int, res *Result) (*Attribution, evaluate.Stats, error) {
	gm, ok := x.model().(engine.GradientModel)
	if !ok || !gm.HasGradientGraph() {
		return nil, evaluate.Stats{}, fmt.Errorf("attribution: --method %s needs the model folder's gradient graph (model_grad.onnx, written by scripts/export_models.py); this model has none: use --method ig, which falls back to finite differences", req.Method)
	}
	kind := GradientTimesInput
	if req.Method == MethodSaliency {
		kind = Saliency
	}
	g, err := GradientAttribution(ctx, gm, enc, target, x.gradOutput(), kind)
	if err != nil {
		return nil, evaluate.Stats{}, err
	}
	res.Settings.Budget = g.Evaluations
	attr := &Attribution{Values: make([]float64, len(feats)), Base: g.Zero, Full: g.Full, Evaluations: g.Evaluations}
	var sum float64
	for i, f := range feats {
		for _, pos := range f.Tokens {
			if kind == Saliency {
				// Norms of a word's pieces combine as a norm, not a sum.
				attr.Values[i] = math.Hypot(attr.Values[i], g.Tokens[pos])
			} else {
				attr.Values[i] += g.Tokens[pos]
			}
		}
		sum += attr.Values[i]
	}
	attr.Diagnostics = map[string]float64{}
	if kind == GradientTimesInput {
		// How far the first-order (linear) reading is from f(x) − f(0).
		attr.Diagnostics["linearization_error"] = math.Abs(sum - (g.Full - g.Zero))
	}
	return attr, evaluate.Stats{Evaluations: g.Evaluations, Runtime: g.Runtime}, nil
}

// precomputedPath is a text's integrated gradients computed ahead of
// Explain by ExplainAll, in batches shared with other texts.
type precomputedPath struct {
	target   int
	baseline int64
	result   *PathResult
}

// gradientPathKey is what must agree for texts to share one
// IntegratedGradients call.
type gradientPathKey struct {
	steps, budget int
	rule          Quadrature
	baseline      int64
}

// precomputeGradientPaths runs, for every ig request that will use the
// gradient graph, its gradient rows together with the other texts' (rows of
// several texts' quadrature points in one gradient batch, texts of about
// one length together), so that ExplainAll's texts fill batches instead of
// each sending its own steps + 2 rows. Requests it cannot settle here (no
// gradient graph, finite differences asked for, a bad request, a target it
// cannot resolve) are left out: Explain computes them on its own and
// reports their errors. The predicted label, which ig explains by default,
// comes from one forward run per batch of texts.
func (x *Explainer) precomputeGradientPaths(ctx context.Context, reqs []Request) map[int]*precomputedPath {
	gm, ok := x.model().(engine.GradientModel)
	if !ok || !gm.HasGradientGraph() {
		return nil
	}
	type pending struct {
		i      int
		enc    *tokenize.Encoding
		target string
	}
	groups := map[gradientPathKey][]pending{}
	var keys []gradientPathKey
	for i, req := range reqs {
		if req.Method != MethodPath || req.FiniteDifferences || req.AllTargets || req.Validate() != nil {
			continue
		}
		enc, err := req.encode(x.Tokenizer)
		if err != nil || req.checkPair() != nil || len(req.features(enc)) == 0 {
			continue
		}
		if checkMemory(req, len(req.features(enc)), enc.Len(), gm.Hidden()) != nil {
			continue
		}
		baseline, err := x.pathBaseline(req)
		if err != nil {
			continue
		}
		k := gradientPathKey{steps: req.Steps, budget: req.Budget, rule: req.Rule, baseline: baseline}
		if k.steps <= 0 {
			k.steps = DefaultPathSteps
		}
		if k.budget == 0 {
			k.budget = DefaultPathBudget
		}
		if _, seen := groups[k]; !seen {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], pending{i: i, enc: enc, target: req.Target})
	}
	out := map[int]*precomputedPath{}
	labels := gm.Labels()
	for _, k := range keys {
		g := groups[k]
		if len(g) < 2 {
			continue // nothing to share: Explain runs it as it would alone
		}
		encs := make([]*tokenize.Encoding, len(g))
		for j, p := range g {
			encs[j] = p.enc
		}
		predicted, err := predictLabels(ctx, gm, encs, x.Tokenizer.PadID())
		if err != nil {
			return out
		}
		var ready []pending
		var targets []int
		for j, p := range g {
			t, err := resolveTarget(p.target, labels, predicted[j])
			if err != nil {
				continue
			}
			ready = append(ready, p)
			targets = append(targets, t)
		}
		encs = encs[:0]
		for _, p := range ready {
			encs = append(encs, p.enc)
		}
		res, err := IntegratedGradients(ctx, gm, encs, targets,
			PathOptions{Steps: k.steps, Budget: k.budget, Rule: k.rule, BaselineID: k.baseline, Output: x.gradOutput()})
		if err != nil {
			continue
		}
		for j, p := range ready {
			out[p.i] = &precomputedPath{target: targets[j], baseline: k.baseline, result: res[j]}
		}
	}
	return out
}

// predictLabels is each text's most probable label, from forward runs of
// up to evaluate.DefaultBatchSize texts padded to their longest (padding is
// masked).
func predictLabels(ctx context.Context, m engine.Model, encs []*tokenize.Encoding, padID int64) ([]int, error) {
	out := make([]int, len(encs))
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
		logits, err := m.Run(ctx, b)
		if err != nil {
			return nil, err
		}
		for r := range chunk {
			row := logits.Row(r)
			best := 0
			for l, v := range row {
				if v > row[best] {
					best = l
				}
			}
			out[start+r] = best
		}
	}
	return out, nil
}
