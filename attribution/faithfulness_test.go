package attribution

import (
	"context"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/attribution/faithfulness"
	"github.com/lucid-nlp/lucid/evaluate"
	"github.com/lucid-nlp/lucid/perturb"
)

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

	got, err := x.Faithfulness(ctx, res, req, faithfulness.Options{})
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
	got2, err := x.Faithfulness(ctx, res, Request{}, faithfulness.Options{})
	require.NoError(t, err)
	assert.Equal(t, got.Comprehensiveness, got2.Comprehensiveness)

	// mismatches
	short := *res
	short.Features = res.Features[:2]
	_, err = x.Faithfulness(ctx, &short, req, faithfulness.Options{})
	assert.ErrorContains(t, err, "the text has 3 words, the result attributes 2")
	_, err = x.Faithfulness(ctx, res, Request{Level: perturb.Tokens}, faithfulness.Options{})
	assert.ErrorContains(t, err, "the result's features are words")
	_, err = x.Faithfulness(ctx, res, Request{Text: "another text"}, faithfulness.Options{})
	assert.ErrorContains(t, err, "is not the result's")
	_, err = x.Faithfulness(ctx, nil, req, faithfulness.Options{})
	assert.ErrorContains(t, err, "nil result")
	bad := *res
	bad.TargetIndex = 2
	_, err = x.Faithfulness(ctx, &bad, req, faithfulness.Options{})
	assert.ErrorContains(t, err, "target index 2")
}

// On the real default model: KernelSHAP's ranking removes more of the
// score than its reverse, and occlusion's and LIME's rankings are scored.
func TestFaithfulnessDefaultModel(t *testing.T) {
	x := realExplainer(t, evaluate.Probability)
	ctx := context.Background()
	texts := []string{"a gorgeous , witty , seductive movie .", "boring , predictable and far too long .",
		"one of the best films of the year , funny and wise ."}
	var shap, reversed faithfulness.Result
	for _, text := range texts {
		req := Request{Text: text, Method: MethodKernelSHAP, Budget: 128, Seed: 1}
		res, err := x.Explain(ctx, req)
		require.NoError(t, err)
		f, err := x.Faithfulness(ctx, res, req, faithfulness.Options{})
		require.NoError(t, err)
		assert.InDelta(t, res.FX, f.Full, 1e-5, "f(x), batched differently")
		assert.InDelta(t, res.BaseValue, f.Empty, 1e-5, "f(∅)")

		rev := *res
		rev.Features = append([]FeatureAttribution(nil), res.Features...)
		for i := range rev.Features {
			rev.Features[i].Attribution = -rev.Features[i].Attribution
		}
		r, err := x.Faithfulness(ctx, &rev, req, faithfulness.Options{})
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
		f, err := x.Faithfulness(ctx, res, req, faithfulness.Options{})
		require.NoError(t, err, method)
		t.Logf("%s: comprehensiveness %.3f, sufficiency %.3f, AOPC deletion %.3f, insertion %.3f",
			method, f.Comprehensiveness, f.Sufficiency, f.AOPCDeletion, f.AOPCInsertion)
		for _, v := range []float64{f.Comprehensiveness, f.Sufficiency, f.AOPCDeletion, f.AOPCInsertion} {
			assert.False(t, math.IsNaN(v), method)
		}
		assert.Equal(t, 2*len(res.Features), f.Evaluations, "%s: every top_i and its complement", method)
	}
}
