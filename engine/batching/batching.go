// Package batching is dynamic batching for an engine.Model: the rows of
// concurrent Run calls (one request's predictions, another's explanation
// perturbations) are collected into one ONNX Runtime batch, up to a maximum
// number of rows or a maximum wait, run once, and each caller gets its own
// rows back.
//
// A server handling many small requests otherwise runs many small batches,
// each paying the runtime's per-call overhead and leaving the cores half
// idle; batching them brings throughput under concurrency towards the
// runtime's batched floor. Rows of different lengths are padded to the
// longest (Pad) or only rows of equal length share a batch (Group); see
// Mode.
//
// Fair scheduling. Every call has a class, Predict or Explain, from its
// context (WithClass; Predict by default). Predictions come first, with a
// bounded share for explanations: a batch is led by one class, whose
// oldest call always goes, and when both classes wait the explanation
// rows lead a batch only while the runtime's recent time on them
// (decaying over about a quarter second) is under ExplainShare (default 40%) of
// the recent wall time, and never two batches in a row. So a prediction waits for at
// most the batch running when it arrived and one explanation batch,
// however many explanation rows are queued, and explanations still get
// about ExplainShare of the time under a flood of predictions (all of it
// when no prediction waits). Why this and not one FIFO queue: an
// explanation queues hundreds of rows at once (its budget), and a
// prediction behind them waited for all of them; why not strict priority:
// closed-loop prediction clients keep a prediction always waiting, and
// explanations would never run. Predictions count as waiting for a
// PredictGrace (default 5ms) after their last batch ends, though none is
// queued: closed-loop clients are then between an answer and their next
// request, and on a CPU the server's own work for them (HTTP, JSON,
// tokenising) needs the cores that an explanation batch started now would
// take; so while explanations are over their share, or led the last
// batch, they wait out the grace. Explanation rows do not join a batch led
// by predictions (every prediction of it would pay for their rows);
// predictions join a batch led by explanations when there is room.
//
// A caller whose context ends while its rows wait is answered with the
// context's error and its rows are dropped before they run; the others are
// not affected. A batch already running is not interrupted (it serves
// other callers).
package batching

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/lucid-nlp/lucid/engine"
)

// Mode says how calls of different sequence lengths share batches.
type Mode int

const (
	// Pad pads every row of a batch to its longest row, with attention 0:
	// the fullest batches, at the cost of computing padding.
	Pad Mode = iota
	// Group runs only rows of one sequence length together: no padding,
	// but calls of different lengths wait for separate batches.
	Group
)

// ParseMode reads "pad" or "group".
func ParseMode(s string) (Mode, error) {
	switch s {
	case "pad", "":
		return Pad, nil
	case "group":
		return Group, nil
	}
	return Pad, fmt.Errorf("batching: mode %q: want pad or group", s)
}

func (m Mode) String() string {
	if m == Group {
		return "group"
	}
	return "pad"
}

// Defaults and limits of Options.
const (
	DefaultMaxBatch = 64
	DefaultMaxWait  = 2 * time.Millisecond
	// DefaultMaxQueueRows bounds the rows waiting at once.
	DefaultMaxQueueRows = 1 << 16
)

// Class is the scheduling class of a call; see the package doc.
type Class int

// The classes.
const (
	// Predict is a prediction's rows: they lead batches first.
	Predict Class = iota
	// Explain is an explanation's rows: they get a bounded share.
	Explain
	numClasses
)

func (c Class) String() string {
	if c == Explain {
		return "explain"
	}
	return "predict"
}

type classKey struct{}

// WithClass returns ctx marking the Run calls made under it as class c.
func WithClass(ctx context.Context, c Class) context.Context {
	return context.WithValue(ctx, classKey{}, c)
}

// ClassOf is the class ctx marks (Predict when none).
func ClassOf(ctx context.Context) Class {
	if c, ok := ctx.Value(classKey{}).(Class); ok && c == Explain {
		return Explain
	}
	return Predict
}

// DefaultExplainShare is the share of the wall time that the runtime
// spends on explanation rows while predictions also wait.
const DefaultExplainShare = 0.4

// DefaultPredictGrace is how long after a prediction batch predictions
// still count as waiting; see the package doc.
const DefaultPredictGrace = 5 * time.Millisecond

// shareDecay is the time constant over which the busy time of each class
// is remembered: long enough to span many batches (tens of them at 64
// rows on a CPU), short enough that time spent while the other class was
// away (explanations alone before predictions come) is soon forgotten
// rather than charged against the share for long.
const shareDecay = 250 * time.Millisecond

// ErrQueueFull is returned by Run when the rows waiting would exceed
// Options.MaxQueueRows: the caller should retry later (HTTP 429).
var ErrQueueFull = errors.New("batching: queue full")

// ErrClosed is returned by Run after Close.
var ErrClosed = errors.New("batching: closed")

// BatchInfo describes one batch run, for metrics.
type BatchInfo struct {
	Rows, Calls, SeqLen int
	// Padding is the number of padded positions added to rows shorter
	// than SeqLen (Pad mode).
	Padding int
	Elapsed time.Duration
	Err     error
	// Trigger is why the batch went when it did: TriggerFull, TriggerDue,
	// TriggerAlone or TriggerFree.
	Trigger string
	// Class is the class that led the batch (its oldest call went first);
	// Explain batches may carry prediction rows too.
	Class Class
}

// The triggers of a batch.
const (
	// TriggerFull: the waiting rows filled a batch.
	TriggerFull = "full"
	// TriggerDue: the oldest call had waited MaxWait.
	TriggerDue = "due"
	// TriggerAlone: a lone call on an idle batcher whose last batch
	// served one call (or ended over MaxWait ago) went at once: light
	// traffic, where waiting would only add latency.
	TriggerAlone = "alone"
	// TriggerFree: MaxWait is negative, so calls go as soon as a runner
	// is free.
	TriggerFree = "free"
)

// Options configure a Model.
type Options struct {
	// MaxBatch is the most rows of one batch (default 64). A single call
	// with more rows runs on its own.
	MaxBatch int
	// MaxWait is how long the first waiting call waits for others before
	// its batch runs anyway (default 2ms; 0 means the default, negative
	// means run as soon as a runner is free). A lone call on an idle
	// batcher under light traffic does not wait (TriggerAlone).
	MaxWait time.Duration
	// Concurrency is how many batches run at once (default 1; as many as
	// the model has sessions).
	Concurrency int
	// MaxQueueRows bounds the rows waiting (default DefaultMaxQueueRows).
	MaxQueueRows int
	Mode         Mode
	// ExplainShare is the share of the wall time the runtime spends on
	// explanation rows while predictions also wait (default DefaultExplainShare;
	// values outside (0, 1) take the default).
	ExplainShare float64
	// PredictGrace is how long after a batch with prediction rows
	// predictions still count as waiting, when explanations are over their
	// share or led the last batch (default DefaultPredictGrace; negative:
	// none).
	PredictGrace time.Duration
	// PadID fills padded positions (their attention mask is 0).
	PadID int64
	// OnBatch, when set, is called after every batch (from the goroutine
	// that ran it).
	OnBatch func(BatchInfo)
}

// call is one Run waiting for its rows.
type call struct {
	ctx     context.Context
	b       engine.Batch
	done    chan result
	arrived time.Time
	class   Class
}

type result struct {
	logits engine.Logits
	err    error
}

// Model batches the Run calls of an inner model. Safe for concurrent use.
type Model struct {
	inner engine.Model
	o     Options

	mu    sync.Mutex
	queue []*call
	rows  int // rows in queue
	// classRows is rows by class; busy the decayed seconds the runtime
	// spent on each class's rows, as of busyAt; lastLead the class that
	// led the last batch taken.
	classRows [numClasses]int
	busy      [numClasses]float64
	window    float64 // the decayed seconds of wall time, as of busyAt
	busyAt    time.Time
	lastLead  Class
	// predictEnd is when the last batch with prediction rows finished.
	predictEnd time.Time
	wake       chan struct{} // signalled when a call arrives
	closed     bool

	// lastCalls is the number of calls the last finished batch served (0
	// before the first), lastEnd when it finished: the evidence of
	// whether a lone call has company coming.
	lastCalls int
	lastEnd   time.Time

	slots chan struct{}
	stop  chan struct{}
	wg    sync.WaitGroup
}

// New starts batching inner's Run calls. Close stops it.
func New(inner engine.Model, o Options) *Model {
	if o.MaxBatch <= 0 {
		o.MaxBatch = DefaultMaxBatch
	}
	if o.MaxWait == 0 {
		o.MaxWait = DefaultMaxWait
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 1
	}
	if o.MaxQueueRows <= 0 {
		o.MaxQueueRows = DefaultMaxQueueRows
	}
	if !(o.ExplainShare > 0 && o.ExplainShare < 1) {
		o.ExplainShare = DefaultExplainShare
	}
	if o.PredictGrace == 0 {
		o.PredictGrace = DefaultPredictGrace
	}
	m := &Model{inner: inner, o: o, wake: make(chan struct{}, 1), slots: make(chan struct{}, o.Concurrency), stop: make(chan struct{})}
	m.wg.Add(1)
	go m.dispatch()
	return m
}

// Wrap is New returning an engine.Model that is also an
// engine.EmbeddingModel (and engine.GradientModel) when inner is one (its
// embedding and gradient calls pass through unbatched), so the path and
// gradient methods keep working behind batching.
func Wrap(inner engine.Model, o Options) (engine.Model, *Model) {
	m := New(inner, o)
	if gm, ok := inner.(engine.GradientModel); ok {
		return &gradientModel{embeddingModel{Model: m, em: gm}, gm}, m
	}
	if em, ok := inner.(engine.EmbeddingModel); ok {
		return &embeddingModel{Model: m, em: em}, m
	}
	return m, m
}

// Classed returns inner with its Run calls marked as class c (see
// WithClass), for callers such as an evaluator that run batches under a
// context of their own. It is an engine.EmbeddingModel (and
// engine.GradientModel) when inner is one, their calls passed through.
func Classed(inner engine.Model, c Class) engine.Model {
	cm := &classModel{Model: inner, class: c}
	if gm, ok := inner.(engine.GradientModel); ok {
		return &gradientModel{embeddingModel{Model: cm, em: gm}, gm}
	}
	if em, ok := inner.(engine.EmbeddingModel); ok {
		return &embeddingModel{Model: cm, em: em}
	}
	return cm
}

type classModel struct {
	engine.Model
	class Class
}

func (c *classModel) Run(ctx context.Context, b engine.Batch) (engine.Logits, error) {
	return c.Model.Run(WithClass(ctx, c.class), b)
}

// gradientModel passes the gradient graph through unbatched too, so ig
// keeps its gradient path behind the batcher.
type gradientModel struct {
	embeddingModel
	gm engine.GradientModel
}

func (g *gradientModel) HasGradientGraph() bool { return g.gm.HasGradientGraph() }
func (g *gradientModel) Gradient(ctx context.Context, b engine.EmbedBatch, targets []int, score engine.Score) (engine.Logits, []float32, error) {
	return g.gm.Gradient(ctx, b, targets, score)
}

type embeddingModel struct {
	engine.Model
	em engine.EmbeddingModel
}

func (e *embeddingModel) Hidden() int { return e.em.Hidden() }
func (e *embeddingModel) Embed(ctx context.Context, ids []int64) ([]float32, error) {
	return e.em.Embed(ctx, ids)
}
func (e *embeddingModel) RunEmbeds(ctx context.Context, b engine.EmbedBatch) (engine.Logits, error) {
	return e.em.RunEmbeds(ctx, b)
}

// Labels returns the inner model's labels.
func (m *Model) Labels() []string { return m.inner.Labels() }

// Inner returns the model being batched.
func (m *Model) Inner() engine.Model { return m.inner }

// QueueRows returns the number of rows waiting for a batch.
func (m *Model) QueueRows() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.rows
}

// QueueDepth returns the rows of class c waiting for a batch.
func (m *Model) QueueDepth(c Class) int {
	if c < 0 || c >= numClasses {
		return 0
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.classRows[c]
}

// Close stops the dispatcher after the batches running finish; calls
// still waiting get ErrClosed.
func (m *Model) Close() {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return
	}
	m.closed = true
	q := m.queue
	m.queue, m.rows = nil, 0
	m.classRows = [numClasses]int{}
	m.mu.Unlock()
	close(m.stop)
	for _, c := range q {
		c.done <- result{err: ErrClosed}
	}
	m.wg.Wait()
}

// Run queues b's rows for the next batch and returns their logits.
func (m *Model) Run(ctx context.Context, b engine.Batch) (engine.Logits, error) {
	if err := b.Validate(); err != nil {
		return engine.Logits{}, err
	}
	if err := ctx.Err(); err != nil {
		return engine.Logits{}, err
	}
	c := &call{ctx: ctx, b: b, done: make(chan result, 1), arrived: time.Now(), class: ClassOf(ctx)}
	m.mu.Lock()
	switch {
	case m.closed:
		m.mu.Unlock()
		return engine.Logits{}, ErrClosed
	case m.rows > 0 && m.rows+b.Rows > m.o.MaxQueueRows:
		m.mu.Unlock()
		return engine.Logits{}, fmt.Errorf("%w: %d rows waiting, %d more would pass the limit of %d", ErrQueueFull, m.rows, b.Rows, m.o.MaxQueueRows)
	}
	m.queue = append(m.queue, c)
	m.rows += b.Rows
	m.classRows[c.class] += b.Rows
	m.mu.Unlock()
	select {
	case m.wake <- struct{}{}:
	default:
	}
	select {
	case r := <-c.done:
		return r.logits, r.err
	case <-ctx.Done():
		if m.remove(c) {
			return engine.Logits{}, ctx.Err()
		}
		// Already taken into a batch: its answer comes soon; the caller
		// has gone, so do not wait for it.
		return engine.Logits{}, ctx.Err()
	}
}

// remove takes c out of the queue, reporting whether it was still there.
func (m *Model) remove(c *call) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i, q := range m.queue {
		if q == c {
			m.queue = append(m.queue[:i], m.queue[i+1:]...)
			m.rows -= c.b.Rows
			m.classRows[c.class] -= c.b.Rows
			return true
		}
	}
	return false
}

// dispatch forms batches: it waits for a free runner, then for a first
// call, then for more calls until the batch is full or the oldest call
// has waited MaxWait, and hands the batch to a runner. While every runner is
// busy calls accumulate, so batches grow with the load.
func (m *Model) dispatch() {
	defer m.wg.Done()
	var running sync.WaitGroup
	defer running.Wait()
	for {
		select {
		case m.slots <- struct{}{}:
		case <-m.stop:
			return
		}
		// Wait for a first call, and while only explanations wait within
		// the predictions' grace, for the grace to pass (or a call).
		for {
			for m.QueueRows() == 0 {
				select {
				case <-m.wake:
				case <-m.stop:
					<-m.slots
					return
				}
			}
			d := m.hold()
			if d <= 0 {
				break
			}
			t := time.NewTimer(d)
			select {
			case <-m.wake:
			case <-t.C:
			case <-m.stop:
				t.Stop()
				<-m.slots
				return
			}
			t.Stop()
		}
		// The wait counts from the oldest call's arrival, not from now:
		// calls that queued while every runner was busy have waited
		// already, and go at once.
		trigger := TriggerFull
		switch wait := m.untilDue(); {
		case m.o.MaxWait < 0:
			trigger = TriggerFree
		case m.full():
		case m.alone():
			trigger = TriggerAlone
		case wait <= 0:
			trigger = TriggerDue
		default:
			timer := time.NewTimer(wait)
			trigger = TriggerDue
		wait:
			for {
				if m.full() {
					trigger = TriggerFull
					break
				}
				select {
				case <-m.wake:
				case <-timer.C:
					break wait
				case <-m.stop:
					timer.Stop()
					<-m.slots
					return
				}
			}
			timer.Stop()
		}
		calls, lead := m.take()
		if len(calls) == 0 {
			<-m.slots
			continue
		}
		running.Add(1)
		go func() {
			defer running.Done()
			defer func() { <-m.slots }()
			m.run(calls, trigger, lead)
		}()
	}
}

// alone reports whether the one waiting call should go without waiting
// for company: no other batch is running (only the dispatcher's own slot
// is taken), and the last batch served a single call, or finished more
// than MaxWait ago. Under concurrent load batches serve several calls and
// their callers come back within MaxWait, so waiting goes on filling
// batches; under light load a lone request is not delayed by MaxWait.
// Before the first batch there is no evidence, and the call waits.
func (m *Model) alone() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.queue) != 1 || len(m.slots) != 1 || m.lastCalls == 0 {
		return false
	}
	return m.lastCalls == 1 || time.Since(m.lastEnd) > m.o.MaxWait
}

// leaderLocked is the class that leads the next batch: the one waiting
// if only one is; else predictions, unless the explanations' share of the
// recent busy time is under ExplainShare and the last batch was not
// theirs. m.mu is held.
func (m *Model) leaderLocked() Class {
	switch {
	case m.classRows[Explain] == 0:
		return Predict
	case m.classRows[Predict] == 0:
		return Explain
	case m.lastLead == Explain:
		return Predict
	}
	if !m.explainOverShareLocked() {
		return Explain
	}
	return Predict
}

// explainOverShareLocked reports whether the explanations' recent busy
// time is at least ExplainShare of the recent wall time (both decaying
// over shareDecay). Wall time, not the runtime's busy time: on a CPU the
// server's own work for predictions leaves the runtime idle between their
// batches, and a share of busy time would then shrink with it. m.mu is
// held.
func (m *Model) explainOverShareLocked() bool {
	m.decayLocked(time.Now())
	return m.busy[Explain] >= m.o.ExplainShare*m.window
}

// hold is how long explanation rows, the only rows waiting, should wait
// for predictions still in their grace (see the package doc); 0 if they
// should go now.
func (m *Model) hold() time.Duration {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.o.PredictGrace <= 0 || m.classRows[Predict] > 0 || m.classRows[Explain] == 0 || m.predictEnd.IsZero() {
		return 0
	}
	left := m.o.PredictGrace - time.Since(m.predictEnd)
	if left <= 0 {
		return 0
	}
	if m.lastLead == Explain {
		return left
	}
	if m.explainOverShareLocked() {
		return left
	}
	return 0
}

// decayLocked ages the busy times to now. m.mu is held.
func (m *Model) decayLocked(now time.Time) {
	if !m.busyAt.IsZero() {
		f := math.Exp(-float64(now.Sub(m.busyAt)) / float64(shareDecay))
		for i := range m.busy {
			m.busy[i] *= f
		}
		m.window = m.window*f + shareDecay.Seconds()*(1-f)
	}
	m.busyAt = now
}

// firstLocked is the index of the oldest call of class c, or -1. m.mu is
// held.
func (m *Model) firstLocked(c Class) int {
	for i, q := range m.queue {
		if q.class == c {
			return i
		}
	}
	return -1
}

// untilDue is how long until the oldest waiting call of the leading
// class has waited MaxWait.
func (m *Model) untilDue() time.Duration {
	if m.o.MaxWait <= 0 {
		return 0
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	i := m.firstLocked(m.leaderLocked())
	if i < 0 {
		return 0
	}
	return time.Until(m.queue[i].arrived.Add(m.o.MaxWait))
}

// joins reports whether a call of class c may join a batch led by lead:
// predictions join any batch, explanations only their own.
func joins(c, lead Class) bool { return c == lead || c == Predict }

// full reports whether the rows that may join the next batch fill it (in
// Group mode: those of the leading call's length).
func (m *Model) full() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	lead := m.leaderLocked()
	i := m.firstLocked(lead)
	if i < 0 {
		return false
	}
	seq, n := m.queue[i].b.SeqLen, 0
	for _, c := range m.queue {
		if joins(c.class, lead) && (m.o.Mode != Group || c.b.SeqLen == seq) {
			n += c.b.Rows
		}
	}
	return n >= m.o.MaxBatch
}

// take removes the calls of the next batch from the queue, whole calls
// only, up to MaxBatch rows (a first call with more rows goes alone), and
// returns them with the class that led; calls whose context has ended are
// answered and dropped. The leading class's oldest call always goes, its
// other calls join next, then (in a batch led by explanations)
// predictions. In Group mode only calls of the first call's length join
// it. In Pad mode, when more rows may join than a batch holds, the calls
// nearest the first call's length join first (within each class): a
// batch costs its longest row times its rows, so a batch of like lengths
// wastes little on padding, and no call waits long, since every call is
// the oldest of its class in turn.
func (m *Model) take() ([]*call, Class) {
	m.mu.Lock()
	defer m.mu.Unlock()
	live := m.queue[:0]
	for _, c := range m.queue {
		if c.ctx.Err() != nil {
			m.rows -= c.b.Rows
			m.classRows[c.class] -= c.b.Rows
			c.done <- result{err: c.ctx.Err()}
			continue
		}
		live = append(live, c)
	}
	clear(m.queue[len(live):])
	m.queue = live
	if len(live) == 0 {
		return nil, Predict
	}
	lead := m.leaderLocked()
	first := m.firstLocked(lead)
	// candidates in the order they may join the first call.
	candidates := []int{first}
	eligible := live[first].b.Rows
	for i, c := range live {
		if i != first && joins(c.class, lead) {
			candidates = append(candidates, i)
			eligible += c.b.Rows
		}
	}
	seq := live[first].b.SeqLen
	if m.o.Mode == Pad && eligible > m.o.MaxBatch {
		rank := func(i int) int {
			r := abs(live[i].b.SeqLen - seq)
			if live[i].class != lead {
				r += 1 << 30
			}
			return r
		}
		slices.SortStableFunc(candidates[1:], func(a, b int) int { return rank(a) - rank(b) })
	}
	chosen := make([]bool, len(live))
	rows := 0
	for _, i := range candidates {
		c := live[i]
		switch {
		case m.o.Mode == Group && c.b.SeqLen != seq, rows > 0 && rows+c.b.Rows > m.o.MaxBatch, rows >= m.o.MaxBatch:
			continue
		}
		chosen[i] = true
		rows += c.b.Rows
	}
	var taken []*call
	kept := live[:0]
	for i, c := range live {
		if chosen[i] {
			taken = append(taken, c)
			m.rows -= c.b.Rows
			m.classRows[c.class] -= c.b.Rows
		} else {
			kept = append(kept, c)
		}
	}
	clear(m.queue[len(kept):])
	m.queue = kept
	m.lastLead = lead
	return taken, lead
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// run runs one batch of calls and answers each.
func (m *Model) run(calls []*call, trigger string, lead Class) {
	info := BatchInfo{Calls: len(calls), Trigger: trigger, Class: lead}
	var b engine.Batch
	if len(calls) == 1 {
		b = calls[0].b
	} else {
		b, info.Padding = m.concat(calls)
	}
	info.Rows, info.SeqLen = b.Rows, b.SeqLen
	start := time.Now()
	// The batch serves several callers, so it runs under none of their
	// contexts: one caller giving up must not fail the others.
	logits, err := m.inner.Run(context.Background(), b)
	info.Elapsed = time.Since(start)
	if logits.Elapsed > 0 {
		info.Elapsed = logits.Elapsed
	}
	info.Err = err
	if err == nil && (logits.Rows != b.Rows || len(logits.Data) != logits.Rows*logits.Labels) {
		err = fmt.Errorf("batching: the model returned %d rows of logits (%d values) for a batch of %d rows", logits.Rows, len(logits.Data), b.Rows)
	}
	m.mu.Lock()
	m.lastCalls, m.lastEnd = len(calls), time.Now()
	// Each class is charged the batch's time in proportion to its rows.
	m.decayLocked(m.lastEnd)
	for _, c := range calls {
		m.busy[c.class] += info.Elapsed.Seconds() * float64(c.b.Rows) / float64(b.Rows)
		if c.class == Predict {
			m.predictEnd = m.lastEnd
		}
	}
	m.mu.Unlock()
	at := 0
	for _, c := range calls {
		if err != nil {
			c.done <- result{err: err}
			continue
		}
		out := engine.Logits{Rows: c.b.Rows, Labels: logits.Labels,
			Data:    append([]float32(nil), logits.Data[at*logits.Labels:(at+c.b.Rows)*logits.Labels]...),
			Elapsed: info.Elapsed * time.Duration(c.b.Rows) / time.Duration(b.Rows)}
		at += c.b.Rows
		c.done <- result{logits: out}
	}
	if m.o.OnBatch != nil {
		m.o.OnBatch(info)
	}
}

// concat stacks the calls' rows into one batch padded to the longest row,
// returning it and the number of padded positions added.
func (m *Model) concat(calls []*call) (engine.Batch, int) {
	rows, seq := 0, 0
	types := false
	for _, c := range calls {
		rows += c.b.Rows
		seq = max(seq, c.b.SeqLen)
		types = types || c.b.TokenTypeIDs != nil
	}
	b := engine.Batch{Rows: rows, SeqLen: seq, InputIDs: make([]int64, rows*seq), AttentionMask: make([]int64, rows*seq)}
	if types {
		b.TokenTypeIDs = make([]int64, rows*seq)
	}
	r, padding := 0, 0
	for _, c := range calls {
		for i := range c.b.Rows {
			src := i * c.b.SeqLen
			dst := r * seq
			copy(b.InputIDs[dst:], c.b.InputIDs[src:src+c.b.SeqLen])
			copy(b.AttentionMask[dst:], c.b.AttentionMask[src:src+c.b.SeqLen])
			if c.b.TokenTypeIDs != nil {
				copy(b.TokenTypeIDs[dst:], c.b.TokenTypeIDs[src:src+c.b.SeqLen])
			}
			for j := c.b.SeqLen; j < seq; j++ {
				b.InputIDs[dst+j] = m.o.PadID
			}
			padding += seq - c.b.SeqLen
			r++
		}
	}
	return b, padding
}
