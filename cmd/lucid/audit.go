package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/lucid-nlp/lucid/attribution"
	"github.com/lucid-nlp/lucid/audit"
	"github.com/lucid-nlp/lucid/cli/auditcli"
	"github.com/lucid-nlp/lucid/internal/readcap"
	"github.com/lucid-nlp/lucid/report"
)

const auditHelp = `
Usage: lucid audit --data FILE [flags]

Audits a classifier on a file of texts in one streaming pass and writes
report.json (every figure, machine-readable) and report.html (one
self-contained page: a plain-words summary first, then the details) to --out.
Labels are optional: rows with an empty label cell (or a file with no label
column) are unlabelled, and the label-free checks (positive rates by group,
counterfactual swaps, consistency, matched frames, faithfulness, stability)
run on them; accuracy, TPR and FPR use the labelled rows.

Checks (--checks, default all):
  data            bias in the data itself, no model: for every identity term
                  and family group (the counterfactual families) and every
                  --group-col value, how often it occurs and the share of the
                  --positive label where it occurs vs elsewhere (difference
                  with Newcombe interval, ratio with log interval, Fisher's
                  exact test, Holm-corrected per list; FAIL beyond
                  --tolerance), smoothed PMI with each label, and the most
                  skewed terms with sample sentences. --checks data alone
                  loads no model (labels are named by --model's config.json,
                  or given as class indexes); --weight-col COL (lucid augment
                  --reweigh writes one) adds each --group-col's weighted
                  group-by-label table, P_w(label | group)
  groups          per group: accuracy, positive rate, TPR, FPR, FNR, precision
                  with Wilson 95% intervals; every pair of groups compared
                  (signed A - B with Newcombe intervals, the four-fifths
                  ratio with MOVER-R), all pairs x all metrics one Holm
                  family, each judged by its corrected interval (needs --group-col;
                  --group-cross a,b adds the intersection; --pair-col adds a
                  matched comparison within each frame)
  counterfactual  swap identity terms (gender, names, religion, nationality,
                  age, or --families FILE) grammatically and measure the signed
                  change per direction; each name is paired with
                  --cf-partners names of each other group (-1: all). Unit of
                  the tests: the text for term families (paired t), the name
                  for name families (two-way cluster-robust t over source and
                  partner names), so one name cannot fail a family. Strata
                  by term kind and (--pair-col) template; the worst pairs are
                  explained word by word in report.html
  consistency     CheckList tests: meaning-preserving edits must not move the
                  prediction by more than --tolerance; negation and
                  intensifiers must not move it the wrong way by more
  slices          accuracy on slices (short, long, negation, question, number)
                  against the rest of the rows
  faithfulness    comprehensiveness, sufficiency and AOPC of each explanation
                  method on sampled rows
  stability       rank correlation of explanations across seeds and budgets

Auditing given outputs (no model is loaded): --score-col COL reads each
row's positive-class probability or score in [0, 1] (alone, above 0.5 is a
positive prediction, for two classes), --prediction-col COL its predicted
label (a class name or index); with both, the label decides and the score
feeds --pair-col frames and thresholds. --label-names a,b names the classes
(default: the --model folder's config.json, only read). Empty, non-numeric,
out-of-range or unknown cells make the row malformed (counted, quoted, the
audit goes on). groups, slices, data, --pair-col and thresholds run; the
checks that score new texts (counterfactual, consistency, faithfulness,
stability) are skipped with the reason, or refused when named in --checks.

Multi-label models (config.json problem_type multi_label_classification: a
sigmoid per label, as toxicity and moderation models): every check runs once
per label, label L being "p(L) >= its threshold" (--threshold, default 0.5;
--label-thresholds FILE per label, read as lucid predict reads it: a JSON
object {"toxic": 0.7} or TSV lines label<TAB>t), over one pass of the file
(each text is scored once for all labels). Gold labels come
from --label-list-col COL ("toxic|insult", split on --label-sep, default |,
or a JSON list; an empty cell lists none; default: --label-col read so) or
--label-cols a,b,c (one 0/1 column per label, named as the label). The
label-by-group table and every label's group tests are ONE Holm family
(labels x group columns x pairs x metrics), stated as report.json's family;
the other checks keep their families per label. Given outputs: --score-cols
p_a,p_b,p_c, one probability column per label (--label-names a,b,c, default
the --label-cols names, else the columns' own). faithfulness and stability
are not run per label (lucid explain --target LABEL explains one).

Regression heads (problem_type regression, one score): groups are compared
by their mean score (difference of means with Welch's interval and t-test,
all pairs of a column one Holm family, the same rule) against
--score-tolerance (default 0.1, in score units: set it for your score's
scale); --pair-col frames compare paired score differences against it too,
and counterfactual swaps of identity terms are judged by each direction's
mean score change (paired t, one Holm family over the directions; term
families only). The checks defined on decisions or probabilities (data,
consistency, slices, faithfulness, stability) and group thresholds are
skipped with the reason in skipped_checks. Given outputs: --regression
--score-col COL (any finite score).

Group thresholds (post-processing mitigation, Hardt, Price and Srebro 2016,
as fairlearn's ThresholdOptimizer): --fit-thresholds demographic-parity,
equal-opportunity or equalized-odds fits, on the labelled rows, one decision
rule per group of --threshold-col (default: the first --group-col) on the
positive-class score, the most accurate under which every group has the same
positive rate, TPR, or TPR and FPR; rules that must mix two thresholds (or,
for equalized odds, the score with a coin) decide by a hash of --seed, the
group and the text, so they are reproducible. They go to OUT/thresholds.json
(at most 256 groups; groups under --min-group-size keep the model's
decisions, listed). Judge them on a second file with --thresholds FILE: the
constraint's pairwise tests, every metric's column verdict (and the tests
that got worse) and accuracy before and after, with intervals; apply them
with lucid predict --thresholds.

Your own test suites (--suite FILE, JSON; README "Your own test suites"):
templates with {slot} placeholders filled from lexicons, and one
expectation per test, as in CheckList: mft (every expansion gets "label"),
inv (the expansions that differ only in the "vary" slots must not move
p(label) by more than --tolerance from the group's first) or dir (they
must not move p(label) the wrong way, "direction" up or down, by more).
A test expanding to more than its max_cases (default 500, at most 100000)
runs a seeded sample of them; a group holds at most 100 expansions. Each
test's failure rate is judged as the consistency tests' are, the suite's
tests one Holm family. Needs the model; runs beside any --checks.

Verdicts: one rule for every check. FAIL when materiality is shown: the
effect's interval, at the level Holm's correction over its family gives it
(for a group column: all pairs x all metrics), lies wholly outside the
tolerance (0.1 for differences, [0.8, 1.25] for ratios, on the log scale);
PASS when it lies wholly inside (equivalence shown); otherwise WARN, saying
"significant but not shown material" or "inconclusive". The family is stated
beside each verdict. If more than --max-skipped-share of the rows are
malformed, only the data problem is judged. README.md states the rule.

The file is CSV, TSV or JSONL (by extension, or --format), read row by row:
memory stays flat on a million rows. Labels may be names or indexes. A
malformed row is reported with its line number and skipped (or stops the
audit, with --strict); a runaway quote is reported at the line where it
opened, and reading resumes on the next line. report.json reconciles every
line of the file: rows read, skipped, blank, header. Empty group values are
"(missing)": reported, never compared unless --missing-group as-group. Above
--max-groups distinct values the smallest are pooled as "other (N groups)".

Sentence pairs (NLI, paraphrase, question and passage): --text-pair-col COL
names the second text; every row is scored as a pair with the tokenizer's
pair template (longest-first truncation). Counterfactual swaps and
consistency edits change the first text, the second or both (--pair-side,
default both); --symmetric adds the order-swap invariance test (text,
text_pair) against (text_pair, text), judged like the other consistency
tests. The report shows a pair as "text ␞ text_pair". Explanations
(faithfulness, stability, the worst swaps) explain each pair as a pair.
--pair-col is something else: a matched design's frame id.

Ctrl-C stops the audit after the current batch and writes a partial report
(marked partial) of the rows read so far; a second Ctrl-C exits at once.

Examples:
  lucid audit --data reviews.csv --group-col gender --out audit/
  lucid audit --data templates.csv --group-col group --pair-col template
  lucid audit --data nli.tsv --text-col premise --text-pair-col hypothesis --pair-side second --group-col group
  lucid audit --data people.csv --group-col gender,age --group-cross gender,age
  lucid audit --data ../shared/data/sst2/dev.tsv --checks counterfactual,consistency
  lucid audit --data posts.jsonl --fail-on fail     # exit 3 when a check fails
  lucid audit --data dev.tsv --checks slices --suite examples/sentiment_suite.json
  lucid audit --data train.tsv --checks data --group-col source   # no model
  lucid audit --data weighted.csv --checks data --group-col gender --weight-col weight
  lucid audit --data vendor.csv --score-col p_toxic --label-names ok,toxic --group-col dialect
  lucid audit --model toxic-model --data comments.csv --label-list-col labels --group-col identity
  lucid audit --data scored.csv --score-cols p_toxic,p_insult --label-cols toxic,insult --group-col identity
  lucid audit --data ratings.csv --regression --score-col score --score-tolerance 0.25 --group-col dialect
  lucid audit --data train.csv --group-col gender --fit-thresholds equalized-odds --out fit/
  lucid audit --data test.csv --group-col gender --thresholds fit/thresholds.json
  lucid audit --data dev.csv --group-col gender --tensorboard runs/audit   # a trend

History: --append-history FILE adds this run's figures (every row of
metrics.csv: headline, groups, pairs, counterfactual, consistency, data scan,
thresholds; figures with no value are left out) and the verdicts as one JSON
line; report.html plots the whole-data figures over runs. --tensorboard DIR
writes the same figures as a TensorBoard event file, one per run, at step =
the run's index in DIR (README.md, "TensorBoard and W&B").

Limits (checked before anything runs; a value beyond one is a usage error,
exit 2): --batch 1 to 4096, --budget 1 to 1048576 (2^20), --resamples 1 to
100000, --min-group-size 0 to 1000000000, --consistency-rows 0 to 1000000,
--explain-rows 0 to 10000, --max-groups 2 to 100000, --max-field-size up to
64MiB, --sessions 1 to 64, --threads at most 4 per CPU (256 at most); the
estimated memory of the rows in flight must fit in --max-memory (default:
half the machine's memory): a --batch that does not fit runs as the largest
batch that does, said on standard error. In the summary printed to the terminal, control
characters and bidirectional overrides from the data are shown escaped
(\x1b, \u202e).

Exit codes: 0 done, 1 runtime failure, 2 usage error (a bad flag, an unknown
--positive label, a missing column, a file format that cannot be told), 3 a
finding at or above --fail-on, 130 interrupted (a partial report is written).
`

// stringList is a repeatable or comma-separated flag.
type stringList = auditcli.StringList

// usageFrom turns auditcli's usage errors into the command's own, so they
// exit with status 2.
func usageFrom(err error) error {
	var ue auditcli.UsageError
	if errors.As(err, &ue) {
		return usageError{ue.Msg}
	}
	return err
}

// modelName is how a report names the model (auditcli.ModelName).
func modelName(dir string) string { return auditcli.ModelName(dir) }

// exitFindings is returned when --fail-on triggers (exit 3).
type exitFindings struct{ msg string }

func (e exitFindings) Error() string { return e.msg }

func runAudit(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("audit", auditHelp, stderr)
	var mf modelFlags
	mf.register(fs)
	af := auditcli.Register(fs)
	tensorboard := registerTensorBoard(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if af.Data == "" {
		return usagef("--data FILE is required")
	}
	if fs.NArg() > 0 {
		return usagef("unexpected arguments %q: audit reads --data", fs.Args())
	}
	if err := mf.validate(); err != nil {
		return err
	}
	af.Model, af.Device, af.Threads, af.Sessions, af.OrtLib = mf.dir, mf.device, mf.threads, mf.sessions, mf.library
	af.Head = mf.head
	cfg, err := af.Config()
	if err != nil {
		return usageFrom(err)
	}

	// --out is checked before any work, so that an unwritable or planted
	// folder is found now, not after the whole audit.
	if err := auditcli.PrepareOut(af.Out, af.AppendHistory); err != nil {
		return err
	}
	// The file is opened on its first read, through readcap: a FIFO
	// without a writer, a stalled pipe or /dev/zero cannot keep the
	// command from honouring Ctrl-C, and an interrupt while it waits is
	// an interrupted audit with its (empty) partial report.
	st, err := os.Stat(af.Data)
	if err != nil {
		return fmt.Errorf("opening --data: %w", err)
	}
	if st.IsDir() {
		return fmt.Errorf("opening --data: %s is a folder, not a file", af.Data)
	}
	file := &lazyFile{ctx: ctx, path: af.Data}
	defer file.Close()
	counted := &countingReader{r: file}
	cfg.Source = counted

	showProgress := af.Progress == "always" || (af.Progress == "auto" && isTerminal(stderr))
	if showProgress {
		cfg.Progress = progressPrinter(stderr, counted, st.Size())
	}
	if af.ModelFree() {
		// --checks data alone, or an audit of given outputs, runs no
		// model: --label-names name the classes, else the model folder's
		// config.json does.
		labels := af.Labels
		// Per-label score columns and regression scores name their own
		// labels (audit.Config.Labels: --label-cols, the columns, "score").
		if len(labels) == 0 && len(af.ScoreCols) == 0 && !af.Regression {
			folder, err := mf.folder()
			if err != nil {
				return err
			}
			labels = folder.Labels
		}
		if err := firstErr(af.CheckPositive(labels), af.CheckOutputs(labels)); err != nil {
			return usageFrom(err)
		}
		cfg.Labels = labels
		rep, err := audit.Run(ctx, nil, nil, cfg)
		return finishAudit(rep, err, af.Out, af.AppendHistory, *tensorboard, af.FailOn, cfg.FitThresholds != "", showProgress, stdout, stderr)
	}
	if len(af.Labels) > 0 {
		return usagef("--label-names names the classes of an audit with no model (--score-col, --prediction-col, --checks data); a model's classes are its config.json's")
	}
	folder, err := mf.folder()
	if err != nil {
		return err
	}
	// Without id2label or num_labels the graph names the labels (LABEL_i):
	// --positive is checked once it is open.
	if err := af.CheckPositive(folder.Labels); folder.Labels != nil && err != nil {
		return usageFrom(err)
	}
	// Predictions run --batch rows at once, explanations the smaller of it
	// and the evaluator's default batch; either way in each session. A
	// --batch that does not fit --max-memory becomes the largest that does.
	fitted, note, err := fitBatch(shapeOf(folder, slices.Contains(cfg.Methods, attribution.MethodPath) || len(cfg.Methods) == 0), af.Batch, mf.sessions, int64(mf.maxMemory))
	if err != nil {
		return err
	}
	mf.notes = stderr
	if note != "" {
		fmt.Fprintln(stderr, "audit: "+note)
		af.Batch, cfg.BatchSize = fitted, fitted
	}
	clf, err := mf.load(folder)
	if err != nil {
		return err
	}
	defer clf.Close()
	if err := af.CheckPositive(clf.Labels()); folder.Labels == nil && err != nil {
		return usageFrom(err)
	}
	x := af.Explainer(clf)
	cfg.ModelName = modelName(clf.Folder.Dir)
	rep, err := audit.Run(ctx, clf, x, cfg)
	return finishAudit(rep, err, af.Out, af.AppendHistory, *tensorboard, af.FailOn, cfg.FitThresholds != "", showProgress, stdout, stderr)
}

// finishAudit writes the report (a partial one when interrupted), prints
// the summary, writes thresholds.json when fitting, and turns findings into
// the exit code. A partial report is not added to the TensorBoard folder
// (tensorboard): its figures cover part of the data and would break the
// trend.
func finishAudit(rep *audit.Report, err error, out, history, tensorboard, failOn string, fitting, showProgress bool, stdout, stderr io.Writer) error {
	if showProgress {
		fmt.Fprintln(stderr)
	}
	if rep != nil && rep.Partial {
		// Interrupted: what was read so far is still worth keeping.
		if werr := writeReport(out, rep, history); werr != nil {
			return errors.Join(err, werr)
		}
		printSummary(stdout, rep, out)
		return err
	}
	if err != nil {
		return err
	}
	if err := writeReport(out, rep, history); err != nil {
		return err
	}
	printSummary(stdout, rep, out)
	if err := writeTensorBoard(tensorboard, report.AuditRun(rep), stdout); err != nil {
		return err
	}
	if fitting {
		if rep.ThresholdFit == nil {
			return fmt.Errorf("--fit-thresholds: no thresholds written: %s", termSafe(rep.ThresholdFitError))
		}
		path := filepath.Join(out, "thresholds.json")
		if err := rep.ThresholdFit.Save(path); err != nil {
			return fmt.Errorf("writing thresholds.json: %w", err)
		}
		fmt.Fprintf(stdout, "thresholds: %s\n", termSafe(path))
	}
	return findingsExit(rep, failOn)
}

func writeReport(dir string, rep *audit.Report, history string) error {
	return auditcli.WriteReport(dir, rep, history)
}

// writeReportFiles writes a report's folder (auditcli.WriteReportFiles).
func writeReportFiles(dir string, v any, rows []audit.MetricRow, history string, run report.HistoryRun, html func(io.Writer, []report.HistoryRun) error) error {
	return auditcli.WriteReportFiles(dir, v, rows, history, run, html)
}

func printSummary(w io.Writer, rep *audit.Report, dir string) {
	// Paths, group values and examples in the messages come from the
	// data: escaped so they cannot drive the terminal or reorder a line.
	partial := ""
	if rep.Partial {
		partial = " (PARTIAL: interrupted)"
	}
	fmt.Fprintf(w, "audit of %s on %s%s: %d rows read and scored at %.0f rows/s, %d skipped; all checks %.1fs\n\n",
		termSafe(rep.Model), termSafe(rep.Data), partial, rep.Rows, rep.RowsPerSecond, rep.Skipped, rep.Seconds)
	for _, f := range rep.Summary {
		fmt.Fprintf(w, "  %-5s %-15s %s\n", strings.ToUpper(termSafe(f.Status)), termSafe(f.Check), termSafe(f.Message))
	}
	fmt.Fprintf(w, "\nreport: %s, %s\n", termSafe(filepath.Join(dir, "report.html")), termSafe(filepath.Join(dir, "report.json")))
}

func findingsExit(rep *audit.Report, failOn string) error {
	if failOn == "never" {
		return nil
	}
	n := 0
	for _, f := range rep.Summary {
		if f.Status == "fail" || (failOn == "warn" && f.Status == "warn") {
			n++
		}
	}
	if n > 0 {
		return exitFindings{fmt.Sprintf("%d findings at or above --fail-on %s", n, failOn)}
	}
	return nil
}

// firstErr is the first non-nil error.
func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// lazyFile opens path through readcap on its first Read.
type lazyFile struct {
	ctx  context.Context
	path string
	f    *readcap.File
	err  error
}

func (l *lazyFile) Read(p []byte) (int, error) {
	if l.f == nil && l.err == nil {
		if l.f, l.err = readcap.Open(l.ctx, l.path); l.err != nil {
			l.err = fmt.Errorf("opening --data: %w", l.err)
		}
	}
	if l.err != nil {
		return 0, l.err
	}
	return l.f.Read(p)
}

func (l *lazyFile) Close() error {
	if l.f == nil {
		return nil
	}
	return l.f.Close()
}

// countingReader counts the bytes read, for the progress estimate.
type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// progressPrinter redraws one status line: rows, rows/s, skipped, and an
// ETA from the share of the file read so far.
func progressPrinter(w io.Writer, c *countingReader, size int64) func(audit.Progress) {
	last := time.Time{}
	return func(p audit.Progress) {
		if time.Since(last) < 200*time.Millisecond && p.Stage == "reading" {
			return
		}
		last = time.Now()
		rate := float64(p.Rows) / max(p.Elapsed.Seconds(), 1e-9)
		line := fmt.Sprintf("\r%-14s %9d rows  %7.0f rows/s  %d skipped", p.Stage, p.Rows, rate, p.Skipped)
		if read := c.n.Load(); p.Stage == "reading" && read > 0 && size > 0 {
			eta := time.Duration(float64(p.Elapsed) * (float64(size)/float64(read) - 1)).Round(time.Second)
			line += fmt.Sprintf("  %3.0f%%  ETA %s", 100*float64(read)/float64(size), eta)
		}
		fmt.Fprintf(w, "%-90s", line)
	}
}
