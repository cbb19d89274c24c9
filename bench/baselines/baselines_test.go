package baselines

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/lucid-nlp/lucid/attribution/game"
	"github.com/lucid-nlp/lucid/attribution/gametest"
	"github.com/lucid-nlp/lucid/attribution/shapley"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type baselineFunc func(context.Context, game.Game, shapley.BaselineOptions) (*game.Attribution, error)

var baselines = map[string]baselineFunc{
	"leverageshap":  LeverageSHAP,
	"kaddshap":      KAddSHAP,
	"regressionmsr": RegressionMSR,
	"oddshap":       OddSHAP,
}

func TestBaselinesOracleGames(t *testing.T) {
	ctx := context.Background()
	const n = 12
	rng := rand.New(rand.NewPCG(1, 2))
	w := make([]float64, n)
	for i := range w {
		w[i] = rng.NormFloat64()
	}
	pairs := []gametest.PairTerm{{I: 0, J: 1, U: 0.8}, {I: 2, J: 5, U: -0.6}, {I: 3, J: 9, U: 0.4}}
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
				a, err := est(ctx, gametest.Additive(0.1, w), shapley.BaselineOptions{Budget: budget, Seed: seed})
				require.NoError(t, err)
				assert.InDeltaSlice(t, w, a.Values, tol, "additive game")
				assert.LessOrEqual(t, a.Evaluations, budget)
				pw := gametest.PairwiseShapley(w, pairs)
				a, err = est(ctx, gametest.Pairwise(0.1, w, pairs), shapley.BaselineOptions{Budget: budget, Seed: seed})
				require.NoError(t, err)
				assert.InDeltaSlice(t, pw, a.Values, tol, "pairwise game")
			}
			// Order three: error shrinks with the budget, and the values are
			// exact once 2^n fits.
			g, exact := gametest.Cubic(n, 7)
			var small, large float64
			for seed := range uint64(5) {
				a, err := est(ctx, g, shapley.BaselineOptions{Budget: 128, Seed: seed})
				require.NoError(t, err)
				small += gametest.MeanAbsError(a.Values, exact)
				a, err = est(ctx, g, shapley.BaselineOptions{Budget: 2048, Seed: seed})
				require.NoError(t, err)
				large += gametest.MeanAbsError(a.Values, exact)
			}
			assert.Less(t, large, small, "error at 2048 below error at 128")
			assert.Less(t, large/5, 0.05, "mean |error| at budget 2048 on a cubic game")
			a, err := est(ctx, g, shapley.BaselineOptions{Budget: 1 << n, Seed: 1})
			require.NoError(t, err)
			assert.InDeltaSlice(t, exact, a.Values, 1e-9)
		})
	}
}

func TestOddSHAPFindsCubicTerms(t *testing.T) {
	// With the triples in its support, OddSHAP fits the cubic game's odd
	// part exactly: its error is far below LeverageSHAP's (singletons only).
	g, exact := gametest.Cubic(12, 11)
	var odd, lev float64
	for seed := range uint64(5) {
		a, err := OddSHAP(context.Background(), g, shapley.BaselineOptions{Budget: 1024, Seed: seed})
		require.NoError(t, err)
		odd += gametest.MeanAbsError(a.Values, exact)
		b, err := LeverageSHAP(context.Background(), g, shapley.BaselineOptions{Budget: 1024, Seed: seed})
		require.NoError(t, err)
		lev += gametest.MeanAbsError(b.Values, exact)
	}
	assert.Less(t, odd, lev/3, "OddSHAP %.4g vs LeverageSHAP %.4g", odd/5, lev/5)
}

func TestBaselinesBudget(t *testing.T) {
	g := gametest.Additive(0, make([]float64, 10))
	for name, est := range baselines {
		_, err := est(context.Background(), g, shapley.BaselineOptions{Budget: 21})
		assert.ErrorContains(t, err, "budget 21 is below the minimum of 22", name)
		tg := g
		cg := &gametest.Counting{Game: tg}
		a, err := est(context.Background(), cg, shapley.BaselineOptions{Budget: 100, Seed: 3})
		require.NoError(t, err, name)
		total, distinct := cg.Valued()
		assert.Equal(t, total, distinct, "%s values each coalition once", name)
		assert.LessOrEqual(t, distinct, 100, name)
		assert.Equal(t, distinct, a.Evaluations, name)
	}
}
