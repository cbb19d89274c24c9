package main

import (
	"flag"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/lucid-nlp/lucid/report"
)

// tensorBoardUsage is --tensorboard's help, the same on audit, compare and
// bench.
const tensorBoardUsage = "folder to add a TensorBoard event file to (events.out.tfevents.*): this run's figures as scalars at step = the run's index in the folder (0, 1, 2, …), verdicts as text; view with tensorboard --logdir, or wandb sync"

func registerTensorBoard(fs *flag.FlagSet) *string {
	return fs.String("tensorboard", "", tensorBoardUsage)
}

// writeTensorBoard adds run to the TensorBoard folder dir (nothing when dir
// is empty) and says where.
func writeTensorBoard(dir string, run report.HistoryRun, stdout io.Writer) error {
	if dir == "" {
		return nil
	}
	path, step, err := report.WriteTensorBoard(dir, run)
	if err != nil {
		return fmt.Errorf("--tensorboard: %w", err)
	}
	fmt.Fprintf(stdout, "tensorboard: %s (step %d, %d figures)\n", termSafe(path), step, len(run.Metrics))
	return nil
}

// benchRun is a bench's figures for --tensorboard: the best batched
// throughput, per method and cost setting the evaluations and wall
// seconds per explanation, evaluations per second, efficiency (with the
// range over the rounds as its interval) and the model's share of the
// time, and with --accuracy each estimator's error at each budget. A
// figure that is not finite is left out.
func benchRun(r *benchReport) report.HistoryRun {
	run := report.HistoryRun{GeneratedAt: time.Now().UTC().Format(time.RFC3339), Command: "bench", Model: r.Model, Data: r.Source}
	add := func(name, grp string, v float64, lo, hi *float64, n int) {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return
		}
		run.Metrics = append(run.Metrics, report.HistoryMetric{Name: name, Group: grp, Value: v, Low: lo, High: hi, N: n})
	}
	if tp := r.Throughput; tp != nil {
		add("throughput.best_rows_per_second", "", tp.Best, nil, nil, r.Sentences)
		if tp.Gradient != nil {
			add("throughput.gradient_best_rows_per_second", "", tp.Gradient.Best, nil, nil, r.Sentences)
		}
	}
	for _, m := range r.Methods {
		grp := resultName(m) + " " + costSetting(m.Method, m.Budget, m.Steps)
		n := m.Explanations
		add("methods.evaluations_per_explanation", grp, m.EvaluationsPerText, nil, nil, n)
		add("methods.wall_seconds_per_explanation", grp, m.WallSecondsPerText, nil, nil, n)
		add("methods.evaluations_per_second", grp, m.EvaluationsPerSecond, nil, nil, n)
		lo, hi := m.EfficiencyRange[0], m.EfficiencyRange[1]
		add("methods.efficiency", grp, m.Efficiency, &lo, &hi, n)
		add("methods.model_share", grp, m.ModelShare, nil, nil, n)
	}
	for _, e := range r.Estimators {
		grp := fmt.Sprintf("%s budget %d", e.Method, e.Budget)
		lo, hi := e.MeanLow, e.MeanHigh
		add("estimators.mean_abs_error", grp, e.Mean, &lo, &hi, e.Sentences)
		add("estimators.p90_abs_error", grp, e.P90, nil, nil, e.Sentences)
		if e.CoveredRuns > 0 {
			add("estimators.coverage", grp, e.Coverage, nil, nil, e.CoveredRuns)
		}
	}
	return run
}
