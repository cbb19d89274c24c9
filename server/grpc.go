package server

import (
	"context"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/lucid-nlp/lucid/server/oippb"
)

// The Open Inference Protocol's gRPC service, inference.GRPCInferenceService
// (oippb, generated from the protocol's .proto), over the same models,
// batchers, limits, token and admission as the REST endpoints: ModelInfer
// takes one BYTES input of texts (in contents.bytes_contents, or in
// raw_input_contents as 4-byte little-endian length-prefixed strings) and
// answers REST infer's outputs (inferOutputs), in typed contents, or in
// raw_output_contents when the request came raw. ServerLive and
// ServerReady are open like REST's health checks; the other methods need
// the token as metadata "authorization: Bearer TOKEN". Errors are gRPC
// status codes with REST's messages: InvalidArgument (400), Unauthenticated
// (401), NotFound (404), ResourceExhausted (413, 429), DeadlineExceeded
// (504), Canceled, Unavailable (503), Internal (500). The Host check of
// REST has no counterpart: it guards against web pages that a DNS
// rebinding points at the server, and a browser page cannot speak gRPC.

// grpcOpen are the methods that need no token, as REST's health checks.
var grpcOpen = map[string]bool{
	oippb.GRPCInferenceService_ServerLive_FullMethodName:  true,
	oippb.GRPCInferenceService_ServerReady_FullMethodName: true,
}

// grpcService implements oippb.GRPCInferenceServiceServer over a Server.
type grpcService struct {
	oippb.UnimplementedGRPCInferenceServiceServer
	s        *Server
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

// NewGRPC returns a gRPC server that answers inference.GRPCInferenceService
// over s's models, with TLS when tls names a certificate and key. It takes
// messages of at most MaxBodyBytes (larger: ResourceExhausted) and
// MaxInFlight calls at once per connection (admission bounds them over
// all connections). Serve it with ServeGRPC, or serve it yourself.
func (s *Server) NewGRPC(tls TLS) (*grpc.Server, error) {
	svc := &grpcService{s: s}
	svc.requests = registerOr(s.metrics.reg, prometheus.NewCounterVec(prometheus.CounterOpts{Name: "lucid_grpc_requests_total",
		Help: "gRPC calls answered, by method and status code."}, []string{"method", "code"}))
	svc.latency = registerOr(s.metrics.reg, prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "lucid_grpc_request_duration_seconds",
		Help: "Time to answer a gRPC call, by method.", Buckets: prometheus.ExponentialBuckets(0.0005, 2, 18)}, []string{"method"}))
	opts := []grpc.ServerOption{
		grpc.MaxRecvMsgSize(int(min(s.cfg.MaxBodyBytes, math.MaxInt32))),
		grpc.MaxConcurrentStreams(uint32(min(s.cfg.MaxInFlight, math.MaxInt32))),
		grpc.ConnectionTimeout(s.cfg.BodyTimeout),
		grpc.UnaryInterceptor(svc.intercept),
	}
	if tls.CertFile != "" {
		creds, err := credentials.NewServerTLSFromFile(tls.CertFile, tls.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("server: gRPC TLS: %w", err)
		}
		opts = append(opts, grpc.Creds(creds))
	}
	gs := grpc.NewServer(opts...)
	oippb.RegisterGRPCInferenceServiceServer(gs, svc)
	return gs, nil
}

// registerOr registers c in reg, or returns the collector of the same
// name already there (a second gRPC server over one Server, as in tests).
func registerOr[C prometheus.Collector](reg *prometheus.Registry, c C) C {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if old, ok := are.ExistingCollector.(C); ok {
				return old
			}
		}
		panic(err) // a programming error: two different series of one name
	}
	return c
}

// ServeGRPC serves the gRPC service on ln until ctx ends, then stops
// gracefully as Serve does: no new calls, the calls in flight may finish
// for up to shutdownTimeout, then the rest are cut off (their contexts
// end). It returns nil after a graceful stop. It keeps at most MaxConns
// connections open (a count of its own, beside Serve's).
func (s *Server) ServeGRPC(ctx context.Context, ln net.Listener, tls TLS, shutdownTimeout time.Duration) error {
	gs, err := s.NewGRPC(tls)
	if err != nil {
		return err
	}
	errc := make(chan error, 1)
	go func() { errc <- gs.Serve(newLimitListener(ln, s.cfg.MaxConns)) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	s.cfg.Log.Printf("shutting down gRPC: finishing the calls in flight (at most %v)", shutdownTimeout)
	stopped := make(chan struct{})
	go func() { gs.GracefulStop(); close(stopped) }()
	select {
	case <-stopped:
		return nil
	case <-time.After(shutdownTimeout):
		gs.Stop()
		return fmt.Errorf("server: gRPC calls still running after --shutdown-timeout %v were cut off", shutdownTimeout)
	}
}

// intercept checks the token, counts and times every call.
func (g *grpcService) intercept(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
	start := time.Now()
	method := strings.TrimPrefix(info.FullMethod, "/inference.GRPCInferenceService/")
	var resp any
	err := g.s.grpcAuth(ctx, info.FullMethod)
	if err == nil {
		resp, err = h(ctx, req)
	}
	g.requests.WithLabelValues(method, status.Code(err).String()).Inc()
	g.latency.WithLabelValues(method).Observe(time.Since(start).Seconds())
	return resp, err
}

// grpcAuth checks the token from the call's metadata "authorization":
// "Bearer TOKEN", the scheme in any case (RFC 7235).
func (s *Server) grpcAuth(ctx context.Context, method string) error {
	if s.cfg.Token == "" || grpcOpen[method] {
		return nil
	}
	md, _ := metadata.FromIncomingContext(ctx)
	vals := md.Get("authorization")
	if len(vals) == 0 {
		return s.grpcError(ctx, errorf(http.StatusUnauthorized, "unauthorized", "missing bearer token: send metadata authorization: Bearer TOKEN"))
	}
	scheme, tok, _ := strings.Cut(strings.TrimSpace(vals[0]), " ")
	tok = strings.TrimSpace(tok)
	switch {
	case !strings.EqualFold(scheme, "Bearer"):
		return s.grpcError(ctx, errorf(http.StatusUnauthorized, "unauthorized", "metadata authorization: scheme %q: want Bearer TOKEN", scheme))
	case tok == "":
		return s.grpcError(ctx, errorf(http.StatusUnauthorized, "unauthorized", "metadata authorization: empty bearer token: want Bearer TOKEN"))
	case subtle.ConstantTimeCompare([]byte(tok), []byte(s.cfg.Token)) != 1:
		return s.grpcError(ctx, errorf(http.StatusUnauthorized, "unauthorized", "wrong bearer token"))
	}
	return nil
}

// grpcError maps an error to a gRPC status through REST's classification
// (the same message and metric kind as REST's answer), counting it.
func (s *Server) grpcError(ctx context.Context, err error) error {
	ae := classify(ctx, err, s.cfg.RequestTimeout)
	s.metrics.errors.WithLabelValues(ae.kind).Inc()
	code := codes.Unknown
	switch ae.status {
	case http.StatusBadRequest:
		code = codes.InvalidArgument
	case http.StatusUnauthorized:
		code = codes.Unauthenticated
	case http.StatusNotFound:
		code = codes.NotFound
	case http.StatusRequestEntityTooLarge, http.StatusTooManyRequests:
		code = codes.ResourceExhausted
	case http.StatusGatewayTimeout:
		code = codes.DeadlineExceeded
	case statusClientClosed:
		code = codes.Canceled
	case http.StatusServiceUnavailable:
		code = codes.Unavailable
	case http.StatusInternalServerError:
		code = codes.Internal
	}
	if code == codes.Internal || code == codes.Unknown {
		s.cfg.Log.Printf("gRPC: %v", err)
	}
	return status.Error(code, ae.msg)
}

// grpcModel finds a model and checks the version asked for ("" or "1",
// the one version metadata advertises).
func (s *Server) grpcModel(ctx context.Context, name, version string) (*servedModel, error) {
	m, ok := s.models[name]
	if !ok {
		return nil, s.grpcError(ctx, errorf(http.StatusNotFound, "unknown_model", "unknown model %q; this server has %s", name, strings.Join(s.order, ", ")))
	}
	if version != "" && version != "1" {
		return nil, s.grpcError(ctx, errorf(http.StatusNotFound, "unknown_model", "model %q has no version %q; it has version 1", name, version))
	}
	return m, nil
}

func (g *grpcService) ServerLive(context.Context, *oippb.ServerLiveRequest) (*oippb.ServerLiveResponse, error) {
	return &oippb.ServerLiveResponse{Live: true}, nil
}

// ServerReady, like REST's /v2/health/ready, answers once every model has
// warmed up (or not ready when the call's deadline or readyWait comes
// first).
func (g *grpcService) ServerReady(ctx context.Context, _ *oippb.ServerReadyRequest) (*oippb.ServerReadyResponse, error) {
	return &oippb.ServerReadyResponse{Ready: g.s.waitReady(ctx, nil)}, nil
}

func (g *grpcService) ModelReady(ctx context.Context, req *oippb.ModelReadyRequest) (*oippb.ModelReadyResponse, error) {
	m, err := g.s.grpcModel(ctx, req.GetName(), req.GetVersion())
	if err != nil {
		return nil, err
	}
	return &oippb.ModelReadyResponse{Ready: g.s.waitReady(ctx, m)}, nil
}

func (g *grpcService) ServerMetadata(context.Context, *oippb.ServerMetadataRequest) (*oippb.ServerMetadataResponse, error) {
	return &oippb.ServerMetadataResponse{Name: "lucid", Version: "1", Extensions: []string{}}, nil
}

func (g *grpcService) ModelMetadata(ctx context.Context, req *oippb.ModelMetadataRequest) (*oippb.ModelMetadataResponse, error) {
	m, err := g.s.grpcModel(ctx, req.GetName(), req.GetVersion())
	if err != nil {
		return nil, err
	}
	md := m.metadata()
	tensors := func(ts []TensorMetadata) []*oippb.ModelMetadataResponse_TensorMetadata {
		out := make([]*oippb.ModelMetadataResponse_TensorMetadata, len(ts))
		for i, t := range ts {
			out[i] = &oippb.ModelMetadataResponse_TensorMetadata{Name: t.Name, Datatype: t.Datatype, Shape: int64s(t.Shape)}
		}
		return out
	}
	return &oippb.ModelMetadataResponse{Name: md.Name, Versions: md.Versions, Platform: md.Platform,
		Inputs: tensors(md.Inputs), Outputs: tensors(md.Outputs)}, nil
}

// ModelInfer is REST infer over gRPC: the same checks, admission,
// deadline, batcher and outputs.
func (g *grpcService) ModelInfer(ctx context.Context, req *oippb.ModelInferRequest) (*oippb.ModelInferResponse, error) {
	s := g.s
	m, err := s.grpcModel(ctx, req.GetModelName(), req.GetModelVersion())
	if err != nil {
		return nil, err
	}
	texts, pairs, err := s.grpcInputs(req)
	if err != nil {
		return nil, s.grpcError(ctx, err)
	}
	names := make([]string, len(req.GetOutputs()))
	for i, o := range req.GetOutputs() {
		names[i] = o.GetName()
	}
	want, err := wantOutputs(names)
	if err != nil {
		return nil, s.grpcError(ctx, err)
	}
	// The message is read whole before this handler runs, so, as with
	// REST's bodies, a slow sender never holds an admission slot.
	select {
	case s.admit <- struct{}{}:
	default:
		return nil, s.grpcError(ctx, errorf(http.StatusTooManyRequests, "queue_full",
			"the server is busy: %d requests are in flight, the limit (--max-queue); retry after 1s", s.cfg.MaxInFlight))
	}
	defer func() { <-s.admit }()
	ctx, cancel := context.WithTimeout(ctx, s.cfg.RequestTimeout)
	defer cancel()
	preds, err := m.predictPairs(ctx, texts, pairs)
	if err != nil {
		return nil, s.grpcError(ctx, err)
	}
	resp := &oippb.ModelInferResponse{ModelName: m.name, ModelVersion: "1", Id: req.GetId()}
	raw := len(req.GetRawInputContents()) > 0
	for _, o := range m.inferOutputs(preds, want) {
		t := &oippb.ModelInferResponse_InferOutputTensor{Name: o.Name, Datatype: o.Datatype, Shape: int64s(o.Shape)}
		switch d := o.Data.(type) {
		case []float32:
			if raw {
				resp.RawOutputContents = append(resp.RawOutputContents, rawFP32(d))
			} else {
				t.Contents = &oippb.InferTensorContents{Fp32Contents: d}
			}
		case []string:
			if raw {
				resp.RawOutputContents = append(resp.RawOutputContents, rawBytes(d))
			} else {
				b := make([][]byte, len(d))
				for i, v := range d {
					b[i] = []byte(v)
				}
				t.Contents = &oippb.InferTensorContents{BytesContents: b}
			}
		default:
			return nil, s.grpcError(ctx, &modelError{fmt.Errorf("output %s: no gRPC encoding for %T", o.Name, o.Data)})
		}
		resp.Outputs = append(resp.Outputs, t)
	}
	return resp, nil
}

// grpcTexts reads the one BYTES input, shape [N] or [N, 1], as REST's
// inferTexts does, from contents.bytes_contents or raw_input_contents[0],
// and applies the same limits (checkTexts).
func (s *Server) grpcTexts(req *oippb.ModelInferRequest) ([]string, error) {
	if len(req.GetInputs()) != 1 {
		return nil, badRequest("inputs: want exactly one input (BYTES, shape [N], the texts), got %d", len(req.GetInputs()))
	}
	in := req.GetInputs()[0]
	if in.GetDatatype() != "BYTES" {
		return nil, badRequest("inputs[0] %q: datatype %q: want BYTES (the texts)", in.GetName(), in.GetDatatype())
	}
	shape := in.GetShape()
	if !(len(shape) == 1 || (len(shape) == 2 && shape[1] == 1)) || shape[0] < 0 {
		return nil, badRequest("inputs[0] %q: shape %v: want [N] or [N, 1]", in.GetName(), shape)
	}
	c := in.GetContents()
	if n := len(c.GetBoolContents()) + len(c.GetIntContents()) + len(c.GetInt64Contents()) + len(c.GetUintContents()) +
		len(c.GetUint64Contents()) + len(c.GetFp32Contents()) + len(c.GetFp64Contents()); n > 0 {
		return nil, badRequest("inputs[0] %q: contents hold %d numbers: want the texts in bytes_contents", in.GetName(), n)
	}
	var texts []string
	where := "inputs[0].contents.bytes_contents"
	if raw := req.GetRawInputContents(); len(raw) > 0 {
		if len(raw) != 1 {
			return nil, badRequest("raw_input_contents: want one entry, the one input's, got %d", len(raw))
		}
		if len(c.GetBytesContents()) > 0 {
			return nil, badRequest("inputs[0] %q: texts in both contents and raw_input_contents: send one", in.GetName())
		}
		var err error
		if texts, err = splitRawBytes(raw[0]); err != nil {
			return nil, err
		}
		where = "raw_input_contents[0]"
	} else {
		texts = make([]string, len(c.GetBytesContents()))
		for i, b := range c.GetBytesContents() {
			texts[i] = string(b)
		}
	}
	if shape[0] != int64(len(texts)) {
		return nil, badRequest("inputs[0] %q: shape %v says %d texts, contents have %d", in.GetName(), shape, shape[0], len(texts))
	}
	return texts, s.checkTexts(texts, s.cfg.MaxInstances, where)
}

// splitRawBytes reads a raw BYTES tensor: each element a 4-byte
// little-endian length, then that many bytes.
func splitRawBytes(raw []byte) ([]string, error) {
	var out []string
	for off := 0; off < len(raw); {
		if len(raw)-off < 4 {
			return nil, badRequest("raw_input_contents[0]: %d bytes left at byte %d where a 4-byte length should be: want each text as a 4-byte little-endian length and its bytes", len(raw)-off, off)
		}
		n := binary.LittleEndian.Uint32(raw[off:])
		off += 4
		if uint64(n) > uint64(len(raw)-off) {
			return nil, badRequest("raw_input_contents[0]: text %d says %d bytes at byte %d, only %d follow", len(out), n, off-4, len(raw)-off)
		}
		out = append(out, string(raw[off:off+int(n)]))
		off += int(n)
	}
	return out, nil
}

// rawFP32 and rawBytes encode raw output contents: FP32 little-endian,
// BYTES as 4-byte little-endian lengths and bytes.
func rawFP32(d []float32) []byte {
	b := make([]byte, 4*len(d))
	for i, v := range d {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	return b
}

func rawBytes(d []string) []byte {
	var b []byte
	for _, v := range d {
		b = binary.LittleEndian.AppendUint32(b, uint32(len(v)))
		b = append(b, v...)
	}
	return b
}

func int64s(s []int) []int64 {
	out := make([]int64, len(s))
	for i, v := range s {
		out[i] = int64(v)
	}
	return out
}
