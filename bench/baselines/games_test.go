package baselines

import (
	"context"
	"fmt"
	"math"
	"sync"

	"github.com/lucid-nlp/lucid/attribution"
	"github.com/lucid-nlp/lucid/perturb"
)

// The pure-Go games of attribution's tests whose Shapley values are known
// in closed form, copied here because test helpers do not cross packages.

// funcGame is a pure-Go game given by a function of the coalition.
type funcGame struct {
	n int
	f func(c perturb.Coalition) float64
}

func (g funcGame) NumFeatures() int { return g.n }

func (g funcGame) Values(ctx context.Context, cs []perturb.Coalition) ([]float64, error) {
	out := make([]float64, len(cs))
	for k, c := range cs {
		if c.N() != g.n {
			return nil, fmt.Errorf("coalition over %d features, game has %d", c.N(), g.n)
		}
		out[k] = g.f(c)
	}
	return out, nil
}

// additiveGame is v(S) = c + Σ_{i∈S} w_i; its Shapley values are w.
func additiveGame(c float64, w []float64) funcGame {
	return funcGame{n: len(w), f: func(s perturb.Coalition) float64 {
		v := c
		for i, wi := range w {
			if s.Has(i) {
				v += wi
			}
		}
		return v
	}}
}

// pairTerm is an interaction u between features i and j.
type pairTerm struct {
	i, j int
	u    float64
}

// pairwiseGame is v(S) = c + Σ_{i∈S} w_i + Σ_{{i,j}⊆S} u_ij; its Shapley
// values are w_i + Σ_j u_ij/2.
func pairwiseGame(c float64, w []float64, pairs []pairTerm) funcGame {
	return funcGame{n: len(w), f: func(s perturb.Coalition) float64 {
		v := c
		for i, wi := range w {
			if s.Has(i) {
				v += wi
			}
		}
		for _, p := range pairs {
			if s.Has(p.i) && s.Has(p.j) {
				v += p.u
			}
		}
		return v
	}}
}

func pairwiseShapley(w []float64, pairs []pairTerm) []float64 {
	phi := append([]float64(nil), w...)
	for _, p := range pairs {
		phi[p.i] += p.u / 2
		phi[p.j] += p.u / 2
	}
	return phi
}

// countingGame records every Values call on a game.
type countingGame struct {
	attribution.Game
	mu    sync.Mutex
	calls [][]perturb.Coalition
}

func (g *countingGame) Values(ctx context.Context, cs []perturb.Coalition) ([]float64, error) {
	g.mu.Lock()
	g.calls = append(g.calls, append([]perturb.Coalition(nil), cs...))
	g.mu.Unlock()
	return g.Game.Values(ctx, cs)
}

// valued returns the number of coalitions passed and the number distinct.
func (g *countingGame) valued() (total, distinct int) {
	seen := map[string]bool{}
	for _, call := range g.calls {
		for _, c := range call {
			total++
			seen[c.Key()] = true
		}
	}
	return total, len(seen)
}

func meanAbsError(a, b []float64) float64 {
	s := 0.0
	for i := range a {
		s += math.Abs(a[i] - b[i])
	}
	return s / float64(len(a))
}
