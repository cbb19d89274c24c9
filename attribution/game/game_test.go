package game_test

import (
	"context"
	"errors"
	"math"
	"testing"

	"github.com/lucid-nlp/lucid/attribution/game"
	"github.com/lucid-nlp/lucid/attribution/gametest"
	"github.com/lucid-nlp/lucid/attribution/lime"
	"github.com/lucid-nlp/lucid/attribution/occlusion"
	"github.com/lucid-nlp/lucid/attribution/shapley"

	"github.com/lucid-nlp/lucid/perturb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// brokenGame returns what it is told to, to test the checks on Values.
type brokenGame struct {
	n    int
	vals func(k int) []float64
	err  error
}

func (g brokenGame) NumFeatures() int { return g.n }

func (g brokenGame) Values(_ context.Context, cs []perturb.Coalition) ([]float64, error) {
	if g.err != nil {
		return nil, g.err
	}
	return g.vals(len(cs)), nil
}

func TestGameValuesAreChecked(t *testing.T) {
	boom := errors.New("boom")
	cases := []struct {
		name string
		g    game.Game
		want string
	}{
		{"error", brokenGame{n: 3, err: boom}, "boom"},
		{"short", brokenGame{n: 3, vals: func(k int) []float64 { return make([]float64, k-1) }}, "returned 7 values for 8 coalitions"},
		{"NaN", brokenGame{n: 3, vals: func(k int) []float64 {
			v := make([]float64, k)
			v[5] = math.NaN()
			return v
		}}, "NaN for coalition 101"},
		{"Inf", brokenGame{n: 3, vals: func(k int) []float64 {
			v := make([]float64, k)
			v[2] = math.Inf(1)
			return v
		}}, "+Inf for coalition 010"},
	}
	methods := map[string]func(game.Game) error{
		"ExactShapley": func(g game.Game) error { _, err := shapley.ExactShapley(context.Background(), g, 8); return err },
		"KernelSHAP": func(g game.Game) error {
			_, err := shapley.KernelSHAP(context.Background(), g, shapley.KernelSHAPOptions{Budget: 8})
			return err
		},
	}
	for _, tc := range cases {
		for name, run := range methods {
			t.Run(tc.name+"/"+name, func(t *testing.T) {
				err := run(tc.g)
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.want)
				assert.Contains(t, err.Error(), name)
				if tc.name == "error" {
					assert.ErrorIs(t, err, boom)
				}
			})
		}
	}
}

func TestCancelledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	g := gametest.Sentiment(5, 1)
	calls := map[string]func() error{
		"ExactShapley": func() error { _, err := shapley.ExactShapley(ctx, g, 32); return err },
		"KernelSHAP":   func() error { _, err := shapley.KernelSHAP(ctx, g, shapley.KernelSHAPOptions{Budget: 20}); return err },
		"LIME":         func() error { _, err := lime.LIME(ctx, g, lime.Options{Budget: 20}); return err },
		"Occlusion":    func() error { _, err := occlusion.Occlusion(ctx, g); return err },
	}
	for name, call := range calls {
		assert.ErrorIs(t, call(), context.Canceled, name)
	}
}

func TestValueDistinct(t *testing.T) {
	g := &gametest.Counting{Game: gametest.Additive(0, []float64{1, 2, 4})}
	a := perturb.CoalitionFromMask(3, 0b011)
	b := perturb.CoalitionFromMask(3, 0b100)
	vals, distinct, err := game.ValueDistinct(context.Background(), g, []perturb.Coalition{a, b, a.Clone(), a, b})
	require.NoError(t, err)
	assert.Equal(t, []float64{3, 4, 3, 3, 4}, vals)
	assert.Equal(t, 2, distinct)
	total, d := g.Valued()
	assert.Equal(t, 2, total)
	assert.Equal(t, 2, d)
}
