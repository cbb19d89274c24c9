package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// oipSpec loads the official Open Inference Protocol REST document
// (testdata/oip, see its SOURCE.md) with a router over its paths.
func oipSpec(t *testing.T) (*openapi3.T, routers.Router) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "oip", "open_inference_rest.yaml"))
	require.NoError(t, err)
	// The document writes path parameters shell-style, "${MODEL_NAME}":
	// a literal '$' before the template. Clients send the name itself
	// (/v2/models/sst2/...), so '${X}' is read as the template '{X}'.
	raw = bytes.ReplaceAll(raw, []byte("${"), []byte("{"))
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(raw)
	require.NoError(t, err)
	require.NoError(t, doc.Validate(loader.Context), "the specification is a valid OpenAPI document")
	router, err := gorillamux.NewRouter(doc)
	require.NoError(t, err)
	return doc, router
}

// conformanceCase is one request to the running server. SpecPath is the
// spec's path it is checked against when the request's own path is not in
// the document (the unversioned model paths and /v2 answer as their
// versioned and /v2/ forms do).
type conformanceCase struct {
	name         string
	method, path string
	specPath     string
	body         string
	noToken      bool
	wantStatus   int
	// specRejects says the spec's schema itself refuses this request (a
	// body with no inputs, not JSON): the request check then passes when
	// the validator refuses it.
	specRejects bool
	// notInSpec: the method and path are not in the document (405s); only
	// the response's error shape is checked.
	notInSpec bool
}

// TestOIPConformance sends every endpoint of the Open Inference Protocol's
// REST document, and its error cases, to a running server over the
// shipped model, and validates each request and each response with
// kin-openapi against the official document: status codes the document
// lists (200, 400) against their schemas, and any other error status
// (401, 404, 405) against the document's error object,
// {"error": string}. It logs the number of checks made.
func TestOIPConformance(t *testing.T) {
	doc, router := oipSpec(t)
	const token = "conformance-token"
	cfg := batchingOn()
	cfg.Token = token
	cfg.MaxInstances = 4
	_, ts := newTest(t, cfg)

	// infer is an inference request for the texts of data, a JSON array.
	infer := func(data string) string {
		var texts []any
		if err := json.Unmarshal([]byte(data), &texts); err != nil {
			texts = []any{nil} // invalid UTF-8: one text all the same
		}
		return fmt.Sprintf(`{"inputs": [{"name": "text", "shape": [%d], "datatype": "BYTES", "data": %s}]}`, len(texts), data)
	}
	const v1 = "/v2/models/" + modelName + "/versions/1"
	cases := []conformanceCase{
		{name: "server live", method: "GET", path: "/v2/health/live", wantStatus: 200, noToken: true},
		{name: "server ready", method: "GET", path: "/v2/health/ready", wantStatus: 200, noToken: true},
		{name: "server metadata /v2/", method: "GET", path: "/v2/", wantStatus: 200},
		{name: "server metadata /v2", method: "GET", path: "/v2", specPath: "/v2/", wantStatus: 200},
		{name: "model metadata, versioned", method: "GET", path: v1, wantStatus: 200},
		{name: "model metadata, unversioned", method: "GET", path: "/v2/models/" + modelName, specPath: v1, wantStatus: 200},
		{name: "model ready, versioned", method: "GET", path: v1 + "/ready", wantStatus: 200},
		{name: "model ready, unversioned", method: "GET", path: "/v2/models/" + modelName + "/ready", specPath: v1 + "/ready", wantStatus: 200},
		{name: "infer, versioned", method: "POST", path: v1 + "/infer", body: infer(`["a gripping, lovely film", "dull and tired"]`), wantStatus: 200},
		{name: "infer, unversioned", method: "POST", path: "/v2/models/" + modelName + "/infer", specPath: v1 + "/infer",
			body: infer(`["a gripping, lovely film"]`), wantStatus: 200},
		{name: "infer with id, parameters and chosen outputs", method: "POST", path: v1 + "/infer",
			body:       `{"id": "42", "parameters": {"x": 1}, "inputs": [{"name": "text", "shape": [1], "datatype": "BYTES", "data": ["fine"]}], "outputs": [{"name": "label"}, {"name": "logits"}]}`,
			wantStatus: 200},
		{name: "infer, shape [N, 1] and nested data", method: "POST", path: v1 + "/infer",
			body: `{"inputs": [{"name": "text", "shape": [2, 1], "datatype": "BYTES", "data": [["fine"], ["awful"]]}]}`, wantStatus: 200},
		{name: "infer, an empty text (warning in parameters)", method: "POST", path: v1 + "/infer", body: infer(`[""]`), wantStatus: 200},

		// Error cases: each answers the document's error object.
		{name: "metadata of an unknown version", method: "GET", path: "/v2/models/" + modelName + "/versions/2", wantStatus: 404},
		{name: "metadata of an unknown model", method: "GET", path: "/v2/models/nope/versions/1", wantStatus: 404},
		{name: "ready of an unknown version", method: "GET", path: "/v2/models/" + modelName + "/versions/2/ready", wantStatus: 404},
		{name: "ready of an unknown model", method: "GET", path: "/v2/models/nope/versions/1/ready", wantStatus: 404},
		{name: "infer of an unknown version", method: "POST", path: "/v2/models/" + modelName + "/versions/7/infer", body: infer(`["fine"]`), wantStatus: 404},
		{name: "infer of an unknown model", method: "POST", path: "/v2/models/nope/versions/1/infer", body: infer(`["fine"]`), wantStatus: 404},
		{name: "infer, datatype not BYTES", method: "POST", path: v1 + "/infer",
			body: `{"inputs": [{"name": "text", "shape": [1], "datatype": "FP32", "data": [1.5]}]}`, wantStatus: 400},
		{name: "infer, shape disagrees with data", method: "POST", path: v1 + "/infer",
			body: `{"inputs": [{"name": "text", "shape": [3], "datatype": "BYTES", "data": ["fine"]}]}`, wantStatus: 400},
		{name: "infer, two inputs", method: "POST", path: v1 + "/infer",
			body: `{"inputs": [{"name": "a", "shape": [1], "datatype": "BYTES", "data": ["x"]}, {"name": "b", "shape": [1], "datatype": "BYTES", "data": ["y"]}]}`, wantStatus: 400},
		{name: "infer, unknown output", method: "POST", path: v1 + "/infer",
			body: `{"inputs": [{"name": "text", "shape": [1], "datatype": "BYTES", "data": ["x"]}], "outputs": [{"name": "embeddings"}]}`, wantStatus: 400},
		{name: "infer, more texts than --max-instances", method: "POST", path: v1 + "/infer", body: infer(`["a", "b", "c", "d", "e"]`), wantStatus: 400},
		{name: "infer, no inputs", method: "POST", path: v1 + "/infer", body: `{}`, wantStatus: 400, specRejects: true},
		{name: "infer, not JSON", method: "POST", path: v1 + "/infer", body: `{"inputs": [`, wantStatus: 400, specRejects: true},
		{name: "infer, invalid UTF-8", method: "POST", path: v1 + "/infer", body: infer("[\"caf\xe9\"]"), wantStatus: 400},
		{name: "infer without the token", method: "POST", path: v1 + "/infer", body: infer(`["fine"]`), noToken: true, wantStatus: 401},
		{name: "metadata without the token", method: "GET", path: v1, noToken: true, wantStatus: 401},
		{name: "infer asked with GET", method: "GET", path: v1 + "/infer", wantStatus: 405, notInSpec: true},
		{name: "server metadata asked with POST", method: "POST", path: "/v2/", body: `{}`, wantStatus: 405, notInSpec: true},
		{name: "ready asked with POST", method: "POST", path: "/v2/health/ready", body: `{}`, wantStatus: 405, notInSpec: true},
	}

	ctx := context.Background()
	checks := 0
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, err := http.NewRequest(c.method, ts.URL+c.path, strings.NewReader(c.body))
			require.NoError(t, err)
			if c.method == "POST" {
				req.Header.Set("Content-Type", "application/json")
			}
			if !c.noToken {
				req.Header.Set("Authorization", "Bearer "+token)
			}
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			require.NoError(t, err)
			checks++
			require.Equal(t, c.wantStatus, resp.StatusCode, "status; body %s", body)
			if resp.StatusCode == http.StatusMethodNotAllowed {
				checks++
				assert.NotEmpty(t, resp.Header.Get("Allow"), "405 says which methods the path takes")
			}

			// The request as the spec sees it: routed by its spec path.
			specReq, err := http.NewRequest(c.method, "http://spec"+cmpOr(c.specPath, c.path), strings.NewReader(c.body))
			require.NoError(t, err)
			specReq.Header = req.Header.Clone()
			route, params, routeErr := router.FindRoute(specReq)
			if c.notInSpec {
				require.Error(t, routeErr, "%s %s is not in the document", c.method, c.path)
				checks++
				validateErrorShape(t, doc, nil, body)
				checks++
				return
			}
			require.NoError(t, routeErr, "%s %s is in the document", c.method, cmpOr(c.specPath, c.path))
			in := &openapi3filter.RequestValidationInput{Request: specReq, PathParams: params, Route: route,
				Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, MultiError: true}}
			reqErr := openapi3filter.ValidateRequest(ctx, in)
			if c.specRejects {
				assert.Error(t, reqErr, "the document refuses this request too")
			} else {
				assert.NoError(t, reqErr, "the request conforms")
			}
			checks++

			if _, listed := route.Operation.Responses.Map()[strconv.Itoa(resp.StatusCode)]; listed {
				rin := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: resp.StatusCode, Header: resp.Header,
					Body: io.NopCloser(bytes.NewReader(body)), Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true}}
				assert.NoError(t, openapi3filter.ValidateResponse(ctx, rin), "the response conforms; body %s", body)
			} else {
				// The document lists no schema for this status (401, 404;
				// for the health checks, none but 200): the error object.
				require.GreaterOrEqual(t, resp.StatusCode, 400, "a success the document does not list")
				validateErrorShape(t, doc, route.Operation, body)
			}
			checks++
		})
	}
	t.Logf("OIP REST conformance: %d checks over %d requests against testdata/oip/open_inference_rest.yaml", checks, len(cases))
}

// validateErrorShape checks body against the operation's 400 response
// schema, or the document's model error object when the operation has
// none.
func validateErrorShape(t *testing.T, doc *openapi3.T, op *openapi3.Operation, body []byte) {
	t.Helper()
	schema := doc.Components.Schemas["metadata_model_error_response"].Value
	if op != nil {
		if r := op.Responses.Status(http.StatusBadRequest); r != nil && r.Value.Content.Get("application/json") != nil {
			schema = r.Value.Content.Get("application/json").Schema.Value
		}
	}
	var v any
	err := json.Unmarshal(body, &v)
	require.NoError(t, err, "an error body is JSON: %s", body)
	assert.NoError(t, schema.VisitJSON(v), "the error body conforms: %s", body)
	m, _ := v.(map[string]any)
	assert.NotEmpty(t, m["error"], "the error says what went wrong")
}
