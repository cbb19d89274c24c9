package attribution

import (
	"context"
	"errors"
	"github.com/lucid-nlp/lucid/attribution/gametest"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/evaluate"
	"github.com/lucid-nlp/lucid/perturb"
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
	got, err := MeasureFaithfulness(context.Background(), g, w, FaithfulnessOptions{})
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
	worst, err := MeasureFaithfulness(context.Background(), g, negated(w), FaithfulnessOptions{})
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
	best, err := MeasureFaithfulness(ctx, g, w, FaithfulnessOptions{})
	require.NoError(t, err)
	worst, err := MeasureFaithfulness(ctx, g, negated(w), FaithfulnessOptions{})
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
		r, err := MeasureFaithfulness(ctx, g, random, FaithfulnessOptions{})
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
		got, err := MeasureFaithfulness(context.Background(), g, w, FaithfulnessOptions{MaxSteps: tc.maxSteps})
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
		assert.LessOrEqual(t, len(got.Steps), DefaultFaithfulnessSteps+1)
	}
}

func TestFaithfulnessRankingTiesAndMagnitude(t *testing.T) {
	w := []float64{1, 2, 4}
	g := gametest.Additive(0, w)
	ctx := context.Background()
	one := []float64{0.5} // k = ⌈0.5·3⌉ = 2

	// ties: index order, so the top 2 are features 0 and 1
	got, err := MeasureFaithfulness(ctx, g, []float64{0, 0, 0}, FaithfulnessOptions{Fractions: one})
	require.NoError(t, err)
	assert.Equal(t, []int{2}, got.TopK)
	assert.InDelta(t, 3, got.Comprehensiveness, 1e-12)
	assert.InDelta(t, 4, got.Sufficiency, 1e-12)
	assert.InDeltaSlice(t, []float64{7, 6, 4, 0}, got.DeletionCurve, 1e-12)

	// signed: 1.5 > 0.5 > −3, top 2 = {1, 2}; by magnitude: −3, 1.5, top 2 = {0, 1}
	attr := []float64{-3, 1.5, 0.5}
	signed, err := MeasureFaithfulness(ctx, g, attr, FaithfulnessOptions{Fractions: one})
	require.NoError(t, err)
	assert.InDelta(t, 2+4, signed.Comprehensiveness, 1e-12, "removes features 1 and 2")
	mag, err := MeasureFaithfulness(ctx, g, attr, FaithfulnessOptions{Fractions: one, ByMagnitude: true})
	require.NoError(t, err)
	assert.InDelta(t, 1+2, mag.Comprehensiveness, 1e-12, "removes features 0 and 1")
	assert.InDeltaSlice(t, []float64{0, 1, 3, 7}, mag.InsertionCurve, 1e-12)
	assert.InDeltaSlice(t, []float64{0, 2, 6, 7}, signed.InsertionCurve, 1e-12)
	// the attributions are not modified
	assert.Equal(t, []float64{-3, 1.5, 0.5}, attr)
}

func TestFaithfulnessFractionRounding(t *testing.T) {
	w := make([]float64, 100)
	got, err := MeasureFaithfulness(context.Background(), gametest.Additive(0, w), w,
		FaithfulnessOptions{Fractions: []float64{0.07, 0.071, 0.001, 1}, MaxSteps: 4})
	require.NoError(t, err)
	// 0.07·100 is 7.000000000000001 in floating point: still 7 features
	assert.Equal(t, []int{7, 8, 1, 100}, got.TopK)
	assert.Equal(t, []int{0, 25, 50, 75, 100}, got.Steps)
}

func TestFaithfulnessOneFeature(t *testing.T) {
	g := &gametest.Counting{Game: gametest.Additive(0.25, []float64{0.5})}
	got, err := MeasureFaithfulness(context.Background(), g, []float64{-1}, FaithfulnessOptions{})
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

	_, err := MeasureFaithfulness(ctx, gametest.Additive(0, nil), nil, FaithfulnessOptions{})
	assert.ErrorContains(t, err, "no features to rank", "n = 0 is an error")
	_, err = MeasureFaithfulness(ctx, nil, nil, FaithfulnessOptions{})
	assert.ErrorContains(t, err, "nil game")
	_, err = MeasureFaithfulness(ctx, g, []float64{1, 2}, FaithfulnessOptions{})
	assert.ErrorContains(t, err, "2 attributions for 3 features")
	_, err = MeasureFaithfulness(ctx, g, []float64{1, 2, 3, 4}, FaithfulnessOptions{})
	assert.ErrorContains(t, err, "4 attributions for 3 features")
	_, err = MeasureFaithfulness(ctx, g, []float64{1, math.NaN(), 3}, FaithfulnessOptions{})
	assert.ErrorContains(t, err, "attribution 1 is NaN")
	for _, q := range []float64{0, -0.1, 1.5, math.NaN()} {
		_, err = MeasureFaithfulness(ctx, g, w, FaithfulnessOptions{Fractions: []float64{0.1, q}})
		assert.ErrorContains(t, err, "not in (0, 1]", q)
	}
	_, err = MeasureFaithfulness(ctx, g, w, FaithfulnessOptions{MaxSteps: -1})
	assert.ErrorContains(t, err, "negative")
	_, err = MeasureFaithfulness(ctx, failingGame{3}, w, FaithfulnessOptions{})
	assert.ErrorContains(t, err, "model down")
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	_, err = MeasureFaithfulness(cancelled, g, w, FaithfulnessOptions{})
	assert.ErrorIs(t, err, context.Canceled)
}

// Explainer.Faithfulness on the pure-Go lexicon model, whose scores are
// sums of word weights (logits), so the numbers are known.
func TestFaithfulnessExplainerLexicon(t *testing.T) {
	c := defaultClassifier(t)
	tok := c.Tokenizer
	m := &lexiconModel{weights: map[int64]float64{
		tokenID(t, tok, "truly"): 0.5, tokenID(t, tok, "wonderful"): 2, tokenID(t, tok, "film"): -0.25}}
	x := NewExplainer(tok, evaluate.New(m, evaluate.Options{Output: evaluate.Logit}), "lexicon")
	ctx := context.Background()
	req := Request{Text: "truly wonderful film", Method: MethodExact, Target: "POSITIVE"}
	res, err := x.Explain(ctx, req)
	require.NoError(t, err)

	got, err := x.Faithfulness(ctx, res, req, FaithfulnessOptions{})
	require.NoError(t, err)
	// ranking wonderful, truly, film; top sums 0, 2, 2.5, 2.25; k = 1,1,1,1,2
	assert.InDelta(t, (4*2+2.5)/5, got.Comprehensiveness, 1e-6)
	assert.InDelta(t, (4*0.25-0.25)/5, got.Sufficiency, 1e-6)
	assert.InDelta(t, (0+2+2.5+2.25)/4, got.AOPCDeletion, 1e-6)
	assert.InDelta(t, (0+2+2.5+2.25)/4, got.AOPCInsertion, 1e-6)
	assert.InDelta(t, res.FX, got.Full, 1e-6)
	assert.InDelta(t, res.BaseValue, got.Empty, 1e-6)
	assert.Equal(t, 6, got.Evaluations)

	// the same without a text in the request
	got2, err := x.Faithfulness(ctx, res, Request{}, FaithfulnessOptions{})
	require.NoError(t, err)
	assert.Equal(t, got.Comprehensiveness, got2.Comprehensiveness)

	// mismatches
	short := *res
	short.Features = res.Features[:2]
	_, err = x.Faithfulness(ctx, &short, req, FaithfulnessOptions{})
	assert.ErrorContains(t, err, "the text has 3 words, the result attributes 2")
	_, err = x.Faithfulness(ctx, res, Request{Level: perturb.Tokens}, FaithfulnessOptions{})
	assert.ErrorContains(t, err, "the result's features are words")
	_, err = x.Faithfulness(ctx, res, Request{Text: "another text"}, FaithfulnessOptions{})
	assert.ErrorContains(t, err, "is not the result's")
	_, err = x.Faithfulness(ctx, nil, req, FaithfulnessOptions{})
	assert.ErrorContains(t, err, "nil result")
	bad := *res
	bad.TargetIndex = 2
	_, err = x.Faithfulness(ctx, &bad, req, FaithfulnessOptions{})
	assert.ErrorContains(t, err, "target index 2")
}

// On the real default model: KernelSHAP's ranking removes more of the
// score than its reverse, and occlusion's and LIME's rankings are scored.
func TestFaithfulnessDefaultModel(t *testing.T) {
	x := realExplainer(t, evaluate.Probability)
	ctx := context.Background()
	texts := []string{"a gorgeous , witty , seductive movie .", "boring , predictable and far too long .",
		"one of the best films of the year , funny and wise ."}
	var shap, reversed Faithfulness
	for _, text := range texts {
		req := Request{Text: text, Method: MethodKernelSHAP, Budget: 128, Seed: 1}
		res, err := x.Explain(ctx, req)
		require.NoError(t, err)
		f, err := x.Faithfulness(ctx, res, req, FaithfulnessOptions{})
		require.NoError(t, err)
		assert.InDelta(t, res.FX, f.Full, 1e-5, "f(x), batched differently")
		assert.InDelta(t, res.BaseValue, f.Empty, 1e-5, "f(∅)")

		rev := *res
		rev.Features = append([]FeatureAttribution(nil), res.Features...)
		for i := range rev.Features {
			rev.Features[i].Attribution = -rev.Features[i].Attribution
		}
		r, err := x.Faithfulness(ctx, &rev, req, FaithfulnessOptions{})
		require.NoError(t, err)
		t.Logf("%q: comprehensiveness %.3f vs reversed %.3f, sufficiency %.3f vs %.3f, AOPC deletion %.3f vs %.3f",
			text, f.Comprehensiveness, r.Comprehensiveness, f.Sufficiency, r.Sufficiency, f.AOPCDeletion, r.AOPCDeletion)
		n := float64(len(texts))
		shap.Comprehensiveness += f.Comprehensiveness / n
		reversed.Comprehensiveness += r.Comprehensiveness / n
		shap.Sufficiency += f.Sufficiency / n
		reversed.Sufficiency += r.Sufficiency / n
		shap.AOPCDeletion += f.AOPCDeletion / n
		reversed.AOPCDeletion += r.AOPCDeletion / n
	}
	assert.Greater(t, shap.Comprehensiveness, reversed.Comprehensiveness)
	assert.Less(t, shap.Sufficiency, reversed.Sufficiency)
	assert.Greater(t, shap.AOPCDeletion, reversed.AOPCDeletion)

	for _, method := range []Method{MethodOcclusion, MethodLIME} {
		req := Request{Text: texts[0], Method: method, Budget: 128, Seed: 1}
		res, err := x.Explain(ctx, req)
		require.NoError(t, err, method)
		f, err := x.Faithfulness(ctx, res, req, FaithfulnessOptions{})
		require.NoError(t, err, method)
		t.Logf("%s: comprehensiveness %.3f, sufficiency %.3f, AOPC deletion %.3f, insertion %.3f",
			method, f.Comprehensiveness, f.Sufficiency, f.AOPCDeletion, f.AOPCInsertion)
		for _, v := range []float64{f.Comprehensiveness, f.Sufficiency, f.AOPCDeletion, f.AOPCInsertion} {
			assert.False(t, math.IsNaN(v), method)
		}
		assert.Equal(t, 2*len(res.Features), f.Evaluations, "%s: every top_i and its complement", method)
	}
}
