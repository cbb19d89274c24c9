package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/attribution"
	"github.com/lucid-nlp/lucid/engine/batching"
	"github.com/lucid-nlp/lucid/evaluate"
	"github.com/lucid-nlp/lucid/models"
	"github.com/lucid-nlp/lucid/perturb"
)

const modelName = "sst2"

var (
	clfOnce sync.Once
	clf     *models.Classifier
	clfErr  error
)

// shipped loads the shipped model once for the whole test binary.
func shipped(t testing.TB) *models.Classifier {
	t.Helper()
	clfOnce.Do(func() {
		clf, clfErr = models.Load(filepath.Join("..", "models", models.DefaultName))
	})
	require.NoError(t, clfErr, "the shipped model must load (ONNX Runtime from scripts/setup_ort.sh)")
	return clf
}

func TestMain(m *testing.M) {
	code := m.Run()
	// The fuzz targets' server lives for the whole binary: close it (its
	// warm-up may still be running on the classifier) before the
	// classifier it serves.
	if fuzzSrv != nil {
		fuzzSrv.Close()
	}
	if clf != nil {
		clf.Close()
	}
	os.Exit(code)
}

// newTest starts a server over the shipped model with cfg (batching on
// unless cfg says otherwise by leaving Batch.MaxBatch negative).
func newTest(t *testing.T, cfg Config) (*Server, *httptest.Server) {
	t.Helper()
	s, err := New(cfg, []ModelSpec{{Name: modelName, Classifier: shipped(t)}})
	require.NoError(t, err)
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(func() { ts.Close(); s.Close() })
	return s, ts
}

func batchingOn() Config {
	return Config{Batching: true, Batch: batching.Options{MaxBatch: 64, MaxWait: 2 * time.Millisecond}}
}

// do sends a request (a POST as application/json unless header says
// otherwise) and returns the status and the decoded JSON body.
func do(t *testing.T, method, url, body string, header ...string) (int, map[string]any, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	require.NoError(t, err)
	if method == "POST" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var v map[string]any
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		require.NoError(t, json.Unmarshal(raw, &v), "body %s", raw)
	}
	return resp.StatusCode, v, resp.Header
}

func TestHealthAndMetadata(t *testing.T) {
	_, ts := newTest(t, batchingOn())
	code, v, _ := do(t, "GET", ts.URL+"/v2/health/live", "")
	assert.Equal(t, 200, code)
	assert.Equal(t, map[string]any{"live": true}, v)
	code, v, _ = do(t, "GET", ts.URL+"/v2/health/ready", "")
	assert.Equal(t, 200, code)
	assert.Equal(t, map[string]any{"ready": true}, v)

	// OIP model metadata: {name, versions, platform, inputs, outputs},
	// each tensor {name, datatype, shape}.
	code, v, _ = do(t, "GET", ts.URL+"/v2/models/"+modelName, "")
	require.Equal(t, 200, code)
	assert.Equal(t, modelName, v["name"])
	assert.ElementsMatch(t, []string{"name", "versions", "platform", "inputs", "outputs"}, keys(v))
	assert.Equal(t, []any{map[string]any{"name": "text", "datatype": "BYTES", "shape": []any{-1.0}}}, v["inputs"])
	outs := v["outputs"].([]any)
	require.Len(t, outs, 3)
	assert.Equal(t, map[string]any{"name": "probabilities", "datatype": "FP32", "shape": []any{-1.0, 2.0}}, outs[0])

	code, v, _ = do(t, "GET", ts.URL+"/v2/models/"+modelName+"/ready", "")
	assert.Equal(t, 200, code)
	assert.Equal(t, map[string]any{"name": modelName, "ready": true}, v)
	code, v, _ = do(t, "GET", ts.URL+"/v1/models", "")
	assert.Equal(t, 200, code)
	assert.Equal(t, map[string]any{"models": []any{modelName}}, v)
	code, v, _ = do(t, "GET", ts.URL+"/v1/models/"+modelName, "")
	assert.Equal(t, 200, code)
	assert.Equal(t, map[string]any{"name": modelName, "ready": true}, v)

	for _, path := range []string{"/v2/models/nope", "/v2/models/nope/ready", "/v1/models/nope"} {
		code, v, _ = do(t, "GET", ts.URL+path, "")
		assert.Equal(t, 404, code, path)
		assert.Contains(t, v["error"], `unknown model "nope"`, path)
	}
	code, v, _ = do(t, "GET", ts.URL+"/v3/what", "")
	assert.Equal(t, 404, code)
	assert.Contains(t, v["error"], "no endpoint GET /v3/what")
}

func keys(m map[string]any) []string {
	var k []string
	for key := range m {
		k = append(k, key)
	}
	return k
}

func TestPredictInferAndDirectAgree(t *testing.T) {
	_, ts := newTest(t, batchingOn())
	texts := []string{"a gorgeous, witty, seductive movie", "the plot made no sense", "fine"}
	want, err := shipped(t).Predict(context.Background(), texts)
	require.NoError(t, err)

	body, _ := json.Marshal(map[string]any{"instances": []any{texts[0], map[string]string{"text": texts[1]}, texts[2]}})
	code, v, _ := do(t, "POST", ts.URL+"/v1/models/"+modelName+":predict", string(body))
	require.Equal(t, 200, code, "%v", v)
	preds := v["predictions"].([]any)
	require.Len(t, preds, 3)
	for i, p := range preds {
		pm := p.(map[string]any)
		assert.Equal(t, want[i].Label, pm["label"])
		assert.Equal(t, float64(want[i].LabelIndex), pm["label_index"])
		for j, l := range shipped(t).Labels() {
			assert.InDelta(t, want[i].Probabilities[j], pm["probabilities"].(map[string]any)[l], 1e-5)
			assert.InDelta(t, want[i].Logits[j], pm["logits"].([]any)[j], 1e-4, "logits are an array in label order")
			assert.Equal(t, l, pm["labels"].([]any)[j])
			assert.InDelta(t, want[i].Logits[j], pm["logits_by_label"].(map[string]any)[l], 1e-4)
		}
	}

	// OIP infer: a BYTES input; outputs {name, shape, datatype, data} with
	// flat row-major data of shape [N, labels].
	infer := map[string]any{"id": "req-1", "inputs": []any{map[string]any{"name": "text", "shape": []int{3}, "datatype": "BYTES", "data": texts}}}
	body, _ = json.Marshal(infer)
	code, v, _ = do(t, "POST", ts.URL+"/v2/models/"+modelName+"/infer", string(body))
	require.Equal(t, 200, code, "%v", v)
	assert.ElementsMatch(t, []string{"model_name", "model_version", "id", "outputs"}, keys(v))
	assert.Equal(t, modelName, v["model_name"])
	assert.Equal(t, "req-1", v["id"])
	outs := v["outputs"].([]any)
	require.Len(t, outs, 3)
	for _, o := range outs {
		om := o.(map[string]any)
		assert.ElementsMatch(t, []string{"name", "shape", "datatype", "data"}, keys(om))
		n := 1
		for _, d := range om["shape"].([]any) {
			n *= int(d.(float64))
		}
		assert.Len(t, om["data"], n, "data is flat, as many values as the shape says")
	}
	probs := outs[0].(map[string]any)
	assert.Equal(t, "probabilities", probs["name"])
	assert.Equal(t, []any{3.0, 2.0}, probs["shape"])
	assert.Equal(t, "FP32", probs["datatype"])
	for i := range texts {
		for j := range 2 {
			assert.InDelta(t, want[i].Probabilities[j], probs["data"].([]any)[2*i+j], 1e-5)
		}
	}
	assert.Equal(t, []any{want[0].Label, want[1].Label, want[2].Label}, outs[2].(map[string]any)["data"])

	// Shape [N, 1] with nested data, and one requested output.
	infer = map[string]any{"inputs": []any{map[string]any{"name": "x", "shape": []int{2, 1}, "datatype": "BYTES", "data": [][]string{{texts[0]}, {texts[1]}}}},
		"outputs": []any{map[string]string{"name": "logits"}}}
	body, _ = json.Marshal(infer)
	code, v, _ = do(t, "POST", ts.URL+"/v2/models/"+modelName+"/infer", string(body))
	require.Equal(t, 200, code, "%v", v)
	outs = v["outputs"].([]any)
	require.Len(t, outs, 1)
	assert.Equal(t, "logits", outs[0].(map[string]any)["name"])
	assert.InDelta(t, want[1].Logits[1], outs[0].(map[string]any)["data"].([]any)[3], 1e-4)
}

func TestRequestErrors(t *testing.T) {
	cfg := batchingOn()
	cfg.Limits = Limits{MaxBodyBytes: 4096, MaxTextBytes: 200, MaxInstances: 4, MaxExplainInstances: 2, MaxBudget: 256}
	_, ts := newTest(t, cfg)
	predict := ts.URL + "/v1/models/" + modelName + ":predict"
	explain := ts.URL + "/v1/models/" + modelName + ":explain"
	infer := ts.URL + "/v2/models/" + modelName + "/infer"
	cases := []struct {
		name, url, body string
		code            int
		msg             string
	}{
		{"bad JSON", predict, `{"instances": [`, 400, "not valid JSON"},
		{"empty body", predict, ``, 400, "empty request body"},
		{"unknown field", predict, `{"instance": ["a"]}`, 400, `unknown field "instance"`},
		{"trailing data", predict, `{"instances": ["a"]} {}`, 400, "data after the JSON object"},
		{"wrong type", predict, `{"instances": "a"}`, 400, `field "instances"`},
		{"bad instance", predict, `{"instances": [3]}`, 400, "an instance is a text"},
		{"unknown model", ts.URL + "/v1/models/nope:predict", `{"instances": ["a"]}`, 404, `unknown model "nope"`},
		{"unknown verb", ts.URL + "/v1/models/" + modelName + ":train", `{}`, 404, ":predict or"},
		{"empty instances", predict, `{"instances": []}`, 400, "instances is empty"},
		{"too many instances", predict, `{"instances": ["a","b","c","d","e"]}`, 400, "has 5 texts, above this server's limit of 4"},
		{"too many explain instances", explain, `{"instances": ["a","b","c"]}`, 400, "limit of 2"},
		{"text too long", predict, `{"instances": ["` + strings.Repeat("a ", 150) + `"]}`, 400, "300 bytes long, above this server's limit of 200"},
		{"oversize body", predict, `{"instances": ["` + strings.Repeat("a", 5000) + `"]}`, 413, "limit of 4096 bytes"},
		{"budget over the limit", explain, `{"instances": ["fine"], "parameters": {"budget": 257}}`, 400, "budget 257 is above this server's limit of 256"},
		{"negative budget", explain, `{"instances": ["fine"], "parameters": {"budget": -1}}`, 400, "budget -1"},
		{"bad method", explain, `{"instances": ["fine"], "parameters": {"method": "magic"}}`, 400, `method "magic"`},
		{"bad target", explain, `{"instances": ["fine"], "parameters": {"target": "NEUTRAL"}}`, 400, `target "NEUTRAL"`},
		{"bad output", explain, `{"instances": ["fine"], "parameters": {"output": "odds"}}`, 400, `output "odds"`},
		{"misspelt parameter", explain, `{"instances": ["fine"], "parameters": {"seeds": 2}}`, 400, `unknown field "seeds"`},
		{"no words", explain, `{"instances": ["fine", ""], "parameters": {}}`, 400, "instance 1"},
		{"exact over budget", explain, `{"instances": ["one two three four five six seven eight nine"], "parameters": {"method": "exact", "budget": 256}}`, 400, "exact Shapley"},
		{"infer two inputs", infer, `{"inputs": [{"name":"a","shape":[1],"datatype":"BYTES","data":["x"]},{"name":"b","shape":[1],"datatype":"BYTES","data":["y"]}]}`, 400, "exactly one input"},
		{"infer datatype", infer, `{"inputs": [{"name":"a","shape":[1],"datatype":"INT64","data":[1]}]}`, 400, `datatype "INT64"`},
		{"infer shape", infer, `{"inputs": [{"name":"a","shape":[2],"datatype":"BYTES","data":["x"]}]}`, 400, "says 2 texts, data has 1"},
		{"infer rank", infer, `{"inputs": [{"name":"a","shape":[1,2],"datatype":"BYTES","data":["x","y"]}]}`, 400, "want [N] or [N, 1]"},
		{"infer output", infer, `{"inputs": [{"name":"a","shape":[1],"datatype":"BYTES","data":["x"]}], "outputs": [{"name":"embedding"}]}`, 400, `unknown output "embedding"`},
		{"infer empty", infer, `{"inputs": [{"name":"a","shape":[0],"datatype":"BYTES","data":[]}]}`, 400, "is empty"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, v, h := do(t, "POST", c.url, c.body)
			assert.Equal(t, c.code, code, "%v", v)
			assert.Contains(t, v["error"], c.msg)
			assert.Equal(t, "application/json", h.Get("Content-Type"))
		})
	}
}

func TestToken(t *testing.T) {
	cfg := batchingOn()
	cfg.Token = "s3cret"
	_, ts := newTest(t, cfg)
	predict := ts.URL + "/v1/models/" + modelName + ":predict"
	code, v, h := do(t, "POST", predict, `{"instances": ["fine"]}`)
	assert.Equal(t, 401, code)
	assert.Contains(t, v["error"], "missing bearer token")
	assert.Contains(t, h.Get("WWW-Authenticate"), "Bearer")
	code, v, _ = do(t, "POST", predict, `{"instances": ["fine"]}`, "Authorization", "Bearer wrong")
	assert.Equal(t, 401, code)
	assert.Equal(t, "wrong bearer token", v["error"])
	code, _, _ = do(t, "GET", ts.URL+"/metrics", "", "Authorization", "Bearer nope")
	assert.Equal(t, 401, code, "metrics are guarded too")
	code, _, _ = do(t, "POST", predict, `{"instances": ["fine"]}`, "Authorization", "Bearer s3cret")
	assert.Equal(t, 200, code)
	code, _, _ = do(t, "GET", ts.URL+"/v2/health/ready", "")
	assert.Equal(t, 200, code, "health checks need no token")
}

func TestQueueFullIs429(t *testing.T) {
	cfg := batchingOn()
	cfg.MaxInFlight = 2
	s, ts := newTest(t, cfg)
	// Two requests in flight, as far as admission knows.
	s.admit <- struct{}{}
	s.admit <- struct{}{}
	code, v, h := do(t, "POST", ts.URL+"/v1/models/"+modelName+":predict", `{"instances": ["fine"]}`)
	assert.Equal(t, 429, code)
	assert.Equal(t, "1", h.Get("Retry-After"))
	assert.Contains(t, v["error"], "2 requests are in flight")
	<-s.admit
	code, _, _ = do(t, "POST", ts.URL+"/v1/models/"+modelName+":predict", `{"instances": ["fine"]}`)
	assert.Equal(t, 200, code, "room again after one finished")
	<-s.admit
	assert.Equal(t, 1.0, testutil.ToFloat64(s.metrics.errors.WithLabelValues("queue_full")))
}

// explainJSON is :explain with the given parameters, one text.
func explainJSON(t *testing.T, url, text string, params map[string]any) *attribution.Result {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"instances": []string{text}, "parameters": params})
	resp, err := http.Post(url+"/v1/models/"+modelName+":explain", "application/json", bytes.NewReader(body))
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	require.Equal(t, 200, resp.StatusCode, "%s", raw)
	var er ExplainResponse
	require.NoError(t, json.Unmarshal(raw, &er))
	require.Len(t, er.Explanations, 1)
	return er.Explanations[0]
}

// The server's explanations are `lucid explain --json`'s: the same
// explainer settings in process give the same result (timings aside).
func TestExplainEqualsAttribution(t *testing.T) {
	_, ts := newTest(t, batchingOn())
	c := shipped(t)
	text := "a gorgeous, witty, seductive movie that never drags"
	cases := []map[string]any{
		{"method": "kernelshap", "budget": 128, "seed": 7},
		{"method": "kernelshap", "output": "logit", "target": "NEGATIVE", "seed": 3},
		{"method": "lime", "budget": 64, "seed": 2, "features": "tokens"},
		{"method": "occlusion", "mask": "pad"},
		{"method": "exact", "output": "logodds"},
		{"method": "ig", "steps": 8},
	}
	for _, p := range cases {
		t.Run(p["method"].(string), func(t *testing.T) {
			got := explainJSON(t, ts.URL, text, p)
			// What `lucid explain --json` does with these flags (runExplain).
			out, err := evaluate.ParseOutput(str(p["output"]))
			require.NoError(t, err)
			req := attribution.Request{Text: text, Seed: 1, Steps: intOf(p["steps"]), Budget: intOf(p["budget"]), Target: str(p["target"])}
			if s, ok := p["seed"]; ok {
				req.Seed = uint64(s.(int))
			}
			req.Method, err = attribution.ParseMethod(str(p["method"]))
			require.NoError(t, err)
			req.Level, err = perturb.ParseLevel(or(str(p["features"]), "words"))
			require.NoError(t, err)
			req.Masking, err = perturb.ParseMasking(or(str(p["mask"]), "mask"))
			require.NoError(t, err)
			ev := evaluate.New(c.Model, evaluate.Options{BatchSize: evaluate.DefaultBatchSize, Output: out, PadID: c.Tokenizer.PadID()})
			want, err := attribution.NewExplainer(c.Tokenizer, ev, c.Folder.Dir).Explain(context.Background(), req)
			require.NoError(t, err)
			sameResult(t, want, got)
		})
	}
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func intOf(v any) int {
	i, _ := v.(int)
	return i
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// sameResult compares two results field by field; numbers within 1e-5
// (the runtime's float32 arithmetic can differ in the last bits between
// batch shapes), timings not at all.
func sameResult(t *testing.T, want, got *attribution.Result) {
	t.Helper()
	assert.Equal(t, want.Text, got.Text)
	assert.Equal(t, want.Model, got.Model)
	assert.Equal(t, want.Method, got.Method)
	assert.Equal(t, want.Settings, got.Settings)
	assert.Equal(t, want.Output, got.Output)
	assert.Equal(t, want.Target, got.Target)
	assert.Equal(t, want.TargetIndex, got.TargetIndex)
	assert.Equal(t, want.Predicted, got.Predicted)
	assert.Equal(t, want.Evaluations, got.Evaluations)
	assert.Equal(t, want.Warnings, got.Warnings)
	assert.InDelta(t, want.FX, got.FX, 1e-5)
	assert.InDelta(t, want.BaseValue, got.BaseValue, 1e-5)
	for l, p := range want.Probabilities {
		assert.InDelta(t, p, got.Probabilities[l], 1e-5)
	}
	require.Len(t, got.Features, len(want.Features))
	for i, f := range want.Features {
		g := got.Features[i]
		assert.Equal(t, f.Text, g.Text)
		assert.Equal(t, [4]int{f.Start, f.End, f.ByteStart, f.ByteEnd}, [4]int{g.Start, g.End, g.ByteStart, g.ByteEnd})
		assert.Equal(t, f.Tokens, g.Tokens)
		assert.InDelta(t, f.Attribution, g.Attribution, 1e-5, "feature %d %q", i, f.Text)
		assert.Equal(t, f.StdErr == nil, g.StdErr == nil)
		if f.StdErr != nil && g.StdErr != nil {
			assert.InDelta(t, *f.StdErr, *g.StdErr, 1e-5)
		}
	}
	require.Equal(t, len(want.Diagnostics), len(got.Diagnostics))
	for k, v := range want.Diagnostics {
		assert.InDelta(t, v, got.Diagnostics[k], 1e-5*math.Max(1, math.Abs(v)), k)
	}
}

// evaluations is the server's count of rows run.
func evaluations(s *Server) float64 {
	return testutil.ToFloat64(s.metrics.evaluations.WithLabelValues(modelName))
}

const longText = "the film is a gorgeous , witty , seductive and frequently hilarious movie whose cast never once lets the plot drag or the jokes fall flat"

// A client that gives up stops the explanation: the evaluations stop
// growing far below the budget.
func TestCancelledExplanationStopsSpending(t *testing.T) {
	cfg := batchingOn()
	cfg.MaxBudget = 1 << 16
	s, ts := newTest(t, cfg)
	ctx, cancel := context.WithCancel(context.Background())
	body := `{"instances": ["` + longText + `"], "parameters": {"budget": 65536}}`
	req, _ := http.NewRequestWithContext(ctx, "POST", ts.URL+"/v1/models/"+modelName+":explain", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	errc := make(chan error, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		errc <- err
	}()
	require.Eventually(t, func() bool { return evaluations(s) >= 64 }, 30*time.Second, time.Millisecond, "the explanation started")
	cancel()
	assert.ErrorIs(t, <-errc, context.Canceled)
	require.Eventually(t, func() bool { return s.InFlight() == 0 }, 10*time.Second, time.Millisecond, "the handler returned")
	spent := evaluations(s)
	time.Sleep(200 * time.Millisecond)
	assert.Equal(t, spent, evaluations(s), "no evaluations after the handler returned")
	assert.Less(t, spent, 65536.0/4, "the cancelled explanation stopped far short of its budget")
	t.Logf("a cancelled explanation of budget 65536 spent %.0f evaluations", spent)
	assert.Eventually(t, func() bool { return testutil.ToFloat64(s.metrics.errors.WithLabelValues("cancelled")) == 1 }, time.Second, time.Millisecond)
}

func TestDeadlineIs504(t *testing.T) {
	cfg := batchingOn()
	cfg.MaxBudget = 1 << 16
	cfg.RequestTimeout = 100 * time.Millisecond
	s, ts := newTest(t, cfg)
	code, v, _ := do(t, "POST", ts.URL+"/v1/models/"+modelName+":explain", `{"instances": ["`+longText+`"], "parameters": {"budget": 65536}}`)
	assert.Equal(t, 504, code)
	assert.Contains(t, v["error"], "longer than the server's limit of 100ms")
	spent := evaluations(s)
	assert.Less(t, spent, 65536.0/4)
	t.Logf("an explanation past its 100ms deadline spent %.0f evaluations", spent)
}

func TestMetricsEndpoint(t *testing.T) {
	_, ts := newTest(t, batchingOn())
	do(t, "POST", ts.URL+"/v1/models/"+modelName+":predict", `{"instances": ["fine", "awful"]}`)
	do(t, "POST", ts.URL+"/v1/models/nope:predict", `{"instances": ["fine"]}`)
	resp, err := http.Get(ts.URL + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	text := string(raw)
	for _, want := range []string{
		`lucid_http_requests_total{code="200",endpoint="POST /v1/models/{name}:predict",verb="predict"} 1`,
		`lucid_http_requests_total{code="404",endpoint="POST /v1/models/{name}:predict",verb="predict"} 1`,
		`lucid_errors_total{kind="unknown_model"} 1`,
		`lucid_model_evaluations_total{model="sst2"} 2`,
		`lucid_batch_rows_count{model="sst2"} 1`,
		`lucid_http_request_duration_seconds_bucket{endpoint="POST /v1/models/{name}:predict",verb="predict"`,
		`lucid_batch_fill_ratio_count{model="sst2"} 1`,
		`lucid_requests_active{verb="explain"} 0`,
		"lucid_requests_in_flight 0",
		"lucid_batch_queue_rows 0",
		`lucid_batch_queue_class_rows{class="predict"} 0`, `lucid_batch_queue_class_rows{class="explain"} 0`,
		"lucid_explain_memory_bytes 0",
		"lucid_open_connections 0",
		"lucid_model_run_seconds_total",
	} {
		assert.Contains(t, text, want)
	}
}

// Shutdown while busy: a request in flight when the server is told to
// stop finishes with its answer; new connections are refused.
func TestShutdownWhileBusy(t *testing.T) {
	cfg := batchingOn()
	cfg.MaxBudget = 4096
	s, err := New(cfg, []ModelSpec{{Name: modelName, Classifier: shipped(t)}})
	require.NoError(t, err)
	defer s.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, ln, TLS{}, 30*time.Second) }()
	url := "http://" + ln.Addr().String()

	type answer struct {
		code int
		err  error
	}
	got := make(chan answer, 1)
	go func() {
		resp, err := http.Post(url+"/v1/models/"+modelName+":explain", "application/json",
			strings.NewReader(`{"instances": ["`+longText+`"], "parameters": {"budget": 2048}}`))
		if err != nil {
			got <- answer{err: err}
			return
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		got <- answer{code: resp.StatusCode}
	}()
	require.Eventually(t, func() bool { return s.InFlight() == 1 && evaluations(s) > 0 }, 30*time.Second, time.Millisecond)
	stop()
	a := <-got
	require.NoError(t, a.err)
	assert.Equal(t, 200, a.code, "the request in flight finished")
	assert.NoError(t, <-served, "a graceful shutdown")
	_, err = http.Get(url + "/v2/health/live")
	assert.Error(t, err, "no longer listening")
}

// A shutdown that cannot wait cuts the request off and says so: in the
// log's error, and to the client as a JSON 503 rather than a bare close.
func TestShutdownTimeoutCutsOff(t *testing.T) {
	cfg := batchingOn()
	cfg.MaxBudget = 1 << 16
	s, err := New(cfg, []ModelSpec{{Name: modelName, Classifier: shipped(t)}})
	require.NoError(t, err)
	defer s.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, ln, TLS{}, 50*time.Millisecond) }()
	type answer struct {
		code int
		body map[string]any
		err  error
	}
	done := make(chan answer, 1)
	go func() {
		resp, err := http.Post("http://"+ln.Addr().String()+"/v1/models/"+modelName+":explain", "application/json",
			strings.NewReader(`{"instances": ["`+longText+`"], "parameters": {"budget": 65536}}`))
		if err != nil {
			done <- answer{err: err}
			return
		}
		defer resp.Body.Close()
		var v map[string]any
		err = json.NewDecoder(resp.Body).Decode(&v)
		done <- answer{code: resp.StatusCode, body: v, err: err}
	}()
	require.Eventually(t, func() bool { return s.InFlight() == 1 && evaluations(s) > 0 }, 30*time.Second, time.Millisecond)
	stop()
	assert.ErrorContains(t, <-served, "--shutdown-timeout 50ms")
	a := <-done
	require.NoError(t, a.err, "the client got an answer, not a closed connection")
	assert.Equal(t, http.StatusServiceUnavailable, a.code)
	assert.Contains(t, a.body["error"], "--shutdown-timeout passed before this request finished")
	require.Eventually(t, func() bool { return s.InFlight() == 0 }, 10*time.Second, time.Millisecond, "the cut-off explanation stopped")
}

func TestNewRefusesBadModels(t *testing.T) {
	_, err := New(Config{}, nil)
	assert.ErrorContains(t, err, "no models")
	_, err = New(Config{}, []ModelSpec{{Name: "a/b", Classifier: shipped(t)}})
	assert.ErrorContains(t, err, `model name "a/b"`)
	_, err = New(Config{}, []ModelSpec{{Name: "a", Classifier: shipped(t)}, {Name: "a", Classifier: shipped(t)}})
	assert.ErrorContains(t, err, `"a" given twice`)
}

// Many clients mixing predictions and explanations get what they get one
// at a time: their rows share batches, padded with other requests' rows,
// and come back to the right caller.
func TestConcurrentMixEqualsSerial(t *testing.T) {
	_, ts := newTest(t, batchingOn())
	params := map[string]any{"method": "kernelshap", "budget": 48, "seed": 11}
	type answer struct {
		label string
		probs map[string]any
		expl  *attribution.Result
	}
	ask := func(text string) (answer, error) {
		body, _ := json.Marshal(map[string]any{"instances": []string{text}})
		resp, err := http.Post(ts.URL+"/v1/models/"+modelName+":predict", "application/json", bytes.NewReader(body))
		if err != nil {
			return answer{}, err
		}
		var pr struct {
			Predictions []map[string]any `json:"predictions"`
		}
		err = json.NewDecoder(resp.Body).Decode(&pr)
		resp.Body.Close()
		if err != nil || len(pr.Predictions) != 1 {
			return answer{}, fmt.Errorf("predict %q: %v (%d predictions)", text, err, len(pr.Predictions))
		}
		body, _ = json.Marshal(map[string]any{"instances": []string{text}, "parameters": params})
		resp, err = http.Post(ts.URL+"/v1/models/"+modelName+":explain", "application/json", bytes.NewReader(body))
		if err != nil {
			return answer{}, err
		}
		var er ExplainResponse
		err = json.NewDecoder(resp.Body).Decode(&er)
		resp.Body.Close()
		if err != nil || len(er.Explanations) != 1 {
			return answer{}, fmt.Errorf("explain %q: %v", text, err)
		}
		return answer{pr.Predictions[0]["label"].(string), pr.Predictions[0]["probabilities"].(map[string]any), er.Explanations[0]}, nil
	}
	texts := []string{"fine", "a gorgeous, witty, seductive movie", "the plot made no sense", "dull and far too long",
		"one of the best films of the year", "not bad at all"}
	serial := make([]answer, len(texts))
	for i, text := range texts {
		a, err := ask(text)
		require.NoError(t, err)
		serial[i] = a
	}
	const clients = 24
	got := make([]answer, clients)
	errs := make([]error, clients)
	var wg sync.WaitGroup
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[c], errs[c] = ask(texts[c%len(texts)])
		}()
	}
	wg.Wait()
	for c := range clients {
		require.NoError(t, errs[c])
		want := serial[c%len(texts)]
		assert.Equal(t, want.label, got[c].label)
		for l, p := range want.probs {
			assert.InDelta(t, p, got[c].probs[l], 1e-5)
		}
		sameResult(t, want.expl, got[c].expl)
	}
}

// A method's default budget above the server's limit runs at the limit.
func TestDefaultBudgetCappedAtLimit(t *testing.T) {
	cfg := batchingOn()
	cfg.MaxBudget = 100
	_, ts := newTest(t, cfg)
	r := explainJSON(t, ts.URL, longText, map[string]any{})
	assert.Equal(t, 100, r.Settings.Budget, "kernelshap's default 512 lowered to the limit")
	assert.LessOrEqual(t, r.Evaluations, 101, "the budget plus the prediction")
}
