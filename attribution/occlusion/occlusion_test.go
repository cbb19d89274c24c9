package occlusion

import (
	"context"
	"math"
	"testing"

	"github.com/lucid-nlp/lucid/attribution/game"
	"github.com/lucid-nlp/lucid/attribution/gametest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestOcclusion(t *testing.T) {
	// φ_i = v(N) − v(N∖{i}): the weight itself for additive games (1e-12),
	// the weight plus every interaction the feature is in (not half of it,
	// as Shapley gives) for pairwise ones, so Σφ overshoots v(N) − v(∅) by
	// Σu and the efficiency gap shows it.
	cases := []struct {
		name  string
		w     []float64
		pairs []gametest.PairTerm
		want  []float64
		gap   float64
	}{
		{"additive", []float64{1, -2, 0.5, 3}, nil, []float64{1, -2, 0.5, 3}, 0},
		{"pairwise", []float64{1, -2, 0.5, 3}, []gametest.PairTerm{{I: 0, J: 1, U: 0.4}, {I: 2, J: 3, U: -1}}, []float64{1.4, -1.6, -0.5, 2}, 0.6},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := &gametest.Counting{Game: gametest.Pairwise(0.25, tc.w, tc.pairs)}
			a, err := Occlusion(context.Background(), g)
			require.NoError(t, err)
			assert.InDeltaSlice(t, tc.want, a.Values, 1e-12)
			assert.InDelta(t, 0.25, a.Base, 1e-15)
			assert.InDelta(t, tc.gap, a.Diagnostics[game.DiagEfficiencyGap], 1e-12)
			require.Len(t, g.Calls, 1)
			total, distinct := g.Valued()
			assert.Equal(t, total, distinct)
			assert.Equal(t, len(tc.w)+2, a.Evaluations)
			assert.Nil(t, a.StdErr)
		})
	}
}

func TestOcclusionSmallGames(t *testing.T) {
	ctx := context.Background()
	// n = 1: N∖{0} is ∅, valued once.
	a, err := Occlusion(ctx, gametest.Additive(0.1, []float64{0.7}))
	require.NoError(t, err)
	assert.InDeltaSlice(t, []float64{0.7}, a.Values, 1e-15)
	assert.Equal(t, 2, a.Evaluations)
	// n = 0: the one coalition.
	a, err = Occlusion(ctx, gametest.Additive(0.1, nil))
	require.NoError(t, err)
	assert.Empty(t, a.Values)
	assert.Equal(t, 1, a.Evaluations)
	assert.Equal(t, 0.1, a.Full)
	assert.False(t, math.IsNaN(a.Diagnostics[game.DiagEfficiencyGap]))
}
