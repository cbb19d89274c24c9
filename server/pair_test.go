package server

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"math"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/models"
	"github.com/lucid-nlp/lucid/server/oippb"
)

// pairServer serves the pair-additive test model (models/testdata/
// pair-additive: logit k = Σ W[id, k] + 0.5·k·Σ token type, W[i, k] =
// (i+1)(k−1)/8) as "nli".
func pairServer(t *testing.T) string {
	t.Helper()
	url, _ := pairServers(t)
	return url
}

// pairServers is pairServer's URL and its Server, for the gRPC service.
func pairServers(t *testing.T) (string, *Server) {
	t.Helper()
	clf, err := models.Load(filepath.Join("..", "models", "testdata", "pair-additive"))
	require.NoError(t, err)
	s, err := New(batchingOn(), []ModelSpec{{Name: "nli", Classifier: clf}})
	require.NoError(t, err)
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(func() { ts.Close(); s.Close(); clf.Close() })
	return ts.URL, s
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

// TestPairsGRPC: the gRPC OIP service takes the second texts as a second
// BYTES input named text_pair, in contents or in raw_input_contents.
func TestPairsGRPC(t *testing.T) {
	_, s := pairServers(t)
	c := newGRPCTest(t, s, TLS{}, nil)
	want := pairLogits()
	second := bytesInput("a man")
	second.Name = "text_pair"
	req := &oippb.ModelInferRequest{ModelName: "nli", Inputs: []*oippb.ModelInferRequest_InferInputTensor{bytesInput("someone eats"), second},
		Outputs: []*oippb.ModelInferRequest_InferRequestedOutputTensor{{Name: "logits"}}}
	resp, err := c.ModelInfer(context.Background(), req)
	require.NoError(t, err)
	got := resp.GetOutputs()[0].GetContents().GetFp32Contents()
	require.Len(t, got, 3)
	for k := range want {
		assert.InDelta(t, want[k], float64(got[k]), 1e-5, "logit %d", k)
	}

	// The same in raw_input_contents, one entry per input.
	raw := func(s string) []byte { return append([]byte{byte(len(s)), 0, 0, 0}, s...) }
	rawReq := &oippb.ModelInferRequest{ModelName: "nli", RawInputContents: [][]byte{raw("a man"), raw("someone eats")},
		Inputs: []*oippb.ModelInferRequest_InferInputTensor{
			{Name: "text_pair", Datatype: "BYTES", Shape: []int64{1}}, {Name: "text", Datatype: "BYTES", Shape: []int64{1}}},
		Outputs: []*oippb.ModelInferRequest_InferRequestedOutputTensor{{Name: "logits"}}}
	rawResp, err := c.ModelInfer(context.Background(), rawReq)
	require.NoError(t, err)
	rg := rawResp.GetRawOutputContents()
	require.Len(t, rg, 1)
	for k := range want {
		v := math.Float32frombits(binary.LittleEndian.Uint32(rg[0][4*k:]))
		assert.InDelta(t, want[k], float64(v), 1e-5, "raw logit %d", k)
	}

	other := bytesInput("a man")
	other.Name = "other"
	_, err = c.ModelInfer(context.Background(), &oippb.ModelInferRequest{ModelName: "nli", Inputs: []*oippb.ModelInferRequest_InferInputTensor{bytesInput("x"), other}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "text_pair")
}
