// Package evaluate is the one road from explainers to the model: it takes
// the rows an explainer wants scored, drops duplicates, groups rows of equal
// length, fills batches up to a size, runs them through an engine.Model and
// returns the target label's score as a probability, logit or log-odds, by
// the model's head (engine.HeadOf): a softmax, a label's own sigmoid, or a
// regression head's raw score.
//
// Several explanations may call one Evaluator at once (explaining many texts
// concurrently); their rows share batches, so batches stay full even when
// each text alone would leave them half empty. No background goroutines: a
// caller waiting for its rows runs whatever batch is ready, its own rows or
// another caller's.
package evaluate

import (
	"context"
	"encoding/binary"
	"fmt"
	"sync"
	"time"

	"github.com/lucid-nlp/lucid/engine"
	"github.com/lucid-nlp/lucid/perturb"
)

// Output says which number of the model's output an explainer attributes.
type Output int

const (
	// Probability is the target's probability by the model's head (the
	// default): its softmax probability, its own sigmoid for a multi-label
	// model, and for a regression head the raw score (it has none).
	Probability Output = iota
	// Logit is the target's raw logit.
	Logit
	// LogOdds is log(p / (1 - p)) for the target, computed from logits:
	// a sigmoid label's logit itself, and a regression head's raw score.
	LogOdds
)

// ParseOutput reads prob, logit or logodds.
func ParseOutput(s string) (Output, error) {
	switch s {
	case "", "prob", "probability":
		return Probability, nil
	case "logit":
		return Logit, nil
	case "logodds", "log-odds":
		return LogOdds, nil
	}
	return Probability, fmt.Errorf("evaluate: output %q: want prob, logit or logodds", s)
}

func (o Output) String() string { return [...]string{"prob", "logit", "logodds"}[o] }

// Score converts one row of a single-label (softmax) model's logits into
// the target's score; ScoreHead does it for any head.
func (o Output) Score(logits []float32, target int) float64 {
	return o.ScoreHead(engine.SingleLabel, logits, target)
}

// ScoreHead converts one row of logits into the target's score by the
// model's head (engine.Head's ProbabilityAt and LogOddsAt): for a
// multi-label model the target's own sigmoid (its log-odds are its logit),
// for a regression head the raw score whatever the output.
func (o Output) ScoreHead(h engine.Head, logits []float32, target int) float64 {
	switch o {
	case Logit:
		return float64(logits[target])
	case LogOdds:
		return h.LogOddsAt(logits, target)
	}
	return h.ProbabilityAt(logits, target)
}

// Stats counts the model work done for one or more Score calls.
type Stats struct {
	// Evaluations is the number of rows the model ran (after removing
	// duplicates).
	Evaluations int
	// Runtime is the time the model ran (as the model reports it, else as
	// timed around the call), shared out by rows when a batch served
	// several callers.
	Runtime time.Duration
}

// Add accumulates s2 into s.
func (s *Stats) Add(s2 Stats) {
	s.Evaluations += s2.Evaluations
	s.Runtime += s2.Runtime
}

// DefaultBatchSize is the batch size when Options leave it 0.
const DefaultBatchSize = 64

// Evaluator scores rows with a model. Safe for concurrent use.
type Evaluator struct {
	model     engine.Model
	head      engine.Head // how model's logits become scores (engine.HeadOf)
	batchSize int
	output    Output
	padID     int64

	slots chan struct{} // one token per batch allowed to run at once

	mu      sync.Mutex
	pending map[int][]*item // rows waiting to run, by length
	npend   int
	changed chan struct{} // closed and replaced whenever a batch finishes
	total   Stats
	batches int
}

// Options configure an Evaluator.
type Options struct {
	BatchSize   int    // rows per model run (default 64)
	Output      Output // what a row's score is
	Concurrency int    // model runs at once (default 1; more for a session pool)
	PadID       int64  // id for padding positions (rows of equal length need none)
	// Head, when set, is the model's head where the model given to New
	// hides it (a batcher or counter wrapped around it); nil means
	// engine.HeadOf(model).
	Head *engine.Head
}

// New returns an Evaluator over model.
func New(model engine.Model, o Options) *Evaluator {
	if o.BatchSize <= 0 {
		o.BatchSize = DefaultBatchSize
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 1
	}
	head := engine.HeadOf(model)
	if o.Head != nil {
		head = *o.Head
	}
	return &Evaluator{model: model, head: head, batchSize: o.BatchSize, output: o.Output, padID: o.PadID,
		slots: make(chan struct{}, o.Concurrency), pending: map[int][]*item{}, changed: make(chan struct{})}
}

// Output returns what the scores are.
func (e *Evaluator) Output() Output { return e.output }

// Head returns the model's head, which Output's scores follow.
func (e *Evaluator) Head() engine.Head { return e.head }

// Model returns the model the evaluator runs.
func (e *Evaluator) Model() engine.Model { return e.model }

// Total returns the work done over the evaluator's life, and the number of
// batches run.
func (e *Evaluator) Total() (Stats, int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.total, e.batches
}

type item struct {
	row  perturb.Row
	slot int
	req  *request
}

type request struct {
	ctx    context.Context
	target int
	// width is the scores per row in out: 1 (the target's), or every
	// label's (ScoreAll).
	width     int
	out       []float64
	remaining int
	err       error
	stats     Stats
	finished  bool
	done      chan struct{}
}

// Score returns the target label's score for each row. Identical rows are
// run once.
func (e *Evaluator) Score(ctx context.Context, rows []perturb.Row, target int) ([]float64, Stats, error) {
	if n := len(e.model.Labels()); target < 0 || target >= n {
		return nil, Stats{}, fmt.Errorf("evaluate: target label index %d, the model has %d labels", target, n)
	}
	return e.score(ctx, rows, target, 1)
}

// score scores rows: width 1 is the target's score per row, width
// len(labels) every label's, row after row.
func (e *Evaluator) score(ctx context.Context, rows []perturb.Row, target, width int) ([]float64, Stats, error) {
	if len(rows) == 0 {
		return nil, Stats{}, nil
	}
	// Deduplicate: index[i] is the unique row that row i is.
	seen := make(map[string]int, len(rows))
	index := make([]int, len(rows))
	var uniq []perturb.Row
	for i, r := range rows {
		if len(r.IDs) == 0 {
			return nil, Stats{}, fmt.Errorf("evaluate: row %d is empty", i)
		}
		k := rowKey(r)
		j, ok := seen[k]
		if !ok {
			j = len(uniq)
			seen[k] = j
			uniq = append(uniq, r)
		}
		index[i] = j
	}
	req := &request{ctx: ctx, target: target, width: width, out: make([]float64, len(uniq)*width), remaining: len(uniq), done: make(chan struct{})}
	e.mu.Lock()
	for j, r := range uniq {
		n := len(r.IDs)
		e.pending[n] = append(e.pending[n], &item{row: r, slot: j, req: req})
		e.npend++
	}
	e.mu.Unlock()

	for {
		// A cancelled caller stops here, before it would start another
		// batch: select picks at random among ready cases, and the slot
		// may be free too.
		if err := ctx.Err(); err != nil {
			e.drop(req)
			return nil, req.stats, err
		}
		e.mu.Lock()
		changed := e.changed
		e.mu.Unlock()
		select {
		case <-req.done:
			if req.err != nil {
				return nil, req.stats, req.err
			}
			out := make([]float64, len(rows)*width)
			for i, j := range index {
				copy(out[i*width:(i+1)*width], req.out[j*width:(j+1)*width])
			}
			return out, req.stats, nil
		case <-ctx.Done():
			e.drop(req)
			return nil, req.stats, ctx.Err()
		case e.slots <- struct{}{}:
			batch := e.take()
			if len(batch) > 0 {
				e.run(batch)
			}
			<-e.slots
			if len(batch) == 0 {
				// Nothing left to start: our rows are running elsewhere.
				select {
				case <-req.done:
				case <-ctx.Done():
				case <-changed:
				}
			}
		case <-changed:
		}
	}
}

// drop removes a cancelled request's rows still pending, so that they do
// not stay queued (holding their ids) until another caller comes by.
func (e *Evaluator) drop(req *request) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for l, items := range e.pending {
		kept := items[:0]
		for _, it := range items {
			if it.req != req {
				kept = append(kept, it)
			}
		}
		e.npend -= len(items) - len(kept)
		clear(items[len(kept):])
		if len(kept) == 0 {
			delete(e.pending, l)
		} else {
			e.pending[l] = kept
		}
	}
}

// take removes up to batchSize pending rows of one length, choosing the
// length with the most rows waiting, and skipping rows whose caller gave up.
func (e *Evaluator) take() []*item {
	e.mu.Lock()
	defer e.mu.Unlock()
	for e.npend > 0 {
		best, bestN := -1, 0
		for l, items := range e.pending {
			if len(items) > bestN || (len(items) == bestN && l < best) {
				best, bestN = l, len(items)
			}
		}
		items := e.pending[best]
		k := min(len(items), e.batchSize)
		batch := make([]*item, 0, k)
		for _, it := range items[:k] {
			if it.req.ctx.Err() == nil && it.req.err == nil {
				batch = append(batch, it)
			}
		}
		if k == len(items) {
			delete(e.pending, best)
		} else {
			e.pending[best] = items[k:]
		}
		e.npend -= k
		if len(batch) > 0 {
			return batch
		}
	}
	return nil
}

// run scores one batch of equal-length rows and hands the scores out.
func (e *Evaluator) run(batch []*item) {
	seq := len(batch[0].row.IDs)
	b := engine.Batch{Rows: len(batch), SeqLen: seq,
		InputIDs: make([]int64, 0, len(batch)*seq), AttentionMask: make([]int64, 0, len(batch)*seq), TokenTypeIDs: make([]int64, 0, len(batch)*seq)}
	for _, it := range batch {
		b.InputIDs = append(b.InputIDs, it.row.IDs...)
		b.AttentionMask = append(b.AttentionMask, it.row.AttentionMask...)
		if it.row.TypeIDs != nil {
			b.TokenTypeIDs = append(b.TokenTypeIDs, it.row.TypeIDs...)
		} else {
			b.TokenTypeIDs = append(b.TokenTypeIDs, make([]int64, seq)...)
		}
	}
	start := time.Now()
	// The batch may serve several callers, so it runs under none of their
	// contexts; callers that gave up were filtered out in take.
	logits, err := e.model.Run(context.Background(), b)
	elapsed := time.Since(start)
	if logits.Elapsed > 0 {
		elapsed = logits.Elapsed // without any wait for a free session
	}
	share := elapsed / time.Duration(len(batch))

	e.mu.Lock()
	defer e.mu.Unlock()
	e.total.Evaluations += len(batch)
	e.total.Runtime += elapsed
	e.batches++
	for i, it := range batch {
		r := it.req
		if err != nil {
			if r.err == nil {
				r.err = fmt.Errorf("evaluate: running a batch of %d rows of length %d: %w", len(batch), seq, err)
			}
		} else if r.width == 1 {
			r.out[it.slot] = e.output.ScoreHead(e.head, logits.Row(i), r.target)
		} else {
			for t := range r.width {
				r.out[it.slot*r.width+t] = e.output.ScoreHead(e.head, logits.Row(i), t)
			}
		}
		r.stats.Evaluations++
		r.stats.Runtime += share
		r.remaining--
		// A failed request finishes at once; its other rows are skipped.
		if (r.remaining == 0 || r.err != nil) && !r.finished {
			r.finished = true
			close(r.done)
		}
	}
	close(e.changed)
	e.changed = make(chan struct{})
}

// rowKey is a compact identity of a row's ids and attention mask.
func rowKey(r perturb.Row) string {
	buf := make([]byte, 0, 3*len(r.IDs)+len(r.IDs)/8+1)
	for _, id := range r.IDs {
		buf = binary.AppendUvarint(buf, uint64(id))
	}
	var bits byte
	for i, m := range r.AttentionMask {
		if m != 0 {
			bits |= 1 << (i % 8)
		}
		if i%8 == 7 {
			buf = append(buf, bits)
			bits = 0
		}
	}
	buf = append(buf, bits)
	// Token types are nearly always 0; record only the exceptions.
	for i, t := range r.TypeIDs {
		if t != 0 {
			buf = binary.AppendUvarint(binary.AppendUvarint(buf, uint64(i)), uint64(t))
		}
	}
	return string(buf)
}
