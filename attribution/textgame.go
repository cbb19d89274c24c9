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
	// labels, when set, holds every label's scores per coalition, shared
	// by the games of one explanation of all labels (Request.AllTargets):
	// a coalition one label's game valued is never run again for another.
	labels map[string][]float64
}

func newTextGame(m *perturb.Masker, e *evaluate.Evaluator, target int) *textGame {
	return &textGame{masker: m, eval: e, target: target, cache: map[string]float64{}}
}

func (g *textGame) NumFeatures() int { return len(g.masker.Features()) }

// textGameChunk is how many rows a text game builds and scores at a time:
// enough to fill 64 batches, few enough that a large budget's rows of ids
// never sit in memory all at once. A cancelled context stops it between
// chunks (and the evaluator within one batch).
const textGameChunk = 4096

func (g *textGame) Values(ctx context.Context, cs []perturb.Coalition) ([]float64, error) {
	out := make([]float64, len(cs))
	var todo []int // positions of coalitions not cached
	for i, c := range cs {
		if v, ok := g.cached(c.Key()); ok {
			out[i] = v
			continue
		}
		todo = append(todo, i)
	}
	if len(todo) == 0 {
		return out, nil
	}
	var extra []perturb.Coalition
	for _, c := range g.prefetch {
		if _, ok := g.cached(c.Key()); !ok {
			extra = append(extra, c)
		}
	}
	g.prefetch = nil
	for start := 0; start < len(todo); start += textGameChunk {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		chunk := todo[start:min(start+textGameChunk, len(todo))]
		rows := make([]perturb.Row, 0, len(chunk)+len(extra))
		keys := make([]string, 0, len(chunk)+len(extra))
		for _, i := range chunk {
			rows = append(rows, g.masker.Row(cs[i]))
			keys = append(keys, cs[i].Key())
		}
		for _, c := range extra {
			rows = append(rows, g.masker.Row(c))
			keys = append(keys, c.Key())
		}
		extra = nil // they ride with the first chunk only
		scores, st, err := g.score(ctx, rows, keys)
		g.stats.Add(st)
		if err != nil {
			return nil, err
		}
		for j, i := range chunk {
			out[i] = scores[j]
		}
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
