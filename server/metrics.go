package server

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// metrics are the server's Prometheus series, in a registry of its own
// (so two servers in one process, as in tests, do not collide).
type metrics struct {
	reg         *prometheus.Registry
	requests    *prometheus.CounterVec   // by endpoint and status code
	latency     *prometheus.HistogramVec // by endpoint
	errors      *prometheus.CounterVec   // by kind
	batchRows   *prometheus.HistogramVec // rows per runtime batch, by model
	evaluations *prometheus.CounterVec   // rows run, by model: rate() is evaluations/s
	runErrors   *prometheus.CounterVec   // runtime failures, by model
	runSeconds  *prometheus.CounterVec   // time inside the runtime, by model
}

func newMetrics(s *Server) *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "lucid_http_requests_total",
		Help: "HTTP requests answered, by endpoint and status code."}, []string{"endpoint", "code"})
	m.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "lucid_http_request_duration_seconds",
		Help: "Time to answer a request, by endpoint.", Buckets: prometheus.ExponentialBuckets(0.0005, 2, 18)}, []string{"endpoint"})
	m.errors = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "lucid_errors_total",
		Help: "Error responses by kind: bad_request, unauthorized, not_found, unknown_model, too_large, queue_full, timeout, cancelled, unavailable, model."}, []string{"kind"})
	m.batchRows = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "lucid_batch_rows",
		Help: "Rows per ONNX Runtime batch, by model.", Buckets: prometheus.ExponentialBuckets(1, 2, 13)}, []string{"model"})
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
	explainMem := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "lucid_explain_memory_bytes",
		Help: "Estimated bytes the explanations in flight hold of --explain-memory-budget."},
		func() float64 { return float64(s.mem.inUse()) })
	conns := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "lucid_open_connections",
		Help: "Connections open (at most --max-conns)."},
		func() float64 { return float64(s.OpenConns()) })
	m.reg.MustRegister(m.requests, m.latency, m.errors, m.batchRows, m.evaluations, m.runErrors, m.runSeconds, inFlight, queued, explainMem, conns,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func (m *metrics) observeRun(model string, rows int, d time.Duration, err error) {
	if err != nil {
		m.runErrors.WithLabelValues(model).Inc()
		return
	}
	m.batchRows.WithLabelValues(model).Observe(float64(rows))
	m.evaluations.WithLabelValues(model).Add(float64(rows))
	m.runSeconds.WithLabelValues(model).Add(d.Seconds())
}

// statusWriter remembers the status a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	status int
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
func (m *metrics) wrap(endpoint string, h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		h(sw, r)
		if sw.status == 0 {
			sw.status = http.StatusOK
		}
		m.requests.WithLabelValues(endpoint, strconv.Itoa(sw.status)).Inc()
		m.latency.WithLabelValues(endpoint).Observe(time.Since(start).Seconds())
	})
}
