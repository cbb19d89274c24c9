package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/lucid-nlp/lucid/dataset"
	"github.com/lucid-nlp/lucid/fairness/scoring"
	"github.com/lucid-nlp/lucid/fairness/thresholds"
	"github.com/lucid-nlp/lucid/internal/readcap"
	"github.com/lucid-nlp/lucid/models"
)

// thresholdPredictFlags are predict's flags for applying group thresholds
// (lucid audit --fit-thresholds writes the file).
type thresholdPredictFlags struct {
	file, groupCol, data, format, textCol *string
}

func (t *thresholdPredictFlags) register(fs interface {
	String(name, value, usage string) *string
}) {
	t.file = fs.String("thresholds", "", "apply group thresholds from this thresholds.json (needs --data; see lucid audit --fit-thresholds)")
	t.groupCol = fs.String("group-col", "", "with --thresholds: the group column of --data (default: the column the thresholds were fitted on)")
	t.data = fs.String("data", "", "with --thresholds (or --text-pair-col): a .csv, .tsv or .jsonl file of texts and groups (or pairs), read row by row")
	t.format = fs.String("format", "", "with --data: csv, tsv or jsonl (default: from the extension)")
	t.textCol = fs.String("text-col", "", "with --data: the text column (default: text, sentence or content)")
}

// check refuses the data flags without --thresholds, and texts with it.
func (t *thresholdPredictFlags) check(args []string) error {
	if *t.file == "" {
		if *t.data != "" || *t.groupCol != "" || *t.format != "" || *t.textCol != "" {
			return usagef("--data, --group-col, --format and --text-col go with --thresholds FILE")
		}
		return nil
	}
	if *t.data == "" {
		return usagef("--thresholds needs --data FILE: a CSV, TSV or JSONL file with a group column")
	}
	if len(args) > 0 {
		return usagef("unexpected texts %q: with --thresholds, predict reads --data", args)
	}
	return nil
}

type thresholdPredictionJSON struct {
	Line  int    `json:"line"`
	Text  string `json:"text"`
	Group string `json:"group"`
	// Label is the adjusted decision; ModelLabel the model's own.
	Label         string             `json:"label"`
	ModelLabel    string             `json:"model_label"`
	PositiveScore float64            `json:"positive_score"`
	Probabilities map[string]float64 `json:"probabilities"`
	// Rule is "fitted" or "model" (the group has no rule); PPositive the
	// rule's probability of a positive decision; Randomized when it was a
	// draw.
	Rule       string  `json:"rule"`
	PPositive  float64 `json:"p_positive"`
	Randomized bool    `json:"randomized,omitempty"`
	Truncated  bool    `json:"truncated,omitempty"`
}

// predictWithThresholds classifies the rows of --data and applies the
// group thresholds to each. Rows stream: memory is a chunk of rows.
func predictWithThresholds(ctx context.Context, clf *models.Classifier, t *thresholdPredictFlags, batch int, asJSON bool, stdout, stderr io.Writer) error {
	f, err := thresholds.Load(*t.file)
	if err != nil {
		return usageError{termSafe(err.Error())}
	}
	labels := clf.Labels()
	pos, err := scoring.TargetIndex(labels, f.Positive)
	if err != nil {
		return usagef("--thresholds: the file's positive label %q is not one of the model's labels %q", termSafe(f.Positive), labels)
	}
	col := *t.groupCol
	if col == "" {
		col = f.Column
	} else if col != f.Column {
		fmt.Fprintf(stderr, "warning: the thresholds were fitted on column %q; applying them to --group-col %q\n", termSafe(f.Column), termSafe(col))
	}
	format, err := dataset.ParseFormat(*t.format)
	if err != nil {
		return usageError{err.Error()}
	}
	rd, err := dataset.OpenContext(ctx, *t.data, dataset.Options{Format: format, TextCol: *t.textCol, GroupCols: []string{col}, Labels: labels})
	if err != nil {
		if errors.Is(err, dataset.ErrMissingColumn) || errors.Is(err, dataset.ErrUnknownFormat) {
			return usageError{termSafe(err.Error())}
		}
		return err
	}
	defer rd.Close()

	out := bufio.NewWriter(stdout)
	defer out.Flush()
	var failed, total, changed, unfitted int
	texts := make([]string, 0, 8*batch)
	flush := func(rows []dataset.Row) error {
		texts = texts[:0]
		for _, r := range rows {
			texts = append(texts, r.Text)
		}
		preds, err := clf.Predict(ctx, texts)
		if err != nil {
			return err
		}
		for i, p := range preds {
			r := rows[i]
			total++
			if p.Err == nil {
				p.Err = nonFinite(p.Logits, p.Probabilities)
			}
			if p.Err != nil {
				failed++
				if err := rowError(out, stderr, asJSON, r.Line, p.Err.Error()); err != nil {
					return err
				}
				continue
			}
			g := r.Groups[0]
			d := f.Decide(g, r.Text, p.Probabilities[pos], p.LabelIndex == pos)
			label := adjustedLabel(labels, p.Probabilities, pos, p.LabelIndex, d.Positive)
			if label != p.Label {
				changed++
			}
			rule := "fitted"
			if !d.Fitted {
				rule = "model"
				unfitted++
			}
			if asJSON {
				probs := make(map[string]float64, len(labels))
				for j, l := range labels {
					probs[l] = p.Probabilities[j]
				}
				err = writeJSON(out, thresholdPredictionJSON{Line: r.Line, Text: r.Text, Group: g, Label: label, ModelLabel: p.Label,
					PositiveScore: p.Probabilities[pos], Probabilities: probs, Rule: rule, PPositive: d.Probability, Randomized: d.Randomized, Truncated: p.Truncated})
			} else {
				mark := ""
				if label != p.Label {
					mark = fmt.Sprintf(" (model: %s)", termSafe(p.Label))
				}
				if d.Randomized {
					mark += " [drawn]"
				}
				if !d.Fitted {
					mark += " [no rule: model]"
				}
				_, err = fmt.Fprintf(out, "%-10s %.4f  [%s]%s  %s\n", termSafe(label), p.Probabilities[pos], termSafe(g), mark, termSafe(r.Text))
			}
			if err != nil {
				return err
			}
		}
		return out.Flush()
	}
	err = readRowChunks(ctx, rd, 8*batch, flush, func(re *dataset.RowError) error {
		total++
		failed++
		return rowError(out, stderr, asJSON, re.Line, re.Reason)
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "thresholds (%s on %q): %d rows, %d changed decision, %d in groups without a rule kept the model's\n",
		f.Constraint, termSafe(col), total-failed, changed, unfitted)
	if failed > 0 {
		return fmt.Errorf("%d of %d rows could not be classified (%s)", failed, total, whereErrorsAre(asJSON))
	}
	return nil
}

// adjustedLabel is the label of an adjusted decision: the positive label,
// or when the decision is negative the model's label if it is not the
// positive one, else the most probable other label.
func adjustedLabel(labels []string, probs []float64, pos, modelIdx int, positive bool) string {
	if positive {
		return labels[pos]
	}
	if modelIdx != pos {
		return labels[modelIdx]
	}
	best := -1
	for i := range labels {
		if i != pos && (best < 0 || probs[i] > probs[best]) {
			best = i
		}
	}
	return labels[best]
}

func rowError(out *bufio.Writer, stderr io.Writer, asJSON bool, line int, msg string) error {
	if asJSON {
		return writeJSON(out, inputErrorJSON{Line: line, Error: msg})
	}
	_, err := fmt.Fprintf(stderr, "line %d: error: %s\n", line, termSafe(msg))
	return err
}

// labelThresholds are a multi-label model's decision thresholds: a label
// is reported above threshold when its probability is at least its own.
type labelThresholds []float64

// readLabelThresholds reads per-label thresholds for labels from path:
// a JSON object {"label": t, ...} or TSV lines "label<TAB>t" (blank lines
// and lines starting with # skipped). Labels the file does not name keep
// def. An unknown or repeated label, or a t outside [0, 1], is an error
// naming it.
func readLabelThresholds(ctx context.Context, path string, labels []string, def float64) (labelThresholds, error) {
	raw, err := readcap.ReadFile(ctx, path, "label thresholds", readcap.MaxConfigBytes)
	if err != nil {
		return nil, fmt.Errorf("--label-thresholds: %w", err)
	}
	entries, err := models.ParseLabelThresholds(raw, "--label-thresholds "+path)
	if err != nil {
		return nil, errors.New(termSafe(err.Error()))
	}
	out := make(labelThresholds, len(labels))
	for i := range out {
		out[i] = def
	}
	for _, e := range entries {
		i := slices.IndexFunc(labels, func(l string) bool { return strings.EqualFold(l, e.Label) })
		if i < 0 {
			return nil, fmt.Errorf("--label-thresholds %s (%s): unknown label %q; the model's labels are %s", path, e.Where, termSafe(e.Label), termSafe(strings.Join(labels, ", ")))
		}
		out[i] = e.T
	}
	return out, nil
}
