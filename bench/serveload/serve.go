package serveload

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/lucid-nlp/lucid/engine/batching"
	"github.com/lucid-nlp/lucid/models"
	"github.com/lucid-nlp/lucid/server"
)

// ServeConfig says what ServeBench measures. Zero fields take the
// defaults in the comments.
type ServeConfig struct {
	// Classifier is the model the servers serve (and the floor runs on);
	// ServeBench does not close it.
	Classifier *models.Classifier
	// ModelName names it in the URLs (default "m").
	ModelName string
	// Texts are sent one per request, in turn.
	Texts []string
	// PredictRequests and ExplainRequests are the requests of one run
	// (default 500 and 8).
	PredictRequests, ExplainRequests int
	// Concurrency lists the closed-loop clients of the runs (default 1, 8, 64).
	Concurrency []int
	// Method and Budget are the explanations' (default kernelshap, 256).
	Method string
	Budget int
	// MaxBatch is the batcher's largest batch (default: the floor's best
	// batch size); MaxWait its wait (default batching.DefaultMaxWait;
	// negative: none).
	MaxBatch int
	MaxWait  time.Duration
	// Sessions is the model's sessions (default 1; the classifier must
	// have been opened with as many).
	Sessions int
	// Rounds repeats every run, alternating batching off and on, so a
	// shared machine's drift shows as a range (default 1).
	Rounds int
	// OverloadRequests are sent at twice the sustained predict rate to a
	// server admitting OverloadQueue requests at once (default 64);
	// 0 skips the overload run.
	OverloadRequests, OverloadQueue int
	// RSSRequests predict requests at RSSConcurrency clients (default 8)
	// are sent between two readings of the process's resident memory;
	// 0 skips it.
	RSSRequests, RSSConcurrency int
	// MixedPredictClients predict clients (default 8) run alone and then
	// beside MixedExplainClients explain clients (default 2; negative
	// skips the mixed runs), each round, on the batching server: whether
	// explanations starve predictions.
	MixedPredictClients, MixedExplainClients int
	// Progress, when set, gets one line per step.
	Progress io.Writer
}

// ServeReport is what ServeBench measured.
type ServeReport struct {
	Model       string     `json:"model"`
	Device      string     `json:"device"`
	CPUs        int        `json:"cpus"`
	Texts       int        `json:"texts"`
	Method      string     `json:"method"`
	Budget      int        `json:"budget"`
	MaxBatch    int        `json:"max_batch"`
	MaxWaitMs   float64    `json:"max_wait_ms"`
	Sessions    int        `json:"sessions"`
	Rounds      int        `json:"rounds"`
	Floor       Floor      `json:"floor"`
	Runs        []ServeRun `json:"runs"`
	Gains       []Gain     `json:"batching_gain"`
	Overload    *Overload  `json:"overload,omitempty"`
	Memory      *Memory    `json:"memory,omitempty"`
	Mixed       *Mixed     `json:"mixed,omitempty"`
	Targets     []Target   `json:"targets"`
	WallSeconds float64    `json:"wall_seconds"`
}

// Floor is the engine's batched floor on the same texts, without HTTP:
// the best rows/s over batch sizes (from one row) and runners (one, and
// the model's sessions at once) on the median-length text, then at that
// batch and runners for each text's length, averaged over the texts as
// they are sent (a harmonic mean, for explanations weighted by each
// text's evaluations). It is read before and after the runs; the figures
// are the higher reading, the engine's best in this run, and the ranges
// span the readings.
type Floor struct {
	BestBatch   int `json:"best_batch"`
	BestRunners int `json:"best_runners"`
	// PredictRowsPerSecond is the floor of the predict runs; ExplainRowsPerSecond of the explain runs.
	PredictRowsPerSecond float64    `json:"predict_rows_per_second"`
	PredictRange         [2]float64 `json:"predict_range"`
	ExplainRowsPerSecond float64    `json:"explain_rows_per_second"`
	ExplainRange         [2]float64 `json:"explain_range"`
	// EvaluationsPerExplanation is the mean evaluations of one
	// explanation of the texts sent.
	EvaluationsPerExplanation float64       `json:"evaluations_per_explanation"`
	Before                    *FloorReading `json:"before"`
	After                     *FloorReading `json:"after"`
}

// Mixed is whether explanations starve predictions: on the batching
// server, predict clients alone, explain clients alone, then both at
// once, each round (issue 22's targets).
type Mixed struct {
	PredictClients int          `json:"predict_clients"`
	ExplainClients int          `json:"explain_clients"`
	Rounds         []MixedRound `json:"rounds"`
}

// MixedRound is one round of the mixed runs. The explanations' rate is
// evaluations/s: rows the model ran for them (in the mixed run, the rows
// it ran less the predictions' one row each).
type MixedRound struct {
	PredictAlone Result `json:"predict_alone"`
	PredictMixed Result `json:"predict_mixed"`
	ExplainAlone Round  `json:"explain_alone"`
	// ExplainMixedEvaluationsPerSecond is over the mixed predict run's
	// seconds; ExplainMixedRequests the explanations finished in it.
	ExplainMixedEvaluationsPerSecond float64 `json:"explain_mixed_evaluations_per_second"`
	ExplainMixedRequests             int     `json:"explain_mixed_requests"`
	// The ratios mixed ÷ alone.
	PredictThroughputRatio float64 `json:"predict_throughput_ratio"`
	PredictP50Ratio        float64 `json:"predict_p50_ratio"`
	ExplainThroughputRatio float64 `json:"explain_throughput_ratio"`
}

// ServeRun is one verb at one concurrency, batching on or off, over Rounds.
type ServeRun struct {
	Verb        string `json:"verb"`
	Batching    bool   `json:"batching"`
	Concurrency int    `json:"concurrency"`
	// Median is the round with the median evaluations/s.
	Median Round   `json:"median"`
	Rounds []Round `json:"rounds"`
	// FloorRatio is the median evaluations/s over the floor;
	// FloorRatioRange the lowest round over the higher floor reading
	// and the highest round over the lower one.
	FloorRatio      float64    `json:"floor_ratio"`
	FloorRatioRange [2]float64 `json:"floor_ratio_range"`
}

// Round is one measurement: the requests, and the rows the model ran for
// them as the server's metrics count them.
type Round struct {
	Result
	Evaluations          int     `json:"evaluations"`
	EvaluationsPerSecond float64 `json:"evaluations_per_second"`
	// MeanBatchRows is the mean rows of the runtime's batches.
	MeanBatchRows float64 `json:"mean_batch_rows"`
}

// Gain is batching on over off, in evaluations/s, at one concurrency.
type Gain struct {
	Verb        string     `json:"verb"`
	Concurrency int        `json:"concurrency"`
	Ratio       float64    `json:"ratio"`
	Range       [2]float64 `json:"range"`
	// Ceiling is the most any batcher could gain here: the floor (the
	// engine's best batched rate) over what batching off already reached.
	// Where unbatched requests already run the hardware at its batched
	// rate (a small model on few cores), no batcher can do better.
	Ceiling float64 `json:"ceiling"`
}

// Overload is the open-loop run at twice the sustained rate against a
// bounded queue: 429s are intended, anything else failed.
type Overload struct {
	SustainedPerSecond float64 `json:"sustained_per_second"`
	TargetPerSecond    float64 `json:"target_offered_per_second"`
	MaxQueue           int     `json:"max_queue"`
	Result             Result  `json:"result"`
	// Unintended is the requests that failed other than by a 429.
	Unintended int `json:"unintended_failures"`
}

// Memory is the process's resident memory (VmRSS: the server, in this
// process, with the load generator) before and after Requests predict
// requests.
type Memory struct {
	Requests      int     `json:"requests"`
	Concurrency   int     `json:"concurrency"`
	BeforeBytes   int64   `json:"rss_before_bytes"`
	AfterBytes    int64   `json:"rss_after_bytes"`
	GrowthPercent float64 `json:"growth_percent"`
	Result        Result  `json:"result"`
}

// Target is one of issue 9's goals and the figure measured for it; Met
// compares the median figure (see the run's range for the spread).
type Target struct {
	Name  string     `json:"name"`
	Value float64    `json:"value"`
	Range [2]float64 `json:"range"`
	Goal  string     `json:"goal"`
	Met   bool       `json:"met"`
}

// Limits of ServeConfig.
const (
	MaxServeTexts       = 100_000
	MaxServeRequests    = 10_000_000
	MaxServeConcurrency = 4096
	MaxServeRounds      = 100
)

func (c *ServeConfig) defaults() error {
	if c.Classifier == nil {
		return errors.New("load: no classifier to serve")
	}
	if c.ModelName == "" {
		c.ModelName = "m"
	}
	if len(c.Texts) == 0 || len(c.Texts) > MaxServeTexts {
		return fmt.Errorf("load: %d texts: want 1 to %d", len(c.Texts), MaxServeTexts)
	}
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&c.PredictRequests, 500)
	def(&c.ExplainRequests, 8)
	def(&c.MixedPredictClients, 8)
	def(&c.MixedExplainClients, 2)
	def(&c.Budget, 256)
	def(&c.Sessions, 1)
	def(&c.Rounds, 1)
	def(&c.OverloadQueue, 64)
	def(&c.RSSConcurrency, 8)
	if c.Method == "" {
		c.Method = "kernelshap"
	}
	if len(c.Concurrency) == 0 {
		c.Concurrency = []int{1, 8, 64}
	}
	if c.MaxWait == 0 {
		c.MaxWait = batching.DefaultMaxWait
	}
	for _, f := range []struct {
		name   string
		v, lim int
		lo     int
	}{{"predict requests", c.PredictRequests, MaxServeRequests, 1}, {"explain requests", c.ExplainRequests, MaxServeRequests, 1},
		{"rounds", c.Rounds, MaxServeRounds, 1}, {"overload requests", c.OverloadRequests, MaxServeRequests, 0},
		{"overload queue", c.OverloadQueue, 100_000, 1}, {"rss requests", c.RSSRequests, MaxServeRequests, 0},
		{"rss concurrency", c.RSSConcurrency, MaxServeConcurrency, 1}, {"max batch", c.MaxBatch, 4096, 0}, {"sessions", c.Sessions, 64, 1},
		{"mixed predict clients", c.MixedPredictClients, MaxServeConcurrency, 1}, {"mixed explain clients", c.MixedExplainClients, MaxServeConcurrency, -1}} {
		if f.v < f.lo || f.v > f.lim {
			return fmt.Errorf("load: %s %d: want %d to %d", f.name, f.v, f.lo, f.lim)
		}
	}
	for _, n := range c.Concurrency {
		if n < 1 || n > MaxServeConcurrency {
			return fmt.Errorf("load: concurrency %d: want 1 to %d", n, MaxServeConcurrency)
		}
	}
	return nil
}

// ServeBench starts `lucid serve`'s server in this process on a loopback
// port, with dynamic batching on and (a second server) off, and measures
// predict and explain requests at each concurrency against the engine's
// batched floor on the same texts, and each round the mixed runs (see
// Mixed); then an overload at twice the
// sustained rate against a bounded queue, and the process's resident
// memory over RSSRequests predict requests. The runs alternate batching
// off and on, round after round, so a shared machine's drift falls on
// both alike.
func ServeBench(ctx context.Context, c ServeConfig) (*ServeReport, error) {
	if err := c.defaults(); err != nil {
		return nil, err
	}
	began := time.Now()
	progress := func(format string, a ...any) {
		if c.Progress != nil {
			fmt.Fprintf(c.Progress, "bench serve: "+format+"\n", a...)
		}
	}
	clf := c.Classifier
	encs, err := clf.Tokenizer.EncodeBatch(c.Texts)
	if err != nil {
		return nil, err
	}
	lengths := make([]int, len(encs))
	for i, e := range encs {
		lengths[i] = e.Len()
	}
	rep := &ServeReport{Model: c.ModelName, Device: clf.Model.Device().String(), CPUs: runtime.NumCPU(), Texts: len(c.Texts),
		Method: c.Method, Budget: c.Budget, Sessions: c.Sessions, Rounds: c.Rounds}
	progress("%d texts; measuring the engine's batched floor (no HTTP)...", len(c.Texts))
	if rep.Floor.Before, err = readFloor(ctx, clf.Model, encs, c.Sessions, c.MaxBatch); err != nil {
		return nil, err
	}
	rep.Floor.BestBatch, rep.Floor.BestRunners = rep.Floor.Before.BestBatch, rep.Floor.Before.BestRunners
	rep.MaxBatch = c.MaxBatch
	if rep.MaxBatch == 0 {
		rep.MaxBatch = rep.Floor.BestBatch
	}
	rep.MaxWaitMs = max(0, float64(c.MaxWait)/float64(time.Millisecond))
	progress("floor %.0f rows/s at batch %d, %d runner(s), median length; starting the servers (batching on: max batch %d, max wait %v)",
		rep.Floor.Before.AtMedian[fmtKey(rep.Floor.BestBatch, rep.Floor.BestRunners)], rep.Floor.BestBatch, rep.Floor.BestRunners, rep.MaxBatch, c.MaxWait)

	maxConc := slices.Max(c.Concurrency)
	base := server.Config{RequestTimeout: time.Hour, MaxInFlight: max(server.DefaultMaxInFlight, 2*maxConc), Sessions: c.Sessions,
		Limits: server.Limits{MaxBudget: max(c.Budget, server.DefaultMaxBudget)},
		// Without batching the evaluator still batches an explanation's own
		// rows, in batches of this size: the same as with batching, so the
		// gain is the batcher's alone.
		Batch: batching.Options{MaxBatch: rep.MaxBatch}}
	on := base
	on.Batching = true
	on.Batch = batching.Options{MaxBatch: rep.MaxBatch, MaxWait: c.MaxWait, Concurrency: c.Sessions}
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	srvOff, urlOff, err := start(ctx, base, c.ModelName, clf)
	if err != nil {
		return nil, err
	}
	defer srvOff.Close()
	srvOn, urlOn, err := start(ctx, on, c.ModelName, clf)
	if err != nil {
		return nil, err
	}
	defer srvOn.Close()

	predictTexts := c.Texts[:min(len(c.Texts), c.PredictRequests)]
	explainTexts := c.Texts[:min(len(c.Texts), c.ExplainRequests)]
	params := map[string]any{"method": c.Method, "budget": c.Budget}
	// Warm both servers; the explanations' evaluations, one per text,
	// weight the explain floor (they are fixed by the seed).
	progress("warming up; explaining each of %d texts once to count its evaluations", len(explainTexts))
	for _, url := range []string{urlOff, urlOn} {
		if _, err := Run(ctx, Options{URL: url + ":predict", Texts: predictTexts, Concurrency: 8, Requests: min(200, 4*len(predictTexts))}); err != nil {
			return nil, err
		}
	}
	evals, err := countEvaluations(ctx, urlOn+":explain", explainTexts, params)
	if err != nil {
		return nil, err
	}
	rep.Floor.EvaluationsPerExplanation = mean(evals)

	type key struct {
		verb     string
		batching bool
		conc     int
	}
	rounds := map[key][]Round{}
	var order []key
	for r := range c.Rounds {
		for _, conc := range c.Concurrency {
			for _, verb := range []string{"predict", "explain"} {
				for _, b := range []bool{false, true} {
					k := key{verb, b, conc}
					if r == 0 {
						order = append(order, k)
					}
					srv, url := srvOff, urlOff
					if b {
						srv, url = srvOn, urlOn
					}
					o := Options{URL: url + ":" + verb, Texts: predictTexts, Concurrency: conc, Requests: c.PredictRequests, Timeout: time.Hour}
					if verb == "explain" {
						o.Texts, o.Requests, o.Parameters = explainTexts, c.ExplainRequests, params
					}
					rd, err := measured(ctx, srv, o)
					if err != nil {
						return nil, err
					}
					progress("round %d/%d: %s, batching %s, concurrency %d: %.1f requests/s, %.0f evaluations/s, %.1f rows/batch, p50 %.1fms p99 %.1fms, %d 429, %d failed",
						r+1, c.Rounds, verb, onOff(b), conc, rd.PerSecond, rd.EvaluationsPerSecond, rd.MeanBatchRows, rd.P50ms, rd.P99ms, rd.TooMany, rd.Failed)
					rounds[k] = append(rounds[k], rd)
				}
			}
		}
		if c.MixedExplainClients > 0 {
			if rep.Mixed == nil {
				rep.Mixed = &Mixed{PredictClients: c.MixedPredictClients, ExplainClients: c.MixedExplainClients}
			}
			mr, err := mixedRound(ctx, srvOn, urlOn, predictTexts, explainTexts, params, c)
			if err != nil {
				return nil, err
			}
			rep.Mixed.Rounds = append(rep.Mixed.Rounds, mr)
			progress("round %d/%d: mixed (batching on): predict at %d clients %.1f requests/s, p50 %.1fms alone; %.1f/s, p50 %.1fms beside %d explain clients (%.2f×, p50 %.2f×); explanations %.0f evaluations/s alone, %.0f mixed (%.2f×)",
				r+1, c.Rounds, c.MixedPredictClients, mr.PredictAlone.PerSecond, mr.PredictAlone.P50ms, mr.PredictMixed.PerSecond, mr.PredictMixed.P50ms,
				c.MixedExplainClients, mr.PredictThroughputRatio, mr.PredictP50Ratio, mr.ExplainAlone.EvaluationsPerSecond, mr.ExplainMixedEvaluationsPerSecond, mr.ExplainThroughputRatio)
		}
	}
	progress("measuring the floor again")
	if rep.Floor.After, err = readFloor(ctx, clf.Model, encs, c.Sessions, c.MaxBatch); err != nil {
		return nil, err
	}
	pb, pa := weightedFloor(rep.Floor.Before, lengths[:len(predictTexts)], nil), weightedFloor(rep.Floor.After, lengths[:len(predictTexts)], nil)
	eb, ea := weightedFloor(rep.Floor.Before, lengths[:len(explainTexts)], evals), weightedFloor(rep.Floor.After, lengths[:len(explainTexts)], evals)
	// The floor is the engine's best in this run: the higher reading.
	rep.Floor.PredictRowsPerSecond, rep.Floor.PredictRange = max(pb, pa), [2]float64{min(pb, pa), max(pb, pa)}
	rep.Floor.ExplainRowsPerSecond, rep.Floor.ExplainRange = max(eb, ea), [2]float64{min(eb, ea), max(eb, ea)}

	byKey := map[key]*ServeRun{}
	for _, k := range order {
		rs := rounds[k]
		floor, lo, hi := rep.Floor.PredictRowsPerSecond, rep.Floor.PredictRange[0], rep.Floor.PredictRange[1]
		if k.verb == "explain" {
			floor, lo, hi = rep.Floor.ExplainRowsPerSecond, rep.Floor.ExplainRange[0], rep.Floor.ExplainRange[1]
		}
		sorted := slices.Clone(rs)
		slices.SortFunc(sorted, func(a, b Round) int { return cmpFloat(a.EvaluationsPerSecond, b.EvaluationsPerSecond) })
		run := ServeRun{Verb: k.verb, Batching: k.batching, Concurrency: k.conc, Rounds: rs, Median: sorted[len(sorted)/2]}
		run.FloorRatio = run.Median.EvaluationsPerSecond / floor
		run.FloorRatioRange = [2]float64{sorted[0].EvaluationsPerSecond / hi, sorted[len(sorted)-1].EvaluationsPerSecond / lo}
		rep.Runs = append(rep.Runs, run)
		byKey[k] = &rep.Runs[len(rep.Runs)-1]
	}
	for _, conc := range c.Concurrency {
		for _, verb := range []string{"predict", "explain"} {
			offR, onR := byKey[key{verb, false, conc}], byKey[key{verb, true, conc}]
			g := Gain{Verb: verb, Concurrency: conc, Ratio: onR.Median.EvaluationsPerSecond / offR.Median.EvaluationsPerSecond,
				Ceiling: 1 / offR.FloorRatio}
			g.Range = [2]float64{extreme(onR, false) / extreme(offR, true), extreme(onR, true) / extreme(offR, false)}
			rep.Gains = append(rep.Gains, g)
		}
	}

	if c.OverloadRequests > 0 {
		sustained := byKey[key{"predict", true, maxConc}].Median.PerSecond
		ov := on
		ov.MaxInFlight = c.OverloadQueue
		ov.RequestTimeout = server.DefaultRequestTimeout
		srvOv, urlOv, err := start(ctx, ov, c.ModelName, clf)
		if err != nil {
			return nil, err
		}
		defer srvOv.Close()
		if _, err := Run(ctx, Options{URL: urlOv + ":predict", Texts: predictTexts, Concurrency: 8, Requests: min(200, c.OverloadRequests)}); err != nil {
			return nil, err
		}
		rate := min(2*sustained, MaxRate)
		progress("overload: %d predict requests offered at %.0f/s (twice the %.0f/s sustained at concurrency %d) to a queue of %d",
			c.OverloadRequests, rate, sustained, maxConc, c.OverloadQueue)
		// The client may keep far more outstanding than the server admits,
		// so the server, not the client, does the refusing.
		res, err := Run(ctx, Options{URL: urlOv + ":predict", Texts: predictTexts, Rate: rate, Requests: c.OverloadRequests,
			Concurrency: MaxServeConcurrency, Timeout: server.DefaultRequestTimeout})
		if err != nil {
			return nil, err
		}
		rep.Overload = &Overload{SustainedPerSecond: sustained, TargetPerSecond: rate, MaxQueue: c.OverloadQueue, Result: res, Unintended: res.Failed + res.Dropped}
		progress("overload: %v", res)
	}

	if c.RSSRequests > 0 {
		before, err := residentBytes()
		if err != nil {
			progress("memory: skipped: %v", err)
		} else {
			progress("memory: %d predict requests at concurrency %d (resident %.1f MiB before)", c.RSSRequests, c.RSSConcurrency, float64(before)/(1<<20))
			res, err := Run(ctx, Options{URL: urlOn + ":predict", Texts: predictTexts, Concurrency: c.RSSConcurrency, Requests: c.RSSRequests})
			if err != nil {
				return nil, err
			}
			after, err := residentBytes()
			if err != nil {
				return nil, err
			}
			rep.Memory = &Memory{Requests: c.RSSRequests, Concurrency: c.RSSConcurrency, BeforeBytes: before, AfterBytes: after,
				GrowthPercent: 100 * float64(after-before) / float64(before), Result: res}
			progress("memory: resident %.1f MiB after (%+.2f%%); %v", float64(after)/(1<<20), rep.Memory.GrowthPercent, res)
		}
	}
	rep.Targets = targets(rep, maxConc)
	rep.WallSeconds = time.Since(began).Seconds()
	return rep, nil
}

// mixedRound runs predictions alone, explanations alone, then both at
// once on the batching server srv: the explain clients start first and
// run until the predictions are done; the explanations' rate in the
// mixed run is the rows the model ran in the predictions' window less
// the predictions' one row each.
func mixedRound(ctx context.Context, srv *server.Server, url string, predictTexts, explainTexts []string, params map[string]any, c ServeConfig) (MixedRound, error) {
	var mr MixedRound
	// Twice the grid's predictions: the mixed run must span many of the
	// batcher's share windows (a quarter second each).
	predict := Options{URL: url + ":predict", Texts: predictTexts, Concurrency: c.MixedPredictClients, Requests: 2 * c.PredictRequests, Timeout: time.Hour}
	var err error
	if mr.PredictAlone, err = Run(ctx, predict); err != nil {
		return mr, err
	}
	if err := settle(ctx, srv); err != nil {
		return mr, err
	}
	explain := Options{URL: url + ":explain", Texts: explainTexts, Concurrency: c.MixedExplainClients, Requests: max(c.ExplainRequests, c.MixedExplainClients),
		Parameters: params, Timeout: time.Hour}
	if mr.ExplainAlone, err = measured(ctx, srv, explain); err != nil {
		return mr, err
	}
	if err := settle(ctx, srv); err != nil {
		return mr, err
	}

	// The explanations run until the predictions end; their requests cut
	// then are not failures of the run.
	ectx, stop := context.WithCancel(ctx)
	defer stop()
	explain.Requests = MaxServeRequests
	var eres Result
	edone := make(chan struct{})
	go func() {
		defer close(edone)
		eres, _ = Run(ectx, explain)
	}()
	// Wait until the explanations are running (the model has run rows for
	// them) before the predictions start.
	rows0, _, err := modelRows(srv.Registry())
	if err != nil {
		return mr, err
	}
	for {
		rows, _, err := modelRows(srv.Registry())
		if err != nil {
			return mr, err
		}
		if rows > rows0 {
			break
		}
		select {
		case <-ctx.Done():
			return mr, ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
	start, _, err := modelRows(srv.Registry())
	if err != nil {
		return mr, err
	}
	if mr.PredictMixed, err = Run(ctx, predict); err != nil {
		return mr, err
	}
	end, _, err := modelRows(srv.Registry())
	if err != nil {
		return mr, err
	}
	stop()
	<-edone
	mr.ExplainMixedRequests = eres.OK
	if err := settle(ctx, srv); err != nil {
		return mr, err
	}
	mr.ExplainMixedEvaluationsPerSecond = (end - start - float64(mr.PredictMixed.OK)) / mr.PredictMixed.Seconds
	mr.PredictThroughputRatio = mr.PredictMixed.PerSecond / mr.PredictAlone.PerSecond
	mr.PredictP50Ratio = mr.PredictMixed.P50ms / mr.PredictAlone.P50ms
	mr.ExplainThroughputRatio = mr.ExplainMixedEvaluationsPerSecond / mr.ExplainAlone.EvaluationsPerSecond
	return mr, nil
}

// settle waits until srv's model has run no rows for 50ms: the rows of
// requests a run cut off have finished, and do not count in the next.
func settle(ctx context.Context, srv *server.Server) error {
	last, _, err := modelRows(srv.Registry())
	if err != nil {
		return err
	}
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		rows, _, err := modelRows(srv.Registry())
		if err != nil {
			return err
		}
		if rows == last {
			return nil
		}
		last = rows
	}
}

// targets are issue 9's goals, where the runs measured them, and issue
// 22's for the mixed runs (on the median round of each ratio).
func targets(rep *ServeReport, maxConc int) []Target {
	var out []Target
	for _, r := range rep.Runs {
		if !r.Batching || r.Concurrency != maxConc {
			continue
		}
		goal := 0.9
		if r.Verb == "explain" {
			goal = 0.85
		}
		out = append(out, Target{Name: fmt.Sprintf("%s throughput ÷ floor at concurrency %d", r.Verb, maxConc), Value: r.FloorRatio,
			Range: r.FloorRatioRange, Goal: fmt.Sprintf("≥ %.2f", goal), Met: r.FloorRatio >= goal})
	}
	for _, g := range rep.Gains {
		if g.Concurrency == 8 && g.Verb == "predict" {
			out = append(out, Target{Name: fmt.Sprintf("predict batching gain (on ÷ off) at concurrency 8 (at most %.2f on this host: floor ÷ batching off)", g.Ceiling),
				Value: g.Ratio, Range: g.Range, Goal: "≥ 3", Met: g.Ratio >= 3})
		}
	}
	if ov := rep.Overload; ov != nil {
		v := float64(ov.Unintended)
		out = append(out, Target{Name: fmt.Sprintf("failures other than 429 under 2× overload (of %d requests)", ov.Result.Requests), Value: v,
			Range: [2]float64{v, v}, Goal: "0", Met: ov.Unintended == 0})
	}
	if mx := rep.Mixed; mx != nil && len(mx.Rounds) > 0 {
		pick := func(f func(MixedRound) float64) (float64, [2]float64) {
			v := make([]float64, len(mx.Rounds))
			for i, r := range mx.Rounds {
				v[i] = f(r)
			}
			slices.Sort(v)
			return v[len(v)/2], [2]float64{v[0], v[len(v)-1]}
		}
		v, rg := pick(func(r MixedRound) float64 { return r.PredictThroughputRatio })
		out = append(out, Target{Name: fmt.Sprintf("predict throughput at %d clients beside %d explain clients ÷ alone", mx.PredictClients, mx.ExplainClients),
			Value: v, Range: rg, Goal: "≥ 0.50", Met: v >= 0.5})
		v, rg = pick(func(r MixedRound) float64 { return r.PredictP50Ratio })
		out = append(out, Target{Name: fmt.Sprintf("predict p50 at %d clients beside %d explain clients ÷ alone", mx.PredictClients, mx.ExplainClients),
			Value: v, Range: rg, Goal: "≤ 3", Met: v <= 3})
		v, rg = pick(func(r MixedRound) float64 { return r.ExplainThroughputRatio })
		out = append(out, Target{Name: fmt.Sprintf("explain evaluations/s at %d clients beside %d predict clients ÷ alone", mx.ExplainClients, mx.PredictClients),
			Value: v, Range: rg, Goal: "≥ 0.25", Met: v >= 0.25})
	}
	if m := rep.Memory; m != nil {
		out = append(out, Target{Name: fmt.Sprintf("resident memory growth over %d predict requests, %%", m.Requests), Value: m.GrowthPercent,
			Range: [2]float64{m.GrowthPercent, m.GrowthPercent}, Goal: "< 5", Met: m.GrowthPercent < 5})
	}
	return out
}

// start serves one model on a loopback port until ctx ends, returning
// the server and the model's KServe v1 URL (…/v1/models/NAME).
func start(ctx context.Context, cfg server.Config, name string, clf *models.Classifier) (*server.Server, string, error) {
	srv, err := server.New(cfg, []server.ModelSpec{{Name: name, Classifier: clf}})
	if err != nil {
		return nil, "", err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		srv.Close()
		return nil, "", err
	}
	go func() { _ = srv.Serve(ctx, ln, server.TLS{}, 10*time.Second) }()
	// The server warms its models up in the background (ready means
	// warm); the clock starts after, so the warm-up does not share the
	// CPU with the first requests.
	if err := srv.WaitReady(ctx); err != nil {
		srv.Close()
		return nil, "", err
	}
	return srv, "http://" + ln.Addr().String() + "/v1/models/" + name, nil
}

// measured runs o against srv and adds the rows the model ran for it,
// read from the server's metrics before and after.
func measured(ctx context.Context, srv *server.Server, o Options) (Round, error) {
	rows0, batches0, err := modelRows(srv.Registry())
	if err != nil {
		return Round{}, err
	}
	res, err := Run(ctx, o)
	if err != nil {
		return Round{}, err
	}
	rows1, batches1, err := modelRows(srv.Registry())
	if err != nil {
		return Round{}, err
	}
	rd := Round{Result: res, Evaluations: int(rows1 - rows0), EvaluationsPerSecond: (rows1 - rows0) / res.Seconds}
	if batches1 > batches0 {
		rd.MeanBatchRows = (rows1 - rows0) / (batches1 - batches0)
	}
	return rd, nil
}

// modelRows reads the rows the runtime ran and the batches it ran them
// in from a server's registry.
func modelRows(reg *prometheus.Registry) (rows, batches float64, err error) {
	mfs, err := reg.Gather()
	if err != nil {
		return 0, 0, err
	}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			switch mf.GetName() {
			case "lucid_model_evaluations_total":
				rows += m.GetCounter().GetValue()
			case "lucid_batch_rows":
				batches += float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	return rows, batches, nil
}

// countEvaluations explains each text once and returns each one's
// evaluations, as the server reports them.
func countEvaluations(ctx context.Context, url string, texts []string, params map[string]any) ([]float64, error) {
	out := make([]float64, len(texts))
	for i, t := range texts {
		body, err := json.Marshal(map[string]any{"instances": []string{t}, "parameters": params})
		if err != nil {
			return nil, err
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(string(body)))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, err
		}
		raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
		resp.Body.Close()
		if err != nil {
			return nil, err
		}
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("load: explaining text %d: status %d: %s", i, resp.StatusCode, raw)
		}
		var ans struct {
			Explanations []struct {
				Evaluations int `json:"evaluations"`
			} `json:"explanations"`
		}
		if err := json.Unmarshal(raw, &ans); err != nil || len(ans.Explanations) != 1 {
			return nil, fmt.Errorf("load: explaining text %d: an answer without one explanation: %.200s", i, raw)
		}
		out[i] = float64(ans.Explanations[0].Evaluations)
	}
	return out, nil
}

// weightedFloor is the rate at which the engine, at its best batch
// size, runs rows of the given lengths, weights[i] rows of lengths[i]
// (one each when weights is nil): total rows over the total of each
// length's rows ÷ its rate.
func weightedFloor(tp *FloorReading, lengths []int, weights []float64) float64 {
	var rows, secs float64
	for i, l := range lengths {
		w := 1.0
		if weights != nil {
			w = weights[i]
		}
		r := tp.ByLength[l]
		if r <= 0 {
			continue
		}
		rows += w
		secs += w / r
	}
	if secs == 0 {
		return math.NaN()
	}
	return rows / secs
}

// residentBytes reads this process's resident memory (VmRSS).
func residentBytes() (int64, error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, fmt.Errorf("load: resident memory: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("load: VmRSS %q: %w", v, err)
			}
			return kb << 10, nil
		}
	}
	return 0, errors.New("load: no VmRSS in /proc/self/status")
}

// extreme is a run's highest (or lowest) evaluations/s over its rounds.
func extreme(r *ServeRun, highest bool) float64 {
	v := r.Rounds[0].EvaluationsPerSecond
	for _, rd := range r.Rounds[1:] {
		if (rd.EvaluationsPerSecond > v) == highest {
			v = rd.EvaluationsPerSecond
		}
	}
	return v
}

func mean(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}
