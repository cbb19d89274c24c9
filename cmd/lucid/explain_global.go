package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/lucid-nlp/lucid/attribution"
	"github.com/lucid-nlp/lucid/dataset"
	"github.com/lucid-nlp/lucid/engine"
	"github.com/lucid-nlp/lucid/evaluate"
	"github.com/lucid-nlp/lucid/global"
	"github.com/lucid-nlp/lucid/internal/bytesize"
	"github.com/lucid-nlp/lucid/internal/readcap"
	"github.com/lucid-nlp/lucid/models"
	"github.com/lucid-nlp/lucid/report"
)

// defaultGlobalBudget is KernelSHAP's budget per text with --global when
// --budget is not given: a dataset pass is throughput-bound, and at 64
// evaluations a 10–20-word sentence's Shapley values are within about
// 0.01 of exact (README, "Sample efficiency"), which averaging over a
// word's occurrences shrinks further.
const defaultGlobalBudget = 64

// globalChunk is how many texts are explained together: enough rows to
// keep the evaluator's batches full, few enough that an interruption
// loses little.
const globalChunk = 64

// globalFlags are explain's flags for --global.
type globalFlags struct {
	on                        bool
	data, format, textCol     string
	maxFieldSize, out, prog   string
	caseSensitive, strict     bool
	maxWords, minCount, topBy int
	saveState                 string
	merge                     stringList
}

func registerGlobalFlags(fs *flag.FlagSet) *globalFlags {
	g := &globalFlags{}
	fs.BoolVar(&g.on, "global", false, "explain every text of --data and aggregate per word: writes global.json and global.html to --out")
	fs.StringVar(&g.data, "data", "", "--global: the file of texts: .csv, .tsv or .jsonl (labels, if any, are not used)")
	fs.StringVar(&g.format, "format", "", "--global: csv, tsv or jsonl (default: from the extension)")
	fs.StringVar(&g.textCol, "text-col", "", "--global: text column (default: text, sentence or content)")
	fs.StringVar(&g.maxFieldSize, "max-field-size", "1MiB", "--global: largest CSV/TSV/JSONL field; a longer one costs its row, reported")
	fs.BoolVar(&g.strict, "strict", false, "--global: stop at the first malformed row instead of reporting it and going on")
	fs.StringVar(&g.out, "out", "lucid-global", "--global: folder for global.json and global.html")
	fs.StringVar(&g.prog, "progress", "auto", "--global: progress on stderr: auto (when a terminal), always or never")
	fs.BoolVar(&g.caseSensitive, "case-sensitive", false, "--global: keep words as written (default: case-folded)")
	fs.IntVar(&g.maxWords, "max-words", global.DefaultMaxWords, fmt.Sprintf("--global: word types kept, 1 to %d; past it the types with the smallest hash are kept and the others' occurrences counted", global.MaxMaxWords))
	fs.StringVar(&g.saveState, "save-state", "", "--global: also write the aggregate's mergeable state to FILE (for --merge)")
	fs.Var(&g.merge, "merge", "--global: instead of --data, merge the states that --save-state wrote (comma-separated or repeated) into one report; loads no model")
	fs.IntVar(&g.minCount, "min-count", global.DefaultMinCount, fmt.Sprintf("--global: fewest occurrences a word needs to enter a top list, 1 to %d", maxTop))
	return g
}

// checkGlobal checks the --global flags, refuses the explain flags that
// mean nothing with it (and its flags without it), and sets the top
// lists' length (--top, default global.DefaultTop).
func checkGlobal(fs *flag.FlagSet, g *globalFlags) error {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if !g.on {
		for _, name := range []string{"data", "format", "text-col", "max-field-size", "strict", "out", "progress", "case-sensitive", "max-words", "min-count", "save-state", "merge"} {
			if set[name] {
				return usagef("--%s needs --global", name)
			}
		}
		return nil
	}
	for _, name := range []string{"target", "why-not", "json", "html", "window", "window-stride", "color", "tolerance"} {
		if set[name] {
			return usagef("--%s does not go with --global: every label is aggregated, to OUT/global.json and OUT/global.html", name)
		}
	}
	if fs.NArg() > 0 {
		return usagef("unexpected arguments %q: --global reads --data (or --merge)", fs.Args())
	}
	switch {
	case len(g.merge) > 0 && g.data != "":
		return usagef("--merge and --data: give one (--merge combines the states of earlier runs)")
	case len(g.merge) > 0:
		for _, name := range []string{"case-sensitive", "max-words", "save-state", "format", "text-col", "strict", "max-field-size", "method", "budget", "features"} {
			if set[name] {
				return usagef("--%s does not go with --merge: the states carry how they were made", name)
			}
		}
		if !set["top"] {
			g.topBy = global.DefaultTop
		}
		return intFlag("min-count", g.minCount, 1, maxTop)
	case g.data == "":
		return usagef("--global needs --data FILE (or --merge STATES)")
	}
	if g.prog != "auto" && g.prog != "always" && g.prog != "never" {
		return usagef("--progress %q: want auto, always or never", g.prog)
	}
	if n, err := bytesize.Parse(g.maxFieldSize); err != nil || n < 1 || n > dataset.MaxLineBytes {
		return usagef("--max-field-size %q: want a size from 1 byte to %d MiB, like 1MiB", termSafe(g.maxFieldSize), dataset.MaxLineBytes>>20)
	}
	format, err := dataset.ParseFormat(g.format)
	if err != nil {
		return usageError{err.Error()}
	}
	if format == dataset.Auto {
		if _, err := dataset.DetectFormat(g.data); err != nil {
			return usageError{err.Error()}
		}
	}
	if !set["top"] {
		g.topBy = global.DefaultTop
	}
	return firstError(
		intFlag("max-words", g.maxWords, 1, global.MaxMaxWords),
		intFlag("min-count", g.minCount, 1, maxTop),
	)
}

// perLabel reports whether a method explains one label per run (the
// gradient methods), so --global explains each label in turn.
func perLabel(m attribution.Method) bool {
	return m == attribution.MethodPath || m == attribution.MethodGradInput || m == attribution.MethodSaliency
}

// runExplainGlobal is lucid explain --global: every text of the file
// explained towards every label, aggregated per word.
func runExplainGlobal(ctx context.Context, g *globalFlags, mf *modelFlags, folder *models.Folder, req attribution.Request,
	out evaluate.Output, batch int, stdout, stderr io.Writer) error {
	if req.Budget == 0 && (req.Method == attribution.MethodKernelSHAP || req.Method == "") {
		req.Budget = defaultGlobalBudget
	}
	req.AllTargets = !perLabel(req.Method)
	if req.AllTargets {
		// Every label from the same coalitions: the odd refinement is one
		// label's, so the plain estimator runs (as with --target all).
		req.Plain = true
	}
	shape := shapeOf(folder, perLabel(req.Method))
	batch, note, err := fitBatch(shape, batch, mf.sessions, int64(mf.maxMemory))
	if err != nil {
		return err
	}
	if note != "" {
		fmt.Fprintln(stderr, "explain: "+note)
	}
	inference := shape.inferenceBytes(batch, mf.sessions)
	fieldBytes, _ := bytesize.Parse(g.maxFieldSize)
	format, _ := dataset.ParseFormat(g.format)
	file, err := readcap.Open(ctx, g.data)
	if err != nil {
		return fmt.Errorf("opening --data: %w", err)
	}
	defer file.Close()
	rd, err := dataset.NewReader(file, g.data, dataset.Options{Format: format, TextCol: g.textCol, IgnoreLabels: true,
		Strict: g.strict, MaxFieldBytes: int(fieldBytes)})
	if err != nil {
		return err
	}
	defer rd.Close()

	clf, err := mf.load(folder)
	if err != nil {
		return err
	}
	defer clf.Close()
	gr, err := newGlobalRun(clf, folder, req, out, batch, mf.sessions, int64(mf.maxMemory)-inference, g)
	if err != nil {
		return err
	}
	acc := gr.acc

	showProgress := g.prog == "always" || (g.prog == "auto" && isTerminal(stderr))
	lines := 0
	if showProgress {
		// The reader reads ahead, so its byte count runs ahead of the
		// texts explained; the file's line count (one pass, 1 MiB at a
		// time) is the denominator instead: rows, give or take a header
		// and quoted line breaks.
		lines = countLines(g.data, format)
	}
	start := time.Now()
	var firstErrs []string // the first few texts' errors, for the terminal
	failed := 0
	progress := func() {
		if !showProgress {
			return
		}
		el := time.Since(start)
		done := rd.Rows()
		line := fmt.Sprintf("\rexplaining %7d texts  %6.1f texts/s  %d failed", done, float64(done)/max(el.Seconds(), 1e-9), failed)
		if lines > 0 && done > 0 && done <= lines {
			eta := time.Duration(float64(el) * (float64(lines)/float64(done) - 1)).Round(time.Second)
			line += fmt.Sprintf("  %3.0f%% of ~%d  ETA %s", 100*float64(done)/float64(lines), lines, eta)
		}
		fmt.Fprintf(stderr, "%-90s", line)
	}
	progress() // at once: the first chunk takes a while
	skipped := 0
	err = rd.Batches(ctx, globalChunk, func(re *dataset.RowError) {
		skipped++
		if len(firstErrs) < 5 {
			firstErrs = append(firstErrs, fmt.Sprintf("skipped %s", re.Error()))
		}
	}, func(rows []dataset.Row) error {
		errs, err := gr.explain(ctx, rows)
		for _, e := range errs {
			failed++
			if len(firstErrs) < 5 {
				firstErrs = append(firstErrs, e)
			}
		}
		if err != nil {
			return err
		}
		progress()
		return nil
	})
	if showProgress {
		fmt.Fprintln(stderr)
	}
	interrupted := err != nil && ctx.Err() != nil && errors.Is(err, context.Canceled)
	if err != nil && !interrupted {
		return err
	}
	for _, e := range firstErrs {
		fmt.Fprintf(stderr, "%s\n", termSafe(e))
	}
	rep, rerr := acc.Report(g.topBy, g.minCount, interrupted)
	if rerr != nil {
		return rerr
	}
	rep.Seconds = time.Since(start).Seconds()
	rep.Data = g.data
	rep.Skipped = skipped
	if interrupted {
		acc.MarkPartial()
	}
	if werr := writeGlobal(g.out, rep); werr != nil {
		return errors.Join(err, werr)
	}
	if g.saveState != "" {
		if werr := saveGlobalState(g.saveState, acc); werr != nil {
			return errors.Join(err, werr)
		}
	}
	printGlobal(stdout, rep, g.out)
	if err != nil {
		return err
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d texts could not be explained (the first are listed above); the report aggregates the others", failed, rep.Texts+failed)
	}
	return nil
}

// saveGlobalState writes acc's binary state to path (--save-state).
func saveGlobalState(path string, acc *global.Accumulator) error {
	data, err := acc.MarshalBinary()
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return fmt.Errorf("--save-state: %w", err)
	}
	return nil
}

// runGlobalMerge is lucid explain --global --merge: the states of earlier
// runs (parts of one file, or files) merged into one report, in the order
// given (which does not change the figures).
func runGlobalMerge(g *globalFlags, stdout io.Writer) error {
	start := time.Now()
	var acc *global.Accumulator
	for _, path := range g.merge {
		data, err := readcap.ReadFile(context.Background(), path, "--merge state", readcap.MaxStateBytes)
		if err != nil {
			return fmt.Errorf("--merge: %w", err)
		}
		part := &global.Accumulator{}
		if err := part.UnmarshalBinary(data); err != nil {
			return fmt.Errorf("--merge %s: %w", path, err)
		}
		if acc == nil {
			acc = part
			continue
		}
		if err := acc.Merge(part); err != nil {
			return fmt.Errorf("--merge %s: %w", path, err)
		}
	}
	rep, err := acc.Report(g.topBy, g.minCount, false)
	if err != nil {
		return err
	}
	rep.Data, rep.Seconds = "merged: "+strings.Join(g.merge, ", "), time.Since(start).Seconds()
	if err := writeGlobal(g.out, rep); err != nil {
		return err
	}
	printGlobal(stdout, rep, g.out)
	return nil
}

// countLines counts the lines of a file (0 when it cannot be read), less
// the header of a CSV or TSV file.
func countLines(path string, format dataset.Format) int {
	// Only a regular file can be counted ahead: a FIFO, device or
	// /dev/zero would be consumed or never end.
	if st, err := os.Stat(path); err != nil || !st.Mode().IsRegular() {
		return 0
	}
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	buf := make([]byte, 1<<20)
	n, last := 0, byte('\n')
	for {
		k, err := f.Read(buf)
		n += bytes.Count(buf[:k], []byte{'\n'})
		if k > 0 {
			last = buf[k-1]
		}
		if err != nil {
			break
		}
	}
	if last != '\n' {
		n++
	}
	if format == dataset.Auto {
		format, _ = dataset.DetectFormat(path)
	}
	if format != dataset.JSONL {
		n--
	}
	return max(n, 0)
}

// globalRun explains chunks of rows into an Accumulator.
type globalRun struct {
	x      *attribution.Explainer
	clf    *models.Classifier
	req    attribution.Request
	labels []string
	avail  int64 // memory left beside the rows in flight
	hidden int
	acc    *global.Accumulator
}

// newGlobalRun prepares --global's explanations on a loaded model.
func newGlobalRun(clf *models.Classifier, folder *models.Folder, req attribution.Request, out evaluate.Output, batch, sessions int, avail int64, g *globalFlags) (*globalRun, error) {
	ev := evaluate.New(clf.Model, evaluate.Options{BatchSize: batch, Output: out, PadID: clf.Tokenizer.PadID(), Concurrency: sessions})
	name := modelName(clf.Folder.Dir)
	labels := clf.Model.Labels()
	outName := out.String()
	if clf.Head() == engine.Regression {
		outName = "score" // a regression head's attributions are of its raw score
	}
	acc, err := global.New(global.Options{Labels: labels, CaseSensitive: g.caseSensitive, MaxWords: g.maxWords,
		Model: name, Method: string(req.Method), Output: outName, Features: req.Level.String(), Budget: req.Budget})
	if err != nil {
		return nil, err
	}
	return &globalRun{x: attribution.NewExplainer(clf.Tokenizer, ev, name), clf: clf, req: req, labels: labels,
		avail: avail, hidden: folder.Hidden, acc: acc}, nil
}

// explain explains rows towards every label and adds them to the
// Accumulator; it returns one message per text that could not be
// explained (counted as failed), and an error that stops the run (ctx's
// when interrupted: the chunk is then not added at all).
func (gr *globalRun) explain(ctx context.Context, rows []dataset.Row) ([]string, error) {
	nl := 1
	if !gr.req.AllTargets {
		nl = len(gr.labels)
	}
	texts := make([]string, len(rows))
	for i, r := range rows {
		texts[i] = r.Text
	}
	plan := planExplanations(gr.clf.Tokenizer, gr.req, texts, gr.avail, gr.hidden)
	reqs := make([]attribution.Request, 0, len(rows)*nl)
	for i, r := range rows {
		if plan.refused[i] != nil {
			continue
		}
		for l := range nl {
			q := gr.req
			q.Text = r.Text
			if !gr.req.AllTargets {
				q.Target = gr.labels[l]
			}
			reqs = append(reqs, q)
		}
	}
	results, errs := gr.x.ExplainAll(ctx, reqs, plan.workers)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var failed []string
	k := 0
	for i, r := range rows {
		if e := plan.refused[i]; e != nil {
			gr.acc.Failed()
			failed = append(failed, fmt.Sprintf("line %d: %s", r.Line, e))
			continue
		}
		rs, es := results[k:k+nl], errs[k:k+nl]
		k += nl
		if e := errors.Join(es...); e != nil {
			gr.acc.Failed()
			failed = append(failed, fmt.Sprintf("line %d: %s", r.Line, e))
			continue
		}
		var err error
		if gr.req.AllTargets {
			err = gr.acc.Add(rs[0])
		} else {
			err = gr.acc.AddLabels(rs)
		}
		if err != nil {
			return failed, fmt.Errorf("line %d: %w", r.Line, err)
		}
	}
	return failed, nil
}

// writeGlobal writes global.json and global.html to dir.
func writeGlobal(dir string, rep *global.Report) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	var js bytes.Buffer
	enc := json.NewEncoder(&js)
	enc.SetIndent("", "  ")
	if err := enc.Encode(rep); err != nil {
		return fmt.Errorf("global.json: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "global.json"), js.Bytes(), 0o644); err != nil {
		return err
	}
	var page bytes.Buffer
	if err := report.WriteGlobal(&page, rep); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "global.html"), page.Bytes(), 0o644)
}

// printGlobal prints the top words per label for a person.
func printGlobal(w io.Writer, rep *global.Report, dir string) {
	partial := ""
	if rep.Partial {
		partial = " (PARTIAL: interrupted)"
	}
	budget := "its default budget"
	if rep.Budget > 0 {
		budget = fmt.Sprintf("budget %d", rep.Budget)
	}
	fmt.Fprintf(w, "global explanation of %s on %s%s: %d texts (%d failed, %d rows skipped), %d word occurrences, %d word types, %s at %s, %.1fs\n",
		termSafe(rep.Model), termSafe(rep.Data), partial, rep.Texts, rep.Failed, rep.Skipped, rep.Occurrences, rep.WordTypes, termSafe(rep.Method), budget, rep.Seconds)
	if rep.DroppedOccurrences > 0 {
		fmt.Fprintf(w, "cap of %d word types reached: %d occurrences of other types not aggregated\n", rep.MaxWords, rep.DroppedOccurrences)
	}
	show := min(rep.TopN, 10)
	for _, lt := range rep.Top {
		fmt.Fprintf(w, "\ntowards %s (mean %s attribution [95%% CI], n; words seen at least %d times):\n", termSafe(lt.Label), termSafe(rep.Output), rep.MinCount)
		for _, tw := range lt.Towards[:min(show, len(lt.Towards))] {
			fmt.Fprintf(w, "  %+.4f [%+.4f, %+.4f]  n=%-5d %s\n", tw.Stats.Mean, tw.Stats.Low, tw.Stats.High, tw.Count, termSafe(tw.Word))
		}
	}
	fmt.Fprintf(w, "\nreport: %s, %s\n", termSafe(filepath.Join(dir, "global.html")), termSafe(filepath.Join(dir, "global.json")))
}

// globalHelp is the --global part of explain's help.
const globalHelp = `
Global explanations (--global): lucid explain --global --data FILE --out DIR
explains every text of FILE (CSV, TSV or JSONL; --text-col, --format,
--max-field-size and --strict as in lucid audit) towards every label and
aggregates the words (--features words): per word type (case-folded, or as
written with --case-sensitive), its count, the mean attribution towards each
label with a 95% Student-t interval over its occurrences, the mean
|attribution|, and three example texts (those with the smallest content
hash); then per label the --top words (default 20) pushing towards it and
against it and the largest by mean |attribution|, among words seen at least
--min-count times. Writes OUT/global.json and OUT/global.html (bar charts,
self-contained) and prints the top words. Default: kernelshap at --budget 64
per text (every label from the same coalitions); ig, grad-input and saliency
run once per label. Memory is bounded by --max-words word types: past it,
the types with the smallest hash are kept (each exactly) and the other
types' occurrences are counted, so parts of a file aggregated apart merge
into the same numbers. Progress goes to stderr; Ctrl-C writes what is done
(marked partial, exit 130).

Parts of a file (or several files) can be explained apart, on as many
machines: --save-state FILE writes each run's mergeable state, and
--merge A,B,... (instead of --data; no model is loaded) writes the report of
all of them, the same numbers as one pass, in any order.

  lucid explain --global --data ../shared/data/sst2/dev.tsv --out global/
  lucid explain --global --data posts.jsonl --text-col body --method occlusion --top 30
  lucid explain --global --data part1.tsv --save-state p1.state --out p1/
  lucid explain --global --merge p1.state,p2.state --out all/
`
