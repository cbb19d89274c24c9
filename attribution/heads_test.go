package attribution

import (
	"context"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/evaluate"
	"github.com/lucid-nlp/lucid/models"
)

// The multi-label and regression test graphs (scripts/make_test_models.py)
// are additive in the tokens: logits = Σ rows of a table, and a [MASK]ed
// word's row is zero. So a raw-score (regression, or a label's logit)
// explanation's exact Shapley values are the words' rows themselves, and
// a sigmoid's satisfy efficiency against an independent sigmoid.
func headExplainer(t *testing.T, dir string, out evaluate.Output) *Explainer {
	t.Helper()
	c, err := models.Load(dir)
	require.NoError(t, err, "the test graphs must load (ONNX Runtime from scripts/setup_ort.sh)")
	t.Cleanup(func() { c.Close() })
	return NewExplainer(c.Tokenizer, evaluate.New(c.Model, evaluate.Options{Output: out, PadID: c.Tokenizer.PadID()}), dir)
}

func sig(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

func TestRegressionExplainsTheScore(t *testing.T) {
	x := headExplainer(t, "../engine/onnx/testdata/regression", evaluate.Probability)
	ctx := context.Background()
	// words: i love this great movie; [CLS] adds 0.125, love 1.25, great 1.5
	want := []float64{0, 1.25, 0, 1.5, 0}
	for _, m := range []Method{MethodExact, MethodKernelSHAP, MethodOcclusion} {
		r, err := x.Explain(ctx, Request{Text: "i love this great movie", Method: m, Budget: 32})
		require.NoError(t, err, m)
		assert.Equal(t, "regression", r.Head)
		assert.Equal(t, "score", r.Output, "a regression head's output is its score")
		assert.InDelta(t, 2.875, r.FX, 1e-6, "f(x) is the raw score")
		assert.InDelta(t, 0.125, r.BaseValue, 1e-6, "every word masked leaves [CLS]'s 0.125")
		var sum float64
		for i, f := range r.Features {
			assert.InDelta(t, want[i], f.Attribution, 1e-5, "%s: %s", m, f.Text)
			sum += f.Attribution
		}
		assert.InDelta(t, r.FX-r.BaseValue, sum, 1e-5, "%s: efficiency", m)
		assert.Contains(t, r.Summary, "The model's score is 2.875.")
		assert.NotContains(t, r.Summary, "probability")
		assert.NotContains(t, r.Summary, "sure")
		assert.Contains(t, r.Summary, "higher score")
	}
	_, err := x.Explain(ctx, Request{Text: "i love this great movie", Method: MethodCounterfactual})
	assert.ErrorContains(t, err, "regression head: its one output is a score with no label to change")
}

func TestMultiLabelExplainsEachSigmoid(t *testing.T) {
	ctx := context.Background()
	dir := "../engine/onnx/testdata/multi_label"
	text := "you are an idiot"
	// rows (toxic, insult, threat): [CLS] -1 -1 -1.5, you .25 .5 .125, idiot 2 1.5 0
	bias := []float64{-1, -1, -1.5}
	rows := [][]float64{{0.25, 0.5, 0.125}, {0, 0, 0}, {0, 0, 0}, {2, 1.5, 0}}

	x := headExplainer(t, dir, evaluate.Probability)
	for k, label := range []string{"toxic", "insult", "threat"} {
		r, err := x.Explain(ctx, Request{Text: text, Method: MethodExact, Target: label})
		require.NoError(t, err)
		assert.Equal(t, "multi-label", r.Head)
		full := bias[k]
		for _, row := range rows {
			full += row[k]
		}
		assert.InDelta(t, sig(full), r.FX, 1e-6, "%s: f(x) is the label's own sigmoid", label)
		assert.InDelta(t, sig(bias[k]), r.BaseValue, 1e-6, label)
		assert.InDelta(t, sig(full), r.Probabilities[label], 1e-6, label)
		var sum float64
		for _, f := range r.Features {
			sum += f.Attribution
		}
		assert.InDelta(t, r.FX-r.BaseValue, sum, 1e-6, "%s: efficiency", label)
		assert.Contains(t, r.Summary, "each label is scored on its own")
		assert.NotContains(t, r.Summary, "very sure")
	}
	// The three probabilities are independent sigmoids: they need not sum to 1.
	r, err := x.Explain(ctx, Request{Text: text, Method: MethodExact, AllTargets: true})
	require.NoError(t, err)
	var total float64
	for _, p := range r.Probabilities {
		total += p
	}
	assert.InDelta(t, sig(1.25)+sig(1)+sig(-1.375), total, 1e-6)
	require.Len(t, r.Labels, 3)
	for _, la := range r.Labels {
		var sum float64
		for _, v := range la.Attributions {
			sum += v
		}
		assert.InDelta(t, la.FX-la.BaseValue, sum, 1e-6, "all targets, %s: efficiency", la.Label)
	}

	// With the logit (a sigmoid label's log-odds), Shapley values are the rows.
	for _, out := range []evaluate.Output{evaluate.Logit, evaluate.LogOdds} {
		x = headExplainer(t, dir, out)
		r, err = x.Explain(ctx, Request{Text: text, Method: MethodExact, Target: "insult"})
		require.NoError(t, err)
		for i, f := range r.Features {
			assert.InDelta(t, rows[i][1], f.Attribution, 1e-6, "%s %s", out, f.Text)
		}
	}
	x = headExplainer(t, dir, evaluate.Probability)
	_, err = x.Explain(ctx, Request{Text: text, Method: MethodSaliency})
	assert.ErrorContains(t, err, "not a label's own sigmoid; use output logit")
}
