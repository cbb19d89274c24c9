package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/lucid-nlp/lucid/attribution"
	"github.com/lucid-nlp/lucid/bench"
	"github.com/lucid-nlp/lucid/bench/serveload"
)

const benchServeHelp = `
Usage: lucid bench serve [flags]

With its defaults it runs for about 1 to 2 minutes on a 2-core machine
(about 40 s when the machine is otherwise idle); each extra --rounds adds
about half of that.

Starts lucid serve's server in this process on a loopback port
(127.0.0.1 only) and drives it over HTTP with KServe v1 requests, one text
each: --requests :predict requests and --explain-requests :explain requests
(--method, --budget) at each --concurrency, with dynamic batching on and
off. In the same run it reads the engine's batched floor (no HTTP, before
and after the runs): the best rows/s over batch sizes from 1 to 64 (and
--max-batch) and runners (one, and --sessions at once) on the same texts;
the higher reading is the floor, so a serve run above it means the
machine's speed drifted. It reports, per run: requests/s, evaluations/s
(rows the model ran, from the server's metrics), throughput ÷ floor,
p50/p95/p99 latency, rows per runtime batch, 429s and failures; the
batching gain (on ÷ off) at each concurrency, with its ceiling on this host
(the floor ÷ batching off's throughput: where unbatched requests already
reach the batched rate, no batcher can gain more).

Mixed runs (each round, batching on): --mixed-predict-clients predict
clients alone, --mixed-explain-clients explain clients alone, then both at
once: predict requests/s and p50 mixed ÷ alone, and the explanations'
evaluations/s mixed ÷ alone (the batcher gives explanation rows a bounded
share, so neither starves the other).

Then an overload run, --overload-requests offered at twice the rate
sustained at the highest concurrency to a server admitting
--overload-queue requests at once (429s are intended; anything else is a
failure); and the process's resident memory (VmRSS: server and load
generator) before and after --rss-requests predict requests. The figures
are set against issue 9's targets (throughput ÷ floor at the highest
concurrency ≥ 0.9 for predict and ≥ 0.85 for explain, predict batching
gain at concurrency 8 ≥ 3, no failures but 429s under overload, memory
growth < 5%) and issue 22's (beside the explain clients, predict keeps
≥ 50% of its throughput alone with p50 ≤ 3× alone; explanations keep
≥ 25% of theirs).

A shared machine's speed drifts: --rounds N repeats every run, batching
off and on in turn, and reports the median round with the range.

Texts: the first --texts rows of --data (default ../shared/data/sst2/dev.tsv
when it exists), else built-in sentences. Progress goes to standard error.

Examples:
  lucid bench serve
  lucid bench serve --rounds 2 --json > serve.json
  lucid bench serve --requests 200 --explain-requests 4 --concurrency 1,8 --rss-requests 0

Limits: --texts 1 to 100000, --requests and --explain-requests 1 to
10000000, --concurrency 1 to 4096 each (at most 16 values), --budget 1 to
1048576, --max-batch 0 (the floor's best batch size) to 4096, --max-wait 0
to 1s, --rounds 1 to 100, --overload-requests and --rss-requests 0 (skip)
to 10000000, --overload-queue 1 to 100000, --rss-concurrency and
--mixed-predict-clients 1 to 4096, --mixed-explain-clients 0 (skip) to
4096.
`

func runBenchServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench serve", benchServeHelp, stderr)
	var mf modelFlags
	mf.register(fs)
	data := fs.String("data", "", "TSV file with a header and the text in the last column (default: ../shared/data/sst2/dev.tsv if present)")
	nTexts := fs.Int("texts", 32, "how many texts to send (in turn), 1 to 100000")
	requests := fs.Int("requests", 500, "predict requests per run")
	explainRequests := fs.Int("explain-requests", 8, "explain requests per run")
	concurrency := fs.String("concurrency", "1,8,64", "comma-separated numbers of clients")
	method := fs.String("method", "kernelshap", "the explanations' method")
	budget := fs.Int("budget", 256, "the explanations' budget (evaluations)")
	maxBatchRows := fs.Int("max-batch", 0, "the batcher's largest batch (0: the floor's best batch size)")
	maxWait := fs.Duration("max-wait", 2*time.Millisecond, "the batcher's longest wait for rows to fill a batch")
	rounds := fs.Int("rounds", 1, "repeat every run this many times (median and range reported)")
	overloadRequests := fs.Int("overload-requests", 1000, "predict requests of the 2× overload run (0: skip it)")
	overloadQueue := fs.Int("overload-queue", 64, "requests the overload run's server admits at once (--max-queue)")
	rssRequests := fs.Int("rss-requests", 2000, "predict requests between the two memory readings (0: skip)")
	rssConcurrency := fs.Int("rss-concurrency", 8, "clients of the memory run")
	mixedPredict := fs.Int("mixed-predict-clients", 8, "predict clients of the mixed runs")
	mixedExplain := fs.Int("mixed-explain-clients", 2, "explain clients beside them in the mixed runs (0: skip the mixed runs)")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("bench serve takes no arguments, got %q", termSafe(fs.Arg(0)))
	}
	m, err := attribution.ParseMethod(*method)
	if err != nil {
		return usageError{err.Error()}
	}
	concs, err := parseInts("--concurrency", *concurrency)
	if err != nil {
		return err
	}
	if len(concs) > 16 {
		return usagef("--concurrency: %d values, at most 16", len(concs))
	}
	checks := []error{
		mf.validate(),
		intFlag("texts", *nTexts, 1, serveload.MaxServeTexts),
		intFlag("requests", *requests, 1, serveload.MaxServeRequests),
		intFlag("explain-requests", *explainRequests, 1, serveload.MaxServeRequests),
		intFlag("budget", *budget, 1, maxBudget),
		intFlag("max-batch", *maxBatchRows, 0, maxBatch),
		durationFlag("max-wait", *maxWait, 0, maxServeWait),
		intFlag("rounds", *rounds, 1, serveload.MaxServeRounds),
		intFlag("overload-requests", *overloadRequests, 0, serveload.MaxServeRequests),
		intFlag("overload-queue", *overloadQueue, 1, maxServeQueue),
		intFlag("rss-requests", *rssRequests, 0, serveload.MaxServeRequests),
		intFlag("rss-concurrency", *rssConcurrency, 1, serveload.MaxServeConcurrency),
		intFlag("mixed-predict-clients", *mixedPredict, 1, serveload.MaxServeConcurrency),
		intFlag("mixed-explain-clients", *mixedExplain, 0, serveload.MaxServeConcurrency),
	}
	for _, c := range concs {
		checks = append(checks, intFlag("concurrency", c, 1, serveload.MaxServeConcurrency))
	}
	if err := firstError(checks...); err != nil {
		return err
	}

	source := "built-in sentences"
	texts := bench.BuiltinSentences
	path := *data
	if path == "" {
		if p := filepath.Join("..", "shared", "data", "sst2", "dev.tsv"); fileExists(p) {
			path = p
		}
	}
	if path != "" {
		if texts, err = bench.ReadSentences(path, *nTexts); err != nil {
			return err
		}
		source = path
	}
	if len(texts) > *nTexts {
		texts = texts[:*nTexts]
	}
	folder, err := mf.folder()
	if err != nil {
		return err
	}
	// The floor tries batches up to 64 rows (and --max-batch).
	if err := checkInference(shapeOf(folder, false), max(*maxBatchRows, 64), mf.sessions, int64(mf.maxMemory)); err != nil {
		return err
	}
	clf, err := mf.load(folder)
	if err != nil {
		return err
	}
	defer clf.Close()
	fmt.Fprintf(stderr, "bench serve: %d texts from %s\n", len(texts), termSafe(source))
	rep, err := serveload.ServeBench(ctx, serveload.ServeConfig{Classifier: clf, ModelName: modelName(clf.Folder.Dir), Texts: texts,
		PredictRequests: *requests, ExplainRequests: *explainRequests, Concurrency: concs, Method: string(m), Budget: *budget,
		MaxBatch: *maxBatchRows, MaxWait: waitOrNow(*maxWait), Sessions: mf.sessions, Rounds: *rounds,
		OverloadRequests: *overloadRequests, OverloadQueue: *overloadQueue, RSSRequests: *rssRequests, RSSConcurrency: *rssConcurrency,
		MixedPredictClients: *mixedPredict, MixedExplainClients: cmpInt(*mixedExplain, -1), Progress: stderr})
	if err != nil {
		return err
	}
	out := benchServeReport{ServeReport: rep, Source: source}
	if *asJSON {
		return writeJSON(stdout, out)
	}
	printBenchServe(stdout, &out)
	return nil
}

// benchServeReport is the JSON of `lucid bench serve --json`.
type benchServeReport struct {
	*serveload.ServeReport
	Source string `json:"source"`
}

func printBenchServe(w io.Writer, r *benchServeReport) {
	fmt.Fprintf(w, "model %s on %s (%d CPUs), %d texts from %s; batching: max batch %d, max wait %.1fms; %d session(s); %d round(s); %.0fs in all\n",
		termSafe(r.Model), r.Device, r.CPUs, r.Texts, termSafe(r.Source), r.MaxBatch, r.MaxWaitMs, r.Sessions, r.Rounds, r.WallSeconds)
	f := r.Floor
	fmt.Fprintf(w, "floor (the engine's best: batch %d, %d runner(s), no HTTP; the higher of the readings before and after the runs): predict %.0f rows/s (%.0f–%.0f), explain %.0f rows/s (%.0f–%.0f); %.0f evaluations per %s explanation (budget %d)\n\n",
		f.BestBatch, f.BestRunners, f.PredictRowsPerSecond, f.PredictRange[0], f.PredictRange[1], f.ExplainRowsPerSecond, f.ExplainRange[0], f.ExplainRange[1],
		f.EvaluationsPerExplanation, r.Method, r.Budget)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "verb\tbatching\tclients\trequests\trequests/s\tevals/s\t÷ floor\t(range)\trows/batch\tp50 ms\tp95 ms\tp99 ms\t429\tfailed\t")
	for _, run := range r.Runs {
		md := run.Median
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%.1f\t%.0f\t%.3f\t%.2f–%.2f\t%.1f\t%.1f\t%.1f\t%.1f\t%d\t%d\t\n", run.Verb, onOff(run.Batching), run.Concurrency,
			md.Requests, md.PerSecond, md.EvaluationsPerSecond, run.FloorRatio, run.FloorRatioRange[0], run.FloorRatioRange[1], md.MeanBatchRows,
			md.P50ms, md.P95ms, md.P99ms, md.TooMany, md.Failed)
	}
	tw.Flush()
	fmt.Fprint(w, "\nbatching gain (evaluations/s, on ÷ off):")
	for _, g := range r.Gains {
		fmt.Fprintf(w, " %s@%d %.2f× (%.2f–%.2f; at most %.2f× here);", g.Verb, g.Concurrency, g.Ratio, g.Range[0], g.Range[1], g.Ceiling)
	}
	fmt.Fprintln(w)
	if mx := r.Mixed; mx != nil {
		fmt.Fprintf(w, "\nmixed (batching on): predict at %d clients alone and beside %d explain clients; explanations alone and beside them\n", mx.PredictClients, mx.ExplainClients)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "round\tpredict req/s alone\tmixed\t÷\tp50 ms alone\tmixed\t÷\texplain evals/s alone\tmixed\t÷\t")
		for i, m := range mx.Rounds {
			fmt.Fprintf(tw, "%d\t%.1f\t%.1f\t%.2f\t%.1f\t%.1f\t%.2f\t%.0f\t%.0f\t%.2f\t\n", i+1, m.PredictAlone.PerSecond, m.PredictMixed.PerSecond, m.PredictThroughputRatio,
				m.PredictAlone.P50ms, m.PredictMixed.P50ms, m.PredictP50Ratio, m.ExplainAlone.EvaluationsPerSecond, m.ExplainMixedEvaluationsPerSecond, m.ExplainThroughputRatio)
		}
		tw.Flush()
		fmt.Fprintln(w)
	}
	if ov := r.Overload; ov != nil {
		fmt.Fprintf(w, "overload: %d predict requests offered at %.0f/s (target %.0f/s, twice %.0f/s sustained) to a queue of %d: %d ok, %d 429, %d failed, %d not sent (client limit); p99 of the answered %.1fms\n",
			ov.Result.Requests, ov.Result.Offered, ov.TargetPerSecond, ov.SustainedPerSecond, ov.MaxQueue, ov.Result.OK, ov.Result.TooMany, ov.Result.Failed, ov.Result.Dropped, ov.Result.P99ms)
	}
	if m := r.Memory; m != nil {
		fmt.Fprintf(w, "memory (VmRSS of this process: server and load generator): %.1f MiB before, %.1f MiB after %d predict requests at concurrency %d: %+.2f%%\n",
			float64(m.BeforeBytes)/(1<<20), float64(m.AfterBytes)/(1<<20), m.Requests, m.Concurrency, m.GrowthPercent)
	}
	for _, run := range r.Runs {
		if run.Median.FirstError != "" {
			fmt.Fprintf(w, "%s, batching %s, %d clients: first error: %s\n", run.Verb, onOff(run.Batching), run.Concurrency, termSafe(run.Median.FirstError))
		}
	}
	if len(r.Targets) > 0 {
		fmt.Fprintln(w, "\ntargets (issue 9; the median round, its range in brackets):")
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, t := range r.Targets {
			met := "not met"
			if t.Met {
				met = "met"
			}
			fmt.Fprintf(tw, "  %s\t%s\t(%s–%s)\tgoal %s\t%s\n", t.Name, num(t.Value), num(t.Range[0]), num(t.Range[1]), t.Goal, met)
		}
		tw.Flush()
	}
}

// cmpInt is v, or def when v is 0 (a flag's "skip" for a config whose 0
// means its default).
func cmpInt(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

func num(v float64) string { return strconv.FormatFloat(v, 'f', 3, 64) }

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

// isServeSubcommand reports whether bench's arguments start with "serve".
func isServeSubcommand(args []string) bool {
	return len(args) > 0 && strings.TrimSpace(args[0]) == "serve"
}
