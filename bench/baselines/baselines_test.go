package baselines

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/lucid-nlp/lucid/attribution"
	"github.com/lucid-nlp/lucid/perturb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type baselineFunc func(context.Context, attribution.Game, attribution.BaselineOptions) (*attribution.Attribution, error)

var baselines = map[string]baselineFunc{
	"leverageshap":  LeverageSHAP,
	"kaddshap":      KAddSHAP,
	"regressionmsr": RegressionMSR,
	"oddshap":       OddSHAP,
}

// cubicGame is a random polynomial game of order three: v(S) = c + Σ w_i +
// Σ u_ij + Σ t_ijk over the terms inside S. Its Shapley values split each
// term equally among its members: w_i + Σ u_ij/2 + Σ t_ijk/3.
func cubicGame(n int, seed uint64) (funcGame, []float64) {
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
	return funcGame{n: n, f: func(s perturb.Coalition) float64 {
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

func TestBaselinesOracleGames(t *testing.T) {
	ctx := context.Background()
	const n = 12
	rng := rand.New(rand.NewPCG(1, 2))
	w := make([]float64, n)
	for i := range w {
		w[i] = rng.NormFloat64()
	}
	pairs := []pairTerm{{0, 1, 0.8}, {2, 5, -0.6}, {3, 9, 0.4}}
	for name, est := range baselines {
		t.Run(name, func(t *testing.T) {
			// The regression baselines are exact on additive and pairwise
			// games (paired designs cancel the even part); Tree MSR is
			// unbiased, not exact, so it gets a tolerance.
			tol, budget := 1e-6, 128
			if name == "regressionmsr" {
				tol, budget = 0.05, 2048
			}
			for seed := range uint64(3) {
				a, err := est(ctx, additiveGame(0.1, w), attribution.BaselineOptions{Budget: budget, Seed: seed})
				require.NoError(t, err)
				assert.InDeltaSlice(t, w, a.Values, tol, "additive game")
				assert.LessOrEqual(t, a.Evaluations, budget)
				pw := pairwiseShapley(w, pairs)
				a, err = est(ctx, pairwiseGame(0.1, w, pairs), attribution.BaselineOptions{Budget: budget, Seed: seed})
				require.NoError(t, err)
				assert.InDeltaSlice(t, pw, a.Values, tol, "pairwise game")
			}
			// Order three: error shrinks with the budget, and the values are
			// exact once 2^n fits.
			g, exact := cubicGame(n, 7)
			var small, large float64
			for seed := range uint64(5) {
				a, err := est(ctx, g, attribution.BaselineOptions{Budget: 128, Seed: seed})
				require.NoError(t, err)
				small += meanAbsError(a.Values, exact)
				a, err = est(ctx, g, attribution.BaselineOptions{Budget: 2048, Seed: seed})
				require.NoError(t, err)
				large += meanAbsError(a.Values, exact)
			}
			assert.Less(t, large, small, "error at 2048 below error at 128")
			assert.Less(t, large/5, 0.05, "mean |error| at budget 2048 on a cubic game")
			a, err := est(ctx, g, attribution.BaselineOptions{Budget: 1 << n, Seed: 1})
			require.NoError(t, err)
			assert.InDeltaSlice(t, exact, a.Values, 1e-9)
		})
	}
}

func TestOddSHAPFindsCubicTerms(t *testing.T) {
	// With the triples in its support, OddSHAP fits the cubic game's odd
	// part exactly: its error is far below LeverageSHAP's (singletons only).
	g, exact := cubicGame(12, 11)
	var odd, lev float64
	for seed := range uint64(5) {
		a, err := OddSHAP(context.Background(), g, attribution.BaselineOptions{Budget: 1024, Seed: seed})
		require.NoError(t, err)
		odd += meanAbsError(a.Values, exact)
		b, err := LeverageSHAP(context.Background(), g, attribution.BaselineOptions{Budget: 1024, Seed: seed})
		require.NoError(t, err)
		lev += meanAbsError(b.Values, exact)
	}
	assert.Less(t, odd, lev/3, "OddSHAP %.4g vs LeverageSHAP %.4g", odd/5, lev/5)
}

func TestBaselinesBudget(t *testing.T) {
	g := additiveGame(0, make([]float64, 10))
	for name, est := range baselines {
		_, err := est(context.Background(), g, attribution.BaselineOptions{Budget: 21})
		assert.ErrorContains(t, err, "budget 21 is below the minimum of 22", name)
		tg := g
		cg := &countingGame{Game: tg}
		a, err := est(context.Background(), cg, attribution.BaselineOptions{Budget: 100, Seed: 3})
		require.NoError(t, err, name)
		total, distinct := cg.valued()
		assert.Equal(t, total, distinct, "%s values each coalition once", name)
		assert.LessOrEqual(t, distinct, 100, name)
		assert.Equal(t, distinct, a.Evaluations, name)
	}
}
