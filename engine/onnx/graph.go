package onnx

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	ort "github.com/yalue/onnxruntime_go"
)

// graph is one .onnx file opened as a pool of sessions. Each session has its
// own RunOptions so a cancelled context can stop exactly the run it started.
type graph struct {
	path    string
	inputs  map[string]ort.InputOutputInfo
	outputs map[string]ort.InputOutputInfo
	pool    chan *session
	all     []*session
	from    string // where the first session was opened from (cachePlan.String)
}

type session struct {
	s    *ort.DynamicAdvancedSession
	opts *ort.RunOptions
}

// describeGraph reads a graph's inputs and outputs from the graph itself.
func describeGraph(gf graphFile) (map[string]ort.InputOutputInfo, map[string]ort.InputOutputInfo, error) {
	var ins, outs []ort.InputOutputInfo
	var err error
	if gf.data != nil {
		ins, outs, err = ort.GetInputOutputInfoWithONNXData(gf.data)
	} else {
		// The names and shapes are the file's own: a session that skips
		// the optimizers reads them without the cost of a full open
		// (seconds for a base-size model), which the real session pays
		// once, or not at all with the graph cache.
		var so *ort.SessionOptions
		if so, err = ort.NewSessionOptions(); err != nil {
			return nil, nil, fmt.Errorf("onnx: session options: %w", err)
		}
		defer so.Destroy()
		if err = so.SetGraphOptimizationLevel(ort.GraphOptimizationLevelDisableAll); err == nil {
			err = so.SetIntraOpNumThreads(1)
		}
		if err != nil {
			return nil, nil, fmt.Errorf("onnx: session options: %w", err)
		}
		ins, outs, err = ort.GetInputOutputInfoWithOptions(gf.path, so)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("onnx: %s is not a model ONNX Runtime can read: %w", gf.path, err)
	}
	in := make(map[string]ort.InputOutputInfo, len(ins))
	for _, i := range ins {
		in[i.Name] = i
	}
	out := make(map[string]ort.InputOutputInfo, len(outs))
	for _, o := range outs {
		out[o.Name] = o
	}
	return in, out, nil
}

// openGraph opens cfg.sessions sessions of gf that feed inputNames (in
// that order) and fetch outputNames (in that order).
func openGraph(gf graphFile, cfg config, inputNames, outputNames []string,
	in, out map[string]ort.InputOutputInfo) (*graph, error) {
	g := &graph{path: gf.path, inputs: in, outputs: out, pool: make(chan *session, cfg.sessions)}
	for i := range cfg.sessions {
		// Planned per session: the first one writes the cache entry that
		// the others then read.
		plan, warning := planCache(gf, cfg)
		if warning != "" {
			cfg.warn(warning)
		}
		s, err := newSession(gf, cfg, plan, inputNames, outputNames)
		if err != nil && plan.hit {
			// A damaged cache entry must not stop the model from
			// opening: drop it and optimize from the model file again.
			cfg.warn(fmt.Sprintf("onnx: the cached optimized graph %s does not open (%v); removing it and opening %s", plan.load, err, gf.path))
			os.Remove(plan.load)
			plan, warning = planCache(gf, cfg)
			if warning != "" {
				cfg.warn(warning)
			}
			s, err = newSession(gf, cfg, plan, inputNames, outputNames)
		}
		if err != nil {
			plan.abandon()
			g.close()
			return nil, err
		}
		if warning := plan.commit(); warning != "" {
			cfg.warn(warning)
		}
		if i == 0 {
			g.from = plan.String()
		}
		g.all = append(g.all, s)
		g.pool <- s
	}
	return g, nil
}

func newSession(gf graphFile, cfg config, plan cachePlan, inputNames, outputNames []string) (*session, error) {
	so, err := ort.NewSessionOptions()
	if err != nil {
		return nil, fmt.Errorf("onnx: session options: %w", err)
	}
	defer so.Destroy()
	if err := so.SetIntraOpNumThreads(cfg.threads); err != nil {
		return nil, fmt.Errorf("onnx: setting %d intra-op threads: %w", cfg.threads, err)
	}
	// Errors come back to us as Go errors and are reported once; ONNX
	// Runtime's own log line for the same failure would say it twice.
	if err := so.SetLogSeverityLevel(ort.LoggingLevelFatal); err != nil {
		return nil, fmt.Errorf("onnx: setting the log level: %w", err)
	}
	if err := so.SetInterOpNumThreads(1); err != nil {
		return nil, fmt.Errorf("onnx: setting inter-op threads: %w", err)
	}
	if !cfg.spin {
		if err := so.AddSessionConfigEntry("session.intra_op.allow_spinning", "0"); err != nil {
			return nil, fmt.Errorf("onnx: turning intra-op spinning off: %w", err)
		}
	}
	if cfg.device.CUDA {
		if err := appendCUDA(so, cfg.device); err != nil {
			return nil, err
		}
	}
	if err := plan.setCacheOptions(so); err != nil {
		return nil, err
	}
	var s *ort.DynamicAdvancedSession
	if plan.hit {
		s, err = ort.NewDynamicAdvancedSession(plan.load, inputNames, outputNames, so)
	} else if gf.data != nil {
		// ONNX Runtime parses the bytes into its own copy: gf.data is not
		// referenced once the session exists.
		s, err = ort.NewDynamicAdvancedSessionWithONNXData(gf.data, inputNames, outputNames, so)
	} else {
		s, err = ort.NewDynamicAdvancedSession(gf.path, inputNames, outputNames, so)
	}
	if err != nil {
		return nil, fmt.Errorf("onnx: opening %s on %s: %w", gf.path, cfg.device, err)
	}
	ro, err := ort.NewRunOptions()
	if err != nil {
		s.Destroy()
		return nil, fmt.Errorf("onnx: run options: %w", err)
	}
	return &session{s: s, opts: ro}, nil
}

func appendCUDA(so *ort.SessionOptions, d Device) error {
	co, err := ort.NewCUDAProviderOptions()
	if err != nil {
		return cudaError(d, err)
	}
	defer co.Destroy()
	if err := co.Update(map[string]string{"device_id": fmt.Sprint(d.ID)}); err != nil {
		return cudaError(d, err)
	}
	if err := so.AppendExecutionProviderCUDA(co); err != nil {
		return cudaError(d, err)
	}
	return nil
}

// ErrNoCUDA is returned (wrapped) when the CUDA execution provider cannot be
// enabled: a CPU-only ONNX Runtime build, missing CUDA/cuDNN libraries, or no GPU.
var ErrNoCUDA = errors.New("CUDA execution provider unavailable")

func cudaError(d Device, err error) error {
	return fmt.Errorf("onnx: device %s: %w: %v (the ONNX Runtime library %s must be a CUDA build, e.g. from scripts/setup_ort.sh --gpu, with CUDA 13, cuDNN 9 and an NVIDIA GPU present; use --device cpu otherwise)",
		d, ErrNoCUDA, err, RuntimeLibrary())
}

// ErrSequenceTooLong is returned (wrapped) when a run fails because a
// sequence is longer than the graph's position-embedding table: config.json's
// max_position_embeddings is larger than the graph allows.
var ErrSequenceTooLong = errors.New("the sequence is longer than the model's position embeddings allow (is config.json's max_position_embeddings larger than the graph's table?)")

// run feeds inputs through one pooled session and fills outputs, and
// returns how long the session ran. It waits for a free session unless ctx
// ends first, and stops a running session when ctx is cancelled.
func (g *graph) run(ctx context.Context, inputs, outputs []ort.Value) (time.Duration, error) {
	var s *session
	select {
	case s = <-g.pool:
	case <-ctx.Done():
		return 0, ctx.Err()
	}
	defer func() { g.pool <- s }()
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	start := time.Now()
	terminated := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		_ = s.opts.Terminate()
		close(terminated)
	})
	err := s.s.RunWithOptions(inputs, outputs, s.opts)
	elapsed := time.Since(start)
	if !stop() {
		// The terminate flag was set (or is being set): wait for it, then
		// clear it so the next run on this session is not stopped too.
		<-terminated
		_ = s.opts.UnsetTerminate()
	}
	if ctx.Err() != nil {
		return 0, ctx.Err()
	}
	if err != nil {
		if msg := err.Error(); strings.Contains(msg, "position") && strings.Contains(msg, "out of data bounds") {
			return 0, fmt.Errorf("onnx: running %s: %w: %v", g.path, ErrSequenceTooLong, err)
		}
		return 0, fmt.Errorf("onnx: running %s: %w", g.path, err)
	}
	return elapsed, nil
}

func (g *graph) close() {
	for _, s := range g.all {
		_ = s.opts.Destroy()
		_ = s.s.Destroy()
	}
	g.all = nil
}
