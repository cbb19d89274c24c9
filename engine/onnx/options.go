package onnx

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"

	"github.com/lucid-nlp/lucid/engine"
)

// Device says where a model runs: the CPU, or a CUDA GPU by index.
type Device struct {
	CUDA bool
	ID   int
}

// String gives the form ParseDevice reads: "cpu" or "cuda:N".
func (d Device) String() string {
	if d.CUDA {
		return "cuda:" + strconv.Itoa(d.ID)
	}
	return "cpu"
}

// ParseDevice reads "cpu", "cuda" (GPU 0) or "cuda:N".
func ParseDevice(s string) (Device, error) {
	switch {
	case s == "" || s == "cpu":
		return Device{}, nil
	case s == "cuda" || s == "gpu":
		return Device{CUDA: true}, nil
	case strings.HasPrefix(s, "cuda:"):
		n, err := strconv.Atoi(strings.TrimPrefix(s, "cuda:"))
		if err != nil || n < 0 {
			return Device{}, fmt.Errorf("onnx: device %q: want cpu, cuda or cuda:N with N a GPU index", s)
		}
		return Device{CUDA: true, ID: n}, nil
	}
	return Device{}, fmt.Errorf("onnx: device %q: want cpu, cuda or cuda:N", s)
}

type config struct {
	library  string
	device   Device
	threads  int
	sessions int
	labels   []string
	head     engine.Head
	headSet  bool

	// threadsSet says WithThreads chose threads: the gradient graph then
	// uses them too, else its own default (DefaultGradientThreads).
	threadsSet bool

	// graphCache is the optimized-graph cache folder ("" the default,
	// "off" none); warn receives what the cache could not do.
	graphCache string
	warn       func(string)
	// spin lets ONNX Runtime's intra-op threads busy-wait for work
	// between operators; see WithSpinning.
	spin bool
}

func defaults() config {
	return config{threads: runtime.NumCPU(), sessions: 1, spin: false, warn: func(msg string) { fmt.Fprintln(os.Stderr, "warning: "+msg) }}
}

// WithGraphCache sets the folder ONNX Runtime's optimized graphs are cached
// in (default: $LUCID_GRAPH_CACHE, else none); "off" opens every graph from
// its file, optimizing it each time.
func WithGraphCache(dir string) Option { return func(c *config) { c.graphCache = dir } }

// WithSpinning sets whether ONNX Runtime's intra-op threads busy-wait
// between operators (ONNX Runtime's own default) or sleep (Lucid's
// default). Measured with the shipped model on this project's 2-CPU
// machine under a load of about 17 (README, "Threads"): 2 spinning
// threads ran 57-82 rows/s at 2.0-2.3 ms of CPU per row, 2 sleeping
// threads 109-135 rows/s at 1.0-1.1 ms, 1 thread 63-128 rows/s: on a
// shared machine a spinning thread burns the CPU another process (or
// the other thread) needed.
func WithSpinning(on bool) Option { return func(c *config) { c.spin = on } }

// WithWarnings sends what Open could not do but worked around (an
// unwritable graph cache, say) to warn instead of standard error.
func WithWarnings(warn func(string)) Option {
	return func(c *config) {
		if warn != nil {
			c.warn = warn
		}
	}
}

// Option configures Open.
type Option func(*config)

// WithLibrary sets the ONNX Runtime shared library explicitly, overriding
// $LUCID_ORT_LIB and the cache folder.
func WithLibrary(path string) Option { return func(c *config) { c.library = path } }

// WithDevice selects the execution provider (default: the CPU).
func WithDevice(d Device) Option { return func(c *config) { c.device = d } }

// WithThreads sets ONNX Runtime's intra-op threads per session (default: the
// number of CPUs; the gradient graph's, DefaultGradientThreads). Values
// below 1 keep the defaults.
func WithThreads(n int) Option {
	return func(c *config) {
		if n > 0 {
			c.threads, c.threadsSet = n, true
		}
	}
}

// WithSessions sets how many sessions the pool holds, that is how many
// batches may run at once (default 1: on a CPU one session with all cores as
// intra-op threads is fastest; more help on GPUs and many-core hosts).
func WithSessions(n int) Option {
	return func(c *config) {
		if n > 0 {
			c.sessions = n
		}
	}
}

// WithHead says how the model's logits become probabilities (from
// config.json's problem_type, or a --head flag). Without it transformers'
// rule holds: a model with one output is a regression head, one with more
// a single-label (softmax) classifier. A single-label head needs at least
// two outputs (the softmax of one logit is always 1), so WithHead
// (SingleLabel) on a one-output graph is refused at Open.
func WithHead(h engine.Head) Option { return func(c *config) { c.head, c.headSet = h, true } }

// WithLabels names the model's outputs (from config.json's id2label). Without
// it labels are LABEL_0, LABEL_1, ...
func WithLabels(labels []string) Option {
	return func(c *config) { c.labels = append([]string(nil), labels...) }
}
