package server

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/lucid-nlp/lucid/engine/batching"
)

// metrics are the server's Prometheus series, in a registry of its own
// (so two servers in one process, as in tests, do not collide).
type metrics struct {
	reg         *prometheus.Registry
	requests    *prometheus.CounterVec   // by endpoint, verb and status code
	latency     *prometheus.HistogramVec // by endpoint and verb
	active      *prometheus.GaugeVec     // admitted requests not finished, by verb
	errors      *prometheus.CounterVec   // by kind
	batchRows   *prometheus.HistogramVec // rows per runtime batch, by model
	batchFill   *prometheus.HistogramVec // rows per batch ÷ the maximum batch, by model
	evaluations *prometheus.CounterVec   // rows run, by model: rate() is evaluations/s
	runErrors   *prometheus.CounterVec   // runtime failures, by model
	runSeconds  *prometheus.CounterVec   // time inside the runtime, by model
}

func newMetrics(s *Server) *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "lucid_http_requests_total",
		Help: "HTTP requests answered, by endpoint (route pattern), verb (predict, explain, infer, other) and status code."}, []string{"endpoint", "verb", "code"})
	m.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "lucid_http_request_duration_seconds",
		Help: "Time to answer a request, by endpoint and verb (predict, explain, infer, other).", Buckets: prometheus.ExponentialBuckets(0.0005, 2, 18)}, []string{"endpoint", "verb"})
	m.active = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "lucid_requests_active",
		Help: "Predict, explain and infer requests admitted and not finished, by verb (the request queue's depth per class)."}, []string{"verb"})
	m.errors = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "lucid_errors_total",
		Help: "Error responses by kind: bad_request, unauthorized, not_found, method_not_allowed, unknown_model, unknown_version, too_large, queue_full, timeout, cancelled, unavailable, model."}, []string{"kind"})
	m.batchRows = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "lucid_batch_rows",
		Help: "Rows per ONNX Runtime batch, by model.", Buckets: prometheus.ExponentialBuckets(1, 2, 13)}, []string{"model"})
	m.batchFill = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "lucid_batch_fill_ratio",
		Help:    "Rows per ONNX Runtime batch divided by the maximum batch (--max-batch), by model.",
		Buckets: []float64{1.0 / 64, 1.0 / 16, 0.125, 0.25, 0.5, 0.75, 0.99, 1}}, []string{"model"})
	m.evaluations = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "lucid_model_evaluations_total",
		Help: "Rows (model evaluations) run, by model; rate() gives evaluations per second."}, []string{"model"})
	m.runErrors = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "lucid_model_run_errors_total",
		Help: "ONNX Runtime batches that failed, by model."}, []string{"model"})
	m.runSeconds = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "lucid_model_run_seconds_total",
		Help: "Seconds the network ran (without waits for a free session), by model."}, []string{"model"})
	inFlight := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "lucid_requests_in_flight",
		Help: "Predict, infer and explain requests admitted and not finished (the request queue's depth)."},
		func() float64 { return float64(len(s.admit)) })
	queued := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "lucid_batch_queue_rows",
		Help: "Rows waiting for a dynamic batch, over all models."},
		func() float64 {
			n := 0
			for _, sm := range s.models {
				if sm.batcher != nil {
					n += sm.batcher.QueueRows()
				}
			}
			return float64(n)
		})
	// Rows waiting per scheduling class (engine/batching: predictions
	// first, explanations a bounded share), one gauge per class.
	var byClass []prometheus.Collector
	for _, c := range []batching.Class{batching.Predict, batching.Explain} {
		byClass = append(byClass, prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "lucid_batch_queue_class_rows",
			Help: "Rows waiting for a dynamic batch, over all models, by scheduling class.", ConstLabels: prometheus.Labels{"class": c.String()}},
			func() float64 {
				n := 0
				for _, sm := range s.models {
					if sm.batcher != nil {
						n += sm.batcher.QueueDepth(c)
					}
				}
				return float64(n)
			}))
	}
	explainMem := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "lucid_explain_memory_bytes",
		Help: "Estimated bytes the explanations in flight hold of --explain-memory-budget."},
		func() float64 { return float64(s.mem.inUse()) })
	conns := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "lucid_open_connections",
		Help: "Connections open (at most --max-conns)."},
		func() float64 { return float64(s.OpenConns()) })
	for _, v := range []string{verbPredict, verbExplain, verbInfer} {
		m.active.WithLabelValues(v) // shown at 0 before the first request
	}
	m.reg.MustRegister(m.requests, m.latency, m.active, m.errors, m.batchRows, m.batchFill, m.evaluations, m.runErrors, m.runSeconds, inFlight, queued, explainMem, conns,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.reg.MustRegister(byClass...)
	return m
}

func (m *metrics) observeRun(model string, rows, maxBatch int, d time.Duration, err error) {
	if err != nil {
		m.runErrors.WithLabelValues(model).Inc()
		return
	}
	m.batchRows.WithLabelValues(model).Observe(float64(rows))
	m.batchFill.WithLabelValues(model).Observe(float64(rows) / float64(maxBatch))
	m.evaluations.WithLabelValues(model).Add(float64(rows))
	m.runSeconds.WithLabelValues(model).Add(d.Seconds())
}

// The verb label's values: what a request asks of a model.
const (
	verbPredict = "predict"
	verbExplain = "explain"
	verbInfer   = "infer"
	verbOther   = "other" // health, metadata, listings, metrics, the page, errors
)

// statusWriter remembers the status a handler wrote, and carries the
// request's endpoint and verb labels, which a handler may refine (v1Verb
// knows :predict from :explain only once it has split the path).
type statusWriter struct {
	http.ResponseWriter
	status   int
	endpoint string
	verb     string
}

// labelled returns the statusWriter under w (nil when w has none).
func labelled(w http.ResponseWriter) *statusWriter {
	for {
		switch x := w.(type) {
		case *statusWriter:
			return x
		case interface{ Unwrap() http.ResponseWriter }:
			w = x.Unwrap()
		default:
			return nil
		}
	}
}

// setVerb sets the labels of w's request.
func setVerb(w http.ResponseWriter, endpoint, verb string) {
	if sw := labelled(w); sw != nil {
		sw.endpoint, sw.verb = endpoint, verb
	}
}

// verbOf returns the verb label of w's request.
func verbOf(w http.ResponseWriter) string {
	if sw := labelled(w); sw != nil {
		return sw.verb
	}
	return verbOther
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// wrap counts and times the requests of one endpoint (named by its route
// pattern, never by the path, so a scan of random paths adds no series).
func (m *metrics) wrap(endpoint, verb string, h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, endpoint: endpoint, verb: verb}
		h(sw, r)
		if sw.status == 0 {
			sw.status = http.StatusOK
		}
		m.requests.WithLabelValues(sw.endpoint, sw.verb, strconv.Itoa(sw.status)).Inc()
		m.latency.WithLabelValues(sw.endpoint, sw.verb).Observe(time.Since(start).Seconds())
	})
}
