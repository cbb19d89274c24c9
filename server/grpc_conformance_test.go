package server

import (
	"context"
	"fmt"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/lucid-nlp/lucid/server/oippb"
)

// oipDatatypes are the tensor datatypes the protocol defines.
var oipDatatypes = map[string]bool{"BOOL": true, "UINT8": true, "UINT16": true, "UINT32": true, "UINT64": true,
	"INT8": true, "INT16": true, "INT32": true, "INT64": true, "FP16": true, "FP32": true, "FP64": true, "BYTES": true}

// grpcCheck is one conformance check: a call, the status code the
// protocol asks for, and what the answer must hold.
type grpcCheck struct {
	name   string
	method string // as the .proto names it
	call   func(ctx context.Context) (proto.Message, error)
	auth   bool // send the token
	code   codes.Code
	check  func(m proto.Message) error
}

// Every method of inference.GRPCInferenceService, read from the .proto's
// own descriptor (a method the .proto declares and the server does not
// serve fails here), answers valid calls as the protocol describes them
// and refuses bad ones with the status codes its errors map to. The test
// logs how many checks passed.
func TestGRPCConformance(t *testing.T) {
	cfg := batchingOn()
	cfg.Token = "tok"
	cfg.MaxInFlight = 1
	s, _ := newTest(t, cfg)
	c := newGRPCTest(t, s, TLS{}, nil)
	md := func() *oippb.ModelMetadataResponse {
		ctx := metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer tok")
		m, err := c.ModelMetadata(ctx, &oippb.ModelMetadataRequest{Name: modelName})
		require.NoError(t, err)
		return m
	}()
	infer := func(req *oippb.ModelInferRequest) func(ctx context.Context) (proto.Message, error) {
		return func(ctx context.Context) (proto.Message, error) { return c.ModelInfer(ctx, req) }
	}
	good := inferReq("a gorgeous movie", "a dull film", "it is a film")
	good.Id = "req-7"
	rawReq := inferReq()
	rawReq.Inputs[0].Shape = []int64{1}
	rawReq.RawInputContents = [][]byte{{5, 0, 0, 0, 'h', 'e', 'l', 'l', 'o'}}
	some := inferReq("fine")
	some.Outputs = []*oippb.ModelInferRequest_InferRequestedOutputTensor{{Name: OutputLogits}}
	badType := inferReq("fine")
	badType.Inputs[0].Datatype = "INT64"
	unknown := inferReq("fine")
	unknown.ModelName = "missing"

	checks := []grpcCheck{
		{name: "ServerLive without a token", method: "ServerLive", code: codes.OK,
			call:  func(ctx context.Context) (proto.Message, error) { return c.ServerLive(ctx, &oippb.ServerLiveRequest{}) },
			check: func(m proto.Message) error { return want(m.(*oippb.ServerLiveResponse).GetLive(), "live is true") }},
		{name: "ServerReady without a token", method: "ServerReady", code: codes.OK,
			call: func(ctx context.Context) (proto.Message, error) {
				return c.ServerReady(ctx, &oippb.ServerReadyRequest{})
			},
			check: func(m proto.Message) error { return want(m.(*oippb.ServerReadyResponse).GetReady(), "ready is true") }},
		{name: "ModelReady", method: "ModelReady", auth: true, code: codes.OK,
			call: func(ctx context.Context) (proto.Message, error) {
				return c.ModelReady(ctx, &oippb.ModelReadyRequest{Name: modelName, Version: "1"})
			},
			check: func(m proto.Message) error { return want(m.(*oippb.ModelReadyResponse).GetReady(), "ready is true") }},
		{name: "ModelReady of an unknown model", method: "ModelReady", auth: true, code: codes.NotFound,
			call: func(ctx context.Context) (proto.Message, error) {
				return c.ModelReady(ctx, &oippb.ModelReadyRequest{Name: "missing"})
			}},
		{name: "ModelReady without a token", method: "ModelReady", code: codes.Unauthenticated,
			call: func(ctx context.Context) (proto.Message, error) {
				return c.ModelReady(ctx, &oippb.ModelReadyRequest{Name: modelName})
			}},
		{name: "ServerMetadata", method: "ServerMetadata", auth: true, code: codes.OK,
			call: func(ctx context.Context) (proto.Message, error) {
				return c.ServerMetadata(ctx, &oippb.ServerMetadataRequest{})
			},
			check: func(m proto.Message) error {
				r := m.(*oippb.ServerMetadataResponse)
				return want(r.GetName() != "" && r.GetVersion() != "", "name and version are set")
			}},
		{name: "ServerMetadata without a token", method: "ServerMetadata", code: codes.Unauthenticated,
			call: func(ctx context.Context) (proto.Message, error) {
				return c.ServerMetadata(ctx, &oippb.ServerMetadataRequest{})
			}},
		{name: "ModelMetadata", method: "ModelMetadata", auth: true, code: codes.OK,
			call: func(ctx context.Context) (proto.Message, error) {
				return c.ModelMetadata(ctx, &oippb.ModelMetadataRequest{Name: modelName})
			},
			check: func(m proto.Message) error {
				r := m.(*oippb.ModelMetadataResponse)
				if r.GetName() != modelName || r.GetPlatform() == "" || len(r.GetInputs()) == 0 || len(r.GetOutputs()) == 0 {
					return fmt.Errorf("name %q, platform %q, %d inputs, %d outputs: want the model's name, a platform and tensors", r.GetName(), r.GetPlatform(), len(r.GetInputs()), len(r.GetOutputs()))
				}
				for _, tm := range append(r.GetInputs(), r.GetOutputs()...) {
					if tm.GetName() == "" || !oipDatatypes[tm.GetDatatype()] || len(tm.GetShape()) == 0 {
						return fmt.Errorf("tensor %v: want a name, a protocol datatype and a shape", tm)
					}
				}
				return nil
			}},
		{name: "ModelMetadata of an unknown version", method: "ModelMetadata", auth: true, code: codes.NotFound,
			call: func(ctx context.Context) (proto.Message, error) {
				return c.ModelMetadata(ctx, &oippb.ModelMetadataRequest{Name: modelName, Version: "9"})
			}},
		{name: "ModelMetadata without a token", method: "ModelMetadata", code: codes.Unauthenticated,
			call: func(ctx context.Context) (proto.Message, error) {
				return c.ModelMetadata(ctx, &oippb.ModelMetadataRequest{Name: modelName})
			}},
		{name: "ModelInfer", method: "ModelInfer", auth: true, code: codes.OK, call: infer(good),
			check: func(m proto.Message) error { return inferConforms(m.(*oippb.ModelInferResponse), good, md, 3) }},
		{name: "ModelInfer, raw contents", method: "ModelInfer", auth: true, code: codes.OK, call: infer(rawReq),
			check: func(m proto.Message) error { return inferConforms(m.(*oippb.ModelInferResponse), rawReq, md, 1) }},
		{name: "ModelInfer, one output asked for", method: "ModelInfer", auth: true, code: codes.OK, call: infer(some),
			check: func(m proto.Message) error { return inferConforms(m.(*oippb.ModelInferResponse), some, md, 1) }},
		{name: "ModelInfer of an unknown model", method: "ModelInfer", auth: true, code: codes.NotFound, call: infer(unknown)},
		{name: "ModelInfer with a numeric input", method: "ModelInfer", auth: true, code: codes.InvalidArgument, call: infer(badType)},
		{name: "ModelInfer without a token", method: "ModelInfer", code: codes.Unauthenticated, call: infer(good)},
		{name: "ModelInfer when busy", method: "ModelInfer", auth: true, code: codes.ResourceExhausted,
			call: func(ctx context.Context) (proto.Message, error) {
				s.admit <- struct{}{}
				defer func() { <-s.admit }()
				return c.ModelInfer(ctx, good)
			}},
	}

	covered := map[string]bool{}
	passed := 0
	for _, ch := range checks {
		ok := t.Run(ch.name, func(t *testing.T) {
			ctx := context.Background()
			if ch.auth {
				ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer tok")
			}
			resp, err := ch.call(ctx)
			st, _ := status.FromError(err)
			require.Equal(t, ch.code, st.Code(), "status message: %s", st.Message())
			if err != nil {
				assert.NotEmpty(t, st.Message(), "an error says what is wrong")
				return
			}
			if ch.check != nil {
				require.NoError(t, ch.check(resp))
			}
		})
		if ok {
			passed++
			covered[ch.method] = true
		}
	}
	svc := oippb.File_open_inference_grpc_proto.Services().ByName("GRPCInferenceService")
	require.NotNil(t, svc)
	methods := svc.Methods()
	for i := range methods.Len() {
		name := string(methods.Get(i).Name())
		assert.True(t, covered[name], "the .proto's method %s has no passing check", name)
	}
	t.Logf("gRPC conformance: %d of %d checks passed, covering %d of the .proto's %d methods", passed, len(checks), len(covered), methods.Len())

	// The calls are counted by method and code, in names promlint accepts.
	assert.Equal(t, 1.0, grpcCount(t, s, "ModelInfer", "NotFound"))
	assert.Equal(t, 3.0, grpcCount(t, s, "ModelInfer", "OK"))
	problems, err := testutil.GatherAndLint(s.Registry(), "lucid_grpc_requests_total", "lucid_grpc_request_duration_seconds")
	require.NoError(t, err)
	assert.Empty(t, problems)
}

func want(ok bool, what string) error {
	if !ok {
		return fmt.Errorf("want: %s", what)
	}
	return nil
}

// inferConforms checks a ModelInfer answer against the request and the
// model's metadata: the model name and id echoed, the outputs asked for
// (all when none), each with metadata's datatype and shape (-1 the batch),
// its elements in typed contents of its datatype or, when the request was
// raw, in raw_output_contents.
func inferConforms(r *oippb.ModelInferResponse, req *oippb.ModelInferRequest, md *oippb.ModelMetadataResponse, n int) error {
	if r.GetModelName() != req.GetModelName() || r.GetId() != req.GetId() {
		return fmt.Errorf("model_name %q id %q: want the request's %q and %q", r.GetModelName(), r.GetId(), req.GetModelName(), req.GetId())
	}
	wantNames := map[string]bool{}
	for _, o := range req.GetOutputs() {
		wantNames[o.GetName()] = true
	}
	all := len(wantNames) == 0
	meta := map[string]*oippb.ModelMetadataResponse_TensorMetadata{}
	for _, o := range md.GetOutputs() {
		meta[o.GetName()] = o
		if all {
			wantNames[o.GetName()] = true
		}
	}
	if len(r.GetOutputs()) != len(wantNames) {
		return fmt.Errorf("%d outputs, want %d", len(r.GetOutputs()), len(wantNames))
	}
	raw := len(req.GetRawInputContents()) > 0
	if raw != (len(r.GetRawOutputContents()) > 0) {
		return fmt.Errorf("raw request %v, raw_output_contents %d", raw, len(r.GetRawOutputContents()))
	}
	for i, o := range r.GetOutputs() {
		m := meta[o.GetName()]
		if m == nil || !wantNames[o.GetName()] {
			return fmt.Errorf("output %q: not asked for or not in metadata", o.GetName())
		}
		if o.GetDatatype() != m.GetDatatype() || len(o.GetShape()) != len(m.GetShape()) {
			return fmt.Errorf("output %q: %s %v, metadata says %s %v", o.GetName(), o.GetDatatype(), o.GetShape(), m.GetDatatype(), m.GetShape())
		}
		elems := 1
		for j, d := range o.GetShape() {
			if md := m.GetShape()[j]; (md == -1 && d != int64(n) && j == 0) || (md != -1 && md != d) {
				return fmt.Errorf("output %q: shape %v, metadata %v, %d texts", o.GetName(), o.GetShape(), m.GetShape(), n)
			}
			elems *= int(d)
		}
		var got int
		switch {
		case raw:
			if o.GetContents() != nil || i >= len(r.GetRawOutputContents()) {
				return fmt.Errorf("output %q: a raw answer has no typed contents and one raw entry per output", o.GetName())
			}
			if o.GetDatatype() == "FP32" {
				got = len(r.GetRawOutputContents()[i]) / 4
			} else {
				got = countRaw(r.GetRawOutputContents()[i])
			}
		case o.GetDatatype() == "FP32":
			got = len(o.GetContents().GetFp32Contents())
		case o.GetDatatype() == "BYTES":
			got = len(o.GetContents().GetBytesContents())
		}
		if got != elems {
			return fmt.Errorf("output %q: %d elements for shape %v", o.GetName(), got, o.GetShape())
		}
	}
	return nil
}

// countRaw counts the elements of a raw BYTES tensor (-1 when malformed).
func countRaw(b []byte) int {
	texts, err := splitRawBytes(b)
	if err != nil {
		return -1
	}
	return len(texts)
}

// grpcCount reads lucid_grpc_requests_total{method, code}.
func grpcCount(t *testing.T, s *Server, method, code string) float64 {
	t.Helper()
	mfs, err := s.Registry().Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		if mf.GetName() != "lucid_grpc_requests_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["method"] == method && labels["code"] == code {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}
