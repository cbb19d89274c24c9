package models

import (
	"context"
	"fmt"
	"strings"

	"github.com/lucid-nlp/lucid/engine"
	"github.com/lucid-nlp/lucid/engine/onnx"
	"github.com/lucid-nlp/lucid/tokenize"
)

// Classifier is a model folder opened for inference: its tokenizer and its
// network on ONNX Runtime. Safe for concurrent use.
type Classifier struct {
	Folder    *Folder
	Tokenizer *tokenize.Tokenizer
	Model     *onnx.Model
	// BatchSize is the most rows Predict sends to the runtime at once.
	BatchSize int
	labels    []string
}

// DefaultBatchSize is Predict's batch size when none is set.
const DefaultBatchSize = 32

// Load opens the model folder dir. Options go to the ONNX Runtime engine
// (device, threads, library path); the labels come from config.json.
func Load(dir string, opts ...onnx.Option) (*Classifier, error) {
	f, err := ReadFolder(dir)
	if err != nil {
		return nil, err
	}
	return LoadFolder(f, opts...)
}

// LoadDefault opens the default model (see Default): the folder
// $LUCID_MODEL names, else the embedded copy.
func LoadDefault(opts ...onnx.Option) (*Classifier, error) {
	f, err := Default()
	if err != nil {
		return nil, err
	}
	return LoadFolder(f, opts...)
}

// LoadFolder opens a folder ReadFolder or ReadFolderFS has checked, from
// disk or from its file system.
func LoadFolder(f *Folder, opts ...onnx.Option) (*Classifier, error) {
	var tok *tokenize.Tokenizer
	var err error
	if f.FS != nil {
		var data []byte
		if data, err = f.readFile(TokenizerFile); err != nil {
			return nil, fmt.Errorf("models: %s: %w", f.path(TokenizerFile), err)
		}
		tok, err = tokenize.Parse(f.path(TokenizerFile), data)
	} else {
		tok, err = tokenize.Load(f.path(TokenizerFile))
	}
	if err != nil {
		return nil, err
	}
	lead := []onnx.Option{onnx.WithLabels(f.Labels)}
	if f.HeadSet {
		lead = append(lead, onnx.WithHead(f.Head))
	}
	opts = append(lead, opts...)
	var m *onnx.Model
	if f.FS != nil {
		m, err = onnx.OpenFS(f.FS, f.Dir, opts...)
	} else {
		m, err = onnx.Open(f.Dir, opts...)
	}
	if err != nil {
		return nil, err
	}
	if err := f.checkPositions(m.Positions()); err != nil {
		m.Close()
		return nil, err
	}
	tok.SetMaxLength(f.MaxLength)
	if f.positionOffset() > 0 {
		// RoBERTa-family positions count non-pad ids (perturb's --mask pad
		// reads this).
		tok.SetPadShiftsPositions(true)
	}
	return &Classifier{Folder: f, Tokenizer: tok, Model: m, BatchSize: DefaultBatchSize, labels: m.Labels()}, nil
}

// Close releases the runtime sessions.
func (c *Classifier) Close() error { return c.Model.Close() }

// Labels returns the label names: config.json's id2label, else LABEL_i
// for each of the graph's outputs.
func (c *Classifier) Labels() []string { return c.labels }

// Head says how the model's logits become probabilities (config.json's
// problem_type, an override, or transformers' rule). It makes Classifier
// an engine.HeadModel.
func (c *Classifier) Head() engine.Head { return c.Model.Head() }

// Run runs a batch through the network (c.Model.Run). With Labels and Head
// it makes Classifier an engine.HeadModel, so an evaluator or explainer
// handed the classifier itself scores by its head.
func (c *Classifier) Run(ctx context.Context, b engine.Batch) (engine.Logits, error) {
	return c.Model.Run(ctx, b)
}

var _ engine.HeadModel = (*Classifier)(nil)

// Prediction is the model's answer for one text.
type Prediction struct {
	Text string
	// Label and LabelIndex are the most probable label (single-label), the
	// label of the highest sigmoid probability (multi-label: Above says
	// which labels pass a threshold), or the one output (regression).
	Label      string
	LabelIndex int
	// Head is how Probabilities were computed from Logits: softmax,
	// sigmoid per label, or (regression) the raw score itself.
	Head          engine.Head
	Probabilities []float64
	Logits        []float32
	// Truncated is true when the text was longer than the model takes and
	// only its first MaxLength tokens were read.
	Truncated bool
	// Err is set when this text could not be read (invalid UTF-8); the
	// other fields are then empty. One bad text does not fail the others.
	Err error

	// TextPair is the second text of a sentence pair (PredictPairs), and
	// Removed the tokens longest-first truncation cut from the end of the
	// first and the second text.
	TextPair string
	Removed  [2]int
}

// Predict classifies texts. Rows of similar length are batched together so
// little padding is computed; results come back in the order of texts. A
// text the tokenizer rejects gets a Prediction with Err set; the returned
// error is for failures of the run itself (cancellation, the runtime).
func (c *Classifier) Predict(ctx context.Context, texts []string) ([]Prediction, error) {
	out := make([]Prediction, len(texts))
	encs := make([]*tokenize.Encoding, len(texts))
	order := make([]int, 0, len(texts))
	for i, t := range texts {
		e, err := c.Tokenizer.Encode(t)
		if err != nil {
			out[i] = Prediction{Text: t, Err: err}
			continue
		}
		encs[i] = e
		order = append(order, i)
	}
	if err := c.predictEncoded(ctx, encs, order, out); err != nil {
		return nil, err
	}
	return out, nil
}

func (c *Classifier) prediction(e *tokenize.Encoding, logits []float32) Prediction {
	head := c.Head()
	probs := head.Probabilities(logits)
	best := 0
	for i, p := range probs {
		if p > probs[best] {
			best = i
		}
	}
	return Prediction{Text: e.Text, Label: c.labels[best], LabelIndex: best, Head: head, Probabilities: probs,
		Logits: append([]float32(nil), logits...), Truncated: e.Truncated}
}

// BatchOf pads encodings to the longest one with padID and attention 0.
func BatchOf(encs []*tokenize.Encoding, padID int64) engine.Batch {
	seq := 0
	for _, e := range encs {
		seq = max(seq, e.Len())
	}
	b := engine.Batch{Rows: len(encs), SeqLen: seq,
		InputIDs: make([]int64, len(encs)*seq), AttentionMask: make([]int64, len(encs)*seq), TokenTypeIDs: make([]int64, len(encs)*seq)}
	for r, e := range encs {
		row := b.InputIDs[r*seq : (r+1)*seq]
		copy(row, e.IDs)
		for i := e.Len(); i < seq; i++ {
			row[i] = padID
		}
		copy(b.AttentionMask[r*seq:], e.AttentionMask)
		copy(b.TokenTypeIDs[r*seq:], e.TypeIDs)
	}
	return b
}

// EmptyTextWarning is said of a text with nothing but white space, by
// lucid predict and the server alike: the model still answers (for its
// special tokens alone), so the answer is given, but it is not a reading
// of any text.
const EmptyTextWarning = "the text is empty (or only white space): the model classified its special tokens alone"

// TextWarnings are the warnings a text earns before it is classified.
func TextWarnings(text string) []string {
	if strings.TrimSpace(text) == "" {
		return []string{EmptyTextWarning}
	}
	return nil
}
