package server

import (
	"bytes"
	"encoding/json"
	"math"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/lucid-nlp/lucid/engine/batching"
)

// The fuzz targets post arbitrary bodies to the API routes through the
// whole handler (Host check, content type, body reading, admission,
// decoding, validation, the shipped model) and check that every answer is
// a JSON object with a status the API documents, never a 5xx or a panic,
// and that a 200 is a well-formed answer. Small limits keep one input
// cheap: texts of at most 64 bytes, budgets of at most 32.

var (
	fuzzOnce sync.Once
	fuzzSrv  *Server
)

func fuzzServer(f *testing.F) *Server {
	fuzzOnce.Do(func() {
		s, err := New(Config{Batching: true, Batch: batching.Options{MaxBatch: 32, MaxWait: time.Millisecond},
			Limits:         Limits{MaxBodyBytes: 16 << 10, MaxTextBytes: 64, MaxInstances: 4, MaxExplainInstances: 2, MaxBudget: 32},
			RequestTimeout: 20 * time.Second}, []ModelSpec{{Name: modelName, Classifier: shipped(f)}})
		if err != nil {
			f.Fatal(err)
		}
		fuzzSrv = s
	})
	return fuzzSrv
}

// documented are the statuses a body can get from an API route.
var documented = map[int]bool{200: true, 400: true, 404: true, 413: true, 429: true}

func fuzzPost(t *testing.T, s *Server, path string, body []byte) (int, []byte) {
	req := httptest.NewRequest("POST", path, bytes.NewReader(body))
	req.Host = "127.0.0.1"
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, req)
	if !documented[rec.Code] {
		t.Fatalf("POST %s %q: status %d: %s", path, body, rec.Code, rec.Body.Bytes())
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Fatalf("POST %s %q: Content-Type %q", path, body, ct)
	}
	if rec.Code != 200 {
		var e struct {
			Error string `json:"error"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Error == "" {
			t.Fatalf("POST %s %q: status %d without a JSON error: %s", path, body, rec.Code, rec.Body.Bytes())
		}
	}
	return rec.Code, rec.Body.Bytes()
}

// checkProbs checks that a text's probabilities are a distribution.
func checkProbs(t *testing.T, probs []float64, body []byte) {
	sum := 0.0
	for _, p := range probs {
		if math.IsNaN(p) || p < 0 || p > 1 {
			t.Fatalf("%q: probability %v", body, p)
		}
		sum += p
	}
	if math.Abs(sum-1) > 1e-6 {
		t.Fatalf("%q: probabilities sum to %v, want 1 ± 1e-6", body, sum)
	}
}

func FuzzInferBody(f *testing.F) {
	s := fuzzServer(f)
	for _, seed := range []string{
		`{"inputs": [{"name": "text", "shape": [1], "datatype": "BYTES", "data": ["a gorgeous movie"]}]}`,
		`{"id": "x", "inputs": [{"name": "text", "shape": [2, 1], "datatype": "BYTES", "data": [["bad"], ["good"]]}], "outputs": [{"name": "label"}]}`,
		`{"inputs": [{"name": "a", "shape": [2], "datatype": "BYTES", "data": ["x"]}]}`,
		`{"inputs": [{"name": "a", "shape": [-1], "datatype": "BYTES", "data": []}]}`,
		`{"inputs": [{"name": "a", "shape": [1], "datatype": "INT64", "data": [1]}]}`,
		`{"inputs": []}`, `{}`, `[]`, `null`, ``, `{"inputs": [{"data": "\ud800"}]}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		code, out := fuzzPost(t, s, "/v2/models/"+modelName+"/infer", body)
		if code != 200 {
			return
		}
		var resp InferResponse
		if err := json.Unmarshal(out, &resp); err != nil || resp.ModelName != modelName || len(resp.Outputs) == 0 {
			t.Fatalf("%q: a 200 that is not an inference response: %s", body, out)
		}
		for _, o := range resp.Outputs {
			if o.Name != OutputProbabilities {
				continue
			}
			data := o.Data.([]any)
			if len(o.Shape) != 2 || o.Shape[0]*o.Shape[1] != len(data) {
				t.Fatalf("%q: probabilities shape %v with %d values", body, o.Shape, len(data))
			}
			for i := 0; i < o.Shape[0]; i++ {
				row := make([]float64, o.Shape[1])
				for j := range row {
					row[j] = data[i*o.Shape[1]+j].(float64)
				}
				// float32 on the wire.
				sum := 0.0
				for _, p := range row {
					sum += p
				}
				if math.Abs(sum-1) > 1e-5 {
					t.Fatalf("%q: probabilities %v sum to %v, want 1 ± 1e-5", body, row, sum)
				}
			}
		}
	})
}

func FuzzPredictBody(f *testing.F) {
	s := fuzzServer(f)
	for _, seed := range []string{
		`{"instances": ["a gorgeous movie", {"text": "dull"}]}`,
		`{"instances": []}`, `{"instances": [3]}`, `{"instances": "a"}`, `{"instance": ["a"]}`,
		`{"instances": ["a"]} {}`, `{"instances": [{"text": null}]}`, `{"instances": ["\u0000\ufffd"]}`, `{`, ``,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		code, out := fuzzPost(t, s, "/v1/models/"+modelName+":predict", body)
		if code != 200 {
			return
		}
		var resp PredictResponse
		if err := json.Unmarshal(out, &resp); err != nil || len(resp.Predictions) == 0 {
			t.Fatalf("%q: a 200 that is not a prediction: %s", body, out)
		}
		for _, p := range resp.Predictions {
			probs := make([]float64, 0, len(p.Probabilities))
			for _, v := range p.Probabilities {
				probs = append(probs, v)
			}
			checkProbs(t, probs, body)
		}
	})
}

func FuzzExplainBody(f *testing.F) {
	s := fuzzServer(f)
	for _, seed := range []string{
		`{"instances": ["a gorgeous movie"], "parameters": {"method": "occlusion"}}`,
		`{"instances": ["not bad at all"], "parameters": {"method": "exact", "budget": 16, "output": "logodds"}}`,
		`{"instances": ["fine"], "parameters": {"method": "kernelshap", "budget": 32, "seed": 7, "target": "0"}}`,
		`{"instances": ["fine"], "parameters": {"method": "ig", "budget": 32, "steps": 4, "mask": "pad"}}`,
		`{"instances": ["fine"], "parameters": {"budget": -1}}`, `{"instances": [""]}`,
		`{"instances": ["fine"], "parameters": {"features": "sentences", "mask": "delete"}}`,
		`{"instances": ["fine"], "parameters": {"seeds": 1}}`, `{"parameters": {}}`, ``,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		code, out := fuzzPost(t, s, "/v1/models/"+modelName+":explain", body)
		if code != 200 {
			return
		}
		var resp ExplainResponse
		if err := json.Unmarshal(out, &resp); err != nil || len(resp.Explanations) == 0 {
			t.Fatalf("%q: a 200 that is not an explanation: %s", body, out)
		}
		for _, e := range resp.Explanations {
			if e == nil || len(e.Features) == 0 {
				t.Fatalf("%q: explanation %s", body, out)
			}
			probs := make([]float64, 0, len(e.Probabilities))
			for _, v := range e.Probabilities {
				probs = append(probs, v)
			}
			checkProbs(t, probs, body)
		}
		if n := s.ExplainMemoryInUse(); n != 0 {
			t.Fatalf("%q: %d bytes of the memory budget still held after the request", body, n)
		}
	})
}
