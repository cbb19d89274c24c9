package server

import (
	"bytes"
	"encoding/json"
	"math"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/attribution"
	"github.com/lucid-nlp/lucid/models"
)

// A multi-label model served: each label's own sigmoid (checked against
// the test graph's known logits), the labels at or above 0.5, and
// explanations of a label's sigmoid that satisfy efficiency, through the
// batcher (which must not hide the head from the evaluators).
func TestServeMultiLabel(t *testing.T) {
	clf, err := models.Load("../engine/onnx/testdata/multi_label")
	require.NoError(t, err, "the test graph must load (ONNX Runtime from scripts/setup_ort.sh)")
	t.Cleanup(func() { clf.Close() })
	s, err := New(batchingOn(), []ModelSpec{{Name: modelName, Classifier: clf}})
	require.NoError(t, err)
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(func() { ts.Close(); s.Close() })

	sig := func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }
	// [CLS] (-1, -1, -1.5) + you (.25, .5, .125) + idiot (2, 1.5, 0)
	want := map[string]float64{"toxic": sig(1.25), "insult": sig(1), "threat": sig(-1.375)}
	body, _ := json.Marshal(map[string]any{"instances": []any{"you are an idiot"}})
	code, v, _ := do(t, "POST", ts.URL+"/v1/models/"+modelName+":predict", string(body))
	require.Equal(t, 200, code, "%v", v)
	p := v["predictions"].([]any)[0].(map[string]any)
	assert.Equal(t, "multi-label", p["head"])
	for l, w := range want {
		assert.InDelta(t, w, p["probabilities"].(map[string]any)[l], 1e-6, l)
	}
	assert.Equal(t, []any{"toxic", "insult"}, p["labels_above_threshold"], "most probable first; threat is below 0.5")
	assert.Equal(t, 0.5, p["threshold"])
	assert.Equal(t, map[string]any{"toxic": 0.5, "insult": 0.5, "threat": 0.5}, p["thresholds"])
	assert.Equal(t, "toxic", p["label"])

	r := explainJSON(t, ts.URL, "you are an idiot", map[string]any{"method": "exact", "target": "insult"})
	assert.Equal(t, "multi-label", r.Head)
	assert.InDelta(t, sig(1), r.FX, 1e-6, "the label's own sigmoid, not a softmax across labels")
	var sum float64
	for _, f := range r.Features {
		sum += f.Attribution
	}
	assert.InDelta(t, r.FX-r.BaseValue, sum, 1e-6, "efficiency")
}

// Per-label thresholds (lucid serve --label-thresholds): each label is
// judged by its own, and the thresholds are reported by label; a model of
// another head, or thresholds of the wrong count or range, is refused.
func TestServeMultiLabelThresholds(t *testing.T) {
	clf, err := models.Load("../engine/onnx/testdata/multi_label")
	require.NoError(t, err, "the test graph must load (ONNX Runtime from scripts/setup_ort.sh)")
	t.Cleanup(func() { clf.Close() })
	// toxic σ(1.25) = 0.777 ≥ 0.8? no; insult σ(1) = 0.731 ≥ 0.7; threat σ(−1.375) = 0.202 ≥ 0.2.
	s, err := New(Config{}, []ModelSpec{{Name: modelName, Classifier: clf, Thresholds: []float64{0.8, 0.7, 0.2}}})
	require.NoError(t, err)
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(func() { ts.Close(); s.Close() })
	body, _ := json.Marshal(map[string]any{"instances": []any{"you are an idiot"}})
	code, v, _ := do(t, "POST", ts.URL+"/v1/models/"+modelName+":predict", string(body))
	require.Equal(t, 200, code, "%v", v)
	p := v["predictions"].([]any)[0].(map[string]any)
	assert.Equal(t, []any{"insult", "threat"}, p["labels_above_threshold"], "each label by its own threshold, most probable first")
	assert.Equal(t, map[string]any{"toxic": 0.8, "insult": 0.7, "threat": 0.2}, p["thresholds"])
	assert.NotContains(t, p, "threshold", "no one threshold is shared")

	for _, bad := range []struct {
		thr  []float64
		want string
	}{
		{[]float64{0.5, 0.5}, "2 label thresholds for its 3 labels"},
		{[]float64{0.5, 1.5, 0.5}, `threshold 1.5 of label "insult": want a probability from 0 to 1`},
		{[]float64{0.5, math.NaN(), 0.5}, "threshold NaN"},
	} {
		_, err := New(Config{}, []ModelSpec{{Name: modelName, Classifier: clf, Thresholds: bad.thr}})
		assert.ErrorContains(t, err, bad.want)
	}
	_, err = New(Config{}, []ModelSpec{{Name: modelName, Classifier: shipped(t), Thresholds: []float64{0.5, 0.5}}})
	assert.ErrorContains(t, err, "label thresholds are for multi-label models; it has a single-label head")
}

// The server's page shows a regression head's score as a score, never as
// a percentage probability.
func TestPageRegressionScore(t *testing.T) {
	r := &attribution.Result{Text: "great", Head: "regression", Output: "score", Predicted: "LABEL_0", Target: "LABEL_0",
		Probabilities: map[string]float64{"LABEL_0": 2.875}, FX: 2.875, BaseValue: 0.125,
		Features: []attribution.FeatureAttribution{{Text: "great", ByteStart: 0, ByteEnd: 5, Attribution: 2.75}}}
	var buf bytes.Buffer
	require.NoError(t, pageTemplate.Execute(&buf, pageData{Result: newPageResult(r)}))
	page := buf.String()
	assert.Contains(t, page, "Score <strong>2.8750</strong> (a regression head: its raw output, not a probability)")
	assert.NotContains(t, page, "with probability")
	assert.NotContains(t, page, "287.5%")
}

// A regression head served: its score, and no probabilities.
func TestServeRegression(t *testing.T) {
	clf, err := models.Load("../engine/onnx/testdata/regression")
	require.NoError(t, err)
	t.Cleanup(func() { clf.Close() })
	s, err := New(Config{}, []ModelSpec{{Name: modelName, Classifier: clf}})
	require.NoError(t, err)
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(func() { ts.Close(); s.Close() })
	code, v, _ := do(t, "POST", ts.URL+"/v1/models/"+modelName+":predict", `{"instances": ["a great movie"]}`)
	require.Equal(t, 200, code, "%v", v)
	p := v["predictions"].([]any)[0].(map[string]any)
	assert.Equal(t, "regression", p["head"])
	assert.InDelta(t, 1.625, p["score"], 1e-6, "[CLS] 0.125 + great 1.5")
	assert.NotContains(t, p, "probabilities")
	r := explainJSON(t, ts.URL, "a great movie", map[string]any{"method": "exact"})
	assert.Equal(t, "score", r.Output)
	assert.InDelta(t, 1.5, r.Features[1].Attribution, 1e-6, "great's Shapley value is its row")
}
