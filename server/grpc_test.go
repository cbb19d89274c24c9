package server

import (
	"context"
	"crypto/tls"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/lucid-nlp/lucid/server/oippb"
)

// newGRPCTest serves s's gRPC service on a loopback port and returns a
// client generated from the same .proto; the server stops (gracefully)
// at the test's end.
func newGRPCTest(t *testing.T, s *Server, srvTLS TLS, creds credentials.TransportCredentials) oippb.GRPCInferenceServiceClient {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.ServeGRPC(ctx, ln, srvTLS, 10*time.Second) }()
	if creds == nil {
		creds = insecure.NewCredentials()
	}
	conn, err := grpc.NewClient(ln.Addr().String(), grpc.WithTransportCredentials(creds))
	require.NoError(t, err)
	t.Cleanup(func() {
		conn.Close()
		cancel()
		assert.NoError(t, <-done, "ServeGRPC after a graceful stop")
	})
	return oippb.NewGRPCInferenceServiceClient(conn)
}

func bytesInput(texts ...string) *oippb.ModelInferRequest_InferInputTensor {
	b := make([][]byte, len(texts))
	for i, t := range texts {
		b[i] = []byte(t)
	}
	return &oippb.ModelInferRequest_InferInputTensor{Name: "text", Datatype: "BYTES", Shape: []int64{int64(len(texts))},
		Contents: &oippb.InferTensorContents{BytesContents: b}}
}

func inferReq(texts ...string) *oippb.ModelInferRequest {
	return &oippb.ModelInferRequest{ModelName: modelName, Inputs: []*oippb.ModelInferRequest_InferInputTensor{bytesInput(texts...)}}
}

// shapeOf reads a JSON shape.
func shapeOf(v any) []int64 {
	var shape []int64
	for _, d := range v.([]any) {
		shape = append(shape, int64(d.(float64)))
	}
	return shape
}

// requireCode checks a call's gRPC status code and that its message
// names the problem.
func requireCode(t *testing.T, err error, code codes.Code, msgPart string) {
	t.Helper()
	require.Error(t, err)
	st, ok := status.FromError(err)
	require.True(t, ok, "not a gRPC status: %v", err)
	assert.Equal(t, code, st.Code(), "message: %s", st.Message())
	assert.Contains(t, st.Message(), msgPart)
}

// ModelInfer answers what REST infer answers for the same texts:
// probabilities and logits within 1e-6, the same labels, shapes and
// names, through typed contents and through raw contents alike.
func TestGRPCInferEqualsREST(t *testing.T) {
	s, ts := newTest(t, batchingOn())
	c := newGRPCTest(t, s, TLS{}, nil)
	texts := []string{"a gorgeous, witty, seductive movie", "the plot is a mess and the acting is worse", "it is a film", "ok"}

	code, rest, _ := do(t, "POST", ts.URL+"/v2/models/"+modelName+"/infer",
		`{"id": "r1", "inputs": [{"name": "text", "shape": [4], "datatype": "BYTES", "data": ["`+strings.Join(texts, `", "`)+`"]}]}`)
	require.Equal(t, 200, code, "%v", rest)
	restOut := map[string]map[string]any{}
	for _, o := range rest["outputs"].([]any) {
		om := o.(map[string]any)
		restOut[om["name"].(string)] = om
	}

	req := inferReq(texts...)
	req.Id = "g1"
	resp, err := c.ModelInfer(context.Background(), req)
	require.NoError(t, err)
	assert.Equal(t, modelName, resp.GetModelName())
	assert.Equal(t, "1", resp.GetModelVersion())
	assert.Equal(t, "g1", resp.GetId())
	require.Len(t, resp.GetOutputs(), 3)

	// The same texts raw: 4-byte little-endian lengths and bytes in, raw
	// little-endian FP32 and length-prefixed BYTES out.
	var raw []byte
	for _, t := range texts {
		raw = binary.LittleEndian.AppendUint32(raw, uint32(len(t)))
		raw = append(raw, t...)
	}
	rawReq := &oippb.ModelInferRequest{ModelName: modelName, ModelVersion: "1", RawInputContents: [][]byte{raw},
		Inputs: []*oippb.ModelInferRequest_InferInputTensor{{Name: "text", Datatype: "BYTES", Shape: []int64{4, 1}}}}
	rawResp, err := c.ModelInfer(context.Background(), rawReq)
	require.NoError(t, err)
	require.Len(t, rawResp.GetRawOutputContents(), 3)

	const tol = 1e-6
	for i, o := range resp.GetOutputs() {
		r := restOut[o.GetName()]
		require.NotNil(t, r, "output %s is not among REST's", o.GetName())
		assert.Equal(t, r["datatype"], o.GetDatatype(), o.GetName())
		assert.Equal(t, shapeOf(r["shape"]), o.GetShape(), o.GetName())
		ro := rawResp.GetOutputs()[i]
		assert.Equal(t, o.GetName(), ro.GetName())
		assert.Nil(t, ro.GetContents(), "raw outputs carry no typed contents")
		rawData := rawResp.GetRawOutputContents()[i]
		switch o.GetDatatype() {
		case "FP32":
			want := r["data"].([]any)
			got := o.GetContents().GetFp32Contents()
			require.Len(t, got, len(want), o.GetName())
			require.Len(t, rawData, 4*len(want), o.GetName())
			for j := range want {
				assert.InDelta(t, want[j].(float64), float64(got[j]), tol, "%s[%d]", o.GetName(), j)
				assert.InDelta(t, want[j].(float64), float64(math.Float32frombits(binary.LittleEndian.Uint32(rawData[4*j:]))), tol, "raw %s[%d]", o.GetName(), j)
			}
		case "BYTES":
			want := r["data"].([]any)
			got := o.GetContents().GetBytesContents()
			require.Len(t, got, len(want))
			var fromRaw []string
			for off := 0; off < len(rawData); {
				n := int(binary.LittleEndian.Uint32(rawData[off:]))
				fromRaw = append(fromRaw, string(rawData[off+4:off+4+n]))
				off += 4 + n
			}
			for j := range want {
				assert.Equal(t, want[j], string(got[j]), "%s[%d]", o.GetName(), j)
				assert.Equal(t, want[j], fromRaw[j], "raw %s[%d]", o.GetName(), j)
			}
		default:
			t.Fatalf("output %s: datatype %s", o.GetName(), o.GetDatatype())
		}
	}
	// The labels are not all one: the comparison above compares something.
	labels := resp.GetOutputs()[2].GetContents().GetBytesContents()
	assert.NotEqual(t, string(labels[0]), string(labels[1]), "a clearly positive and a clearly negative text")

	// Asking for one output gives that one.
	one := inferReq(texts[0])
	one.Outputs = []*oippb.ModelInferRequest_InferRequestedOutputTensor{{Name: OutputLabel}}
	resp, err = c.ModelInfer(context.Background(), one)
	require.NoError(t, err)
	require.Len(t, resp.GetOutputs(), 1)
	assert.Equal(t, OutputLabel, resp.GetOutputs()[0].GetName())
}

// The health and metadata methods answer as REST's endpoints do.
func TestGRPCHealthAndMetadata(t *testing.T) {
	s, ts := newTest(t, batchingOn())
	c := newGRPCTest(t, s, TLS{}, nil)
	ctx := context.Background()
	live, err := c.ServerLive(ctx, &oippb.ServerLiveRequest{})
	require.NoError(t, err)
	assert.True(t, live.GetLive())
	ready, err := c.ServerReady(ctx, &oippb.ServerReadyRequest{})
	require.NoError(t, err)
	assert.True(t, ready.GetReady())
	mr, err := c.ModelReady(ctx, &oippb.ModelReadyRequest{Name: modelName})
	require.NoError(t, err)
	assert.True(t, mr.GetReady())
	sm, err := c.ServerMetadata(ctx, &oippb.ServerMetadataRequest{})
	require.NoError(t, err)
	assert.Equal(t, "lucid", sm.GetName())

	code, rest, _ := do(t, "GET", ts.URL+"/v2/models/"+modelName, "")
	require.Equal(t, 200, code)
	md, err := c.ModelMetadata(ctx, &oippb.ModelMetadataRequest{Name: modelName, Version: "1"})
	require.NoError(t, err)
	assert.Equal(t, rest["name"], md.GetName())
	assert.Equal(t, rest["platform"], md.GetPlatform())
	assert.Equal(t, []string{"1"}, md.GetVersions())
	for key, got := range map[string][]*oippb.ModelMetadataResponse_TensorMetadata{"inputs": md.GetInputs(), "outputs": md.GetOutputs()} {
		want := rest[key].([]any)
		require.Len(t, got, len(want), key)
		for i, w := range want {
			wm := w.(map[string]any)
			assert.Equal(t, wm["name"], got[i].GetName(), key)
			assert.Equal(t, wm["datatype"], got[i].GetDatatype(), key)
			assert.Equal(t, shapeOf(wm["shape"]), got[i].GetShape(), key)
		}
	}
}

// An unknown model or version is NotFound, naming what the server has.
func TestGRPCUnknownModel(t *testing.T) {
	s, _ := newTest(t, batchingOn())
	c := newGRPCTest(t, s, TLS{}, nil)
	ctx := context.Background()
	req := inferReq("fine")
	req.ModelName = "nope"
	_, err := c.ModelInfer(ctx, req)
	requireCode(t, err, codes.NotFound, `unknown model "nope"; this server has sst2`)
	_, err = c.ModelReady(ctx, &oippb.ModelReadyRequest{Name: "nope"})
	requireCode(t, err, codes.NotFound, `unknown model "nope"`)
	_, err = c.ModelMetadata(ctx, &oippb.ModelMetadataRequest{Name: "nope"})
	requireCode(t, err, codes.NotFound, `unknown model "nope"`)
	req = inferReq("fine")
	req.ModelVersion = "2"
	_, err = c.ModelInfer(ctx, req)
	requireCode(t, err, codes.NotFound, `has no version "2"`)
}

// The token: required in metadata but for the health methods, the scheme
// in any case; a missing, empty or wrong one is Unauthenticated.
func TestGRPCToken(t *testing.T) {
	cfg := batchingOn()
	cfg.Token = "s3cret"
	s, _ := newTest(t, cfg)
	c := newGRPCTest(t, s, TLS{}, nil)
	bg := context.Background()
	with := func(v string) context.Context { return metadata.AppendToOutgoingContext(bg, "authorization", v) }

	_, err := c.ServerLive(bg, &oippb.ServerLiveRequest{})
	require.NoError(t, err, "liveness needs no token")
	_, err = c.ServerReady(bg, &oippb.ServerReadyRequest{})
	require.NoError(t, err, "readiness needs no token")

	_, err = c.ModelInfer(bg, inferReq("fine"))
	requireCode(t, err, codes.Unauthenticated, "missing bearer token")
	_, err = c.ModelMetadata(bg, &oippb.ModelMetadataRequest{Name: modelName})
	requireCode(t, err, codes.Unauthenticated, "missing bearer token")
	_, err = c.ServerMetadata(bg, &oippb.ServerMetadataRequest{})
	requireCode(t, err, codes.Unauthenticated, "missing bearer token")
	_, err = c.ModelInfer(with("Bearer wrong"), inferReq("fine"))
	requireCode(t, err, codes.Unauthenticated, "wrong bearer token")
	_, err = c.ModelInfer(with("Bearer "), inferReq("fine"))
	requireCode(t, err, codes.Unauthenticated, "empty bearer token")
	_, err = c.ModelInfer(with("Basic czNjcmV0"), inferReq("fine"))
	requireCode(t, err, codes.Unauthenticated, `scheme "Basic"`)

	for _, v := range []string{"Bearer s3cret", "bearer s3cret", "BEARER  s3cret "} {
		resp, err := c.ModelInfer(with(v), inferReq("fine"))
		require.NoError(t, err, "authorization %q", v)
		assert.Len(t, resp.GetOutputs(), 3)
	}
}

// The REST limits hold over gRPC: instances, text length, message size,
// admission; malformed inputs are InvalidArgument naming the problem.
func TestGRPCLimitsAndBadInput(t *testing.T) {
	cfg := batchingOn()
	cfg.MaxInstances = 2
	cfg.MaxTextBytes = 50
	cfg.MaxBodyBytes = 4 << 10
	cfg.MaxInFlight = 1
	s, _ := newTest(t, cfg)
	c := newGRPCTest(t, s, TLS{}, nil)
	ctx := context.Background()

	_, err := c.ModelInfer(ctx, inferReq("a", "b", "c"))
	requireCode(t, err, codes.InvalidArgument, "has 3 texts, above this server's limit of 2 per request (--max-instances)")
	_, err = c.ModelInfer(ctx, inferReq(strings.Repeat("x", 51)))
	requireCode(t, err, codes.InvalidArgument, "is 51 bytes long, above this server's limit of 50 bytes (--max-text)")
	_, err = c.ModelInfer(ctx, inferReq(strings.Repeat("x", 5<<10)))
	requireCode(t, err, codes.ResourceExhausted, "larger than max")
	_, err = c.ModelInfer(ctx, inferReq())
	requireCode(t, err, codes.InvalidArgument, "is empty: want at least one text")
	_, err = c.ModelInfer(ctx, inferReq("ok \xff"))
	requireCode(t, err, codes.InvalidArgument, "is not valid UTF-8")

	bad := inferReq("fine")
	bad.Inputs[0].Datatype = "FP32"
	_, err = c.ModelInfer(ctx, bad)
	requireCode(t, err, codes.InvalidArgument, `datatype "FP32": want BYTES`)
	bad = inferReq("fine")
	bad.Inputs[0].Shape = []int64{2}
	_, err = c.ModelInfer(ctx, bad)
	requireCode(t, err, codes.InvalidArgument, "shape [2] says 2 texts, contents have 1")
	bad = inferReq("fine")
	bad.Inputs[0].Shape = []int64{1, 2}
	_, err = c.ModelInfer(ctx, bad)
	requireCode(t, err, codes.InvalidArgument, "want [N] or [N, 1]")
	bad = inferReq("fine")
	bad.Inputs = append(bad.Inputs, bytesInput("two"))
	_, err = c.ModelInfer(ctx, bad)
	requireCode(t, err, codes.InvalidArgument, "want exactly one input")
	bad = inferReq("fine")
	bad.Outputs = []*oippb.ModelInferRequest_InferRequestedOutputTensor{{Name: "scores"}}
	_, err = c.ModelInfer(ctx, bad)
	requireCode(t, err, codes.InvalidArgument, `unknown output "scores"`)
	bad = inferReq("fine")
	bad.RawInputContents = [][]byte{{3, 0, 0, 0, 'a'}}
	bad.Inputs[0].Contents = nil
	_, err = c.ModelInfer(ctx, bad)
	requireCode(t, err, codes.InvalidArgument, "text 0 says 3 bytes at byte 0, only 1 follow")
	bad = inferReq("fine")
	bad.RawInputContents = [][]byte{{4, 0, 0, 0, 'f', 'i', 'n', 'e'}}
	_, err = c.ModelInfer(ctx, bad)
	requireCode(t, err, codes.InvalidArgument, "both contents and raw_input_contents")

	// Admission: with the one slot taken, a call is ResourceExhausted at once.
	s.admit <- struct{}{}
	_, err = c.ModelInfer(ctx, inferReq("fine"))
	<-s.admit
	requireCode(t, err, codes.ResourceExhausted, "the server is busy: 1 requests are in flight, the limit (--max-queue)")
	_, err = c.ModelInfer(ctx, inferReq("fine"))
	require.NoError(t, err, "the slot given back, the call goes through")
}

// With the REST flags' certificate and key, gRPC is served over TLS, and
// a plaintext client is refused.
func TestGRPCTLS(t *testing.T) {
	cert, key, pool := selfSigned(t, t.TempDir())
	s, _ := newTest(t, batchingOn())
	c := newGRPCTest(t, s, TLS{CertFile: cert, KeyFile: key}, credentials.NewTLS(&tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}))
	resp, err := c.ModelInfer(context.Background(), inferReq("a gorgeous movie"))
	require.NoError(t, err)
	assert.Len(t, resp.GetOutputs(), 3)

	plain := newGRPCTest(t, s, TLS{CertFile: cert, KeyFile: key}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err = plain.ServerLive(ctx, &oippb.ServerLiveRequest{})
	require.Error(t, err, "a plaintext client of a TLS server")
	assert.Equal(t, codes.Unavailable, status.Code(err))
}

// On shutdown (ctx ends: SIGTERM in lucid serve) a ModelInfer in flight
// finishes with its answer, ServeGRPC returns nil, and new calls are
// refused.
func TestGRPCShutdownFinishesInFlight(t *testing.T) {
	s, _ := newTest(t, batchingOn())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- s.ServeGRPC(ctx, ln, TLS{}, 60*time.Second) }()
	conn, err := grpc.NewClient(ln.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	defer conn.Close()
	c := oippb.NewGRPCInferenceServiceClient(conn)

	// 64 long texts: long enough a call to see it admitted and stop the
	// server under it.
	texts := make([]string, 64)
	for i := range texts {
		texts[i] = strings.Repeat(loadTexts[i%len(loadTexts)]+" ", 6)
	}
	type answer struct {
		resp *oippb.ModelInferResponse
		err  error
	}
	got := make(chan answer, 1)
	go func() {
		resp, err := c.ModelInfer(context.Background(), inferReq(texts...))
		got <- answer{resp, err}
	}()
	require.Eventually(t, func() bool { return s.InFlight() == 1 }, 30*time.Second, time.Millisecond, "the call admitted")
	cancel()
	a := <-got
	require.NoError(t, a.err, "the call in flight at shutdown finishes")
	assert.Equal(t, []int64{64, 2}, a.resp.GetOutputs()[0].GetShape())
	require.NoError(t, <-done, "a graceful stop")
	_, err = c.ServerLive(context.Background(), &oippb.ServerLiveRequest{})
	assert.Equal(t, codes.Unavailable, status.Code(err), "after the stop: %v", err)
}

// Predict throughput over REST infer and gRPC ModelInfer, one text per
// request, 8 clients: logged for the report, never asserted (the machine
// is shared). The two take turns, three rounds of a second each; the
// medians are logged.
func TestGRPCThroughputLogged(t *testing.T) {
	if testing.Short() {
		t.Skip("a 7-second measurement")
	}
	s, ts := newTest(t, batchingOn())
	c := newGRPCTest(t, s, TLS{}, nil)
	const clients = 8
	httpc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
	restCall := func(text string) error {
		body := `{"inputs": [{"name": "text", "shape": [1], "datatype": "BYTES", "data": [` + strconv.Quote(text) + `]}]}`
		resp, err := httpc.Post(ts.URL+"/v2/models/"+modelName+"/infer", "application/json", strings.NewReader(body))
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			return fmt.Errorf("status %d", resp.StatusCode)
		}
		return nil
	}
	grpcCall := func(text string) error {
		_, err := c.ModelInfer(context.Background(), inferReq(text))
		return err
	}
	rate := func(call func(string) error, d time.Duration) float64 {
		var wg sync.WaitGroup
		var n atomic.Int64
		start := time.Now()
		stop := start.Add(d)
		for g := range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; time.Now().Before(stop); i++ {
					if !assert.NoError(t, call(loadTexts[(g+i)%len(loadTexts)])) {
						return
					}
					n.Add(1)
				}
			}()
		}
		wg.Wait()
		return float64(n.Load()) / time.Since(start).Seconds()
	}
	rate(restCall, 200*time.Millisecond) // warm up
	rate(grpcCall, 200*time.Millisecond)
	var rest, grpcRates []float64
	for range 3 {
		rest = append(rest, rate(restCall, time.Second))
		grpcRates = append(grpcRates, rate(grpcCall, time.Second))
	}
	slices.Sort(rest)
	slices.Sort(grpcRates)
	t.Logf("infer, 1 text per request, %d clients, batching on: REST median %.0f requests/s (rounds %.0f), gRPC median %.0f requests/s (rounds %.0f)",
		clients, rest[1], rest, grpcRates[1], grpcRates)
}

// A call past --request-timeout is DeadlineExceeded, saying so.
func TestGRPCDeadline(t *testing.T) {
	cfg := batchingOn()
	cfg.RequestTimeout = time.Nanosecond
	s, _ := newTest(t, cfg)
	c := newGRPCTest(t, s, TLS{}, nil)
	_, err := c.ModelInfer(context.Background(), inferReq("a gorgeous movie"))
	requireCode(t, err, codes.DeadlineExceeded, "longer than the server's limit of 1ns (--request-timeout)")
}
