package attribution

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"

	"github.com/lucid-nlp/lucid/perturb"
)

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

// sentimentGame resembles a sentiment classifier's probability on an
// n-word sentence: the sigmoid of a bias, word scores (a few strong words),
// and a few pairwise terms (negation, intensifiers). Its Shapley values
// have every order of interaction, mostly from the sigmoid's curvature.
func sentimentGame(n int, seed uint64) funcGame {
	rng := rand.New(rand.NewPCG(seed, 17))
	bias := 0.3 * rng.NormFloat64()
	w := make([]float64, n)
	for i := range w {
		w[i] = 0.6 * rng.NormFloat64()
	}
	for range 2 {
		w[rng.IntN(n)] += 2 * (rng.Float64()*2 - 1)
	}
	var pairs []pairTerm
	for range 3 {
		i, j := rng.IntN(n), rng.IntN(n)
		if i == j {
			continue
		}
		pairs = append(pairs, pairTerm{i, j, 1.2 * rng.NormFloat64()})
	}
	lin := pairwiseGame(bias, w, pairs)
	return funcGame{n: n, f: func(s perturb.Coalition) float64 {
		return 1 / (1 + math.Exp(-lin.f(s)))
	}}
}

// countingGame records every Values call on a game.
type countingGame struct {
	Game
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

// probitGame is a second family, not of the logistic surrogate's form: the
// normal CDF of word scores, pairwise and three-way terms.
func probitGame(n int, seed uint64) funcGame {
	rng := rand.New(rand.NewPCG(seed, 29))
	w := make([]float64, n)
	for i := range w {
		w[i] = 0.5 * rng.NormFloat64()
	}
	var pairs []pairTerm
	for range n / 2 {
		i, j := rng.IntN(n), rng.IntN(n)
		if i != j {
			pairs = append(pairs, pairTerm{i, j, 0.6 * rng.NormFloat64()})
		}
	}
	type triple struct {
		i, j, k int
		u       float64
	}
	var triples []triple
	for range n / 3 {
		triples = append(triples, triple{rng.IntN(n), rng.IntN(n), rng.IntN(n), 0.6 * rng.NormFloat64()})
	}
	lin := pairwiseGame(0.2*rng.NormFloat64(), w, pairs)
	return funcGame{n: n, f: func(s perturb.Coalition) float64 {
		x := lin.f(s)
		for _, t := range triples {
			if s.Has(t.i) && s.Has(t.j) && s.Has(t.k) {
				x += t.u
			}
		}
		return 0.5 * math.Erfc(-x/math.Sqrt2)
	}}
}

// maxGame is v(S) = max_{i∈S} a_i (0 for ∅): probability-valued but far
// from the logistic surrogate's form, with interactions of every order.
func maxGame(a []float64) funcGame {
	return funcGame{n: len(a), f: func(s perturb.Coalition) float64 {
		m := 0.0
		for i, x := range a {
			if s.Has(i) {
				m = math.Max(m, x)
			}
		}
		return m
	}}
}
