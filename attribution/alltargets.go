package attribution

import (
	"context"
	"fmt"

	"github.com/lucid-nlp/lucid/attribution/game"
	"github.com/lucid-nlp/lucid/evaluate"
	"github.com/lucid-nlp/lucid/perturb"
	"github.com/lucid-nlp/lucid/tokenize"
)

// LabelAttribution is one label's attribution in an explanation of every
// label at once (Request.AllTargets): the same features as the Result's,
// in the same order, attributed to this label's score.
type LabelAttribution struct {
	Label string `json:"label"`
	Index int    `json:"index"`
	// FX and BaseValue are this label's f(x) and f(∅).
	FX        float64 `json:"f_x"`
	BaseValue float64 `json:"base_value"`
	// Attributions holds one value per feature, in Result.Features order;
	// StdErrs likewise, when the method has them.
	Attributions []float64          `json:"attributions"`
	StdErrs      []float64          `json:"stderrs,omitempty"`
	Diagnostics  map[string]float64 `json:"diagnostics,omitempty"`
}

// cached returns a coalition's value for the game's target, from the
// all-labels table when the game shares one.
func (g *textGame) cached(key string) (float64, bool) {
	if g.labels != nil {
		v, ok := g.labels[key]
		if !ok {
			return 0, false
		}
		return v[g.target], true
	}
	v, ok := g.cache[key]
	return v, ok
}

// score runs rows (whose coalition keys are keys) and remembers their
// scores: the target's, or every label's when the game shares a table.
func (g *textGame) score(ctx context.Context, rows []perturb.Row, keys []string) ([]float64, evaluate.Stats, error) {
	if g.labels == nil {
		scores, st, err := g.eval.Score(ctx, rows, g.target)
		if err != nil {
			return nil, st, err
		}
		for j, k := range keys {
			g.cache[k] = scores[j]
		}
		return scores, st, nil
	}
	all, st, err := g.eval.ScoreAll(ctx, rows)
	if err != nil {
		return nil, st, err
	}
	scores := make([]float64, len(rows))
	for j, k := range keys {
		g.labels[k] = all[j]
		scores[j] = all[j][g.target]
	}
	return scores, st, nil
}

// errAllTargetsPath is why the path method cannot explain every label at
// once: its rows are gradients of one label's score along the path, not
// coalitions whose every label's score could be shared.
var errAllTargetsPath = fmt.Errorf("attribution: --target all explains every label from one set of coalitions; the path method (ig) follows one label's gradient, so explain one label at a time with --target LABEL, or use kernelshap, exact, lime or occlusion")

// explainAllLabels attributes every label other than the Result's target
// from the coalitions the target's game valued: each label's game reads
// the shared table and runs only a coalition it misses (none, for the
// methods here, whose coalitions depend on the seed and the feature count
// alone). The labels are reported in the model's order, the target's
// included.
func (x *Explainer) explainAllLabels(ctx context.Context, req Request, enc *tokenize.Encoding, feats []perturb.Feature,
	target int, fullLogits []float32, main *game.Attribution, shared map[string][]float64, res *Result) (evaluate.Stats, error) {
	var stats evaluate.Stats
	labels := x.model().Labels()
	res.Labels = make([]LabelAttribution, len(labels))
	for l, name := range labels {
		attr := main
		if l != target {
			scratch := &Result{} // the settings and warnings are the target's
			a, st, err := x.explainGame(ctx, req, enc, feats, l, fullLogits, scratch, shared)
			if err != nil {
				return stats, fmt.Errorf("attribution: label %s: %w", name, err)
			}
			stats.Add(st)
			attr = a
		}
		res.Labels[l] = LabelAttribution{Label: name, Index: l, FX: attr.Full, BaseValue: attr.Base,
			Attributions: attr.Values, StdErrs: attr.StdErr, Diagnostics: attr.Diagnostics}
	}
	return stats, nil
}

// labelScores is every label's score of one row of logits.
func (x *Explainer) labelScores(logits []float32) []float64 {
	out := make([]float64, len(logits))
	for t := range logits {
		out[t] = x.Eval.Output().ScoreHead(x.head(), logits, t)
	}
	return out
}
