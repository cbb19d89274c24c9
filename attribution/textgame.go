package attribution

import (
	"context"

	"github.com/lucid-nlp/lucid/evaluate"
	"github.com/lucid-nlp/lucid/perturb"
)

// textGame is the Game of one encoded text: a coalition's value is the
// target's score on the row where only that coalition's features are
// present. It remembers values already computed, so methods that ask twice
// (f(∅) and f(x) in particular) cost one evaluation.
type textGame struct {
	masker *perturb.Masker
	eval   *evaluate.Evaluator
	target int
	stats  evaluate.Stats
	cache  map[string]float64
	// prefetch are coalitions a caller will want later; they ride along
	// with the next Values call instead of costing a model run of their own.
	prefetch []perturb.Coalition
}

func newTextGame(m *perturb.Masker, e *evaluate.Evaluator, target int) *textGame {
	return &textGame{masker: m, eval: e, target: target, cache: map[string]float64{}}
}

func (g *textGame) NumFeatures() int { return len(g.masker.Features()) }

func (g *textGame) Values(ctx context.Context, cs []perturb.Coalition) ([]float64, error) {
	out := make([]float64, len(cs))
	var rows []perturb.Row
	var keys []string // of each row, for the cache
	var slots []int   // where each row's score goes in out
	for i, c := range cs {
		key := c.Key()
		if v, ok := g.cache[key]; ok {
			out[i] = v
			continue
		}
		rows = append(rows, g.masker.Row(c))
		keys = append(keys, key)
		slots = append(slots, i)
	}
	if len(rows) == 0 {
		return out, nil
	}
	for _, c := range g.prefetch {
		if _, ok := g.cache[c.Key()]; !ok {
			rows = append(rows, g.masker.Row(c))
			keys = append(keys, c.Key())
		}
	}
	g.prefetch = nil
	scores, st, err := g.eval.Score(ctx, rows, g.target)
	g.stats.Add(st)
	if err != nil {
		return nil, err
	}
	for j, k := range keys {
		g.cache[k] = scores[j]
	}
	for j, i := range slots {
		out[i] = scores[j]
	}
	return out, nil
}

// value is a convenience for one coalition.
func (g *textGame) value(ctx context.Context, c perturb.Coalition) (float64, error) {
	v, err := g.Values(ctx, []perturb.Coalition{c})
	if err != nil {
		return 0, err
	}
	return v[0], nil
}
