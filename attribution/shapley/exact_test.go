package shapley

import (
	"context"
	"math"
	"testing"

	"github.com/lucid-nlp/lucid/attribution/game"
	"github.com/lucid-nlp/lucid/attribution/gametest"

	"github.com/lucid-nlp/lucid/perturb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// tableGame is a game over 3 features given by its 8 values, indexed by
// bitmask (bit i: feature i present).
func tableGame(v [8]float64) gametest.Func {
	return gametest.Func{N: 3, F: func(s perturb.Coalition) float64 {
		m := 0
		for i := range 3 {
			if s.Has(i) {
				m |= 1 << i
			}
		}
		return v[m]
	}}
}

func TestExactShapleyAdditive(t *testing.T) {
	// Additive games are their own Shapley values: φ_i = w_i. Tolerance
	// 1e-12: the sums run over 2^(n−1) differences of order one.
	cases := []struct {
		name string
		c    float64
		w    []float64
	}{
		{"one feature", 0.5, []float64{-0.25}},
		{"two features", 0, []float64{1, 2}},
		{"five mixed", 3, []float64{0.1, -0.7, 2.5, 0, -1e-3}},
		{"twelve", -1, []float64{1, -2, 3, -4, 5, -6, 0.5, 0.25, -0.125, 8, -9, 10}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			n := len(tc.w)
			a, err := ExactShapley(context.Background(), gametest.Additive(tc.c, tc.w), 1<<n)
			require.NoError(t, err)
			assert.InDeltaSlice(t, tc.w, a.Values, 1e-12)
			assert.InDelta(t, tc.c, a.Base, 1e-15)
			sum := tc.c
			for _, x := range tc.w {
				sum += x
			}
			assert.InDelta(t, sum, a.Full, 1e-12)
			assert.Equal(t, 1<<n, a.Evaluations)
			assert.Nil(t, a.StdErr)
		})
	}
}

func TestExactShapleyPairwise(t *testing.T) {
	// With pairwise terms each feature gets its own weight plus half of
	// each interaction it is in: φ_i = w_i + Σ_j u_ij/2 (1e-12).
	cases := []struct {
		name  string
		w     []float64
		pairs []gametest.PairTerm
	}{
		{"one pair", []float64{1, 2, 3}, []gametest.PairTerm{{I: 0, J: 1, U: 4}}},
		{"chain", []float64{0.5, -0.5, 0.25, 1, -1, 2}, []gametest.PairTerm{{I: 0, J: 1, U: 1}, {I: 1, J: 2, U: -2}, {I: 2, J: 3, U: 0.5}, {I: 4, J: 5, U: 3}}},
		{"all pairs", []float64{0, 0, 0, 0}, []gametest.PairTerm{{I: 0, J: 1, U: 1}, {I: 0, J: 2, U: 2}, {I: 0, J: 3, U: 3}, {I: 1, J: 2, U: 4}, {I: 1, J: 3, U: 5}, {I: 2, J: 3, U: 6}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			n := len(tc.w)
			a, err := ExactShapley(context.Background(), gametest.Pairwise(1, tc.w, tc.pairs), 1<<n)
			require.NoError(t, err)
			assert.InDeltaSlice(t, gametest.PairwiseShapley(tc.w, tc.pairs), a.Values, 1e-12)
		})
	}
}

func TestExactShapleyHandComputed(t *testing.T) {
	// Three-player games whose Shapley values are worked out by hand from
	// the weights 1/3, 1/6, 1/6, 1/3 of the marginal contributions to
	// coalitions of size 0, 1, 1, 2.
	cases := []struct {
		name string
		v    [8]float64 // by bitmask: ∅, {0}, {1}, {0,1}, {2}, {0,2}, {1,2}, N
		want []float64
	}{
		// Glove game: player 0 holds the left glove, 1 and 2 a right one;
		// a pair is worth 1. Player 0 gets 2/3, the others 1/6 each.
		{"glove", [8]float64{0, 0, 0, 1, 0, 1, 0, 1}, []float64{2.0 / 3, 1.0 / 6, 1.0 / 6}},
		// Majority: any two win. Symmetric, so 1/3 each.
		{"majority", [8]float64{0, 0, 0, 1, 0, 1, 1, 1}, []float64{1.0 / 3, 1.0 / 3, 1.0 / 3}},
		// Asymmetric values: v(0)=1, v(1)=2, v(2)=3, v(01)=4, v(02)=5,
		// v(12)=6, v(N)=10. φ_0 = 1/3·1 + 1/6·2 + 1/6·2 + 1/3·4 = 7/3,
		// φ_1 = 1/3·2 + 1/6·3 + 1/6·3 + 1/3·5 = 10/3,
		// φ_2 = 1/3·3 + 1/6·4 + 1/6·4 + 1/3·6 = 13/3.
		{"asymmetric", [8]float64{0, 1, 2, 4, 3, 5, 6, 10}, []float64{7.0 / 3, 10.0 / 3, 13.0 / 3}},
		// Unanimity of {0, 2}: they split the unit, player 1 is a null player.
		{"unanimity", [8]float64{0, 0, 0, 0, 0, 1, 0, 1}, []float64{0.5, 0, 0.5}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a, err := ExactShapley(context.Background(), tableGame(tc.v), 8)
			require.NoError(t, err)
			assert.InDeltaSlice(t, tc.want, a.Values, 1e-15)
			assert.LessOrEqual(t, a.Diagnostics[game.DiagEfficiencyGap], 1e-15)
		})
	}
}

func TestExactShapleyEfficiencyGap(t *testing.T) {
	// Efficiency holds to rounding on a nonlinear game: 1e-14 on scores
	// in [0, 1] summed over 2^12 coalitions.
	a, err := ExactShapley(context.Background(), gametest.Sentiment(12, 3), 1<<12)
	require.NoError(t, err)
	assert.Less(t, a.Diagnostics[game.DiagEfficiencyGap], 1e-14)
}

func TestExactShapleySmallGames(t *testing.T) {
	ctx := context.Background()
	t.Run("n=0", func(t *testing.T) {
		g := &gametest.Counting{Game: gametest.Func{N: 0, F: func(perturb.Coalition) float64 { return 0.75 }}}
		a, err := ExactShapley(ctx, g, 1)
		require.NoError(t, err)
		assert.Empty(t, a.Values)
		assert.Equal(t, 0.75, a.Base)
		assert.Equal(t, 0.75, a.Full)
		assert.Equal(t, 1, a.Evaluations)
		assert.Equal(t, 0.0, a.Diagnostics[game.DiagEfficiencyGap])
	})
	t.Run("n=1", func(t *testing.T) {
		a, err := ExactShapley(ctx, gametest.Additive(0.2, []float64{0.5}), 2)
		require.NoError(t, err)
		require.Len(t, a.Values, 1)
		assert.InDelta(t, 0.5, a.Values[0], 1e-15) // v({0}) − v(∅)
		assert.Equal(t, 2, a.Evaluations)
	})
}

func TestExactShapleyErrors(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name   string
		g      game.Game
		budget int
		want   []string
	}{
		{"budget below 2^n", gametest.Additive(0, make([]float64, 10)), 1023, []string{"n = 10", "2^10 = 1024", "budget of 1023"}},
		{"zero budget", gametest.Additive(0, make([]float64, 2)), 0, []string{"n = 2", "2^2 = 4", "budget of 0"}},
		{"too many features", gametest.Func{N: 31}, math.MaxInt, []string{"n = 31", "30"}},
		{"negative features", gametest.Func{N: -1}, 10, []string{"-1 features"}},
		{"nil game", nil, 10, []string{"nil game"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ExactShapley(ctx, tc.g, tc.budget)
			require.Error(t, err)
			for _, s := range tc.want {
				assert.Contains(t, err.Error(), s)
			}
		})
	}
}

func TestExactShapleyOneCallNoDuplicates(t *testing.T) {
	g := &gametest.Counting{Game: gametest.Sentiment(6, 1)}
	a, err := ExactShapley(context.Background(), g, 64)
	require.NoError(t, err)
	require.Len(t, g.Calls, 1)
	total, distinct := g.Valued()
	assert.Equal(t, 64, total)
	assert.Equal(t, 64, distinct)
	assert.Equal(t, 64, a.Evaluations)
}

func TestShapleyWeightsSumToOne(t *testing.T) {
	// Σ_s C(n−1, s)·w(s) = 1 for every n: the weights are a distribution
	// over the coalitions a feature can join. 1e-13 up to n = 200, where
	// factorials would long have overflowed.
	for _, n := range []int{1, 2, 3, 10, 30, 60, 200} {
		w := shapleyWeights(n)
		s := 0.0
		for k, x := range w {
			s += binomial(n-1, k) * x
		}
		assert.InDelta(t, 1, s, 1e-13, "n = %d", n)
	}
	assert.Equal(t, 155117520.0, binomial(30, 15))
	assert.Equal(t, 0.0, binomial(3, 4))
}
