package faithfulness

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/lucid-nlp/lucid/attribution/gametest"
	"github.com/lucid-nlp/lucid/perturb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func negated(a []float64) []float64 {
	out := make([]float64, len(a))
	for i, v := range a {
		out[i] = -v
	}
	return out
}

// An additive game v(S) = c + Σ_{i∈S} w_i with its weights as attributions:
// every score is a sum of top weights, computed here by hand.
func TestFaithfulnessAdditiveGameHandComputed(t *testing.T) {
	w := []float64{0.3, -0.2, 1.0, 0.1, -0.5}
	g := gametest.Additive(0.5, w)
	got, err := Measure(context.Background(), g, w, Options{})
	require.NoError(t, err)

	// ranking 2, 0, 3, 1, 4; top sums S_i = 0, 1, 1.3, 1.4, 1.2, 0.7
	assert.Equal(t, []float64{0.01, 0.05, 0.1, 0.2, 0.5}, got.Fractions)
	assert.Equal(t, []int{1, 1, 1, 1, 3}, got.TopK, "⌈q·5⌉, at least 1")
	assert.Equal(t, []int{0, 1, 2, 3, 4, 5}, got.Steps)
	assert.InDelta(t, 1.2, got.Full, 1e-12)
	assert.InDelta(t, 0.5, got.Empty, 1e-12)
	// comprehensiveness: S_1 = 1 four times, S_3 = 1.4 once
	assert.InDelta(t, (4*1.0+1.4)/5, got.Comprehensiveness, 1e-12)
	assert.InDelta(t, 1.08, got.Comprehensiveness, 1e-12)
	// sufficiency: 0.7 − S_k = −0.3 four times, −0.7 once
	assert.InDelta(t, -0.38, got.Sufficiency, 1e-12)
	assert.InDeltaSlice(t, []float64{1, 1, 1, 1, 1.4}, got.ComprehensivenessAt, 1e-12)
	assert.InDeltaSlice(t, []float64{-0.3, -0.3, -0.3, -0.3, -0.7}, got.SufficiencyAt, 1e-12)
	// curves: f(x) − S_i and c + S_i
	assert.InDeltaSlice(t, []float64{1.2, 0.2, -0.1, -0.2, 0, 0.5}, got.DeletionCurve, 1e-12)
	assert.InDeltaSlice(t, []float64{0.5, 1.5, 1.8, 1.9, 1.7, 1.2}, got.InsertionCurve, 1e-12)
	// AOPC: the mean of S_i over the 6 points, for both (the game is additive)
	assert.InDelta(t, 5.6/6, got.AOPCDeletion, 1e-12)
	assert.InDelta(t, 5.6/6, got.AOPCInsertion, 1e-12)
	assert.Equal(t, 10, got.Evaluations, "N, ∅, top_i and N∖top_i for i = 1..4")

	// the reversed (worst) ranking: 4, 1, 3, 0, 2; top sums 0, −0.5, −0.7, −0.6, −0.3, 0.7
	worst, err := Measure(context.Background(), g, negated(w), Options{})
	require.NoError(t, err)
	assert.InDelta(t, (4*-0.5-0.6)/5, worst.Comprehensiveness, 1e-12)
	assert.InDelta(t, (4*1.2+1.3)/5, worst.Sufficiency, 1e-12)
	assert.InDelta(t, (0-0.5-0.7-0.6-0.3+0.7)/6, worst.AOPCDeletion, 1e-12)
	assert.Less(t, worst.Comprehensiveness, got.Comprehensiveness)
	assert.Greater(t, worst.Sufficiency, got.Sufficiency)
}

// On an additive game the true ranking maximises every top-k sum and the
// reversed one minimises it, so any ranking lies between the two.
func TestFaithfulnessRandomRankingLiesBetween(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	n := 12
	w := make([]float64, n)
	for i := range w {
		w[i] = rng.NormFloat64()
	}
	g := gametest.Additive(0.1, w)
	ctx := context.Background()
	best, err := Measure(ctx, g, w, Options{})
	require.NoError(t, err)
	worst, err := Measure(ctx, g, negated(w), Options{})
	require.NoError(t, err)
	assert.Greater(t, best.Comprehensiveness, worst.Comprehensiveness)
	assert.Less(t, best.Sufficiency, worst.Sufficiency)
	assert.Greater(t, best.AOPCDeletion, worst.AOPCDeletion)
	assert.Greater(t, best.AOPCInsertion, worst.AOPCInsertion)

	const slack = 1e-12
	var comp, suff float64
	trials := 20
	for range trials {
		random := make([]float64, n)
		for i, p := range rng.Perm(n) {
			random[i] = float64(p)
		}
		r, err := Measure(ctx, g, random, Options{})
		require.NoError(t, err)
		assert.LessOrEqual(t, r.Comprehensiveness, best.Comprehensiveness+slack)
		assert.GreaterOrEqual(t, r.Comprehensiveness, worst.Comprehensiveness-slack)
		assert.GreaterOrEqual(t, r.Sufficiency, best.Sufficiency-slack)
		assert.LessOrEqual(t, r.Sufficiency, worst.Sufficiency+slack)
		assert.LessOrEqual(t, r.AOPCDeletion, best.AOPCDeletion+slack)
		assert.GreaterOrEqual(t, r.AOPCDeletion, worst.AOPCDeletion-slack)
		assert.LessOrEqual(t, r.AOPCInsertion, best.AOPCInsertion+slack)
		assert.GreaterOrEqual(t, r.AOPCInsertion, worst.AOPCInsertion-slack)
		comp += r.Comprehensiveness / float64(trials)
		suff += r.Sufficiency / float64(trials)
	}
	assert.Less(t, comp, best.Comprehensiveness, "on average strictly between")
	assert.Greater(t, comp, worst.Comprehensiveness)
	assert.Greater(t, suff, best.Sufficiency)
	assert.Less(t, suff, worst.Sufficiency)
}
func TestFaithfulnessOneValuesCallOfDistinctCoalitions(t *testing.T) {
	for _, tc := range []struct {
		n, maxSteps int
		steps       []int
		topK        []int
		want        int
	}{
		{n: 5, steps: []int{0, 1, 2, 3, 4, 5}, topK: []int{1, 1, 1, 1, 3}, want: 10},
		// 2 steps: round(2.5) = 3; only N, ∅, top_1, top_3 and complements
		{n: 5, maxSteps: 2, steps: []int{0, 3, 5}, topK: []int{1, 1, 1, 1, 3}, want: 6},
		// 0.05·20 is 1, not 2
		{n: 20, topK: []int{1, 1, 2, 4, 10}, want: 40},
		// 20 steps of round(1.5j), which skip 1: N, ∅, 19 inner steps and k = 1, twice each
		{n: 30, steps: []int{0, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18, 20, 21, 23, 24, 26, 27, 29, 30},
			topK: []int{1, 2, 3, 6, 15}, want: 2 + 2*19 + 2},
		{n: 100, topK: []int{1, 5, 10, 20, 50}, want: 2 + 2*19 + 2*1}, // k = 1 is off the steps of 5
	} {
		w := make([]float64, tc.n)
		for i := range w {
			w[i] = float64((i*7)%tc.n) - 3
		}
		g := &gametest.Counting{Game: gametest.Additive(0, w)}
		got, err := Measure(context.Background(), g, w, Options{MaxSteps: tc.maxSteps})
		require.NoError(t, err, tc.n)
		require.Len(t, g.Calls, 1, "one Values call")
		total, distinct := g.Valued()
		assert.Equal(t, distinct, total, "no coalition passed twice")
		assert.Equal(t, distinct, got.Evaluations)
		assert.Equal(t, tc.want, got.Evaluations, "n=%d", tc.n)
		assert.Equal(t, tc.topK, got.TopK, "n=%d", tc.n)
		if tc.steps != nil {
			assert.Equal(t, tc.steps, got.Steps, "n=%d", tc.n)
		}
		assert.Len(t, got.DeletionCurve, len(got.Steps))
		assert.Len(t, got.InsertionCurve, len(got.Steps))
		assert.Equal(t, 0, got.Steps[0])
		assert.Equal(t, tc.n, got.Steps[len(got.Steps)-1])
		assert.LessOrEqual(t, len(got.Steps), DefaultSteps+1)
	}
}
func TestFaithfulnessRankingTiesAndMagnitude(t *testing.T) {
	w := []float64{1, 2, 4}
	g := gametest.Additive(0, w)
	ctx := context.Background()
	one := []float64{0.5} // k = ⌈0.5·3⌉ = 2

	// ties: index order, so the top 2 are features 0 and 1
	got, err := Measure(ctx, g, []float64{0, 0, 0}, Options{Fractions: one})
	require.NoError(t, err)
	assert.Equal(t, []int{2}, got.TopK)
	assert.InDelta(t, 3, got.Comprehensiveness, 1e-12)
	assert.InDelta(t, 4, got.Sufficiency, 1e-12)
	assert.InDeltaSlice(t, []float64{7, 6, 4, 0}, got.DeletionCurve, 1e-12)

	// signed: 1.5 > 0.5 > −3, top 2 = {1, 2}; by magnitude: −3, 1.5, top 2 = {0, 1}
	attr := []float64{-3, 1.5, 0.5}
	signed, err := Measure(ctx, g, attr, Options{Fractions: one})
	require.NoError(t, err)
	assert.InDelta(t, 2+4, signed.Comprehensiveness, 1e-12, "removes features 1 and 2")
	mag, err := Measure(ctx, g, attr, Options{Fractions: one, ByMagnitude: true})
	require.NoError(t, err)
	assert.InDelta(t, 1+2, mag.Comprehensiveness, 1e-12, "removes features 0 and 1")
	assert.InDeltaSlice(t, []float64{0, 1, 3, 7}, mag.InsertionCurve, 1e-12)
	assert.InDeltaSlice(t, []float64{0, 2, 6, 7}, signed.InsertionCurve, 1e-12)
	// the attributions are not modified
	assert.Equal(t, []float64{-3, 1.5, 0.5}, attr)
}
func TestFaithfulnessFractionRounding(t *testing.T) {
	w := make([]float64, 100)
	got, err := Measure(context.Background(), gametest.Additive(0, w), w,
		Options{Fractions: []float64{0.07, 0.071, 0.001, 1}, MaxSteps: 4})
	require.NoError(t, err)
	// 0.07·100 is 7.000000000000001 in floating point: still 7 features
	assert.Equal(t, []int{7, 8, 1, 100}, got.TopK)
	assert.Equal(t, []int{0, 25, 50, 75, 100}, got.Steps)
}
func TestFaithfulnessOneFeature(t *testing.T) {
	g := &gametest.Counting{Game: gametest.Additive(0.25, []float64{0.5})}
	got, err := Measure(context.Background(), g, []float64{-1}, Options{})
	require.NoError(t, err)
	assert.Equal(t, []int{1, 1, 1, 1, 1}, got.TopK)
	assert.Equal(t, []int{0, 1}, got.Steps)
	assert.InDelta(t, 0.5, got.Comprehensiveness, 1e-12, "f(x) − f(∅)")
	assert.InDelta(t, 0, got.Sufficiency, 1e-12)
	assert.InDelta(t, 0.25, got.AOPCDeletion, 1e-12, "(f(x) − f(∅))/2")
	assert.InDelta(t, 0.25, got.AOPCInsertion, 1e-12)
	assert.InDeltaSlice(t, []float64{0.75, 0.25}, got.DeletionCurve, 1e-12)
	assert.InDeltaSlice(t, []float64{0.25, 0.75}, got.InsertionCurve, 1e-12)
	assert.Equal(t, 2, got.Evaluations)
	require.Len(t, g.Calls, 1)
}

type failingGame struct{ n int }

func (g failingGame) NumFeatures() int { return g.n }
func (g failingGame) Values(context.Context, []perturb.Coalition) ([]float64, error) {
	return nil, errors.New("model down")
}
func TestFaithfulnessErrors(t *testing.T) {
	ctx := context.Background()
	g := gametest.Additive(0, []float64{1, 2, 3})
	w := []float64{1, 2, 3}

	_, err := Measure(ctx, gametest.Additive(0, nil), nil, Options{})
	assert.ErrorContains(t, err, "no features to rank", "n = 0 is an error")
	_, err = Measure(ctx, nil, nil, Options{})
	assert.ErrorContains(t, err, "nil game")
	_, err = Measure(ctx, g, []float64{1, 2}, Options{})
	assert.ErrorContains(t, err, "2 attributions for 3 features")
	_, err = Measure(ctx, g, []float64{1, 2, 3, 4}, Options{})
	assert.ErrorContains(t, err, "4 attributions for 3 features")
	_, err = Measure(ctx, g, []float64{1, math.NaN(), 3}, Options{})
	assert.ErrorContains(t, err, "attribution 1 is NaN")
	for _, q := range []float64{0, -0.1, 1.5, math.NaN()} {
		_, err = Measure(ctx, g, w, Options{Fractions: []float64{0.1, q}})
		assert.ErrorContains(t, err, "not in (0, 1]", q)
	}
	_, err = Measure(ctx, g, w, Options{MaxSteps: -1})
	assert.ErrorContains(t, err, "negative")
	_, err = Measure(ctx, failingGame{3}, w, Options{})
	assert.ErrorContains(t, err, "model down")
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	_, err = Measure(cancelled, g, w, Options{})
	assert.ErrorIs(t, err, context.Canceled)
}
