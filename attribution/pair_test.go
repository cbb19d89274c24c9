package attribution

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/attribution/faithfulness"
	"github.com/lucid-nlp/lucid/evaluate"
	"github.com/lucid-nlp/lucid/models"
	"github.com/lucid-nlp/lucid/perturb"
)

// pairExplainer explains the pair-additive test model (models/testdata/
// pair-additive): logit k = Σ W[id, k] + 0.5·k·Σ token type, with
// W[i, k] = (i+1)(k−1)/8, so every attribution is known exactly.
func pairExplainer(t *testing.T) *Explainer {
	t.Helper()
	c, err := models.Load(filepath.Join("..", "models", "testdata", "pair-additive"))
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return NewExplainer(c.Tokenizer, evaluate.New(c.Model, evaluate.Options{Output: evaluate.Logit, PadID: c.Tokenizer.PadID()}), "pair-additive")
}

// TestExplainPairExact: the features of both texts, each marked by segment;
// with the mask token the second text's words keep their type id, so a
// word's attribution to logit 2 is W[id, 2] − W[[MASK], 2] = (id − 4)/8 in
// either text; deleted, a second-text word also takes its type id away:
// (id + 1)/8 + 0.5·2. Efficiency holds to float32 rounding (1e-5).
func TestExplainPairExact(t *testing.T) {
	x := pairExplainer(t)
	ids := map[string]float64{"a": 5, "man": 6, "is": 7, "eating": 8, "someone": 9, "eats": 10, "food": 11, "not": 12, ".": 13}
	req := Request{Pair: true, Text: "A man is eating.", TextPair: "Someone eats food.", Method: MethodExact, Target: "entailment"}
	wantText := []string{"A", "man", "is", "eating", ".", "Someone", "eats", "food", "."}
	wantSeg := []int{0, 0, 0, 0, 0, 1, 1, 1, 1}
	for _, m := range []perturb.Masking{perturb.MaskToken, perturb.Delete} {
		req.Masking = m
		res, err := x.Explain(context.Background(), req)
		require.NoError(t, err, m)
		require.Len(t, res.Features, len(wantText), m)
		sum := 0.0
		for i, f := range res.Features {
			assert.Equal(t, wantText[i], f.Text, "%s feature %d", m, i)
			require.NotNil(t, f.Segment)
			assert.Equal(t, wantSeg[i], *f.Segment, "%s feature %d", m, i)
			id := ids[map[string]string{"A": "a", "Someone": "someone"}[f.Text]]
			if id == 0 {
				id = ids[f.Text]
			}
			want := (id - 4) / 8
			if m == perturb.Delete {
				want = (id+1)/8 + 0.5*2*float64(wantSeg[i])
			}
			assert.InDelta(t, want, f.Attribution, 1e-5, "%s %q (segment %d)", m, f.Text, wantSeg[i])
			sum += f.Attribution
			// Offsets index the feature's own text.
			text := res.Text
			if wantSeg[i] == 1 {
				text = *res.TextPair
			}
			assert.Equal(t, f.Text, text[f.ByteStart:f.ByteEnd])
		}
		assert.InDelta(t, res.FX-res.BaseValue, sum, 1e-5, "%s: efficiency", m)
		require.NotNil(t, res.TextPair)
		assert.Equal(t, "Someone eats food.", *res.TextPair)
		assert.Nil(t, res.PairTruncation)
	}

	// Faithfulness re-reads the pair from the result (its text_pair):
	// the same features, so it runs on the pair's own rows.
	req.Masking = perturb.MaskToken
	exact, err := x.Explain(context.Background(), req)
	require.NoError(t, err)
	f, err := x.Faithfulness(context.Background(), exact, req, faithfulness.Options{})
	require.NoError(t, err)
	require.NotNil(t, f)

	// The path method on the gradient graph: the model is linear in the
	// embeddings, so integrated gradients from the [MASK] embedding give
	// the mask token's exact values, type ids untouched (1e-5).
	req.Method = MethodPath
	res, err := x.Explain(context.Background(), req)
	require.NoError(t, err)
	require.Len(t, res.Features, len(wantText))
	for i, f := range res.Features {
		assert.Equal(t, wantSeg[i], *f.Segment)
	}
	assert.InDelta(t, 1.0/8, res.Features[0].Attribution, 1e-5, "a (id 5): (5−4)/8")
	assert.InDelta(t, 5.0/8, res.Features[5].Attribution, 1e-5, "someone: (9−4)/8")

	// KernelSHAP keeps efficiency too (its constraint), on both segments.
	req.Method, req.Masking, req.Budget = MethodKernelSHAP, perturb.MaskToken, 64
	res, err = x.Explain(context.Background(), req)
	require.NoError(t, err)
	sum := 0.0
	for _, f := range res.Features {
		sum += f.Attribution
	}
	assert.InDelta(t, res.FX-res.BaseValue, sum, 1e-5, "kernelshap efficiency")

	b, err := json.Marshal(res)
	require.NoError(t, err)
	assert.Contains(t, string(b), `"text_pair":"Someone eats food."`)
	assert.Contains(t, string(b), `"segment":0`)
	assert.Contains(t, string(b), `"segment":1`)
}

func TestExplainPairTruncationAndRefusals(t *testing.T) {
	x := pairExplainer(t)
	x.Tokenizer.SetMaxLength(9) // 6 tokens of room
	defer x.Tokenizer.SetMaxLength(0)
	res, err := x.Explain(context.Background(), Request{Pair: true, Text: "a man is eating food .", TextPair: "someone eats", Method: MethodOcclusion})
	require.NoError(t, err)
	require.NotNil(t, res.PairTruncation)
	assert.Equal(t, PairTruncation{Rule: "longest-first", RemovedFirst: 2, RemovedSecond: 0}, *res.PairTruncation)
	require.NotEmpty(t, res.Warnings)
	assert.Contains(t, res.Warnings[0], "cut 2 tokens from the end of the first text and 0 from the end of the second")
	assert.Len(t, res.Features, 6)

	for _, req := range []Request{
		{Pair: true, Text: "a", TextPair: "b", Window: true},
		{Pair: true, Text: "a", TextPair: "b", WhyNot: "neutral"},
		{Pair: true, Text: "a", TextPair: "b", Method: MethodCounterfactual},
		{Text: "a", TextPair: "b"},
	} {
		_, err := x.Explain(context.Background(), req)
		assert.Error(t, err, "%+v", req)
	}
}
