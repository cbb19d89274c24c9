package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/lucid-nlp/lucid/attribution"
	"github.com/lucid-nlp/lucid/attribution/shapley"
	"github.com/lucid-nlp/lucid/bench"
	"github.com/lucid-nlp/lucid/engine/onnx"
	"github.com/lucid-nlp/lucid/evaluate"
)

const benchHelp = `
Usage: lucid bench [flags]

Measures the model's best batched throughput on the benchmark sentences (the
floor), then explains every sentence with each method at each budget and
reports, per method: evaluations and wall seconds per explanation,
evaluations per second, and efficiency = floor ÷ wall time, where the floor
is the time the engine takes to run the same number of rows of each sentence
in full batches of the best size (1.0 = no cost beyond the model evaluations
themselves). The floor is measured after each of three rounds of
explanations; the median ratio is reported with its range, since a shared
machine's speed drifts. "in model" is the share of the wall time the model
was running, measured in the same window and so free of that drift.

Methods: any of lucid explain's, plus ig-fd. ig uses the model's gradient
graph (model_grad.onnx: steps + 1 rows per text, forward and backward) when
the folder has one, and its floor is then each text's prediction row at the
forward graph's best throughput plus its gradient rows at the gradient
graph's own best batched throughput, measured like the forward graph's
(grad-input and saliency likewise: one gradient row per text); ig-fd forces central
finite differences (2 + 2·tokens·steps forward rows) with the forward
graph's floor. A closing line sets ig's time per explanation beside its
forward-only floor (its rows at the forward graph's throughput).

With --accuracy it also compares Shapley estimators against exact values on
full coalition tables of --accuracy-sentences sentences of --accuracy-min-words
to --accuracy-max-words words (default 10-16) from
--data (2^words model evaluations each, built once and cached under
$LUCID_CACHE_DIR/tables or ~/.cache/lucid/tables, keyed by the model's hash):
LeverageSHAP, kADD-SHAP (k=2), Tree MSR, OddSHAP and Lucid's KernelSHAP
(lucid: the default, refined; lucid-plain: --refine=false), with seeds
1..--seeds at each budget (default 64, 128, 256, 512, 1024): mean and 90th
percentile of |error|, a 95% interval over sentences, the coverage of the
95% intervals, and CPU time outside the model.

Sentences: the first --sentences rows of --data (default
../shared/data/sst2/dev.tsv when it exists), else built-in sentences.

With --padding it measures length bucketing instead and exits: rows/s of
scoring the sentences once at each of --padding-batches (default 1, 2, 4, 8,
16, 32, 64), in batches of arrival order each padded to its longest
sentence, against batches of the sentences sorted by length (similar
lengths, little padding); with the tokens each way ran and the largest
logit difference between the two (padding is masked, so float32 rounding
only). Use --sentences 256 or so: a few sentences leave little to sort.

"lucid bench serve" measures lucid serve under load instead (see
lucid bench serve --help); "lucid bench quant" sets a float model and its
int8 quantized copy side by side (see lucid bench quant --help).

Examples:
  lucid bench
  lucid bench serve
  lucid bench --methods kernelshap,lime --budgets 512 --json
  lucid bench --accuracy --sentences 20
  lucid bench --methods ig,ig-fd --steps 16
  lucid bench --tensorboard runs/bench     # one step per run: a speed trend
  lucid bench --padding --sentences 256 --model DIR
`

func runBench(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	if isServeSubcommand(args) {
		return runBenchServe(ctx, args[1:], stdout, stderr)
	}
	if isQuantSubcommand(args) {
		return runBenchQuant(ctx, args[1:], stdout, stderr)
	}
	fs := newFlagSet("bench", benchHelp, stderr)
	var mf modelFlags
	mf.register(fs)
	data := fs.String("data", "", "TSV file with a header and the text in the last column (default: ../shared/data/sst2/dev.tsv if present)")
	n := fs.Int("sentences", 32, "how many sentences to use")
	methods := fs.String("methods", "kernelshap,lime,occlusion,ig", "comma-separated methods to time (ig-fd: ig by finite differences)")
	budgets := fs.String("budgets", "512", "comma-separated budgets for kernelshap and lime")
	steps := fs.Int("steps", attribution.DefaultPathSteps, "ig: quadrature points")
	batch := fs.Int("batch", 0, "rows per ONNX Runtime batch for explanations (default: the best batch size measured)")
	accuracy := fs.Bool("accuracy", false, "also measure attribution error against exact Shapley values")
	accBudgets := fs.String("accuracy-budgets", "64,128,256,512,1024", "budgets for --accuracy")
	seeds := fs.Int("seeds", 10, "seeds per budget for --accuracy")
	accSentences := fs.Int("accuracy-sentences", 24, "--accuracy: sentences of 10 to 16 words, each a cached table of 2^words model evaluations (at most 1000)")
	minWords := fs.Int("accuracy-min-words", 10, fmt.Sprintf("--accuracy: shortest sentence, in words (1 to %d)", shapley.MaxTableFeatures))
	maxWords := fs.Int("accuracy-max-words", 16, fmt.Sprintf("--accuracy: longest sentence, in words (at most %d: a table holds 2^words model runs)", shapley.MaxTableFeatures))
	padding := fs.Bool("padding", false, "measure length bucketing (arrival order vs sorted by length, each batch padded to its longest) and exit")
	padBatches := fs.String("padding-batches", "1,2,4,8,16,32,64", "--padding: batch sizes")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	tensorboard := registerTensorBoard(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	ms, fdPath, err := parseBenchMethods(*methods)
	if err != nil {
		return err
	}
	bs, err := parseInts("--budgets", *budgets)
	if err != nil {
		return err
	}
	abs, err := parseInts("--accuracy-budgets", *accBudgets)
	if err != nil {
		return err
	}
	pbs, err := parseInts("--padding-batches", *padBatches)
	if err != nil {
		return err
	}
	for _, b := range pbs {
		if err := intFlag("padding-batches", b, 1, maxBatch); err != nil {
			return err
		}
	}
	if *n < 1 || *batch < 0 || *steps < 1 || *seeds < 1 {
		return usagef("--sentences, --steps and --seeds must be at least 1, --batch at least 0")
	}
	if *minWords < 1 || *maxWords > shapley.MaxTableFeatures || *minWords > *maxWords {
		return usagef("--accuracy-min-words %d, --accuracy-max-words %d: want 1 ≤ min ≤ max ≤ %d", *minWords, *maxWords, shapley.MaxTableFeatures)
	}

	source := "built-in sentences"
	sentences := bench.BuiltinSentences
	path := *data
	if path == "" {
		if p := filepath.Join("..", "shared", "data", "sst2", "dev.tsv"); fileExists(p) {
			path = p
		}
	}
	if path != "" {
		if sentences, err = bench.ReadSentences(path, *n); err != nil {
			return err
		}
		source = path
	}
	if len(sentences) > *n {
		sentences = sentences[:*n]
	}

	if err := firstError(
		mf.validate(),
		intFlag("sentences", *n, 1, maxSentences),
		intFlag("steps", *steps, 1, maxPathSteps),
		intFlag("batch", *batch, 0, maxBatch),
		intFlag("seeds", *seeds, 1, maxSeeds),
		budgetsFlag("budgets", bs),
		budgetsFlag("accuracy-budgets", abs),
	); err != nil {
		return err
	}
	folder, err := mf.folder()
	if err != nil {
		return err
	}
	if err := checkInference(shapeOf(folder, slices.Contains(ms, attribution.MethodPath)), max(*batch, evaluate.DefaultBatchSize), mf.sessions, int64(mf.maxMemory)); err != nil {
		return err
	}
	clf, err := mf.load(folder)
	if err != nil {
		return err
	}
	defer clf.Close()
	encs, err := clf.Tokenizer.EncodeBatch(sentences)
	if err != nil {
		return err
	}
	if *padding {
		fmt.Fprintf(stderr, "bench: %d sentences from %s; measuring length bucketing...\n", len(sentences), source)
		rows, err := bench.MeasurePadding(ctx, clf.Model, encs, clf.Tokenizer.PadID(), pbs)
		if err != nil {
			return err
		}
		rep := paddingReport{Model: modelName(clf.Folder.Dir), Device: clf.Model.Device().String(), Runtime: onnx.RuntimeVersion(),
			CPUs: runtime.NumCPU(), Threads: mf.threads, Sentences: len(sentences), Source: source, Rows: rows}
		if *asJSON {
			return writeJSON(stdout, rep)
		}
		printPadding(stdout, &rep)
		return nil
	}
	fmt.Fprintf(stderr, "bench: %d sentences from %s; measuring throughput...\n", len(sentences), source)
	tp, err := bench.MeasureThroughput(ctx, clf.Model, encs, nil)
	if err != nil {
		return err
	}
	if *batch == 0 {
		*batch = tp.BestBatch
	}
	gradMethods := slices.Contains(ms, attribution.MethodGradInput) || slices.Contains(ms, attribution.MethodSaliency)
	if slices.Contains(ms, attribution.MethodPath) || gradMethods {
		// Open the embedding graphs now, not inside the first timed explanation.
		if clf.Model.HasEmbeddingGraphs() {
			if err := clf.Model.OpenEmbeddings(); err != nil {
				return err
			}
		}
		if clf.Model.HasGradientGraph() && (gradMethods || slices.ContainsFunc(fdPath, func(fd bool) bool { return !fd })) {
			// The gradient graph too, and its floor: ig on gradients is
			// measured against the gradient graph's own throughput.
			if err := clf.Model.OpenGradient(); err != nil {
				return err
			}
			fmt.Fprintf(stderr, "bench: measuring the gradient graph's throughput...\n")
			if tp.Gradient, err = bench.MeasureGradientThroughput(ctx, clf.Model, encs, nil); err != nil {
				return err
			}
		}
	}
	ev := evaluate.New(clf.Model, evaluate.Options{BatchSize: *batch, PadID: clf.Tokenizer.PadID(), Concurrency: mf.sessions})
	x := attribution.NewExplainer(clf.Tokenizer, ev, modelName(clf.Folder.Dir))

	report := benchReport{Model: modelName(clf.Folder.Dir), Device: clf.Model.Device().String(), Runtime: onnx.RuntimeVersion(),
		CPUs: runtime.NumCPU(), Sentences: len(sentences), Source: source, Throughput: tp, Batch: *batch}
	for mi, m := range ms {
		runs := bs
		if m == attribution.MethodOcclusion || m == attribution.MethodPath || m == attribution.MethodExact ||
			m == attribution.MethodGradInput || m == attribution.MethodSaliency {
			runs = []int{0} // these set their own cost
		}
		for _, b := range runs {
			req := attribution.Request{Method: m, Budget: b, Seed: 1}
			if m == attribution.MethodPath {
				req.Steps = *steps
				req.FiniteDifferences = fdPath[mi]
			}
			fmt.Fprintf(stderr, "bench: %s, %s...\n", benchName(m, fdPath[mi]), costSetting(m, b, *steps))
			mr, err := bench.RunMethod(ctx, x, clf.Model, encs, tp, sentences, req)
			if err != nil {
				return err
			}
			report.Methods = append(report.Methods, mr)
		}
	}
	if *accuracy {
		var progress io.Writer = stderr
		if err := intFlag("accuracy-sentences", *accSentences, 1, 1000); err != nil {
			return err
		}
		all := sentences
		if path != "" {
			if all, err = bench.ReadSentences(path, 1<<20); err != nil {
				return err
			}
		}
		dir, err := bench.TableCacheDir()
		if err != nil {
			return err
		}
		hash, err := bench.ModelHash(clf.Folder)
		if err != nil {
			return err
		}
		tables, err := bench.LoadTables(ctx, x, dir, hash, all, *minWords, *maxWords, *accSentences, progress)
		if err != nil {
			return err
		}
		if report.Estimators, err = bench.EstimatorAccuracy(ctx, tables, bench.Estimators, abs, *seeds, progress); err != nil {
			return err
		}
	}
	// Its line goes to stderr, where bench's progress goes: stdout may be
	// --json.
	if err := writeTensorBoard(*tensorboard, benchRun(&report), stderr); err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(stdout, report)
	}
	printBench(stdout, &report)
	return nil
}

type paddingReport struct {
	Model     string             `json:"model"`
	Device    string             `json:"device"`
	Runtime   string             `json:"onnxruntime_version"`
	CPUs      int                `json:"cpus"`
	Threads   int                `json:"threads"` // --threads; 0: the default
	Sentences int                `json:"sentences"`
	Source    string             `json:"source"`
	Rows      []bench.PaddingRow `json:"padding"`
}

func printPadding(w io.Writer, r *paddingReport) {
	fmt.Fprintf(w, "model %s on %s (ONNX Runtime %s, %d CPUs), %d sentences from %s, each scored once per batch size\n\n",
		r.Model, r.Device, r.Runtime, r.CPUs, r.Sentences, r.Source)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "batch\tarrival rows/s\tbucketed rows/s\tspeed-up\tarrival tokens\tbucketed tokens\ttext tokens\tmax |Δlogit|\t")
	for _, p := range r.Rows {
		fmt.Fprintf(tw, "%d\t%.1f\t%.1f\t%.2f×\t%d\t%d\t%d\t%.1e\t\n", p.Batch, p.ArrivalRowsPerSecond, p.BucketedRowsPerSecond,
			p.BucketedRowsPerSecond/p.ArrivalRowsPerSecond, p.ArrivalTokens, p.BucketedTokens, p.TextTokens, p.MaxLogitDifference)
	}
	tw.Flush()
}

type benchReport struct {
	Model      string               `json:"model"`
	Device     string               `json:"device"`
	Runtime    string               `json:"onnxruntime_version"`
	CPUs       int                  `json:"cpus"`
	Sentences  int                  `json:"sentences"`
	Source     string               `json:"source"`
	Throughput *bench.Throughput    `json:"throughput"`
	Batch      int                  `json:"explanation_batch"`
	Methods    []bench.MethodResult `json:"methods"`
	Estimators []bench.EstimatorRow `json:"estimator_accuracy,omitempty"`
}

func printBench(w io.Writer, r *benchReport) {
	fmt.Fprintf(w, "model %s on %s (ONNX Runtime %s, %d CPUs), %d sentences from %s\n", r.Model, r.Device, r.Runtime, r.CPUs, r.Sentences, r.Source)
	tp := r.Throughput
	fmt.Fprintf(w, "best throughput: %.0f rows/s at batch %d, on the median sentence (%d tokens; by batch:", tp.BestMeasured, tp.BestBatch, tp.MedianLength)
	for _, b := range []int{1, 8, 16, 32, 64, 128} {
		if v, ok := tp.ByBatch[b]; ok {
			fmt.Fprintf(w, " %d→%.0f", b, v)
		}
	}
	fmt.Fprintf(w, ")\nacross all %d sentence lengths at batch %d: %.0f rows/s (the harmonic mean of each length's rate); explanations batch %d rows\n",
		len(tp.ByLength), tp.BestBatch, tp.Best, r.Batch)
	if g := tp.Gradient; g != nil {
		fmt.Fprintf(w, "gradient graph (forward + backward per row): %.0f rows/s at batch %d on the median sentence, %.0f rows/s across all lengths (%.1f× a forward row)\n",
			g.BestMeasured, g.BestBatch, g.Best, tp.Best/g.Best)
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "method\tbudget\tevals/expl\twall s/expl\tfloor s/expl\tevals/s\tfloor rows/s\tefficiency\t(range)\tin model\tfailed\t")
	for _, m := range r.Methods {
		budget := strings.TrimPrefix(costSetting(m.Method, m.Budget, m.Steps), "budget ")
		fmt.Fprintf(tw, "%s\t%s\t%.0f\t%.4f\t%.4f\t%.0f\t%.0f\t%.3f\t%.2f–%.2f\t%.1f%%\t%d\t\n", resultName(m), budget, m.EvaluationsPerText, m.WallSecondsPerText,
			m.FloorSecondsPerText, m.EvaluationsPerSecond, m.FloorRowsPerSecond, m.Efficiency, m.EfficiencyRange[0], m.EfficiencyRange[1], 100*m.ModelShare, m.Failed)
	}
	tw.Flush()
	for _, m := range r.Methods {
		if m.Efficiency > 1 {
			fmt.Fprintf(w, "%s: efficiency %.3f is above 1: the floor runs its batches one at a time, so an explanation beats it only by timing noise (a few %%) or, with --sessions above 1, by running batches in parallel\n",
				resultName(m), m.Efficiency)
			break
		}
	}
	for _, m := range r.Methods {
		if m.Derivatives != "" && m.Explanations > 0 {
			fmt.Fprintf(w, "%s at %d points: %.4f s per explanation (%.0f rows); forward-only floor %.4f s (those rows at %.0f forward rows/s), %.1f× it\n",
				resultName(m), m.Steps, m.WallSecondsPerText, m.EvaluationsPerText, m.ForwardFloorSecondsPerText, tp.Best, m.WallSecondsPerText/m.ForwardFloorSecondsPerText)
		}
	}
	for _, m := range r.Methods {
		if m.FirstError != "" {
			fmt.Fprintf(w, "%s: first error: %s\n", m.Method, m.FirstError)
		}
	}
	if len(r.Estimators) > 0 {
		e := r.Estimators[0]
		fmt.Fprintf(w, "\naccuracy against exact Shapley values on cached full coalition tables (%d sentences, seeds 1-%d):\n", e.Sentences, e.Seeds)
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "method\tbudget\tmean |error|\t(95% CI)\tp90 |error|\tevals\tCPU ms/expl\t95% coverage\truns\t")
		for _, a := range r.Estimators {
			cov := "-"
			if a.CoveredRuns > 0 {
				cov = fmt.Sprintf("%.1f%%", 100*a.Coverage)
			}
			fmt.Fprintf(tw, "%s\t%d\t%.5f\t%.5f-%.5f\t%.5f\t%.0f\t%.2f\t%s\t%d\t\n", termSafe(a.Method), a.Budget, a.Mean, a.MeanLow, a.MeanHigh, a.P90, a.MeanEvaluations, 1000*a.CPUSeconds, cov, a.Runs)
		}
		tw.Flush()
	}
}

// parseBenchMethods reads --methods: explain's methods plus ig-fd, ig by
// finite differences; fd[i] says method i is ig-fd.
func parseBenchMethods(s string) (ms []attribution.Method, fd []bool, err error) {
	for _, p := range strings.Split(s, ",") {
		p = strings.TrimSpace(p)
		if p == "ig-fd" {
			ms, fd = append(ms, attribution.MethodPath), append(fd, true)
			continue
		}
		m, err := attribution.ParseMethod(p)
		if err != nil {
			return nil, nil, usageError{err.Error() + " (or ig-fd, ig by finite differences)"}
		}
		ms, fd = append(ms, m), append(fd, false)
	}
	return ms, fd, nil
}

// benchName is a method's name in --methods.
func benchName(m attribution.Method, fd bool) string {
	if m == attribution.MethodPath && fd {
		return "ig-fd"
	}
	return string(m)
}

// resultName names a result row: ig's says how it took its derivatives.
func resultName(m bench.MethodResult) string {
	switch m.Derivatives {
	case "gradient":
		return "ig (gradient)"
	case "finite differences":
		return "ig (finite diff.)"
	}
	return string(m.Method)
}

func parseInts(flagName, s string) ([]int, error) {
	var out []int
	for _, p := range strings.Split(s, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || v < 1 {
			return nil, usagef("%s: %q is not a positive whole number", flagName, p)
		}
		out = append(out, v)
	}
	return out, nil
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// budgetsFlag checks a list of budgets against maxBudget.
func budgetsFlag(name string, budgets []int) error {
	for _, b := range budgets {
		if err := intFlag(name, b, 1, maxBudget); err != nil {
			return err
		}
	}
	return nil
}

// costSetting says what sets a method's cost in the bench: its budget, the
// path method's steps, occlusion's words+1 evaluations, exact's 2^words.
func costSetting(m attribution.Method, budget, steps int) string {
	switch {
	case m == attribution.MethodPath:
		return fmt.Sprintf("%d steps", steps)
	case m == attribution.MethodOcclusion:
		return "words+1"
	case m == attribution.MethodExact:
		return "2^words"
	}
	return "budget " + strconv.Itoa(budget)
}
