package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/lucid-nlp/lucid/attribution"
	"github.com/lucid-nlp/lucid/engine"
	"github.com/lucid-nlp/lucid/models"
)

const predictHelp = `
Usage: lucid predict [flags] [TEXT...] [-- TEXT...]
       lucid predict --pair [flags] < pairs.tsv

Classifies each TEXT, or each line of standard input when no TEXT is given
(streamed: input of any length runs in constant memory).

Examples:
  lucid predict "a gorgeous, witty, seductive movie"
  lucid predict --json < texts.txt > predictions.jsonl
  lucid predict --thresholds fit/thresholds.json --group-col gender --data people.csv --json
  printf 'A man eats.\tSomeone eats.\n' | lucid predict --model nli-model --pair --json
  lucid predict --model nli-model --data nli.tsv --text-col premise --text-pair-col hypothesis

With --text-pair-col COL, predict reads the sentence pairs of --data (CSV,
TSV or JSONL, streamed): the first text from --text-col, the second from
COL; each row prints as a --pair line does, errors naming the file's line.

With --thresholds FILE (from lucid audit --fit-thresholds), predict reads
the rows of --data (CSV, TSV or JSONL, streamed) and applies the group's rule
to the positive-class score: each line gives the adjusted label, the model's
label, the group, and whether the decision was a draw (reproducible: keyed by
the file's seed, the group and the text). Groups without a rule keep the
model's decision, marked.

Multi-label models (config.json's problem_type multi_label_classification,
or --head multi-label: one sigmoid per label, as toxicity models have) give
every label its own probability; a label is reported when its probability
is at least --threshold (default 0.5), or its own threshold from
--label-thresholds FILE (a JSON object {"toxic": 0.3, ...} or TSV lines
label<TAB>threshold; labels it leaves out keep --threshold). Regression
heads (one output: num_labels 1, problem_type regression) give their score.

Output: one line per input, "LABEL  probability  text", the text marked
[truncated] when it was longer than the model reads and [empty] when it is
empty or only white space (with a warning on standard error); or with
--json one object per line:
  {"text": ..., "label": ..., "probabilities": {"NEGATIVE": ..., ...}, "logits": [...]}
plus "head": single-label, multi-label or regression. A multi-label line
is "ABOVE  label=p label=p ...  text" (ABOVE: the labels at or above their
threshold, comma-separated, "-" for none) and its JSON adds
"labels_above_threshold": [...] and "thresholds": {...}; a regression line
is "score  value  text" and its JSON has "score" instead of "label" and
"probabilities". JSON adds "truncated": true when the text was longer than
the model reads and "warnings": [...] for an empty text; with --pair also
"text_pair" and, when the pair was cut, "pair_truncation" (terminal output
shows the two texts with ⇥ between them). A line
that cannot be read (invalid UTF-8) gets {"line": N, "error": ...} (without
--json the error goes to standard error) and the command exits 1 after the
rest is done. In terminal output, control characters and bidirectional
overrides in a text are shown escaped (\x1b, \u202e); JSON keeps texts exact.

Flags may come before or after the texts; after "--" everything is text.
Limits (checked before anything runs; a value beyond one is a usage error,
exit 2): --batch 1 to 4096, --sessions 1 to 64, --threads at most 4 per CPU
(256 at most), and the estimated memory of the rows in flight at most
--max-memory (default: half the machine's memory).
`

func runPredict(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("predict", predictHelp+pairHelp, stderr)
	var mf modelFlags
	mf.register(fs)
	batch := fs.Int("batch", models.DefaultBatchSize, fmt.Sprintf("rows per ONNX Runtime batch, 1 to %d", maxBatch))
	asJSON := fs.Bool("json", false, "print one JSON object per input line")
	threshold := fs.Float64("threshold", models.DefaultLabelThreshold, "multi-label models: report the labels whose probability is at least this, 0 to 1")
	labelThr := fs.String("label-thresholds", "", `multi-label models: per-label thresholds, a JSON object {"label": t} or TSV lines label<TAB>t (others keep --threshold)`)
	pair := fs.Bool("pair", false, "each input is a sentence pair, \"text<TAB>text_pair\", encoded with the tokenizer's pair template (longest-first truncation)")
	textPairCol := fs.String("text-pair-col", "", "with --data: classify sentence pairs, the second text from this column (the first from --text-col)")
	var thr thresholdPredictFlags
	thr.register(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	pairCheck := thr.check(fs.Args())
	if *textPairCol != "" {
		pairCheck = checkPairFile(*thr.file, *thr.data, *thr.groupCol, fs.Args())
		*pair = true
	}
	if err := firstError(mf.validate(), intFlag("batch", *batch, 1, maxBatch), pairCheck); err != nil {
		return err
	}
	if math.IsNaN(*threshold) || *threshold < 0 || *threshold > 1 {
		return usagef("--threshold %v: want a probability from 0 to 1", *threshold)
	}
	thresholdSet := false
	fs.Visit(func(f *flag.Flag) {
		thresholdSet = thresholdSet || f.Name == "threshold" || f.Name == "label-thresholds"
	})
	mf.notes = stderr
	folder, err := mf.folder()
	if err != nil {
		return err
	}
	// Rows in flight, plus the chunk of 8 batches of encodings held at once.
	shape := shapeOf(folder, false)
	if need := shape.inferenceBytes(*batch, mf.sessions) + 8*int64(*batch)*shape.encodingBytes(); need > int64(mf.maxMemory) {
		return memoryError(fmt.Sprintf("predicting in batches of --batch %d rows of up to %d tokens in each of --sessions %d", *batch, shape.maxLen, mf.sessions),
			need, int64(mf.maxMemory))
	}
	clf, err := mf.load(folder)
	if err != nil {
		return err
	}
	defer clf.Close()
	clf.BatchSize = *batch
	head := clf.Head()
	if thresholdSet && head != engine.MultiLabel {
		return usagef("--threshold and --label-thresholds are for multi-label models; the model %s has a %s head", termSafe(modelName(clf.Folder.Dir)), head)
	}
	if *thr.file != "" && head != engine.SingleLabel {
		return usagef("--thresholds (group thresholds from lucid audit --fit-thresholds) are for single-label models; the model %s has a %s head", termSafe(modelName(clf.Folder.Dir)), head)
	}
	var perLabel labelThresholds
	if head == engine.MultiLabel {
		if *labelThr != "" {
			if perLabel, err = readLabelThresholds(ctx, *labelThr, clf.Labels(), *threshold); err != nil {
				return usageError{err.Error()}
			}
		} else {
			perLabel = make(labelThresholds, len(clf.Labels()))
			for i := range perLabel {
				perLabel[i] = *threshold
			}
		}
	}
	if *thr.file != "" {
		if *pair {
			return usagef("--pair does not go with --thresholds: threshold rules are fitted on single texts")
		}
		return predictWithThresholds(ctx, clf, &thr, *batch, *asJSON, stdout, stderr)
	}

	out := bufio.NewWriter(stdout)
	defer out.Flush()
	p := predictPrinter{w: out, errw: stderr, json: *asJSON, labels: clf.Labels(), head: head, thresholds: perLabel, pair: *pair}

	if *textPairCol != "" {
		if err := predictPairFile(ctx, clf, &p, out, *thr.data, *thr.format, *thr.textCol, *textPairCol, 8**batch); err != nil {
			return err
		}
		if p.failed > 0 {
			return fmt.Errorf("%d of %d rows could not be classified (%s)", p.failed, p.total, whereErrorsAre(*asJSON))
		}
		return nil
	}

	// Texts are classified in chunks of several batches: enough for the
	// length-sorting in Predict to cut padding, few enough to stream.
	err = readTexts(ctx, fs.Args(), stdin, 8**batch, func(texts []string, lines []int) error {
		var preds []models.Prediction
		var err error
		if *pair {
			preds, err = predictPairLines(ctx, clf, texts)
		} else {
			preds, err = clf.Predict(ctx, texts)
		}
		if err != nil {
			return err
		}
		for i, pr := range preds {
			if err := p.print(lines[i], pr); err != nil {
				return err
			}
		}
		return out.Flush()
	}, func(line int, err error) error {
		if perr := p.print(line, models.Prediction{Err: err}); perr != nil {
			return perr
		}
		return out.Flush()
	})
	if err != nil {
		return err
	}
	if p.failed > 0 {
		return fmt.Errorf("%d of %d inputs could not be classified (%s)", p.failed, p.total, whereErrorsAre(*asJSON))
	}
	return nil
}

type predictPrinter struct {
	w             *bufio.Writer
	errw          io.Writer // per-input errors in text mode
	json          bool
	labels        []string
	head          engine.Head
	thresholds    labelThresholds // multi-label only
	failed, total int
	pair          bool // inputs are sentence pairs (--pair)
}

type predictionJSON struct {
	Text string `json:"text"`
	Head string `json:"head"`
	// Label is the most probable label; a regression head has none.
	Label string `json:"label,omitempty"`
	// Score is a regression head's output, in place of probabilities.
	Score *float64 `json:"score,omitempty"`
	// Probabilities are by the head: a softmax, or each label's sigmoid.
	Probabilities map[string]float64 `json:"probabilities,omitempty"`
	// Above and Thresholds: a multi-label model's labels at or above
	// their thresholds (most probable first), and the thresholds.
	Above      *[]string          `json:"labels_above_threshold,omitempty"`
	Thresholds map[string]float64 `json:"thresholds,omitempty"`
	Logits     []float32          `json:"logits"`
	Truncated  bool               `json:"truncated,omitempty"`
	Warnings   []string           `json:"warnings,omitempty"`
	// With --pair: the second text, and what longest-first truncation cut.
	TextPair       *string                     `json:"text_pair,omitempty"`
	PairTruncation *attribution.PairTruncation `json:"pair_truncation,omitempty"`
}

type inputErrorJSON struct {
	Line  int    `json:"line"`
	Error string `json:"error"`
}

func (p *predictPrinter) print(line int, pr models.Prediction) error {
	p.total++
	if pr.Err == nil {
		pr.Err = nonFinite(pr.Logits, pr.Probabilities)
	}
	if pr.Err != nil {
		p.failed++
		if p.json {
			return writeJSON(p.w, inputErrorJSON{Line: line, Error: pr.Err.Error()})
		}
		_, err := fmt.Fprintf(p.errw, "input %d: error: %s\n", line, termSafe(pr.Err.Error()))
		return err
	}
	warnings := models.TextWarnings(pr.Text)
	if p.pair {
		warnings = models.TextWarnings(pr.Text + pr.TextPair)
	}
	if p.json {
		j := predictionJSON{Text: pr.Text, Head: p.head.String(), Logits: pr.Logits, Truncated: pr.Truncated, Warnings: warnings}
		if p.head == engine.Regression {
			score := pr.Probabilities[0]
			j.Score = &score
		} else {
			j.Label = pr.Label
			j.Probabilities = make(map[string]float64, len(p.labels))
			for i, l := range p.labels {
				j.Probabilities[l] = pr.Probabilities[i]
			}
		}
		if p.head == engine.MultiLabel {
			above := models.LabelsAbove(p.labels, pr.Probabilities, p.thresholds)
			j.Above = &above
			j.Thresholds = make(map[string]float64, len(p.labels))
			for i, l := range p.labels {
				j.Thresholds[l] = p.thresholds[i]
			}
		}
		if p.pair {
			j.TextPair, j.PairTruncation = &pr.TextPair, pairTruncationJSON(pr)
		}
		return writeJSON(p.w, j)
	}
	// The marks come before the text, where they are seen even when the
	// text runs on for a screen.
	mark := ""
	switch {
	case warnings != nil:
		mark = "[empty] "
		if _, err := fmt.Fprintf(p.errw, "input %d: warning: %s\n", line, warnings[0]); err != nil {
			return err
		}
	case pr.Truncated:
		mark = "[truncated] "
	}
	// Texts and labels are data: escaped so they cannot drive the terminal.
	text := termSafe(pr.Text)
	if p.pair {
		text += pairSeparator + termSafe(pr.TextPair)
	}
	var err error
	switch p.head {
	case engine.Regression:
		_, err = fmt.Fprintf(p.w, "%-10s %.4f  %s%s\n", "score", pr.Probabilities[0], mark, text)
	case engine.MultiLabel:
		above := strings.Join(models.LabelsAbove(p.labels, pr.Probabilities, p.thresholds), ",")
		if above == "" {
			above = "-"
		}
		parts := make([]string, len(p.labels))
		for i, l := range p.labels {
			parts[i] = fmt.Sprintf("%s=%.4f", l, pr.Probabilities[i])
		}
		_, err = fmt.Fprintf(p.w, "%-10s %s  %s%s\n", termSafe(above), termSafe(strings.Join(parts, " ")), mark, text)
	default:
		_, err = fmt.Fprintf(p.w, "%-10s %.4f  %s%s\n", termSafe(pr.Label), pr.Probabilities[pr.LabelIndex], mark, text)
	}
	return err
}

func writeJSON(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	b = append(b, '\n')
	_, err = w.Write(b)
	return err
}

// whereErrorsAre says where a command's per-input errors went: into the
// JSON output as {"line": N, "error": ...} objects, or to standard error.
func whereErrorsAre(asJSON bool) string {
	if asJSON {
		return `the errors are in the JSON output, as {"line": N, "error": ...} lines`
	}
	return "see the errors above, on standard error"
}

// nonFinite is the per-text error for a model output that holds NaN or
// ±Inf: no label can be read from it (and JSON cannot carry it), so the
// text fails on its own, named by its line, and the rest go on.
func nonFinite(logits []float32, probs []float64) error {
	for _, v := range logits {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return fmt.Errorf("the model's output is not finite (logits %v): no prediction", logits)
		}
	}
	for _, v := range probs {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("the model's output is not finite (probabilities %v): no prediction", probs)
		}
	}
	return nil
}
