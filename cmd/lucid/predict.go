package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/lucid-nlp/lucid/models"
)

const predictHelp = `
Usage: lucid predict [flags] [TEXT...]

Classifies each TEXT, or each line of standard input when no TEXT is given
(streamed: input of any length runs in constant memory).

Examples:
  lucid predict "a gorgeous, witty, seductive movie"
  lucid predict --json < texts.txt > predictions.jsonl

Output: one line per input, "LABEL  probability  text", or with --json one
object per line:
  {"text": ..., "label": ..., "probabilities": {"NEGATIVE": ..., ...}, "logits": [...]}
plus "truncated": true when the text was longer than the model reads. A line
that cannot be read (invalid UTF-8) gets {"line": N, "error": ...} (without
--json the error goes to standard error) and the command exits 1 after the
rest is done.
`

func runPredict(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("predict", predictHelp, stderr)
	var mf modelFlags
	mf.register(fs)
	batch := fs.Int("batch", models.DefaultBatchSize, "rows per ONNX Runtime batch")
	asJSON := fs.Bool("json", false, "print one JSON object per input line")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *batch < 1 {
		return usagef("--batch %d: want at least 1", *batch)
	}
	clf, err := mf.load()
	if err != nil {
		return err
	}
	defer clf.Close()
	clf.BatchSize = *batch

	out := bufio.NewWriter(stdout)
	defer out.Flush()
	p := predictPrinter{w: out, errw: stderr, json: *asJSON, labels: clf.Labels()}

	// Texts are classified in chunks of several batches: enough for the
	// length-sorting in Predict to cut padding, few enough to stream.
	err = readTexts(fs.Args(), stdin, 8**batch, func(texts []string, lines []int) error {
		preds, err := clf.Predict(ctx, texts)
		if err != nil {
			return err
		}
		for i, pr := range preds {
			if err := p.print(lines[i], pr); err != nil {
				return err
			}
		}
		return out.Flush()
	})
	if err != nil {
		return err
	}
	if p.failed > 0 {
		return fmt.Errorf("%d of %d inputs could not be classified (see the errors above)", p.failed, p.total)
	}
	return nil
}

type predictPrinter struct {
	w             *bufio.Writer
	errw          io.Writer // per-input errors in text mode
	json          bool
	labels        []string
	failed, total int
}

type predictionJSON struct {
	Text          string             `json:"text"`
	Label         string             `json:"label"`
	Probabilities map[string]float64 `json:"probabilities"`
	Logits        []float32          `json:"logits"`
	Truncated     bool               `json:"truncated,omitempty"`
}

type inputErrorJSON struct {
	Line  int    `json:"line"`
	Error string `json:"error"`
}

func (p *predictPrinter) print(line int, pr models.Prediction) error {
	p.total++
	if pr.Err != nil {
		p.failed++
		if p.json {
			return writeJSON(p.w, inputErrorJSON{Line: line, Error: pr.Err.Error()})
		}
		_, err := fmt.Fprintf(p.errw, "input %d: error: %v\n", line, pr.Err)
		return err
	}
	if p.json {
		probs := make(map[string]float64, len(p.labels))
		for i, l := range p.labels {
			probs[l] = pr.Probabilities[i]
		}
		return writeJSON(p.w, predictionJSON{Text: pr.Text, Label: pr.Label, Probabilities: probs, Logits: pr.Logits, Truncated: pr.Truncated})
	}
	note := ""
	if pr.Truncated {
		note = "  (truncated)"
	}
	_, err := fmt.Fprintf(p.w, "%-10s %.4f  %s%s\n", pr.Label, pr.Probabilities[pr.LabelIndex], pr.Text, note)
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
