package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/lucid-nlp/lucid/attribution"
	"github.com/lucid-nlp/lucid/bench"
	"github.com/lucid-nlp/lucid/engine/onnx"
	"github.com/lucid-nlp/lucid/models"
)

const benchQuantHelp = `
Usage: lucid bench quant --quantized DIR [--model DIR] [flags]

Sets a float model (--model, default the shipped one) and its int8 quantized
copy (--quantized: a folder written by scripts/quantize_onnx.py or
scripts/export_models.py quantize) side by side, on the labelled rows of
--data (default ../shared/data/sst2/dev.tsv; a TSV with a header, a "label"
column of label indices and the text in the last column):

  - accuracy against the gold labels;
  - |Δprobability|: the quantized model's probability of the second label
    (the positive class of a binary model) minus the float model's, mean and
    largest over the rows, and how many predicted labels changed;
  - rows/s of the same pass over the rows (batches of --batch in the file's
    order, each padded to its longest text), the models alternating for
    --rounds rounds, the best round of each kept;
  - KernelSHAP on the first --explain-sentences rows with the same --budget,
    --seed, batch and target (the float model's predicted label), one text
    at a time: mean and largest |φ_quantized − φ_float| over every word,
    beside the float model's mean |φ| for scale, and how often the most
    important word is the same;
  - the batch effect: dynamic quantization takes one activation scale per
    batch, so a row's probability moves with the rows batched with it; the
    largest |p(alone) − p(in its batch)| over the explained rows, for both;
  - the graphs' sizes on disk and their quantized operators.

Examples:
  /usr/bin/python3 scripts/quantize_onnx.py models/sst2-mini-bert /tmp/sst2-int8
  lucid bench quant --quantized /tmp/sst2-int8
  lucid bench quant --model models/sst2-mini-bert --quantized /tmp/sst2-int8 --rows 200 --json
`

func isQuantSubcommand(args []string) bool {
	return len(args) > 0 && strings.TrimSpace(args[0]) == "quant"
}

func runBenchQuant(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench quant", benchQuantHelp, stderr)
	var mf modelFlags
	mf.register(fs)
	quantized := fs.String("quantized", "", "the quantized model folder (required)")
	data := fs.String("data", "", "labelled TSV: a header with a \"label\" column, the text in the last column (default: ../shared/data/sst2/dev.tsv if present)")
	rows := fs.Int("rows", 0, "use the first N rows of --data (default: all)")
	batch := fs.Int("batch", 32, "rows per ONNX Runtime batch, for every pass and the explanations")
	explainN := fs.Int("explain-sentences", 20, "KernelSHAP on this many of the first rows, with both models")
	budget := fs.Int("budget", attribution.DefaultBudget, "KernelSHAP's model evaluations per explanation")
	seed := fs.Uint64("seed", 1, "KernelSHAP's seed (the same for both models)")
	rounds := fs.Int("rounds", 3, "timed passes per model, alternating")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("lucid bench quant takes no arguments, got %q", fs.Args())
	}
	if *quantized == "" {
		return usagef("lucid bench quant needs --quantized DIR, the quantized model folder (write one with /usr/bin/python3 scripts/quantize_onnx.py SRC DIR)")
	}
	if err := firstError(
		mf.validate(),
		intFlag("rows", *rows, 0, maxSentences),
		intFlag("batch", *batch, 1, maxBatch),
		intFlag("explain-sentences", *explainN, 1, maxSentences),
		intFlag("budget", *budget, 1, maxBudget),
		intFlag("rounds", *rounds, 1, 100),
	); err != nil {
		return err
	}
	path := *data
	if path == "" {
		p := filepath.Join("..", "shared", "data", "sst2", "dev.tsv")
		if !fileExists(p) {
			return usagef("lucid bench quant needs --data FILE (labelled TSV): %s is absent", p)
		}
		path = p
	}
	n := *rows
	if n == 0 {
		n = maxSentences
	}
	labelled, err := bench.ReadLabelled(path, n)
	if err != nil {
		return err
	}
	ff, err := mf.folder()
	if err != nil {
		return err
	}
	qf, err := models.ReadFolder(*quantized)
	if err != nil {
		return err
	}
	for _, f := range []*models.Folder{ff, qf} {
		if err := checkInference(shapeOf(f, false), *batch, mf.sessions, int64(mf.maxMemory)); err != nil {
			return err
		}
	}
	float, err := mf.load(ff)
	if err != nil {
		return err
	}
	defer float.Close()
	quant, err := mf.load(qf)
	if err != nil {
		return err
	}
	defer quant.Close()
	fmt.Fprintf(stderr, "bench quant: %d rows from %s; %d explanations per model at budget %d...\n", len(labelled), path, min(*explainN, len(labelled)), *budget)
	rep, err := bench.CompareQuantized(ctx, float, quant, labelled, bench.QuantOptions{Batch: *batch, ExplainSentences: *explainN, Budget: *budget, Seed: *seed, Rounds: *rounds})
	if err != nil {
		return err
	}
	rep.Source = path
	rep.Float.Model, rep.Quantized.Model = modelName(ff.Dir), modelName(qf.Dir)
	out := benchQuantReport{QuantReport: rep, Device: float.Model.Device().String(), Runtime: onnx.RuntimeVersion(), CPUs: runtime.NumCPU(), Threads: mf.threads}
	if *asJSON {
		return writeJSON(stdout, out)
	}
	printBenchQuant(stdout, &out)
	return nil
}

type benchQuantReport struct {
	*bench.QuantReport
	Device  string `json:"device"`
	Runtime string `json:"onnxruntime_version"`
	CPUs    int    `json:"cpus"`
	// Threads is --threads as given (0: ONNX Runtime's default, all CPUs).
	Threads int `json:"threads"`
}

func printBenchQuant(w io.Writer, r *benchQuantReport) {
	fmt.Fprintf(w, "float %s vs quantized %s on %s (ONNX Runtime %s, %d CPUs), %d rows from %s, batch %d\n\n",
		termSafe(r.Float.Model), termSafe(r.Quantized.Model), r.Device, r.Runtime, r.CPUs, r.Float.Rows, r.Source, r.Batch)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "\tfloat\tint8\t")
	fmt.Fprintf(tw, "accuracy\t%.4f (%d/%d)\t%.4f (%d/%d)\t\n", r.Float.Accuracy, r.Float.Correct, r.Float.Rows, r.Quantized.Accuracy, r.Quantized.Correct, r.Quantized.Rows)
	fmt.Fprintf(tw, "rows/s (best of %d)\t%s\t%s\t\n", len(r.Float.RoundRowsPerSecond), rate(r.Float.RowsPerSecond), rate(r.Quantized.RowsPerSecond))
	fmt.Fprintf(tw, "model.onnx\t%s\t%s\t\n", mib(r.Float.GraphBytes), mib(r.Quantized.GraphBytes))
	if r.Float.EmbedGraphBytes > 0 || r.Quantized.EmbedGraphBytes > 0 {
		fmt.Fprintf(tw, "model_embeds.onnx (no word table)\t%s\t%s\t\n", mib(r.Float.EmbedGraphBytes), mib(r.Quantized.EmbedGraphBytes))
	}
	fmt.Fprintf(tw, "quantized ops\t%s\t%s\t\n", opList(r.Float.QuantizedOps), opList(r.Quantized.QuantizedOps))
	fmt.Fprintf(tw, "batch effect, max |Δp|\t%.2g\t%.2g\t\n", r.FloatBatchEffect, r.BatchEffect)
	tw.Flush()
	fmt.Fprintf(w, "\np(%s), int8 − float: mean |Δ| %.5f, max |Δ| %.5f; predicted label changed on %d of %d rows; rows/s ratio int8/float %.2f\n",
		termSafe(r.Target), r.MeanAbsProbDiff, r.MaxAbsProbDiff, r.PredictedChanged, r.Float.Rows, r.Quantized.RowsPerSecond/r.Float.RowsPerSecond)
	fmt.Fprintf(w, "KernelSHAP (budget %d, seed %d, %d sentences, %d words): mean |φ_int8 − φ_float| %.5f (max %.5f) against mean |φ_float| %.5f; same top word in %.0f%% of sentences\n",
		r.Budget, r.Seed, r.ExplainSentences, r.Words, r.MeanAbsAttrDiff, r.MaxAbsAttrDiff, r.MeanAbsAttribution, 100*r.TopWordAgreement)
}

// rate prints rows/s with three significant figures below 100 (a base-size
// model on a loaded CPU runs a few rows a second), whole numbers above.
func rate(v float64) string {
	if v < 100 {
		return strconv.FormatFloat(v, 'g', 3, 64)
	}
	return fmt.Sprintf("%.0f", v)
}

func mib(b int64) string {
	if b == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
}

func opList(ops map[string]int) string {
	if len(ops) == 0 {
		return "none"
	}
	var names []string
	for op := range ops {
		names = append(names, op)
	}
	slices.Sort(names)
	var parts []string
	for _, op := range names {
		parts = append(parts, fmt.Sprintf("%s×%d", op, ops[op]))
	}
	return strings.Join(parts, " ")
}
