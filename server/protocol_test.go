package server

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/attribution"
	"github.com/lucid-nlp/lucid/models"
)

// KServe v1 documents "instances" and "inputs" as the same field: both
// give the same predictions and explanations; both at once is an error.
func TestKServeInputsEqualsInstances(t *testing.T) {
	_, ts := newTest(t, batchingOn())
	url := ts.URL + "/v1/models/" + modelName
	code, a, _ := do(t, "POST", url+":predict", `{"instances": ["a gripping film", {"text": "dull"}]}`)
	require.Equal(t, 200, code, "%v", a)
	code, b, _ := do(t, "POST", url+":predict", `{"inputs": ["a gripping film", {"text": "dull"}]}`)
	require.Equal(t, 200, code, "%v", b)
	assert.Equal(t, a, b)

	code, a, _ = do(t, "POST", url+":explain", `{"instances": ["not bad at all"], "parameters": {"budget": 64}}`)
	require.Equal(t, 200, code, "%v", a)
	code, b, _ = do(t, "POST", url+":explain", `{"inputs": ["not bad at all"], "parameters": {"budget": 64}}`)
	require.Equal(t, 200, code, "%v", b)
	for _, v := range []map[string]any{a, b} { // timings differ run to run
		e := v["explanations"].([]any)[0].(map[string]any)
		delete(e, "runtime_seconds")
		delete(e, "wall_seconds")
	}
	assert.Equal(t, a, b, "same seed, same explanation")

	code, v, _ := do(t, "POST", url+":predict", `{"instances": ["a"], "inputs": ["b"]}`)
	assert.Equal(t, 400, code)
	assert.Contains(t, v["error"], `both "instances" and "inputs"`)
	code, v, _ = do(t, "POST", url+":predict", `{"inputs": []}`)
	assert.Equal(t, 400, code)
	assert.Contains(t, v["error"], "inputs is empty")
}

// The scheme of Authorization is case-insensitive (RFC 7235 §2.1).
func TestBearerSchemeAnyCase(t *testing.T) {
	cfg := batchingOn()
	cfg.Token = "s3cret"
	_, ts := newTest(t, cfg)
	for _, scheme := range []string{"Bearer", "bearer", "BEARER", "bEaReR"} {
		code, v, _ := do(t, "GET", ts.URL+"/v1/models", "", "Authorization", scheme+" s3cret")
		assert.Equal(t, 200, code, "%s: %v", scheme, v)
	}
	code, v, _ := do(t, "GET", ts.URL+"/v1/models", "", "Authorization", "bearer wrong")
	assert.Equal(t, 401, code)
	assert.Equal(t, "wrong bearer token", v["error"])
	basic := base64.StdEncoding.EncodeToString([]byte("user:s3cret"))
	code, _, _ = do(t, "GET", ts.URL+"/v1/models", "", "Authorization", "basic "+basic)
	assert.Equal(t, 200, code, "Basic in lower case too")
}

// An empty token (the page's login prompt with no password, or a Bearer
// header with nothing after it) is "no token given", not a wrong one.
func TestEmptyTokenSaysNoToken(t *testing.T) {
	cfg := batchingOn()
	cfg.Token = "s3cret"
	_, ts := newTest(t, cfg)
	empty := base64.StdEncoding.EncodeToString([]byte("someone:"))
	req, err := http.NewRequest("GET", ts.URL+"/", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Basic "+empty)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 401, resp.StatusCode)
	code, v, _ := do(t, "GET", ts.URL+"/v1/models", "", "Authorization", "Basic "+empty)
	assert.Equal(t, 401, code)
	assert.Contains(t, v["error"], "no token given")
	assert.NotContains(t, v["error"], "wrong")
	code, v, _ = do(t, "GET", ts.URL+"/v1/models", "", "Authorization", "Bearer ")
	assert.Equal(t, 401, code)
	assert.Contains(t, v["error"], "no token given")
}

// Too many texts to :explain names the option that sets its limit.
func TestExplainInstancesLimitNamed(t *testing.T) {
	_, ts := newTest(t, batchingOn())
	texts := make([]string, DefaultMaxExplainInstances+1)
	for i := range texts {
		texts[i] = fmt.Sprintf("%q", "fine")
	}
	code, v, _ := do(t, "POST", ts.URL+"/v1/models/"+modelName+":explain", `{"instances": [`+strings.Join(texts, ",")+`]}`)
	assert.Equal(t, 400, code)
	assert.Contains(t, v["error"], "has 17 texts")
	assert.Contains(t, v["error"], "(--max-explain-instances)")
}

// A known path asked with the wrong method is 405 with Allow.
func TestWrongMethodIs405(t *testing.T) {
	_, ts := newTest(t, batchingOn())
	for _, c := range []struct{ method, path, allow string }{
		{"GET", "/v1/models/" + modelName + ":predict", "POST"},
		{"GET", "/v1/models/" + modelName + ":explain", "POST"},
		{"GET", "/v2/models/" + modelName + "/infer", "POST"},
		{"GET", "/v2/models/" + modelName + "/versions/1/infer", "POST"},
		{"POST", "/v2/health/live", "GET, HEAD"},
		{"DELETE", "/v1/models", "GET, HEAD"},
		{"PUT", "/v1/models/" + modelName + ":predict", "GET, HEAD, POST"},
	} {
		code, v, h := do(t, c.method, ts.URL+c.path, "")
		assert.Equal(t, http.StatusMethodNotAllowed, code, "%s %s: %v", c.method, c.path, v)
		assert.Equal(t, c.allow, h.Get("Allow"), "%s %s", c.method, c.path)
		assert.Contains(t, v["error"], "method not allowed")
	}
	code, _, _ := do(t, "GET", ts.URL+"/v2/nothing/here", "")
	assert.Equal(t, 404, code, "an unknown path stays 404")
}

// An empty text is classified with the CLI's warning; a body that is not
// UTF-8 is refused, naming the byte, rather than read with U+FFFD.
func TestEmptyTextWarnsInvalidUTF8Refused(t *testing.T) {
	_, ts := newTest(t, batchingOn())
	code, v, _ := do(t, "POST", ts.URL+"/v1/models/"+modelName+":predict", `{"instances": ["fine", "  "]}`)
	require.Equal(t, 200, code, "%v", v)
	preds := v["predictions"].([]any)
	assert.Nil(t, preds[0].(map[string]any)["warnings"])
	assert.Equal(t, []any{models.EmptyTextWarning}, preds[1].(map[string]any)["warnings"])

	code, v, _ = do(t, "POST", ts.URL+"/v2/models/"+modelName+"/infer",
		`{"inputs": [{"name": "text", "shape": [2], "datatype": "BYTES", "data": ["fine", ""]}]}`)
	require.Equal(t, 200, code, "%v", v)
	assert.Equal(t, []any{"inputs[0].data[1]: " + models.EmptyTextWarning}, v["parameters"].(map[string]any)["warnings"])

	for _, path := range []string{"/v1/models/" + modelName + ":predict", "/v1/models/" + modelName + ":explain"} {
		code, v, _ = do(t, "POST", ts.URL+path, "{\"instances\": [\"caf\xe9\"]}")
		assert.Equal(t, 400, code, path)
		assert.Equal(t, "request body is not valid UTF-8: byte 19 is 0xe9; texts must be UTF-8", v["error"])
	}
}

// Ready says true only once the model has warmed up: the gradient graph
// the path method (ig) needs was opened and run before, so the first ig
// request does not pay for it.
func TestReadyAfterWarmUp(t *testing.T) {
	s, ts := newTest(t, batchingOn())
	code, v, _ := do(t, "GET", ts.URL+"/v2/health/ready", "")
	require.Equal(t, 200, code, "%v", v)
	m := s.models[modelName]
	select {
	case <-m.ready:
	default:
		t.Fatal("ready answered before the warm-up finished")
	}
	require.True(t, shipped(t).Model.HasGradientGraph(), "the shipped model has a gradient graph")
	assert.Equal(t, attribution.MethodPath, m.warmedWith)
	assert.NoError(t, m.warmErr)
	code, v, _ = do(t, "GET", ts.URL+"/v2/models/"+modelName+"/versions/1/ready", "")
	assert.Equal(t, 200, code)
	assert.Equal(t, true, v["ready"])
	require.NoError(t, s.WaitReady(context.Background()))
}

// /metrics passes promlint after traffic of every verb, and the request
// series tell the verbs apart.
func TestMetricsPromlint(t *testing.T) {
	_, ts := newTest(t, batchingOn())
	do(t, "POST", ts.URL+"/v1/models/"+modelName+":predict", `{"instances": ["fine"]}`)
	do(t, "POST", ts.URL+"/v1/models/"+modelName+":explain", `{"instances": ["fine film"], "parameters": {"budget": 16}}`)
	do(t, "POST", ts.URL+"/v2/models/"+modelName+"/infer", `{"inputs": [{"name": "text", "shape": [1], "datatype": "BYTES", "data": ["fine"]}]}`)
	do(t, "GET", ts.URL+"/v1/models/"+modelName+":predict", "")
	resp, err := http.Get(ts.URL + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	problems, err := promlint.New(resp.Body).Lint()
	require.NoError(t, err)
	assert.Empty(t, problems, "promlint finds no problems")

	resp2, err := http.Get(ts.URL + "/metrics")
	require.NoError(t, err)
	defer resp2.Body.Close()
	raw, err := io.ReadAll(resp2.Body)
	require.NoError(t, err)
	text := string(raw)
	for _, want := range []string{
		`lucid_http_requests_total{code="200",endpoint="POST /v1/models/{name}:predict",verb="predict"} 1`,
		`lucid_http_requests_total{code="200",endpoint="POST /v1/models/{name}:explain",verb="explain"} 1`,
		`lucid_http_requests_total{code="200",endpoint="POST /v2/models/{name}/infer",verb="infer"} 1`,
		`lucid_http_requests_total{code="405",endpoint="GET /v1/models/{name}",verb="other"} 1`,
		`lucid_errors_total{kind="method_not_allowed"} 1`,
		`lucid_requests_active{verb="predict"} 0`,
		`lucid_batch_fill_ratio_bucket{model="sst2",le="1"}`,
	} {
		assert.Contains(t, text, want)
	}
}

// lucid_requests_active counts an admitted request under its own verb
// while it runs, and 0 once it is done.
func TestActiveRequestsByVerb(t *testing.T) {
	cfg := batchingOn()
	cfg.MaxBudget = 1 << 16
	s, ts := newTest(t, cfg)
	active := func(verb string) float64 { return testutil.ToFloat64(s.metrics.active.WithLabelValues(verb)) }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		req, _ := http.NewRequestWithContext(ctx, "POST", ts.URL+"/v1/models/"+modelName+":explain",
			strings.NewReader(`{"instances": ["`+longText+`"], "parameters": {"budget": 65536}}`))
		req.Header.Set("Content-Type", "application/json")
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	require.Eventually(t, func() bool { return active(verbExplain) == 1 }, 30*time.Second, time.Millisecond)
	assert.Equal(t, 0.0, active(verbPredict))
	assert.Equal(t, 0.0, active(verbInfer))
	assert.Equal(t, 0.0, active(verbOther), "a :explain request is not counted as other")
	cancel()
	<-done
	require.Eventually(t, func() bool { return active(verbExplain) == 0 }, 30*time.Second, time.Millisecond)
}
