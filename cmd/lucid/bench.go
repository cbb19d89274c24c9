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

With --accuracy it also measures, on sentences of at most 12 words, the mean
absolute error of KernelSHAP and LIME against exact Shapley values at each
budget (default 128, 256, 512, 1024, 2048).

Sentences: the first --sentences rows of --data (default
../shared/data/sst2/dev.tsv when it exists), else built-in sentences.

"lucid bench serve" measures lucid serve under load instead (see
lucid bench serve --help).

Examples:
  lucid bench
  lucid bench serve
  lucid bench --methods kernelshap,lime --budgets 512 --json
  lucid bench --accuracy --sentences 20
`

func runBench(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	if isServeSubcommand(args) {
		return runBenchServe(ctx, args[1:], stdout, stderr)
	}
	fs := newFlagSet("bench", benchHelp, stderr)
	var mf modelFlags
	mf.register(fs)
	data := fs.String("data", "", "TSV file with a header and the text in the last column (default: ../shared/data/sst2/dev.tsv if present)")
	n := fs.Int("sentences", 32, "how many sentences to use")
	methods := fs.String("methods", "kernelshap,lime,occlusion,ig", "comma-separated methods to time")
	budgets := fs.String("budgets", "512", "comma-separated budgets for kernelshap and lime")
	steps := fs.Int("steps", attribution.DefaultPathSteps, "ig: quadrature points")
	batch := fs.Int("batch", 0, "rows per ONNX Runtime batch for explanations (default: the best batch size measured)")
	accuracy := fs.Bool("accuracy", false, "also measure attribution error against exact Shapley values")
	accBudgets := fs.String("accuracy-budgets", "128,256,512,1024,2048", "budgets for --accuracy")
	seeds := fs.Int("seeds", 3, "seeds per budget for --accuracy")
	minWords := fs.Int("accuracy-min-words", 1, "--accuracy uses sentences of at least this many words (and at most 12)")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	ms, err := parseMethods(*methods)
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
	if *n < 1 || *batch < 0 || *steps < 1 || *seeds < 1 || *minWords < 1 || *minWords > 12 {
		return usagef("--sentences, --steps and --seeds must be at least 1, --batch at least 0, --accuracy-min-words 1 to 12")
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
	fmt.Fprintf(stderr, "bench: %d sentences from %s; measuring throughput...\n", len(sentences), source)
	tp, err := bench.MeasureThroughput(ctx, clf.Model, encs, nil)
	if err != nil {
		return err
	}
	if *batch == 0 {
		*batch = tp.BestBatch
	}
	if slices.Contains(ms, attribution.MethodPath) {
		clf.Model.Hidden() // open the embedding graphs now, not inside the first timed explanation
	}
	ev := evaluate.New(clf.Model, evaluate.Options{BatchSize: *batch, PadID: clf.Tokenizer.PadID(), Concurrency: mf.sessions})
	x := attribution.NewExplainer(clf.Tokenizer, ev, modelName(clf.Folder.Dir))

	report := benchReport{Model: modelName(clf.Folder.Dir), Device: clf.Model.Device().String(), Runtime: onnx.RuntimeVersion(),
		CPUs: runtime.NumCPU(), Sentences: len(sentences), Source: source, Throughput: tp, Batch: *batch}
	for _, m := range ms {
		runs := bs
		if m == attribution.MethodOcclusion || m == attribution.MethodPath || m == attribution.MethodExact {
			runs = []int{0} // these set their own cost
		}
		for _, b := range runs {
			req := attribution.Request{Method: m, Budget: b, Seed: 1}
			if m == attribution.MethodPath {
				req.Steps = *steps
			}
			fmt.Fprintf(stderr, "bench: %s, %s...\n", m, costSetting(m, b, *steps))
			mr, err := bench.RunMethod(ctx, x, clf.Model, encs, tp, sentences, req)
			if err != nil {
				return err
			}
			report.Methods = append(report.Methods, mr)
		}
	}
	if *accuracy {
		var progress io.Writer = stderr
		if report.Accuracy, err = bench.Accuracy(ctx, x, sentences, abs, *seeds, *minWords, 12, progress); err != nil {
			return err
		}
	}
	if *asJSON {
		return writeJSON(stdout, report)
	}
	printBench(stdout, &report)
	return nil
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
	Accuracy   []bench.AccuracyRow  `json:"accuracy,omitempty"`
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
	fmt.Fprintf(w, ")\nacross all %d sentence lengths at batch %d: %.0f rows/s (the harmonic mean of each length's rate); explanations batch %d rows\n\n",
		len(tp.ByLength), tp.BestBatch, tp.Best, r.Batch)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "method\tbudget\tevals/expl\twall s/expl\tfloor s/expl\tevals/s\tfloor rows/s\tefficiency\t(range)\tin model\tfailed\t")
	for _, m := range r.Methods {
		budget := strings.TrimPrefix(costSetting(m.Method, m.Budget, m.Steps), "budget ")
		fmt.Fprintf(tw, "%s\t%s\t%.0f\t%.4f\t%.4f\t%.0f\t%.0f\t%.3f\t%.2f–%.2f\t%.1f%%\t%d\t\n", m.Method, budget, m.EvaluationsPerText, m.WallSecondsPerText,
			m.FloorSecondsPerText, m.EvaluationsPerSecond, m.FloorRowsPerSecond, m.Efficiency, m.EfficiencyRange[0], m.EfficiencyRange[1], 100*m.ModelShare, m.Failed)
	}
	tw.Flush()
	for _, m := range r.Methods {
		if m.Efficiency > 1 {
			fmt.Fprintf(w, "%s: efficiency %.3f is above 1: the floor runs its batches one at a time, so an explanation beats it only by timing noise (a few %%) or, with --sessions above 1, by running batches in parallel\n",
				m.Method, m.Efficiency)
			break
		}
	}
	for _, m := range r.Methods {
		if m.FirstError != "" {
			fmt.Fprintf(w, "%s: first error: %s\n", m.Method, m.FirstError)
		}
	}
	if len(r.Accuracy) > 0 {
		fmt.Fprintf(w, "\naccuracy against exact Shapley values (%d sentences of at most 12 words, %.1f on average):\n", r.Accuracy[0].Sentences, r.Accuracy[0].MeanWords)
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "method\tbudget\tMAE\tmax error\truns\t")
		for _, a := range r.Accuracy {
			fmt.Fprintf(tw, "%s\t%d\t%.4f\t%.4f\t%d\t\n", a.Method, a.Budget, a.MAE, a.MaxAE, a.Runs)
		}
		tw.Flush()
	}
}

func parseMethods(s string) ([]attribution.Method, error) {
	var out []attribution.Method
	for _, p := range strings.Split(s, ",") {
		m, err := attribution.ParseMethod(strings.TrimSpace(p))
		if err != nil {
			return nil, usageError{err.Error()}
		}
		out = append(out, m)
	}
	return out, nil
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
