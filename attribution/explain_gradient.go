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
	feats []perturb.Feature, target int, baseline int64, steps, budget int, res *Result) (*Attribution, evaluate.Stats, error) {
	ps, err := IntegratedGradients(ctx, m, []*tokenize.Encoding{enc}, []int{target},
		PathOptions{Steps: steps, Budget: budget, Rule: req.Rule, BaselineID: baseline, Output: x.Eval.Output()})
	if err != nil {
		return nil, evaluate.Stats{}, err
	}
	p := ps[0]
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
	g, err := GradientAttribution(ctx, gm, enc, target, x.Eval.Output(), kind)
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
