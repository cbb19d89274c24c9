package bench

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lucid-nlp/lucid/attribution"
	"github.com/lucid-nlp/lucid/engine"
	"github.com/lucid-nlp/lucid/evaluate"
	"github.com/lucid-nlp/lucid/models"
	"github.com/lucid-nlp/lucid/tokenize"
)

// QuantOptions sets CompareQuantized's work.
type QuantOptions struct {
	// Batch is the rows per model run for the accuracy pass, the timing
	// and the explanations (default 32).
	Batch int
	// ExplainSentences is how many of the texts (the first ones) both
	// models explain with KernelSHAP (default 20), at Budget evaluations
	// (default attribution.DefaultBudget) and Seed (default 1).
	ExplainSentences int
	Budget           int
	Seed             uint64
	// Rounds is how many times each model runs the whole pass for rows/s,
	// the two alternating so a shared machine's drift hits both alike; the
	// best round of each is kept (default 3).
	Rounds int
}

// QuantSide is one model's figures in a QuantReport.
type QuantSide struct {
	Model string `json:"model"`
	// Correct of Rows texts took their gold label (Accuracy = Correct/Rows).
	Correct  int     `json:"correct"`
	Rows     int     `json:"rows"`
	Accuracy float64 `json:"accuracy"`
	// RowsPerSecond is the best round's rate over the whole pass, in
	// batches of QuantReport.Batch in the file's order (each batch padded
	// to its longest text); RoundRowsPerSecond every round's.
	RowsPerSecond      float64   `json:"rows_per_second"`
	RoundRowsPerSecond []float64 `json:"round_rows_per_second"`
	// GraphBytes is model.onnx's size on disk, EmbedGraphBytes
	// model_embeds.onnx's (no word-embedding table in it; 0 when absent).
	GraphBytes      int64 `json:"model_onnx_bytes"`
	EmbedGraphBytes int64 `json:"model_embeds_onnx_bytes,omitempty"`
	// QuantizedOps counts model.onnx's quantization operators (MatMulInteger,
	// DynamicQuantizeLinear, QLinear*, QuantizeLinear) by op type.
	QuantizedOps map[string]int `json:"quantized_ops,omitempty"`
}

// QuantReport sets a float model and its quantized copy side by side.
type QuantReport struct {
	Float     QuantSide `json:"float"`
	Quantized QuantSide `json:"quantized"`
	Batch     int       `json:"batch"`
	Source    string    `json:"source"`
	// The probability of the label Target (the second label, the positive
	// class of a binary model) on each text: mean and largest |quantized −
	// float|, and how many texts changed their predicted label.
	Target           string  `json:"target"`
	MeanAbsProbDiff  float64 `json:"mean_abs_probability_difference"`
	MaxAbsProbDiff   float64 `json:"max_abs_probability_difference"`
	PredictedChanged int     `json:"predicted_label_changed"`
	// KernelSHAP on the first ExplainSentences texts, both models with the
	// same budget, seed, batch and target (the float model's predicted
	// label), one text at a time: the mean |φ_quantized − φ_float| over all
	// words, beside the mean |φ_float| for scale, and the share of texts
	// whose most important word (largest |φ|) is the same.
	ExplainSentences   int     `json:"explain_sentences"`
	Budget             int     `json:"budget"`
	Seed               uint64  `json:"seed"`
	Words              int     `json:"words"`
	MeanAbsAttrDiff    float64 `json:"mean_abs_attribution_difference"`
	MaxAbsAttrDiff     float64 `json:"max_abs_attribution_difference"`
	MeanAbsAttribution float64 `json:"mean_abs_float_attribution"`
	TopWordAgreement   float64 `json:"top_word_agreement"`
	// BatchEffect is the largest |p(row alone) − p(row in its batch)| of
	// the quantized model over the explained texts: dynamic quantization
	// takes one activation scale per tensor, so a row's output depends on
	// the rows batched with it. FloatBatchEffect is the same for the float
	// model (rounding only).
	BatchEffect      float64 `json:"quantized_batch_effect"`
	FloatBatchEffect float64 `json:"float_batch_effect"`
}

// Labelled is a text with its gold label index.
type Labelled struct {
	Text  string
	Label int
}

// ReadLabelled reads up to n rows of a TSV file with a header that has a
// "label" column (an integer label index) and the text in the last column
// (SST-2's dev.tsv: label<TAB>content).
func ReadLabelled(path string, n int) ([]Labelled, error) {
	var header []string
	col := -1
	var out []Labelled
	err := scanTSV(path, func(cols []string) error {
		header = cols
		for i, h := range header {
			if strings.EqualFold(strings.TrimSpace(h), "label") {
				col = i
			}
		}
		if col < 0 || col == len(header)-1 {
			return fmt.Errorf("bench: %s: want a header with a \"label\" column before the text column, got %q", path, header)
		}
		return nil
	}, func(line int, cols []string) (bool, error) {
		if len(out) >= n {
			return false, nil
		}
		if len(cols) != len(header) {
			return false, fmt.Errorf("bench: %s line %d: %d columns, the header has %d", path, line, len(cols), len(header))
		}
		label, err := strconv.Atoi(strings.TrimSpace(cols[col]))
		if err != nil || label < 0 {
			return false, fmt.Errorf("bench: %s line %d: label %q is not a label index (0, 1, ...)", path, line, cols[col])
		}
		out = append(out, Labelled{Text: cols[len(cols)-1], Label: label})
		return len(out) < n, nil
	})
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("bench: %s has no rows", path)
	}
	return out, nil
}

// CompareQuantized runs the float classifier and its quantized copy on the
// same texts: accuracy, the difference in probabilities, rows/s and
// KernelSHAP attributions (QuantReport). Both must have the same labels and
// tokenizer.
func CompareQuantized(ctx context.Context, float, quant *models.Classifier, rows []Labelled, opts QuantOptions) (*QuantReport, error) {
	if opts.Batch <= 0 {
		opts.Batch = 32
	}
	if opts.ExplainSentences < 0 {
		return nil, fmt.Errorf("bench: %d sentences to explain: want at least 0", opts.ExplainSentences)
	}
	if opts.ExplainSentences == 0 {
		opts.ExplainSentences = 20
	}
	opts.ExplainSentences = min(opts.ExplainSentences, len(rows))
	if opts.Budget <= 0 {
		opts.Budget = attribution.DefaultBudget
	}
	if opts.Seed == 0 {
		opts.Seed = 1
	}
	if opts.Rounds <= 0 {
		opts.Rounds = 3
	}
	fl, ql := float.Labels(), quant.Labels()
	if strings.Join(fl, "\x00") != strings.Join(ql, "\x00") {
		return nil, fmt.Errorf("bench: the models' labels differ: %q and %q", fl, ql)
	}
	if len(fl) < 2 {
		return nil, fmt.Errorf("bench: the quantization comparison needs a classifier with at least two labels, got %q", fl)
	}
	texts := make([]string, len(rows))
	for i, r := range rows {
		if r.Label >= len(fl) {
			return nil, fmt.Errorf("bench: row %d has label %d, but the model has %d labels", i+1, r.Label, len(fl))
		}
		texts[i] = r.Text
	}
	fEncs, err := float.Tokenizer.EncodeBatch(texts)
	if err != nil {
		return nil, err
	}
	qEncs, err := quant.Tokenizer.EncodeBatch(texts)
	if err != nil {
		return nil, err
	}
	for i := range fEncs {
		if !slices.Equal(fEncs[i].IDs, qEncs[i].IDs) {
			return nil, fmt.Errorf("bench: the models tokenize row %d (%q) differently: not a quantized copy", i+1, texts[i])
		}
	}
	target := 1
	rep := &QuantReport{Batch: opts.Batch, Target: fl[target], ExplainSentences: opts.ExplainSentences, Budget: opts.Budget, Seed: opts.Seed}

	fLogits, err := runAll(ctx, float.Model, fEncs, float.Tokenizer.PadID(), opts.Batch)
	if err != nil {
		return nil, fmt.Errorf("bench: float model: %w", err)
	}
	qLogits, err := runAll(ctx, quant.Model, qEncs, quant.Tokenizer.PadID(), opts.Batch)
	if err != nil {
		return nil, fmt.Errorf("bench: quantized model: %w", err)
	}
	fHead, qHead := engine.HeadOf(float.Model), engine.HeadOf(quant.Model)
	for i, r := range rows {
		fp, qp := fHead.Probabilities(fLogits[i]), qHead.Probabilities(qLogits[i])
		fPred, qPred := engine.Argmax(fp), engine.Argmax(qp)
		if fPred == r.Label {
			rep.Float.Correct++
		}
		if qPred == r.Label {
			rep.Quantized.Correct++
		}
		if fPred != qPred {
			rep.PredictedChanged++
		}
		d := math.Abs(qp[target] - fp[target])
		rep.MeanAbsProbDiff += d
		rep.MaxAbsProbDiff = max(rep.MaxAbsProbDiff, d)
	}
	rep.MeanAbsProbDiff /= float64(len(rows))

	// Rows/s: the same pass, alternating models round by round.
	for range opts.Rounds {
		for _, s := range []struct {
			side *QuantSide
			clf  *models.Classifier
			encs []*tokenize.Encoding
		}{{&rep.Float, float, fEncs}, {&rep.Quantized, quant, qEncs}} {
			start := time.Now()
			if _, err := runAll(ctx, s.clf.Model, s.encs, s.clf.Tokenizer.PadID(), opts.Batch); err != nil {
				return nil, err
			}
			rate := float64(len(rows)) / time.Since(start).Seconds()
			s.side.RoundRowsPerSecond = append(s.side.RoundRowsPerSecond, rate)
			s.side.RowsPerSecond = max(s.side.RowsPerSecond, rate)
		}
	}

	// Each explained text alone in its batch, against its row in the pass.
	for i := range opts.ExplainSentences {
		for _, s := range []struct {
			effect *float64
			clf    *models.Classifier
			enc    *tokenize.Encoding
			batch  []float32
			head   engine.Head
		}{{&rep.FloatBatchEffect, float, fEncs[i], fLogits[i], fHead}, {&rep.BatchEffect, quant, qEncs[i], qLogits[i], qHead}} {
			alone, err := runAll(ctx, s.clf.Model, []*tokenize.Encoding{s.enc}, s.clf.Tokenizer.PadID(), 1)
			if err != nil {
				return nil, err
			}
			d := math.Abs(s.head.ProbabilityAt(alone[0], target) - s.head.ProbabilityAt(s.batch, target))
			*s.effect = max(*s.effect, d)
		}
	}

	fx := attribution.NewExplainer(float.Tokenizer, evaluate.New(float.Model, evaluate.Options{BatchSize: opts.Batch, PadID: float.Tokenizer.PadID()}), "float")
	qx := attribution.NewExplainer(quant.Tokenizer, evaluate.New(quant.Model, evaluate.Options{BatchSize: opts.Batch, PadID: quant.Tokenizer.PadID()}), "quantized")
	agree := 0
	var sumAbs float64
	for i := range opts.ExplainSentences {
		// One text at a time: batches shared across texts would make the
		// quantized scores depend on which texts were explained together.
		req := attribution.Request{Text: texts[i], Method: attribution.MethodKernelSHAP, Budget: opts.Budget, Seed: opts.Seed,
			Target: fl[engine.Argmax(fHead.Probabilities(fLogits[i]))]}
		fr, err := fx.Explain(ctx, req)
		if err != nil {
			return nil, fmt.Errorf("bench: explaining row %d with the float model: %w", i+1, err)
		}
		qr, err := qx.Explain(ctx, req)
		if err != nil {
			return nil, fmt.Errorf("bench: explaining row %d with the quantized model: %w", i+1, err)
		}
		if len(fr.Features) != len(qr.Features) {
			return nil, fmt.Errorf("bench: row %d: %d features from the float model, %d from the quantized one", i+1, len(fr.Features), len(qr.Features))
		}
		if len(fr.Features) == 0 {
			continue
		}
		ft, qt := 0, 0
		for j := range fr.Features {
			a, b := fr.Features[j].Attribution, qr.Features[j].Attribution
			d := math.Abs(b - a)
			rep.MeanAbsAttrDiff += d
			rep.MaxAbsAttrDiff = max(rep.MaxAbsAttrDiff, d)
			sumAbs += math.Abs(a)
			if math.Abs(a) > math.Abs(fr.Features[ft].Attribution) {
				ft = j
			}
			if math.Abs(b) > math.Abs(qr.Features[qt].Attribution) {
				qt = j
			}
		}
		rep.Words += len(fr.Features)
		if ft == qt {
			agree++
		}
	}
	if rep.Words > 0 {
		rep.MeanAbsAttrDiff /= float64(rep.Words)
		rep.MeanAbsAttribution = sumAbs / float64(rep.Words)
		rep.TopWordAgreement = float64(agree) / float64(opts.ExplainSentences)
	}

	for _, s := range []struct {
		side *QuantSide
		clf  *models.Classifier
	}{{&rep.Float, float}, {&rep.Quantized, quant}} {
		s.side.Rows = len(rows)
		s.side.Accuracy = float64(s.side.Correct) / float64(len(rows))
		s.side.Model = s.clf.Folder.Dir
		if s.side.GraphBytes, err = s.clf.Folder.FileSize("model.onnx"); err != nil {
			return nil, err
		}
		s.side.EmbedGraphBytes, _ = s.clf.Folder.FileSize("model_embeds.onnx") // optional: 0 when absent
		if s.side.QuantizedOps, err = QuantizedOps(s.clf.Folder, "model.onnx"); err != nil {
			return nil, err
		}
	}
	return rep, nil
}

// runAll runs encs through m in batches of batch rows, each padded to its
// longest text, and returns each row's logits.
func runAll(ctx context.Context, m engine.Model, encs []*tokenize.Encoding, padID int64, batch int) ([][]float32, error) {
	out := make([][]float32, 0, len(encs))
	for lo := 0; lo < len(encs); lo += batch {
		hi := min(lo+batch, len(encs))
		b := models.BatchOf(encs[lo:hi], padID)
		logits, err := m.Run(ctx, b)
		if err != nil {
			return nil, err
		}
		for r := range b.Rows {
			out = append(out, logits.Row(r))
		}
	}
	return out, nil
}
