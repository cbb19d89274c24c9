package server

import (
	"context"
	"errors"
	"fmt"
	"log"
	"sort"
	"strings"
	"time"

	"github.com/lucid-nlp/lucid/attribution"
	"github.com/lucid-nlp/lucid/engine"
	"github.com/lucid-nlp/lucid/engine/batching"
	"github.com/lucid-nlp/lucid/evaluate"
	"github.com/lucid-nlp/lucid/models"
	"github.com/lucid-nlp/lucid/perturb"
	"github.com/lucid-nlp/lucid/tokenize"
)

// servedModel is one model with its runtime chain: ONNX Runtime, a
// counter that marks runtime failures and feeds the metrics, then (when
// on) the batcher that every prediction and explanation row goes through.
type servedModel struct {
	name     string
	clf      *models.Classifier
	tok      *tokenize.Tokenizer
	model    engine.Model // what requests run: the batcher or the counter
	batcher  *batching.Model
	maxBatch int
	// explainers by output (prob, logit, logodds): each has its own
	// evaluator, all over model.
	explainers map[evaluate.Output]*attribution.Explainer
	// ready is closed once warmUp is done; warmedWith and warmErr say
	// what it ran and how that went (read them after ready).
	ready      chan struct{}
	warmedWith attribution.Method
	warmErr    error
	// thresholds are a multi-label model's per-label thresholds (nil for
	// other heads).
	thresholds []float64
}

// modelVersion is the one version every served model has.
const modelVersion = "1"

func newServedModel(name string, clf *models.Classifier, cfg Config, mx *metrics) *servedModel {
	m := &servedModel{name: name, clf: clf, tok: clf.Tokenizer, explainers: map[evaluate.Output]*attribution.Explainer{}}
	m.maxBatch = cfg.Batch.MaxBatch
	if m.maxBatch <= 0 {
		m.maxBatch = batching.DefaultMaxBatch
	}
	m.ready = make(chan struct{})
	counted := countRuns(clf.Model, mx, name, m.maxBatch)
	m.model = counted
	evalConcurrency := cfg.Sessions
	if cfg.Batching {
		o := cfg.Batch
		o.PadID = clf.Tokenizer.PadID()
		if o.Concurrency <= 0 {
			o.Concurrency = cfg.Sessions
		}
		m.model, m.batcher = batching.Wrap(counted, o)
		// Each evaluator keeps a few batches queued so the batcher has
		// rows to merge while the runtime is busy.
		evalConcurrency = 2 * o.Concurrency
	}
	// The batcher and the counter hide the model's head: say it.
	head := clf.Head()
	for _, out := range []evaluate.Output{evaluate.Probability, evaluate.Logit, evaluate.LogOdds} {
		// Explanation rows are class Explain: the batcher gives them a
		// bounded share, so they cannot starve predictions.
		ev := evaluate.New(batching.Classed(m.model, batching.Explain), evaluate.Options{BatchSize: m.maxBatch, Output: out, PadID: clf.Tokenizer.PadID(), Concurrency: evalConcurrency, Head: &head})
		// The model name is the folder, as `lucid explain --json` reports it.
		m.explainers[out] = attribution.NewExplainer(clf.Tokenizer, ev, clf.Folder.Dir)
	}
	return m
}

func (m *servedModel) close() {
	if m.batcher != nil {
		m.batcher.Close()
	}
}

func (m *servedModel) labels() []string { return m.clf.Labels() }

// warmUp runs one small path-method (ig) explanation straight on the
// runtime, before the model says it is ready: ONNX Runtime opens and
// optimises the gradient graph at its first use, which took the first ig
// request seconds. It bypasses the batcher and the metrics (no request
// asked for these rows). A model without a gradient graph warms its
// forward pass only; a failure is logged, and the request that meets it
// reports it.
func (m *servedModel) warmUp(lg *log.Logger) {
	defer close(m.ready)
	req := attribution.Request{Text: "warm up", Method: attribution.MethodPath, Seed: 1}
	if !m.clf.Model.HasGradientGraph() {
		req.Method = attribution.MethodKernelSHAP
		req.Budget = 8
	}
	ev := evaluate.New(m.clf.Model, evaluate.Options{BatchSize: m.maxBatch, Output: evaluate.Probability, PadID: m.tok.PadID()})
	_, m.warmErr = attribution.NewExplainer(m.tok, ev, m.clf.Folder.Dir).Explain(context.Background(), req)
	m.warmedWith = req.Method
	if m.warmErr != nil {
		lg.Printf("model %s: warming up (%s): %v", m.name, req.Method, m.warmErr)
	}
}

// Prediction is one text's prediction in the JSON of :predict: the label,
// each label's probability by name, and the logits in label order (an
// array, as `lucid predict --json` and the library give them; Labels is
// that order, LogitsByLabel the same logits by name).
type Prediction struct {
	Label      string `json:"label"`
	LabelIndex int    `json:"label_index"`
	// Head is single-label (softmax), multi-label (a sigmoid per label:
	// the probabilities need not sum to 1) or regression (one score, in
	// Score and as the one entry of Probabilities).
	Head string `json:"head"`
	// Score is a regression head's output.
	Score *float64 `json:"score,omitempty"`
	// Above are a multi-label model's labels whose probability is at
	// least their threshold, most probable first; Thresholds are the
	// thresholds by label (lucid serve --threshold, default 0.5, and
	// --label-thresholds), and Threshold the one they share, when they do.
	Above      []string           `json:"labels_above_threshold,omitempty"`
	Threshold  float64            `json:"threshold,omitempty"`
	Thresholds map[string]float64 `json:"thresholds,omitempty"`
	// Probabilities are each label's probability by the head; absent for
	// a regression head (Score), whose output is no probability. (Open
	// Inference Protocol's infer keeps its declared "probabilities"
	// tensor, which for a regression head holds the score.)
	Probabilities map[string]float64 `json:"probabilities,omitempty"`
	Logits        []float32          `json:"logits"`
	Labels        []string           `json:"labels"`
	LogitsByLabel map[string]float32 `json:"logits_by_label"`
	// Truncated is true when the text was longer than the model reads.
	Truncated bool `json:"truncated,omitempty"`
	// Warnings are said of the text as `lucid predict` says them (an
	// empty text).
	Warnings []string `json:"warnings,omitempty"`
	// TextPair echoes a sentence pair's second text, and PairTruncation
	// says what longest-first truncation cut from each text (as `lucid
	// predict --pair --json`); both absent for one text.
	TextPair       *string                     `json:"text_pair,omitempty"`
	PairTruncation *attribution.PairTruncation `json:"pair_truncation,omitempty"`
}

// predicted is a prediction with its rows in label order, for OIP tensors.
type predicted struct {
	probs     []float64
	logits    []float32
	best      int
	truncated bool
	pair      *tokenize.Pair // a sentence pair's second text and cut, nil for one text
}

// predictPairs classifies texts: tokenised, sorted by length so a request's
// own rows need little padding, and run in chunks of at most the maximum
// batch through the model chain (so they share batches with other
// requests' rows).
//
// pairs[i], when pairs is not nil and pairs[i] is set, is text i's second
// text: that instance is a sentence pair (encodeInput).
func (m *servedModel) predictPairs(ctx context.Context, texts []string, pairs []*string) ([]predicted, error) {
	encs := make([]*tokenize.Encoding, len(texts))
	for i, t := range texts {
		e, err := m.encodeInput(t, pairAt(pairs, i))
		if err != nil {
			return nil, badRequest("instance %d: %v", i, err)
		}
		encs[i] = e
	}
	order := make([]int, len(texts))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return encs[order[a]].Len() < encs[order[b]].Len() })
	out := make([]predicted, len(texts))
	for start := 0; start < len(order); start += m.maxBatch {
		idx := order[start:min(start+m.maxBatch, len(order))]
		group := make([]*tokenize.Encoding, len(idx))
		for i, j := range idx {
			group[i] = encs[j]
		}
		logits, err := m.model.Run(ctx, models.BatchOf(group, m.tok.PadID()))
		if err != nil {
			return nil, err
		}
		for i, j := range idx {
			row := logits.Row(i)
			p := m.clf.Head().Probabilities(row)
			best := 0
			for k := range p {
				if p[k] > p[best] {
					best = k
				}
			}
			out[j] = predicted{probs: p, logits: append([]float32(nil), row...), best: best, truncated: encs[j].Truncated}
			out[j].pair = encs[j].Pair
		}
	}
	return out, nil
}

func (m *servedModel) asPrediction(p predicted, text string) Prediction {
	labels := m.labels()
	out := Prediction{Label: labels[p.best], LabelIndex: p.best, Probabilities: map[string]float64{}, Logits: p.logits, Labels: labels,
		LogitsByLabel: map[string]float32{}, Truncated: p.truncated, Warnings: models.TextWarnings(text)}
	for i, l := range labels {
		out.Probabilities[l] = p.probs[i]
		out.LogitsByLabel[l] = p.logits[i]
	}
	head := m.clf.Head()
	out.Head = head.String()
	switch head {
	case engine.Regression:
		score := p.probs[0]
		out.Score, out.Probabilities = &score, nil
	case engine.MultiLabel:
		out.Above = models.LabelsAbove(labels, p.probs, m.thresholds)
		out.Thresholds = make(map[string]float64, len(labels))
		shared := true
		for i, l := range labels {
			out.Thresholds[l] = m.thresholds[i]
			shared = shared && m.thresholds[i] == m.thresholds[0]
		}
		if shared {
			out.Threshold = m.thresholds[0]
		}
	}
	withPair(&out, p, text)
	return out
}

// ExplainParameters are the "parameters" of an :explain request; absent
// fields take `lucid explain`'s defaults.
type ExplainParameters struct {
	Method   string  `json:"method,omitempty"`
	Budget   int     `json:"budget,omitempty"`
	Target   string  `json:"target,omitempty"`
	Output   string  `json:"output,omitempty"`
	Features string  `json:"features,omitempty"`
	Mask     string  `json:"mask,omitempty"`
	Seed     *uint64 `json:"seed,omitempty"`
	Steps    int     `json:"steps,omitempty"`
	// Punctuation false leaves punctuation marks out of the features.
	Punctuation *bool `json:"punctuation,omitempty"`
}

// request turns parameters into an attribution request, checking them
// against the server's limits; every error names the parameter and value.
func (m *servedModel) request(p ExplainParameters, lim Limits) (attribution.Request, evaluate.Output, error) {
	req := attribution.Request{Budget: p.Budget, Steps: p.Steps, Target: p.Target, Seed: 1, MaxMemoryBytes: lim.MaxMemoryBytes}
	if p.Seed != nil {
		req.Seed = *p.Seed
	}
	if p.Punctuation != nil {
		req.NoPunctuation = !*p.Punctuation
	}
	var err error
	if req.Method, err = attribution.ParseMethod(p.Method); err != nil {
		return req, 0, badRequest("parameters.method: %v", err)
	}
	if req.Level, err = perturb.ParseLevel(cmpOr(p.Features, "words")); err != nil {
		return req, 0, badRequest("parameters.features: %v", err)
	}
	if req.Masking, err = perturb.ParseMasking(cmpOr(p.Mask, "mask")); err != nil {
		return req, 0, badRequest("parameters.mask: %v", err)
	}
	out, err := evaluate.ParseOutput(p.Output)
	if err != nil {
		return req, 0, badRequest("parameters.output: %v", err)
	}
	switch {
	case p.Budget < 0:
		return req, 0, badRequest("parameters.budget %d: want 0 (the method's default) or more", p.Budget)
	case p.Budget > lim.MaxBudget:
		return req, 0, badRequest("parameters.budget %d is above this server's limit of %d evaluations (--max-budget)", p.Budget, lim.MaxBudget)
	case p.Steps < 0 || p.Steps > attribution.MaxPathSteps:
		return req, 0, badRequest("parameters.steps %d: want 0 (the default %d) to %d", p.Steps, attribution.DefaultPathSteps, attribution.MaxPathSteps)
	case req.Method == attribution.MethodPath && req.Masking == perturb.Delete:
		return req, 0, badRequest("parameters.mask delete with method ig: the path method needs a baseline token; use mask, pad or unk")
	}
	// A method's default budget above the server's limit is lowered to it.
	defaults := map[attribution.Method]int{attribution.MethodKernelSHAP: attribution.DefaultBudget, attribution.MethodLIME: attribution.DefaultBudget,
		attribution.MethodExact: 1 << attribution.DefaultExactFeatures, attribution.MethodPath: attribution.DefaultPathBudget}
	if p.Budget == 0 && defaults[req.Method] > lim.MaxBudget {
		req.Budget = lim.MaxBudget
	}
	if p.Target != "" {
		if err := checkTarget(p.Target, m.labels()); err != nil {
			return req, 0, err
		}
	}
	return req, out, nil
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func checkTarget(target string, labels []string) error {
	for i, l := range labels {
		if strings.EqualFold(l, target) || target == fmt.Sprint(i) {
			return nil
		}
	}
	return badRequest("parameters.target %q: unknown label; the model's labels are %s (or their indexes 0..%d)", target, strings.Join(labels, ", "), len(labels)-1)
}

// explain explains each text with req's settings, concurrently (their
// rows share batches). The first error fails the request and cancels the
// explanations still running, so they stop spending evaluations.
func (m *servedModel) explain(ctx context.Context, texts []string, req attribution.Request, out evaluate.Output) ([]*attribution.Result, error) {
	return m.explainPairs(ctx, texts, nil, req, out)
}

// explainPairs is explain for instances of which some are sentence pairs
// (pairs as for predictPairs).
func (m *servedModel) explainPairs(ctx context.Context, texts []string, pairs []*string, req attribution.Request, out evaluate.Output) ([]*attribution.Result, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	reqs := make([]attribution.Request, len(texts))
	for i, t := range texts {
		reqs[i] = req
		reqs[i].Text = t
		if p := pairAt(pairs, i); p != nil {
			reqs[i].Pair, reqs[i].TextPair = true, *p
		}
	}
	x := m.explainers[out]
	results := make([]*attribution.Result, len(texts))
	errs := make([]error, len(texts))
	done := make(chan int, len(texts))
	for i := range reqs {
		go func() {
			results[i], errs[i] = x.Explain(ctx, reqs[i])
			if errs[i] != nil {
				cancel()
			}
			done <- i
		}()
	}
	for range reqs {
		<-done
	}
	// Report the error that caused the others, not their cancellation.
	var first error
	for i, err := range errs {
		if err != nil && (first == nil || (errors.Is(first, context.Canceled) && !errors.Is(err, context.Canceled))) {
			first = fmt.Errorf("instance %d: %w", i, err)
		}
	}
	if first != nil {
		return nil, first
	}
	return results, nil
}

// runCounter wraps the runtime: it counts rows and batches for the
// metrics and marks runtime failures as model errors (500s).
type runCounter struct {
	engine.Model
	mx       *metrics
	name     string
	maxBatch int
}

type embeddingCounter struct {
	*runCounter
	em engine.EmbeddingModel
}

func countRuns(inner engine.Model, mx *metrics, name string, maxBatch int) engine.Model {
	c := &runCounter{Model: inner, mx: mx, name: name, maxBatch: maxBatch}
	if gm, ok := inner.(engine.GradientModel); ok {
		return &gradientCounter{embeddingCounter{runCounter: c, em: gm}, gm}
	}
	if em, ok := inner.(engine.EmbeddingModel); ok {
		return &embeddingCounter{runCounter: c, em: em}
	}
	return c
}

// gradientCounter also counts the gradient graph's runs, so ig keeps its
// gradient path behind the counter.
type gradientCounter struct {
	embeddingCounter
	gm engine.GradientModel
}

func (g *gradientCounter) HasGradientGraph() bool { return g.gm.HasGradientGraph() }
func (g *gradientCounter) Gradient(ctx context.Context, b engine.EmbedBatch, targets []int, score engine.Score) (engine.Logits, []float32, error) {
	start := time.Now()
	l, grad, err := g.gm.Gradient(ctx, b, targets, score)
	g.mx.observeRun(g.runCounter.name, b.Rows, g.runCounter.maxBatch, ranFor(l, start), err)
	if err != nil && ctx.Err() == nil {
		err = &modelError{err}
	}
	return l, grad, err
}

func (c *runCounter) Run(ctx context.Context, b engine.Batch) (engine.Logits, error) {
	start := time.Now()
	l, err := c.Model.Run(ctx, b)
	c.mx.observeRun(c.name, b.Rows, c.maxBatch, ranFor(l, start), err)
	if err != nil && ctx.Err() == nil {
		err = &modelError{err}
	}
	return l, err
}

func (e *embeddingCounter) Hidden() int { return e.em.Hidden() }
func (e *embeddingCounter) Embed(ctx context.Context, ids []int64) ([]float32, error) {
	return e.em.Embed(ctx, ids)
}
func (e *embeddingCounter) RunEmbeds(ctx context.Context, b engine.EmbedBatch) (engine.Logits, error) {
	start := time.Now()
	l, err := e.em.RunEmbeds(ctx, b)
	e.mx.observeRun(e.runCounter.name, b.Rows, e.runCounter.maxBatch, ranFor(l, start), err)
	if err != nil && ctx.Err() == nil {
		err = &modelError{err}
	}
	return l, err
}

// ranFor is how long the network ran: as the runtime reports it (without
// a wait for a free session), else as timed around the call.
func ranFor(l engine.Logits, start time.Time) time.Duration {
	if l.Elapsed > 0 {
		return l.Elapsed
	}
	return time.Since(start)
}
