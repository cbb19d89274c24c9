package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/lucid-nlp/lucid/attribution"
	"github.com/lucid-nlp/lucid/audit"
	"github.com/lucid-nlp/lucid/cli/auditcli"
	"github.com/lucid-nlp/lucid/compare"
	"github.com/lucid-nlp/lucid/dataset"
	"github.com/lucid-nlp/lucid/evaluate"
	"github.com/lucid-nlp/lucid/internal/readcap"
	"github.com/lucid-nlp/lucid/models"
	"github.com/lucid-nlp/lucid/report"
)

const compareHelp = `
Usage: lucid compare --model A --model B --data FILE [flags]
       lucid compare [--model M] --data FILE --data FILE2 [flags]

Two models, one file: did the new model change behaviour where it should
not have? Prediction agreement and flip rate (Wilson 95% intervals; the flip
rate tested one-sided against --flip-tolerance), flips by slice (short, long,
negation, question, number) and by each --group-col value (Holm-corrected),
the mean |Δp(positive)| and the signed mean B − A with t intervals, accuracy
of both and B − A (McNemar's exact test), the --top-changed rows whose
probability moved most, and on --explain-rows sampled texts the Spearman
rank correlation of the two models' KernelSHAP explanations.

One model, two files: does the model's accuracy, positive rate, and every
group's accuracy, positive rate, TPR and FPR hold from FILE to FILE2 (a
distribution-shift check)? Each is B − A with Newcombe's interval and
Fisher's exact test; each group column's positive-rate gap between groups
with a parametric bootstrap; all Holm-corrected together.

Writes report.json, report.html and metrics.csv (check, metric, group,
value, low, high, n) to --out; --append-history adds the same figures and the
verdicts to a JSONL file, --tensorboard DIR to a TensorBoard event file (one
per run, step = the run's index in DIR). Verdicts follow the audit's rule
(lucid audit --help). Files are read row by row: memory stays flat.

Examples:
  lucid compare --model models/v1 --model models/v2 --data dev.tsv --out cmp/
  lucid compare --model models/v2 --data train.tsv --data dev.tsv --group-col gender
  lucid compare --model A --model B --data dev.tsv --append-history runs.jsonl
  lucid compare --model A --model B --data dev.tsv --tensorboard runs/compare

Limits (a value beyond one is a usage error, exit 2): --batch 1 to 4096,
--budget 1 to 1048576, --explain-rows 0 to 10000, --top-changed 0 to 10000,
--max-groups 2 to 100000, --resamples 1 to 100000, --min-group-size 0 to
1000000000; --flip-tolerance and --tolerance in (0, 1). Exit codes as for
audit: 3 when a finding is at or above --fail-on.
`

func runCompare(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("compare", compareHelp, stderr)
	// The shared model flags, but --model repeats here: one or two models.
	var mf modelFlags
	shared := flag.NewFlagSet("model", flag.ContinueOnError)
	mf.register(shared)
	shared.VisitAll(func(f *flag.Flag) {
		if f.Name != "model" {
			fs.Var(f.Value, f.Name, f.Usage)
		}
	})
	var modelsList, dataList, groupCols stringList
	fs.Var(&modelsList, "model", "model folder; twice to compare two models (default: the built-in model)")
	fs.Var(&dataList, "data", "the file (.csv, .tsv, .jsonl); twice with one model for a shift check (required)")
	format := fs.String("format", "", "csv, tsv or jsonl (default: from the extension)")
	textCol := fs.String("text-col", "", "text column (default: text, sentence or content)")
	labelCol := fs.String("label-col", "", "label column (default: label, if present)")
	fs.Var(&groupCols, "group-col", "group column to break flips (or shift tests) down by (repeat or comma-separate)")
	out := fs.String("out", "lucid-compare", "folder for report.json, report.html and metrics.csv")
	positive := fs.String("positive", "", "the favourable label (default: one named positive, else the last)")
	seed := fs.Uint64("seed", 1, "seed for sampling, bootstrap and explanations")
	batch := fs.Int("batch", 256, fmt.Sprintf("rows per prediction batch, 1 to %d", maxBatch))
	explainRows := fs.Int("explain-rows", compare.DefaultExplainRows, fmt.Sprintf("random sample of rows explained by both models, 0 to %d", maxExplainRows))
	budget := fs.Int("budget", 256, fmt.Sprintf("KernelSHAP budget for those explanations, 1 to %d", maxBudget))
	topChanged := fs.Int("top-changed", compare.DefaultTopChanged, fmt.Sprintf("rows whose probability moved most to list, 0 to %d", compare.MaxTopChanged))
	flipTol := fs.Float64("flip-tolerance", compare.DefaultFlipTolerance, "flip rate judged immaterial, in (0, 1)")
	tolerance := fs.Float64("tolerance", compare.DefaultTolerance, "practical threshold for |Δp| and rate differences, in (0, 1)")
	maxGroups := fs.Int("max-groups", compare.DefaultMaxGroups, fmt.Sprintf("distinct values kept per group column (the rest pooled), 2 to %d", maxGroupValues))
	resamples := fs.Int("resamples", compare.DefaultResamples, fmt.Sprintf("bootstrap resamples of the shift's gap test, 1 to %d", maxResamples))
	minGroup := fs.Int("min-group-size", 30, fmt.Sprintf("groups smaller than this in either file are left out of the gap test, 0 to %d", maxMinGroupSize))
	history := fs.String("append-history", "", "JSONL file to add this run's figures (metrics.csv's rows) and verdicts to; report.html plots the whole-data figures' trend when it holds two or more runs")
	tensorboard := registerTensorBoard(fs)
	failOn := fs.String("fail-on", "never", "exit 3 when a finding is at least: fail, warn or never")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected arguments %q: compare reads --data", fs.Args())
	}
	switch {
	case len(dataList) == 0:
		return usagef("--data FILE is required")
	case len(dataList) > 2 || len(modelsList) > 2:
		return usagef("compare takes at most two --model and two --data (got %d and %d)", len(modelsList), len(dataList))
	case len(dataList) == 2 && len(modelsList) == 2:
		return usagef("give two --model and one --data (compare models), or one --model and two --data (a shift check), not both")
	case len(dataList) == 1 && len(modelsList) < 2:
		return usagef("with one --data, give two --model to compare; or give a second --data for a shift check")
	}
	if err := firstError(
		mf.validate(),
		intFlag("batch", *batch, 1, maxBatch),
		intFlag("explain-rows", *explainRows, 0, maxExplainRows),
		intFlag("budget", *budget, 1, maxBudget),
		intFlag("top-changed", *topChanged, 0, compare.MaxTopChanged),
		intFlag("max-groups", *maxGroups, 2, maxGroupValues),
		intFlag("resamples", *resamples, 1, maxResamples),
		intFlag("min-group-size", *minGroup, 0, maxMinGroupSize),
		shareFlag("flip-tolerance", *flipTol, false),
		shareFlag("tolerance", *tolerance, false),
	); err != nil {
		return err
	}
	if *failOn != "fail" && *failOn != "warn" && *failOn != "never" {
		return usagef("--fail-on %q: want fail, warn or never", termSafe(*failOn))
	}
	f, err := dataset.ParseFormat(*format)
	if err != nil {
		return usageError{err.Error()}
	}
	if err := auditcli.PrepareOut(*out, *history); err != nil {
		return err
	}
	var files []*readcap.File
	for _, d := range dataList {
		if f == dataset.Auto {
			if _, err := dataset.DetectFormat(d); err != nil {
				return usageError{err.Error()}
			}
		}
		h, err := readcap.Open(ctx, d)
		if err != nil {
			return fmt.Errorf("opening --data: %w", err)
		}
		defer h.Close()
		files = append(files, h)
	}
	load := func(dir string) (*models.Classifier, error) {
		m := mf
		m.dir = dir
		folder, err := m.folder()
		if err != nil {
			return nil, err
		}
		if err := checkInference(shapeOf(folder, false), max(*batch, evaluate.DefaultBatchSize), mf.sessions, int64(mf.maxMemory)); err != nil {
			return nil, err
		}
		return m.load(folder)
	}
	explainer := func(c *models.Classifier) *attribution.Explainer {
		ev := evaluate.New(c.Model, evaluate.Options{PadID: c.Tokenizer.PadID(), Concurrency: mf.sessions})
		return attribution.NewExplainer(c.Tokenizer, ev, c.Folder.Dir)
	}
	cfg := compare.Config{
		Source: files[0], Name: dataList[0],
		Dataset:  dataset.Options{Format: f, TextCol: *textCol, LabelCol: *labelCol, GroupCols: groupCols},
		Positive: *positive, Seed: *seed, BatchSize: *batch, FlipTolerance: *flipTol, Tolerance: *tolerance,
		TopChanged: *topChanged, ExplainRows: *explainRows, Budget: *budget, MaxGroups: *maxGroups,
		Resamples: *resamples, MinGroupSize: *minGroup,
	}
	if *explainRows == 0 {
		cfg.ExplainRows = -1
	}
	var rep *compare.Report
	var runErr error
	if len(dataList) == 2 {
		dir := ""
		if len(modelsList) == 1 {
			dir = modelsList[0]
		}
		clf, err := load(dir)
		if err != nil {
			return err
		}
		defer clf.Close()
		cfg.Source2, cfg.Name2, cfg.ModelA = files[1], dataList[1], modelName(clf.Folder.Dir)
		rep, runErr = compare.RunShift(ctx, clf, cfg)
	} else {
		a, err := load(modelsList[0])
		if err != nil {
			return err
		}
		defer a.Close()
		b, err := load(modelsList[1])
		if err != nil {
			return err
		}
		defer b.Close()
		cfg.ModelA, cfg.ModelB = modelName(a.Folder.Dir), modelName(b.Folder.Dir)
		rep, runErr = compare.RunModels(ctx, a, b, explainer(a), explainer(b), cfg)
	}
	if rep == nil {
		return runErr
	}
	if err := writeCompare(*out, rep, *history); err != nil {
		return errors.Join(runErr, err)
	}
	fmt.Fprintf(stdout, "compare (%s) of %s on %s%s; %.1fs\n\n", rep.Kind, termSafe(strings.TrimSpace(rep.ModelA+" "+rep.ModelB)),
		termSafe(strings.TrimSpace(rep.DataA+" "+rep.DataB)), map[bool]string{true: " (PARTIAL: interrupted)"}[rep.Partial], rep.Seconds)
	for _, f := range rep.Summary {
		fmt.Fprintf(stdout, "  %-5s %-15s %s\n", strings.ToUpper(termSafe(f.Status)), termSafe(f.Check), termSafe(f.Message))
	}
	fmt.Fprintf(stdout, "\nreport: %s, %s, %s\n", termSafe(filepath.Join(*out, "report.html")), termSafe(filepath.Join(*out, "report.json")), termSafe(filepath.Join(*out, "metrics.csv")))
	if runErr != nil {
		return runErr
	}
	// Written for complete runs only: a partial one would break the trend.
	if err := writeTensorBoard(*tensorboard, report.CompareRun(rep), stdout); err != nil {
		return err
	}
	return findingsExit(&audit.Report{Summary: rep.Summary}, *failOn)
}

func writeCompare(dir string, rep *compare.Report, history string) error {
	return writeReportFiles(dir, rep, compare.MetricRows(rep), history, report.CompareRun(rep),
		func(w io.Writer, runs []report.HistoryRun) error { return report.WriteCompare(w, rep, runs) })
}
