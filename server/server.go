// Package server serves Lucid's models over HTTP/JSON in the conventions
// model servers already speak: the Open Inference Protocol v2 REST (health,
// server and model metadata, POST /v2/models/{name}[/versions/1]/infer
// with a BYTES input of texts; conformance_test.go checks it against the
// official OpenAPI document) and KServe's v1 verbs (GET /v1/models, POST
// /v1/models/{name}:predict and :explain, whose explanations are the
// attribution.Result JSON of `lucid explain --json`), Prometheus metrics
// at /metrics (by verb) and a web page at / that shows a prediction and
// its word heatmap. Ready means warm: each model runs one small
// explanation before the readiness checks say true.
//
// ServeGRPC answers the Open Inference Protocol's gRPC service
// (inference.GRPCInferenceService, grpc.go) over the same models, limits,
// token and batches.
//
// Rows from concurrent requests, predictions and explanations'
// perturbations alike, share ONNX Runtime batches through
// engine/batching, which runs predictions first and gives explanations a
// bounded share of the runtime (its fair scheduling; the rows waiting per
// class are lucid_batch_queue_class_rows in /metrics). Every request is bounded: body size, text length,
// instances, budget, memory, a deadline, and a bounded number of requests
// admitted at once (429 with Retry-After beyond it). What a client not
// allowed in can cost is bounded too (guard.go): the Host header and the
// token are checked before the body is read, API posts must be
// application/json and the page's form a same-origin URL-encoded post, a
// body must arrive within a deadline and at a minimum rate before it takes
// an admission slot, open connections are capped, and explanations in
// flight share one memory budget. Errors are JSON, {"error": "..."}, as
// both protocols have them: a known path asked with another method is 405
// with Allow, and a request cut off at the shutdown timeout is 503.
package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"math"
	"net"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/lucid-nlp/lucid/attribution"
	"github.com/lucid-nlp/lucid/engine"
	"github.com/lucid-nlp/lucid/engine/batching"
	"github.com/lucid-nlp/lucid/models"
)

// Limits bound what one request may ask for. Zero fields take the
// defaults below.
type Limits struct {
	// MaxBodyBytes is the largest request body (default 1 MiB).
	MaxBodyBytes int64
	// MaxTextBytes is the longest text, in UTF-8 bytes (default 10,000).
	MaxTextBytes int
	// MaxInstances is the most texts of one predict or infer request
	// (default 256); MaxExplainInstances of one explain request (default 16).
	MaxInstances        int
	MaxExplainInstances int
	// MaxBudget is the most model evaluations one explanation may ask for
	// (default 8,192; at most attribution.MaxBudget).
	MaxBudget int
	// MaxMemoryBytes is the most memory one explanation may take by
	// attribution.EstimateBytes (default 256 MiB).
	MaxMemoryBytes int64
	// MaxTotalExplainBytes is the most memory all explanations in flight
	// may take together, by the same estimate summed over their texts
	// (default 1 GiB); a request that does not fit beside the others gets
	// 429, one above it alone 400.
	MaxTotalExplainBytes int64
}

// Defaults of Limits and Config.
const (
	DefaultMaxBodyBytes        = 1 << 20
	DefaultMaxTextBytes        = 10_000
	DefaultMaxInstances        = 256
	DefaultMaxExplainInstances = 16
	DefaultMaxBudget           = 8192
	DefaultMaxMemoryBytes      = 256 << 20
	DefaultMaxTotalExplain     = 1 << 30
	DefaultRequestTimeout      = 60 * time.Second
	DefaultMaxInFlight         = 256
	DefaultMaxConns            = 1024
	DefaultBodyTimeout         = 10 * time.Second
	DefaultMinBodyRate         = 16 << 10
)

func (l Limits) withDefaults() Limits {
	if l.MaxBodyBytes <= 0 {
		l.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if l.MaxTextBytes <= 0 {
		l.MaxTextBytes = DefaultMaxTextBytes
	}
	if l.MaxInstances <= 0 {
		l.MaxInstances = DefaultMaxInstances
	}
	if l.MaxExplainInstances <= 0 {
		l.MaxExplainInstances = DefaultMaxExplainInstances
	}
	if l.MaxBudget <= 0 {
		l.MaxBudget = DefaultMaxBudget
	}
	l.MaxBudget = min(l.MaxBudget, attribution.MaxBudget)
	if l.MaxMemoryBytes <= 0 {
		l.MaxMemoryBytes = DefaultMaxMemoryBytes
	}
	if l.MaxTotalExplainBytes <= 0 {
		l.MaxTotalExplainBytes = max(DefaultMaxTotalExplain, l.MaxMemoryBytes)
	}
	return l
}

// Config configures a Server.
type Config struct {
	Limits
	// Token, when set, is the bearer token every request but the health
	// checks must carry (Authorization: Bearer TOKEN; the page and its
	// form take it as the password of the browser's login prompt, HTTP
	// Basic).
	Token string
	// AllowedHosts are the names the Host header may carry besides the
	// listen address's own ("*": any); see hostAllowed.
	AllowedHosts []string
	// MaxConns is the most connections open at once in Serve (default
	// 1024); more wait in the kernel's backlog until one closes.
	MaxConns int
	// BodyTimeout and MinBodyRate bound how slowly a body may arrive: all
	// of it within BodyTimeout plus one second per MinBodyRate bytes
	// (defaults 10s and 16 KiB/s), else 408; only then is it admitted.
	BodyTimeout time.Duration
	MinBodyRate int64
	// RequestTimeout bounds one request (default 60s).
	RequestTimeout time.Duration
	// MaxInFlight is the most predict, infer and explain requests admitted
	// at once, running or waiting for the model; more get 429 with
	// Retry-After (default 256).
	MaxInFlight int
	// Batching turns dynamic batching on; Batch configures it (its
	// Concurrency should be the model's sessions).
	Batching bool
	Batch    batching.Options
	// Sessions is how many batches each model runs at once (default 1).
	Sessions int
	// Log receives one line per server event (nil: discarded).
	Log *log.Logger
}

// ModelSpec is one model to serve under Name (letters, digits, '.', '_'
// and '-'). The caller keeps ownership of the Classifier and closes it
// after the server.
type ModelSpec struct {
	Name       string
	Classifier *models.Classifier
	// Thresholds are a multi-label model's per-label thresholds, in label
	// order, for labels_above_threshold; nil means
	// models.DefaultLabelThreshold for every label. Other heads take none.
	Thresholds []float64
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

// CheckName reports whether name can name a served model.
func CheckName(name string) error {
	if !nameRE.MatchString(name) {
		return fmt.Errorf("server: model name %q: want 1 to 128 letters, digits, '.', '_' or '-', starting with a letter or digit", name)
	}
	return nil
}

// Server serves models over HTTP. Create it with New; Close releases its
// batchers (not the classifiers).
type Server struct {
	cfg     Config
	models  map[string]*servedModel
	order   []string
	admit   chan struct{}
	mem     *memoryBudget
	metrics *metrics
	handler http.Handler
	// listenIP is Serve's listen address (nil before Serve, or when the
	// caller serves Handler itself), for the Host check.
	listenIP atomic.Pointer[net.IP]
	conns    atomic.Pointer[limitListener]
	// cut ends when a shutdown's timeout has passed: the requests still
	// running are cancelled with errCutOff and answer 503 (see Serve).
	cut     context.Context
	cutOff  context.CancelFunc
	warming sync.WaitGroup
}

// errCutOff is the cause of a request cancelled by a shutdown whose
// timeout passed.
var errCutOff = errors.New("server: cut off at the shutdown timeout")

// New prepares a server for the models.
func New(cfg Config, specs []ModelSpec) (*Server, error) {
	if len(specs) == 0 {
		return nil, errors.New("server: no models to serve")
	}
	cfg.Limits = cfg.Limits.withDefaults()
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = DefaultRequestTimeout
	}
	if cfg.MaxInFlight <= 0 {
		cfg.MaxInFlight = DefaultMaxInFlight
	}
	if cfg.Sessions <= 0 {
		cfg.Sessions = 1
	}
	if cfg.Log == nil {
		cfg.Log = log.New(io.Discard, "", 0)
	}
	if cfg.MaxConns <= 0 {
		cfg.MaxConns = DefaultMaxConns
	}
	if cfg.BodyTimeout <= 0 {
		cfg.BodyTimeout = DefaultBodyTimeout
	}
	if cfg.MinBodyRate <= 0 {
		cfg.MinBodyRate = DefaultMinBodyRate
	}
	s := &Server{cfg: cfg, models: map[string]*servedModel{}, admit: make(chan struct{}, cfg.MaxInFlight),
		mem: &memoryBudget{limit: cfg.MaxTotalExplainBytes}}
	s.cut, s.cutOff = context.WithCancel(context.Background())
	s.metrics = newMetrics(s)
	for _, sp := range specs {
		if err := CheckName(sp.Name); err != nil {
			s.Close()
			return nil, err
		}
		if _, dup := s.models[sp.Name]; dup {
			s.Close()
			return nil, fmt.Errorf("server: model name %q given twice", sp.Name)
		}
		if sp.Classifier == nil {
			s.Close()
			return nil, fmt.Errorf("server: model %q has no classifier", sp.Name)
		}
		thresholds, err := labelThresholds(sp)
		if err != nil {
			s.Close()
			return nil, err
		}
		s.models[sp.Name] = newServedModel(sp.Name, sp.Classifier, cfg, s.metrics)
		s.models[sp.Name].thresholds = thresholds
		s.order = append(s.order, sp.Name)
	}
	for _, name := range s.order {
		m := s.models[name]
		s.warming.Add(1)
		go func() {
			defer s.warming.Done()
			m.warmUp(cfg.Log)
		}()
	}
	s.handler = s.routes()
	return s, nil
}

// labelThresholds checks sp's thresholds against its model: one per label,
// each a probability, and only for a multi-label head. A multi-label model
// given none gets models.DefaultLabelThreshold for every label.
func labelThresholds(sp ModelSpec) ([]float64, error) {
	labels := sp.Classifier.Labels()
	if head := sp.Classifier.Head(); head != engine.MultiLabel {
		if sp.Thresholds != nil {
			return nil, fmt.Errorf("server: model %q: label thresholds are for multi-label models; it has a %s head", sp.Name, head)
		}
		return nil, nil
	}
	if sp.Thresholds == nil {
		out := make([]float64, len(labels))
		for i := range out {
			out[i] = models.DefaultLabelThreshold
		}
		return out, nil
	}
	if len(sp.Thresholds) != len(labels) {
		return nil, fmt.Errorf("server: model %q: %d label thresholds for its %d labels", sp.Name, len(sp.Thresholds), len(labels))
	}
	for i, t := range sp.Thresholds {
		if math.IsNaN(t) || t < 0 || t > 1 {
			return nil, fmt.Errorf("server: model %q: threshold %v of label %q: want a probability from 0 to 1", sp.Name, t, labels[i])
		}
	}
	return slices.Clone(sp.Thresholds), nil
}

// Close stops the batchers (after the models' warm-up, which uses the
// classifiers the caller closes next). Requests still running fail.
func (s *Server) Close() {
	s.warming.Wait()
	s.cutOff()
	for _, m := range s.models {
		m.close()
	}
}

// Handler returns the server's HTTP handler.
func (s *Server) Handler() http.Handler { return s.handler }

// Registry returns the server's Prometheus registry (what /metrics shows).
func (s *Server) Registry() *prometheus.Registry { return s.metrics.reg }

// TLS names a certificate and key for Serve; empty means plain HTTP.
type TLS struct{ CertFile, KeyFile string }

// Serve serves on ln until ctx ends, then shuts down gracefully: it stops
// accepting, lets the requests in flight finish for up to shutdownTimeout,
// and then closes what is left (their contexts end). It returns nil after
// a graceful shutdown. It keeps at most MaxConns connections open, and
// the Host header is checked against ln's address.
func (s *Server) Serve(ctx context.Context, ln net.Listener, tls TLS, shutdownTimeout time.Duration) error {
	if a, ok := ln.Addr().(*net.TCPAddr); ok {
		ip := a.IP
		s.listenIP.Store(&ip)
	}
	limited := newLimitListener(ln, s.cfg.MaxConns)
	s.conns.Store(limited)
	ln = limited
	hs := &http.Server{Handler: s.handler, ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout: s.cfg.RequestTimeout + 10*time.Second, IdleTimeout: 2 * time.Minute,
		ErrorLog: s.cfg.Log, MaxHeaderBytes: 64 << 10}
	errc := make(chan error, 1)
	go func() {
		if tls.CertFile != "" {
			errc <- hs.ServeTLS(ln, tls.CertFile, tls.KeyFile)
		} else {
			errc <- hs.Serve(ln)
		}
	}()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	s.cfg.Log.Printf("shutting down: finishing the requests in flight (at most %v)", shutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	err := hs.Shutdown(sctx)
	if err != nil {
		// Cancel what is still running so that each request answers a JSON
		// 503 rather than seeing its connection closed; the answers are
		// small, so a short second wait lets them out before the close.
		s.cutOff()
		gctx, gcancel := context.WithTimeout(context.Background(), cutGrace)
		_ = hs.Shutdown(gctx) // its error (the listener closed twice, or the grace passed) changes nothing: Close follows
		gcancel()
		hs.Close()
		return fmt.Errorf("server: requests still running after --shutdown-timeout %v were cut off", shutdownTimeout)
	}
	return nil
}

// cutGrace is how long requests cut off at the shutdown timeout have to
// write their 503 before their connections are closed.
const cutGrace = 2 * time.Second

// routes builds the mux, with authentication and metrics around it.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	open := func(pattern, verb string, h http.HandlerFunc) { mux.Handle(pattern, s.metrics.wrap(pattern, verb, h)) }
	guarded := func(pattern, verb string, h http.HandlerFunc) {
		mux.Handle(pattern, s.metrics.wrap(pattern, verb, s.auth(h)))
	}

	open("GET /v2/health/live", verbOther, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]bool{"live": true})
	})
	open("GET /v2/health/ready", verbOther, s.serverReady)
	// The spec's path is /v2/; /v2 is what clients that join paths send.
	guarded("GET /v2", verbOther, s.serverMetadata)
	guarded("GET /v2/{$}", verbOther, s.serverMetadata)
	// Unversioned and versioned model paths (the spec's YAML has only the
	// versioned ones; every model here has the one version "1").
	guarded("GET /v2/models/{name}", verbOther, s.modelMetadata)
	guarded("GET /v2/models/{name}/versions/{version}", verbOther, s.modelMetadata)
	guarded("GET /v2/models/{name}/ready", verbOther, s.modelReady)
	guarded("GET /v2/models/{name}/versions/{version}/ready", verbOther, s.modelReady)
	guarded("POST /v2/models/{name}/infer", verbInfer, s.admitted(s.infer))
	guarded("POST /v2/models/{name}/versions/{version}/infer", verbInfer, s.admitted(s.infer))

	guarded("GET /v1/models", verbOther, s.listModels)
	guarded("GET /v1/models/{name}", verbOther, s.v1Model)
	// A route pattern cannot split "name:verb"; v1Labels does, for the
	// metrics, before the token check and admission.
	mux.Handle("POST /v1/models/{verb}", s.metrics.wrap("POST /v1/models/{verb}", verbOther, v1Labels(s.auth(s.admitted(s.v1Verb)))))

	guarded("GET /metrics", verbOther, promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{}).ServeHTTP)
	guarded("GET /{$}", verbOther, s.page)
	guarded("POST "+pageRoute, verbExplain, s.admittedForm(s.pageExplain))
	mux.Handle("/", s.metrics.wrap("other", verbOther, func(w http.ResponseWriter, r *http.Request) {
		if allow := allowedMethods(mux, r); allow != "" {
			w.Header().Set("Allow", allow)
			s.fail(w, r, errorf(http.StatusMethodNotAllowed, "method_not_allowed", "%s %s: method not allowed; this path takes %s", r.Method, r.URL.Path, allow))
			return
		}
		s.fail(w, r, errorf(http.StatusNotFound, "not_found", "no endpoint %s %s; see GET /v1/models, POST /v1/models/{name}:predict, POST /v2/models/{name}/infer", r.Method, r.URL.Path))
	}))
	return s.checkHost(mux)
}

// allowedMethods lists the methods a route other than the catch-all
// takes for r's path ("" when none does): a known path asked with the
// wrong method is 405 with Allow, not 404.
func allowedMethods(mux *http.ServeMux, r *http.Request) string {
	var allow []string
	for _, method := range []string{http.MethodGet, http.MethodPost} {
		if method == r.Method {
			continue
		}
		probe := r.Clone(r.Context())
		probe.Method = method
		if _, pattern := mux.Handler(probe); pattern != "" && pattern != "/" {
			allow = append(allow, method)
			if method == http.MethodGet {
				allow = append(allow, http.MethodHead)
			}
		}
	}
	return strings.Join(allow, ", ")
}

// admitted takes an API post (application/json) through admission;
// admittedForm the page's form post.
func (s *Server) admitted(h http.HandlerFunc) http.HandlerFunc { return s.admitAfterBody(checkJSON, h) }

func (s *Server) admittedForm(h http.HandlerFunc) http.HandlerFunc {
	return s.admitAfterBody(checkForm, h)
}

// admitAfterBody checks the request's content type (and origin), reads its whole
// body (readBody: bounded in size and time), and only then bounds the
// requests that may use the models at once and puts the request's
// deadline on its context; a request beyond the bound gets 429 with
// Retry-After at once, so memory never grows with the backlog, and a
// client that sends its body slowly never holds a slot.
func (s *Server) admitAfterBody(check func(*http.Request) error, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := check(r); err != nil {
			s.fail(w, r, err)
			return
		}
		body, err := s.readBody(w, r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		select {
		case s.admit <- struct{}{}:
		default:
			w.Header().Set("Retry-After", "1")
			s.fail(w, r, errorf(http.StatusTooManyRequests, "queue_full",
				"the server is busy: %d requests are in flight, the limit (--max-queue); retry after 1s", s.cfg.MaxInFlight))
			return
		}
		defer func() { <-s.admit }()
		verb := verbOf(w)
		s.metrics.active.WithLabelValues(verb).Inc()
		defer s.metrics.active.WithLabelValues(verb).Dec()
		tctx, cancel := context.WithTimeout(r.Context(), s.cfg.RequestTimeout)
		defer cancel()
		ctx, cut := context.WithCancelCause(tctx)
		defer cut(nil)
		stop := context.AfterFunc(s.cut, func() { cut(errCutOff) })
		defer stop()
		h(w, r.WithContext(ctx))
	}
}

// InFlight returns the number of requests admitted and not finished.
func (s *Server) InFlight() int { return len(s.admit) }

// OpenConns returns the connections Serve has open (0 before Serve).
func (s *Server) OpenConns() int {
	if l := s.conns.Load(); l != nil {
		return l.open()
	}
	return 0
}

// ExplainMemoryInUse returns the estimated bytes the explanations in
// flight hold of MaxTotalExplainBytes.
func (s *Server) ExplainMemoryInUse() int64 { return s.mem.inUse() }

// model finds the model of r's path ({name}, and {version} when the
// path has one), or answers 404.
func (s *Server) model(w http.ResponseWriter, r *http.Request, name string) *servedModel {
	m, ok := s.models[name]
	if !ok {
		s.fail(w, r, errorf(http.StatusNotFound, "unknown_model", "unknown model %q; this server has %s", name, strings.Join(s.order, ", ")))
		return nil
	}
	if v := r.PathValue("version"); v != "" && v != modelVersion {
		s.fail(w, r, errorf(http.StatusNotFound, "unknown_version", "model %q has no version %q; it has version %s", name, v, modelVersion))
		return nil
	}
	return m
}

// classify is classify for r, with one more case: a request cancelled
// because the shutdown's timeout passed is 503.
func (s *Server) classify(r *http.Request, err error) *apiError {
	if !errors.As(err, new(*apiError)) && errors.Is(context.Cause(r.Context()), errCutOff) {
		return &apiError{http.StatusServiceUnavailable, "unavailable", "the server is shutting down and its --shutdown-timeout passed before this request finished; retry"}
	}
	return classify(r.Context(), err, s.cfg.RequestTimeout)
}

// fail writes err as {"error": "..."} with its status, counting it by kind.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	ae := s.classify(r, err)
	s.metrics.errors.WithLabelValues(ae.kind).Inc()
	if ae.status == http.StatusTooManyRequests && w.Header().Get("Retry-After") == "" {
		w.Header().Set("Retry-After", "1")
	}
	if ae.status >= 500 && ae.status != http.StatusGatewayTimeout {
		s.cfg.Log.Printf("%s %s: %v", r.Method, r.URL.Path, err)
	}
	writeJSON(w, ae.status, map[string]string{"error": ae.msg})
}
