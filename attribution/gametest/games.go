// Package gametest holds pure-Go cooperative games whose Shapley values are
// known in closed form (additive, pairwise, cubic) or are hard for
// surrogates (sentiment-like sigmoid, probit, max), and a Counting wrapper
// that records what an estimator asked for. The estimators' tests and the
// published baselines in bench/baselines measure against the same games.
package gametest

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"

	"github.com/lucid-nlp/lucid/attribution/game"
	"github.com/lucid-nlp/lucid/perturb"
)

// Func is a pure-Go game given by a function of the coalition.
type Func struct {
	N int
	F func(c perturb.Coalition) float64
}

func (g Func) NumFeatures() int { return g.N }

func (g Func) Values(ctx context.Context, cs []perturb.Coalition) ([]float64, error) {
	out := make([]float64, len(cs))
	for k, c := range cs {
		if c.N() != g.N {
			return nil, fmt.Errorf("coalition over %d features, game has %d", c.N(), g.N)
		}
		out[k] = g.F(c)
	}
	return out, nil
}

// Additive is v(S) = c + Σ_{i∈S} w_i; its Shapley values are w.
func Additive(c float64, w []float64) Func {
	return Func{N: len(w), F: func(s perturb.Coalition) float64 {
		v := c
		for i, wi := range w {
			if s.Has(i) {
				v += wi
			}
		}
		return v
	}}
}

// PairTerm is an interaction u between features i and j.
type PairTerm struct {
	I, J int
	U    float64
}

// Pairwise is v(S) = c + Σ_{i∈S} w_i + Σ_{{i,j}⊆S} u_ij; its Shapley
// values are w_i + Σ_j u_ij/2.
func Pairwise(c float64, w []float64, pairs []PairTerm) Func {
	return Func{N: len(w), F: func(s perturb.Coalition) float64 {
		v := c
		for i, wi := range w {
			if s.Has(i) {
				v += wi
			}
		}
		for _, p := range pairs {
			if s.Has(p.I) && s.Has(p.J) {
				v += p.U
			}
		}
		return v
	}}
}

// PairwiseShapley is the closed-form Shapley value of Pairwise(c, w, pairs).
func PairwiseShapley(w []float64, pairs []PairTerm) []float64 {
	phi := append([]float64(nil), w...)
	for _, p := range pairs {
		phi[p.I] += p.U / 2
		phi[p.J] += p.U / 2
	}
	return phi
}

// Sentiment resembles a sentiment classifier's probability on an
// n-word sentence: the sigmoid of a bias, word scores (a few strong words),
// and a few pairwise terms (negation, intensifiers). Its Shapley values
// have every order of interaction, mostly from the sigmoid's curvature.
func Sentiment(n int, seed uint64) Func {
	rng := rand.New(rand.NewPCG(seed, 17))
	bias := 0.3 * rng.NormFloat64()
	w := make([]float64, n)
	for i := range w {
		w[i] = 0.6 * rng.NormFloat64()
	}
	for range 2 {
		w[rng.IntN(n)] += 2 * (rng.Float64()*2 - 1)
	}
	var pairs []PairTerm
	for range 3 {
		i, j := rng.IntN(n), rng.IntN(n)
		if i == j {
			continue
		}
		pairs = append(pairs, PairTerm{i, j, 1.2 * rng.NormFloat64()})
	}
	lin := Pairwise(bias, w, pairs)
	return Func{N: n, F: func(s perturb.Coalition) float64 {
		return 1 / (1 + math.Exp(-lin.F(s)))
	}}
}

// Counting records every Values call on a game.
type Counting struct {
	game.Game
	mu    sync.Mutex
	Calls [][]perturb.Coalition
}

func (g *Counting) Values(ctx context.Context, cs []perturb.Coalition) ([]float64, error) {
	g.mu.Lock()
	g.Calls = append(g.Calls, append([]perturb.Coalition(nil), cs...))
	g.mu.Unlock()
	return g.Game.Values(ctx, cs)
}

// Valued returns the number of coalitions passed and the number distinct.
func (g *Counting) Valued() (total, distinct int) {
	seen := map[string]bool{}
	for _, call := range g.Calls {
		for _, c := range call {
			total++
			seen[c.Key()] = true
		}
	}
	return total, len(seen)
}

// MeanAbsError is the mean absolute difference of a and b, element by element.
func MeanAbsError(a, b []float64) float64 {
	s := 0.0
	for i := range a {
		s += math.Abs(a[i] - b[i])
	}
	return s / float64(len(a))
}

// Probit is a second family, not of the logistic surrogate's form: the
// normal CDF of word scores, pairwise and three-way terms.
func Probit(n int, seed uint64) Func {
	rng := rand.New(rand.NewPCG(seed, 29))
	w := make([]float64, n)
	for i := range w {
		w[i] = 0.5 * rng.NormFloat64()
	}
	var pairs []PairTerm
	for range n / 2 {
		i, j := rng.IntN(n), rng.IntN(n)
		if i != j {
			pairs = append(pairs, PairTerm{i, j, 0.6 * rng.NormFloat64()})
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
	lin := Pairwise(0.2*rng.NormFloat64(), w, pairs)
	return Func{N: n, F: func(s perturb.Coalition) float64 {
		x := lin.F(s)
		for _, t := range triples {
			if s.Has(t.i) && s.Has(t.j) && s.Has(t.k) {
				x += t.u
			}
		}
		return 0.5 * math.Erfc(-x/math.Sqrt2)
	}}
}

// Max is v(S) = max_{i∈S} a_i (0 for ∅): probability-valued but far
// from the logistic surrogate's form, with interactions of every order.
func Max(a []float64) Func {
	return Func{N: len(a), F: func(s perturb.Coalition) float64 {
		m := 0.0
		for i, x := range a {
			if s.Has(i) {
				m = math.Max(m, x)
			}
		}
		return m
	}}
}

// Cubic is a random polynomial game of order three: v(S) = c + Σ w_i +
// Σ u_ij + Σ t_ijk over the terms inside S. Its Shapley values split each
// term equally among its members: w_i + Σ u_ij/2 + Σ t_ijk/3.
func Cubic(n int, seed uint64) (Func, []float64) {
	rng := rand.New(rand.NewPCG(seed, 3))
	type term struct {
		m []int
		a float64
	}
	var terms []term
	for i := range n {
		terms = append(terms, term{[]int{i}, rng.NormFloat64()})
	}
	for range n {
		p := rng.Perm(n)
		terms = append(terms, term{p[:2], 0.5 * rng.NormFloat64()})
	}
	for range n / 2 {
		p := rng.Perm(n)
		terms = append(terms, term{p[:3], 0.5 * rng.NormFloat64()})
	}
	phi := make([]float64, n)
	for _, t := range terms {
		for _, i := range t.m {
			phi[i] += t.a / float64(len(t.m))
		}
	}
	return Func{N: n, F: func(s perturb.Coalition) float64 {
		v := 0.2
		for _, t := range terms {
			in := true
			for _, i := range t.m {
				in = in && s.Has(i)
			}
			if in {
				v += t.a
			}
		}
		return v
	}}, phi
}
