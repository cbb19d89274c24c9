package bench

import (
	"context"
	"fmt"
	"io"
	"math"
	"sort"
	"sync"
	"time"

	"github.com/lucid-nlp/lucid/attribution/game"
	"github.com/lucid-nlp/lucid/attribution/shapley"
	"github.com/lucid-nlp/lucid/bench/baselines"
)

// Estimator is one Shapley estimator as the accuracy table runs it.
type Estimator struct {
	Name string
	Run  func(ctx context.Context, g game.Game, budget int, seed uint64) (*game.Attribution, error)
}

// Estimators are the published baselines and Lucid's default, in the order
// the table prints them.
var Estimators = []Estimator{
	{"leverageshap", baseline(baselines.LeverageSHAP)},
	{"kaddshap", baseline(baselines.KAddSHAP)},
	{"regressionmsr", baseline(baselines.RegressionMSR)},
	{"oddshap", baseline(baselines.OddSHAP)},
	{"lucid-plain", func(ctx context.Context, g game.Game, budget int, seed uint64) (*game.Attribution, error) {
		return shapley.KernelSHAP(ctx, g, shapley.KernelSHAPOptions{Budget: budget, Seed: seed})
	}},
	{"lucid", func(ctx context.Context, g game.Game, budget int, seed uint64) (*game.Attribution, error) {
		return shapley.KernelSHAP(ctx, g, shapley.KernelSHAPOptions{Budget: budget, Seed: seed, OddRefinement: true})
	}},
}

func baseline(f func(context.Context, game.Game, shapley.BaselineOptions) (*game.Attribution, error)) func(context.Context, game.Game, int, uint64) (*game.Attribution, error) {
	return func(ctx context.Context, g game.Game, budget int, seed uint64) (*game.Attribution, error) {
		return f(ctx, g, shapley.BaselineOptions{Budget: budget, Seed: seed})
	}
}

// EstimatorRow is one estimator at one budget over every table and seed.
type EstimatorRow struct {
	Method string `json:"method"`
	Budget int    `json:"budget"`
	// Mean and P90 are the mean and 90th percentile of |φ̂_i − φ_i| over
	// every feature of every sentence and seed.
	Mean float64 `json:"mean_abs_error"`
	P90  float64 `json:"p90_abs_error"`
	// MeanLow and MeanHigh are a 95% interval for Mean from the spread of
	// the per-sentence means (sentences are the independent units).
	MeanLow  float64 `json:"mean_low"`
	MeanHigh float64 `json:"mean_high"`
	// CPUSeconds is the estimator's mean time per explanation outside the
	// model (the table answers instantly).
	CPUSeconds float64 `json:"cpu_seconds_per_explanation"`
	// MeanEvaluations is the mean number of distinct coalitions valued.
	MeanEvaluations float64 `json:"mean_evaluations"`
	// Coverage is the share of features whose 95% interval,
	// φ̂_i ± 1.96·StdErr_i, held the exact value, over the runs that
	// reported standard errors (CoveredRuns of Runs); 0 when none did.
	Coverage    float64 `json:"coverage,omitempty"`
	CoveredRuns int     `json:"covered_runs,omitempty"`
	Runs        int     `json:"runs"`
	Sentences   int     `json:"sentences"`
	Seeds       int     `json:"seeds"`
}

// EstimatorAccuracy runs every estimator at every budget with seeds 1..seeds
// on every table, against the tables' exact Shapley values. progress, when
// not nil, gets a line per row.
func EstimatorAccuracy(ctx context.Context, tables []CachedTable, ests []Estimator, budgets []int, seeds int, progress io.Writer) ([]EstimatorRow, error) {
	if len(tables) == 0 || seeds < 1 {
		return nil, fmt.Errorf("bench: estimator accuracy needs tables and at least one seed (have %d tables, %d seeds)", len(tables), seeds)
	}
	var rows []EstimatorRow
	for _, e := range ests {
		for _, b := range budgets {
			row := EstimatorRow{Method: e.Name, Budget: b, Sentences: len(tables), Seeds: seeds}
			var errs []float64
			perSentence := make([]float64, len(tables))
			var mu sync.Mutex
			var firstErr error
			var cpu time.Duration
			var evals, covered, intervals, coveredRuns int
			var wg sync.WaitGroup
			sem := make(chan struct{}, 2)
			for ti, t := range tables {
				wg.Add(1)
				sem <- struct{}{}
				go func() {
					defer wg.Done()
					defer func() { <-sem }()
					var local []float64
					var localCPU time.Duration
					localEvals, localCovered, localIntervals, localRuns := 0, 0, 0, 0
					for seed := 1; seed <= seeds; seed++ {
						if ctx.Err() != nil {
							return
						}
						g := t.Table.Game()
						start := time.Now()
						a, err := e.Run(ctx, g, b, uint64(seed))
						localCPU += time.Since(start)
						if err == nil && g.Counted() > b {
							err = fmt.Errorf("%s valued %d coalitions at budget %d", e.Name, g.Counted(), b)
						}
						if err != nil {
							mu.Lock()
							if firstErr == nil {
								firstErr = err
							}
							mu.Unlock()
							return
						}
						localEvals += g.Counted()
						for i, v := range a.Values {
							local = append(local, math.Abs(v-t.Exact[i]))
						}
						if a.StdErr != nil {
							localRuns++
							for i, v := range a.Values {
								localIntervals++
								if math.Abs(v-t.Exact[i]) <= 1.96*a.StdErr[i] {
									localCovered++
								}
							}
						}
					}
					s := 0.0
					for _, d := range local {
						s += d
					}
					mu.Lock()
					errs = append(errs, local...)
					perSentence[ti] = s / float64(len(local))
					cpu += localCPU
					evals += localEvals
					covered += localCovered
					intervals += localIntervals
					coveredRuns += localRuns
					mu.Unlock()
				}()
			}
			wg.Wait()
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			if firstErr != nil {
				return nil, fmt.Errorf("bench: %s at budget %d: %w", e.Name, b, firstErr)
			}
			row.Runs = len(tables) * seeds
			sort.Float64s(errs)
			s := 0.0
			for _, d := range errs {
				s += d
			}
			row.Mean = s / float64(len(errs))
			row.P90 = errs[int(0.9*float64(len(errs)-1))]
			row.MeanLow, row.MeanHigh = meanInterval(perSentence)
			row.CPUSeconds = cpu.Seconds() / float64(row.Runs)
			row.MeanEvaluations = float64(evals) / float64(row.Runs)
			if intervals > 0 {
				row.Coverage = float64(covered) / float64(intervals)
				row.CoveredRuns = coveredRuns
			}
			rows = append(rows, row)
			if progress != nil {
				fmt.Fprintf(progress, "accuracy: %-13s budget %4d: mean |error| %.5f, p90 %.5f, cpu %.2f ms, coverage %.3f\n", e.Name, b, row.Mean, row.P90, 1000*row.CPUSeconds, row.Coverage)
			}
		}
	}
	return rows, nil
}

// meanInterval is the mean of xs with a 95% t interval (normal beyond 30).
func meanInterval(xs []float64) (float64, float64) {
	n := float64(len(xs))
	m := 0.0
	for _, x := range xs {
		m += x / n
	}
	if len(xs) < 2 {
		return m, m
	}
	v := 0.0
	for _, x := range xs {
		v += (x - m) * (x - m) / (n - 1)
	}
	t := 2.07 // t_{0.975} for about 23 degrees of freedom
	if len(xs) > 30 {
		t = 1.96
	}
	h := t * math.Sqrt(v/n)
	return m - h, m + h
}
