package server

import (
	"encoding/json"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/models"
)

// pairServer serves the pair-additive test model (models/testdata/
// pair-additive: logit k = Σ W[id, k] + 0.5·k·Σ token type, W[i, k] =
// (i+1)(k−1)/8) as "nli".
func pairServer(t *testing.T) string {
	t.Helper()
	clf, err := models.Load(filepath.Join("..", "models", "testdata", "pair-additive"))
	require.NoError(t, err)
	s, err := New(batchingOn(), []ModelSpec{{Name: "nli", Classifier: clf}})
	require.NoError(t, err)
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(func() { ts.Close(); s.Close(); clf.Close() })
	return ts.URL
}

// pairLogits is the graph's formula for "someone eats" / "a man":
// [CLS]=2 someone=9 eats=10 [SEP]=3 | a=5 man=6 [SEP]=3 (type 1).
func pairLogits() []float64 {
	ids := []float64{2, 9, 10, 3, 5, 6, 3}
	types := []float64{0, 0, 0, 0, 1, 1, 1}
	out := make([]float64, 3)
	for k := range out {
		for s := range ids {
			out[k] += (ids[s]+1)*float64(k-1)/8 + 0.5*types[s]*float64(k)
		}
	}
	return out
}

func TestPairsKServeV1(t *testing.T) {
	url := pairServer(t)
	want := pairLogits()
	for _, body := range []string{
		`{"instances": [["someone eats", "a man"], "someone eats"]}`,
		`{"instances": [{"text": "someone eats", "text_pair": "a man"}, {"text": "someone eats"}]}`,
	} {
		code, v, _ := do(t, "POST", url+"/v1/models/nli:predict", body)
		require.Equal(t, 200, code, "%s: %v", body, v)
		preds := v["predictions"].([]any)
		require.Len(t, preds, 2)
		p := preds[0].(map[string]any)
		assert.Equal(t, "a man", p["text_pair"])
		for k, l := range p["logits"].([]any) {
			assert.InDelta(t, want[k], l.(float64), 1e-5, "%s: logit %d", body, k)
		}
		one := preds[1].(map[string]any)
		assert.Nil(t, one["text_pair"], "a plain text in the same request stays one text")
		assert.NotEqual(t, p["logits"], one["logits"])
	}
	for _, body := range []string{`{"instances": [["a", "b", "c"]]}`, `{"instances": [{"text": "a", "pair": "b"}]}`, `{"instances": [["a", 1]]}`} {
		code, v, _ := do(t, "POST", url+"/v1/models/nli:predict", body)
		assert.Equal(t, 400, code, "%s: %v", body, v)
	}

	// :explain attributes over both texts, each feature marked, efficiency
	// exact (exact Shapley values on logits).
	code, v, _ := do(t, "POST", url+"/v1/models/nli:explain",
		`{"instances": [["someone eats", "a man"]], "parameters": {"method": "exact", "output": "logit", "target": "entailment", "mask": "delete"}}`)
	require.Equal(t, 200, code, "%v", v)
	raw, err := json.Marshal(v["explanations"].([]any)[0])
	require.NoError(t, err)
	var res struct {
		TextPair string  `json:"text_pair"`
		FX       float64 `json:"f_x"`
		Base     float64 `json:"base_value"`
		Features []struct {
			Text        string  `json:"text"`
			Segment     *int    `json:"segment"`
			Attribution float64 `json:"attribution"`
		} `json:"features"`
	}
	require.NoError(t, json.Unmarshal(raw, &res))
	assert.Equal(t, "a man", res.TextPair)
	require.Len(t, res.Features, 4)
	sum := 0.0
	for i, f := range res.Features {
		require.NotNil(t, f.Segment)
		assert.Equal(t, i/2, *f.Segment, f.Text)
		sum += f.Attribution
	}
	// "man" (id 6) deleted from the second text: W[6,2] + 0.5·2 = 7/8 + 1.
	assert.InDelta(t, 7.0/8+1, res.Features[3].Attribution, 1e-5)
	assert.InDelta(t, res.FX-res.Base, sum, 1e-5)
}

func TestPairsOIPv2(t *testing.T) {
	url := pairServer(t)
	want := pairLogits()
	body := `{"inputs": [{"name": "text", "datatype": "BYTES", "shape": [1], "data": ["someone eats"]},
		{"name": "text_pair", "datatype": "BYTES", "shape": [1], "data": ["a man"]}], "outputs": [{"name": "logits"}]}`
	code, v, _ := do(t, "POST", url+"/v2/models/nli/infer", body)
	require.Equal(t, 200, code, "%v", v)
	out := v["outputs"].([]any)[0].(map[string]any)
	assert.Equal(t, "logits", out["name"])
	for k, l := range out["data"].([]any) {
		assert.InDelta(t, want[k], l.(float64), 1e-5, "logit %d", k)
	}
	for _, bad := range []string{
		`{"inputs": [{"name": "text", "datatype": "BYTES", "shape": [2], "data": ["a", "b"]}, {"name": "text_pair", "datatype": "BYTES", "shape": [1], "data": ["c"]}]}`,
		`{"inputs": [{"name": "text", "datatype": "BYTES", "shape": [1], "data": ["a"]}, {"name": "other", "datatype": "BYTES", "shape": [1], "data": ["c"]}]}`,
		`{"inputs": [{"name": "text_pair", "datatype": "BYTES", "shape": [1], "data": ["a"]}, {"name": "text_pair", "datatype": "BYTES", "shape": [1], "data": ["c"]}]}`,
	} {
		code, v, _ := do(t, "POST", url+"/v2/models/nli/infer", bad)
		assert.Equal(t, 400, code, "%s: %v", bad, v)
	}
}
