// Package lucid is Lucid as one import: open a BERT-class text classifier
// exported to ONNX (or the small sentiment model embedded in every build),
// classify texts, and explain predictions word by word.
//
//	m, err := lucid.OpenDefault()
//	defer m.Close()
//	preds, err := m.Predict(ctx, []string{"a gorgeous, witty, seductive movie"})
//	ex, err := m.Explain(ctx, "not bad at all", lucid.WithMethod(lucid.KernelSHAP), lucid.WithBudget(256))
//
// A Model is safe for concurrent use by many goroutines. Its explanations
// score their perturbed texts through one shared evaluator, so the rows of
// explanations running at once share ONNX Runtime batches; a seeded
// explanation gives the same result whatever runs beside it. Every call
// takes a context and stops when it is cancelled.
//
// Predictions and explanations have the JSON shapes of `lucid predict
// --json` and `lucid explain --json`. The packages underneath (models,
// engine/onnx, evaluate, attribution) remain available for finer control.
package lucid

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"

	"github.com/lucid-nlp/lucid/attribution"
	"github.com/lucid-nlp/lucid/engine"
	"github.com/lucid-nlp/lucid/engine/onnx"
	"github.com/lucid-nlp/lucid/evaluate"
	"github.com/lucid-nlp/lucid/models"
)

// ErrClosed is returned by calls on a Model after Close.
var ErrClosed = errors.New("lucid: the model is closed")

// Model is an opened classifier. Safe for concurrent use.
type Model struct {
	clf       *models.Classifier
	name      string
	batchSize int
	sessions  int
	maxMemory int64

	// mu is held for reading by every call and for writing by Close, so
	// Close waits for calls in flight and calls after it fail cleanly.
	mu     sync.RWMutex
	closed bool

	// One explainer per output (prob, logit, logodds), made on first use:
	// an evaluator scores one kind of output, and every explanation of
	// that output shares its batches.
	explainMu  sync.Mutex
	explainers map[evaluate.Output]*attribution.Explainer
}

// Prediction is the model's answer for one text, in the shape of one line
// of `lucid predict --json`.
type Prediction struct {
	Text string `json:"text"`
	// Head is single-label, multi-label or regression (Model.Head).
	Head string `json:"head"`
	// Label is the most probable label; a regression head has none.
	Label string `json:"label,omitempty"`
	// Score is a regression head's one output.
	Score *float64 `json:"score,omitempty"`
	// Probabilities maps every label to its probability: the softmax for
	// a single-label model, each label's own sigmoid for a multi-label
	// one (they need not sum to 1); nil for a regression head.
	Probabilities map[string]float64 `json:"probabilities,omitempty"`
	// Logits are the model's raw outputs, in the order of Labels().
	Logits []float32 `json:"logits"`
	// Truncated is true when the text was longer than the model reads and
	// only its first tokens were classified.
	Truncated bool `json:"truncated,omitempty"`
	// Err is set when this text could not be read (invalid UTF-8); the
	// other fields but Text are then empty. One bad text does not fail
	// the others.
	Err error `json:"-"`
}

// Explanation is one explanation, the same for every method, with the
// JSON of one line of `lucid explain --json` (README.md, "Explanation
// JSON").
type Explanation = attribution.Result

// FeatureAttribution is one word's (or token's) share of an Explanation.
type FeatureAttribution = attribution.FeatureAttribution

// Open opens the model folder dir (model.onnx, tokenizer.json, config.json;
// model_embeds.onnx and embeddings.onnx for ig).
func Open(dir string, opts ...Option) (*Model, error) {
	return open(opts, func(o []onnx.Option) (*models.Classifier, error) { return models.Load(dir, o...) })
}

// OpenDefault opens the default model, sst2-mini-bert (English sentiment,
// NEGATIVE/POSITIVE), from the copy embedded in the binary: no files are
// needed beside ONNX Runtime itself.
func OpenDefault(opts ...Option) (*Model, error) {
	return open(opts, func(o []onnx.Option) (*models.Classifier, error) {
		f, err := models.ReadFolderFS(models.Embedded(), models.EmbeddedName)
		if err != nil {
			return nil, err
		}
		return models.LoadFolder(f, o...)
	})
}

func open(opts []Option, load func([]onnx.Option) (*models.Classifier, error)) (*Model, error) {
	c := config{sessions: 1, batchSize: DefaultBatchSize}
	for _, o := range opts {
		o(&c)
	}
	dev, err := c.validate()
	if err != nil {
		return nil, err
	}
	oo := []onnx.Option{onnx.WithDevice(dev), onnx.WithThreads(c.threads), onnx.WithSessions(c.sessions), onnx.WithLibrary(c.library)}
	if c.head != "" {
		h, _ := engine.ParseHead(c.head) // checked by validate
		oo = append(oo, onnx.WithHead(h))
	}
	clf, err := load(oo)
	if err != nil {
		return nil, err
	}
	clf.BatchSize = c.batchSize
	return &Model{clf: clf, name: clf.Folder.Dir, batchSize: c.batchSize, sessions: c.sessions, maxMemory: c.maxMemory,
		explainers: map[evaluate.Output]*attribution.Explainer{}}, nil
}

// Head returns how the model's logits become outputs: "single-label",
// "multi-label" or "regression".
func (m *Model) Head() string { return m.clf.Head().String() }

// Labels returns the label names, index i naming logit i.
func (m *Model) Labels() []string { return slices.Clone(m.clf.Labels()) }

// Name returns the model's folder, or models.EmbeddedName for the embedded
// default model; explanations report it as their "model".
func (m *Model) Name() string { return m.name }

// MaxLength returns the most tokens the model reads, special tokens
// included; longer texts are truncated (Prediction.Truncated).
func (m *Model) MaxLength() int { return m.clf.Folder.MaxLength }

// Close releases the model's ONNX Runtime sessions, after the calls in
// flight have returned. Calls after Close return ErrClosed.
func (m *Model) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil
	}
	m.closed = true
	return m.clf.Close()
}

// acquire holds the model open for one call.
func (m *Model) acquire() error {
	m.mu.RLock()
	if m.closed {
		m.mu.RUnlock()
		return ErrClosed
	}
	return nil
}

func (m *Model) release() { m.mu.RUnlock() }

// predictChunk is how many texts Predict tokenises and sorts by length at
// once: enough to cut padding, and a cancelled context is noticed between
// chunks as well as between batches.
const predictChunk = 1024

// Predict classifies texts; results come back in their order. A text that
// cannot be read gets a Prediction with Err set; the returned error is for
// the run itself (a cancelled context, the runtime, a closed model).
func (m *Model) Predict(ctx context.Context, texts []string) ([]Prediction, error) {
	if err := m.acquire(); err != nil {
		return nil, err
	}
	defer m.release()
	labels := m.clf.Labels()
	out := make([]Prediction, 0, len(texts))
	for start := 0; start < len(texts); start += predictChunk {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		preds, err := m.clf.Predict(ctx, texts[start:min(start+predictChunk, len(texts))])
		if err != nil {
			return nil, err
		}
		for _, p := range preds {
			out = append(out, prediction(p, labels))
		}
	}
	return out, nil
}

func prediction(p models.Prediction, labels []string) Prediction {
	if p.Err != nil {
		return Prediction{Text: p.Text, Err: p.Err}
	}
	if p.Head == engine.Regression {
		score := p.Probabilities[0]
		return Prediction{Text: p.Text, Head: p.Head.String(), Score: &score, Logits: p.Logits, Truncated: p.Truncated}
	}
	probs := make(map[string]float64, len(labels))
	for i, l := range labels {
		probs[l] = p.Probabilities[i]
	}
	return Prediction{Text: p.Text, Head: p.Head.String(), Label: p.Label, Probabilities: probs, Logits: p.Logits, Truncated: p.Truncated}
}

// explainer returns the shared explainer for an output.
func (m *Model) explainer(o evaluate.Output) *attribution.Explainer {
	m.explainMu.Lock()
	defer m.explainMu.Unlock()
	x, ok := m.explainers[o]
	if !ok {
		ev := evaluate.New(m.clf.Model, evaluate.Options{BatchSize: m.batchSize, Output: o, PadID: m.clf.Tokenizer.PadID(), Concurrency: m.sessions})
		x = attribution.NewExplainer(m.clf.Tokenizer, ev, m.name)
		m.explainers[o] = x
	}
	return x
}

// request turns options into a request for text.
func (m *Model) request(text string, opts []ExplainOption) (attribution.Request, evaluate.Output, error) {
	c := explainConfig{req: attribution.Request{Method: attribution.MethodKernelSHAP, Seed: DefaultSeed, MaxMemoryBytes: m.maxMemory}}
	for _, o := range opts {
		if err := o(&c); err != nil {
			return c.req, c.output, err
		}
	}
	c.req.Text = text
	if err := c.req.Validate(); err != nil {
		return c.req, c.output, fmt.Errorf("lucid: %w", err)
	}
	return c.req, c.output, nil
}

// Explain explains the model's prediction for text: how much each word (or
// token) moved the target label's score. Options choose the method and its
// settings; with none it is KernelSHAP with attribution.DefaultBudget
// evaluations (DefaultShortBudget on texts of at most ShortTextFeatures
// features) and DefaultSeed, as `lucid explain` does.
func (m *Model) Explain(ctx context.Context, text string, opts ...ExplainOption) (*Explanation, error) {
	req, out, err := m.request(text, opts)
	if err != nil {
		return nil, err
	}
	if err := m.acquire(); err != nil {
		return nil, err
	}
	defer m.release()
	return m.explainer(out).Explain(ctx, req)
}

// explainWorkers is how many of ExplainBatch's texts are explained at once:
// enough for their rows to keep batches full.
var explainWorkers = max(8, runtime.NumCPU())

// ExplainBatch explains every text with the same options, several at once
// so that their rows share batches. explanations[i] and errs[i] answer
// texts[i]; errs is nil when every text was explained. A bad option fails
// every text with the same error.
func (m *Model) ExplainBatch(ctx context.Context, texts []string, opts ...ExplainOption) ([]*Explanation, []error) {
	results := make([]*Explanation, len(texts))
	errs := make([]error, len(texts))
	fail := func(err error) ([]*Explanation, []error) {
		for i := range errs {
			errs[i] = err
		}
		return results, errs
	}
	req, out, err := m.request("", opts)
	if err != nil {
		return fail(err)
	}
	if err := m.acquire(); err != nil {
		return fail(err)
	}
	defer m.release()
	reqs := make([]attribution.Request, len(texts))
	for i, t := range texts {
		reqs[i] = req
		reqs[i].Text = t
	}
	results, errs = m.explainer(out).ExplainAll(ctx, reqs, explainWorkers)
	for _, err := range errs {
		if err != nil {
			return results, errs
		}
	}
	return results, nil
}
