package consistency

import (
	"github.com/lucid-nlp/lucid/fairness/scoring"

	"container/heap"
	"context"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"sort"
)

// Expectation is what a test expects of the model's output on the edited
// text, compared with the original. Δp is p(target | edited) − p(target |
// original).
type Expectation int

const (
	// Invariant: the predicted label stays the same.
	Invariant Expectation = iota
	// Decrease: Δp < 0.
	Decrease
	// Increase: Δp > 0.
	Increase
	// TowardPrediction: the target's probability moves further in the
	// direction of the original prediction: up if the target was the
	// predicted label, down otherwise (for a binary model, away from 0.5).
	// What an intensifier should do.
	TowardPrediction
	// AgainstPrediction: the opposite, down if the target was predicted
	// and up otherwise. What a negation should do: for a text predicted
	// positive, the positive score goes down.
	AgainstPrediction
)

var expectationNames = [...]string{"invariant", "decrease", "increase", "toward-prediction", "against-prediction"}

func (e Expectation) String() string {
	if e < 0 || int(e) >= len(expectationNames) {
		return fmt.Sprintf("Expectation(%d)", int(e))
	}
	return expectationNames[e]
}

// MarshalText writes the expectation's name.
func (e Expectation) MarshalText() ([]byte, error) { return []byte(e.String()), nil }

// Test is one behavioural test: an edit and what it should do.
type Test struct {
	Name   string
	Edit   Edit
	Expect Expectation
}

// DefaultTests are the built-in tests: eight invariance edits, then the
// two directional ones.
func DefaultTests() []Test {
	return []Test{
		{"typo", Typo, Invariant},
		{"punctuation", Punctuation, Invariant},
		{"lowercase", Lowercase, Invariant},
		{"titlecase", TitleCase, Invariant},
		{"expand-contractions", ExpandContractions, Invariant},
		{"contract", Contract, Invariant},
		{"names-places", NamesPlaces, Invariant},
		{"whitespace", ExtraWhitespace, Invariant},
		{"negation", AddNegation, AgainstPrediction},
		{"intensifier", AddIntensifier, TowardPrediction},
	}
}

// DefaultExamples is how many failing examples a test keeps when none is
// set.
const DefaultExamples = 5

// Config sets up a Runner.
type Config struct {
	// Tests to run; nil means DefaultTests().
	Tests []Test
	// Target is the label whose probability Δp is measured on; empty
	// means the label named "positive", or else the last label.
	Target string
	// Seed seeds the edits' random choices.
	Seed uint64
	// BatchSize is how many texts (originals and edits together) go to
	// the classifier per call; 0 means DefaultBatchSize.
	BatchSize int
	// Examples is how many failing examples each test keeps, the worst
	// first; 0 means DefaultExamples, a negative value keeps none.
	Examples int
}

// Runner runs behavioural tests over a stream of texts: Add each text,
// then read Result. Each text's edits are scored together with it, in
// full batches. The edits a text gets depend only on the seed, the test's
// name and the text, not on its place in the stream. A Runner is not safe
// for concurrent use.
type Runner struct {
	clf     Classifier
	labels  []string
	target  int
	tests   []Test
	seed    uint64
	keep    int
	b       *scoring.Batcher
	texts   int
	nextSeq int
	acc     []testAcc
}

type pending struct {
	seq    int
	text   string
	tests  []int // test index of each edited row
	edited []string
}

type testAcc struct {
	notApplicable, tested, failures int
	sumAbs, sum                     float64
	worst                           exampleHeap
}

// NewRunner checks the configuration against the classifier's labels.
func NewRunner(clf Classifier, cfg Config) (*Runner, error) {
	labels := clf.Labels()
	t, err := scoring.TargetIndex(labels, cfg.Target)
	if err != nil {
		return nil, err
	}
	tests := cfg.Tests
	if tests == nil {
		tests = DefaultTests()
	}
	if len(tests) == 0 {
		return nil, fmt.Errorf("consistency: no tests to run")
	}
	names := make(map[string]bool, len(tests))
	for i, ts := range tests {
		switch {
		case ts.Name == "":
			return nil, fmt.Errorf("consistency: test %d has no name", i+1)
		case names[ts.Name]:
			return nil, fmt.Errorf("consistency: test %q is listed twice", ts.Name)
		case ts.Edit == nil:
			return nil, fmt.Errorf("consistency: test %q has no edit", ts.Name)
		case ts.Expect < Invariant || ts.Expect > AgainstPrediction:
			return nil, fmt.Errorf("consistency: test %q: unknown expectation %d", ts.Name, int(ts.Expect))
		}
		names[ts.Name] = true
	}
	size := cfg.BatchSize
	switch {
	case size == 0:
		size = scoring.DefaultBatchSize
	case size < 0:
		return nil, fmt.Errorf("consistency: batch size %d is negative", size)
	}
	keep := cfg.Examples
	switch {
	case keep == 0:
		keep = DefaultExamples
	case keep < 0:
		keep = 0
	}
	return &Runner{
		clf:    clf,
		labels: append([]string(nil), labels...),
		target: t,
		tests:  append([]Test(nil), tests...),
		seed:   cfg.Seed,
		keep:   keep,
		b:      scoring.NewBatcher(clf, size, len(labels)),
		acc:    make([]testAcc, len(tests)),
	}, nil
}

// Add applies every test's edit to text, queues the original with the
// edits that apply and scores whatever full batches are ready. If scoring
// fails the texts stay queued, and a later Add, Flush or Result tries them
// again.
func (r *Runner) Add(ctx context.Context, text string) error {
	r.texts++
	p := pending{seq: r.nextSeq, text: text}
	r.nextSeq++
	for i, ts := range r.tests {
		edited, ok := ts.Edit(text, r.rng(ts.Name, text))
		if !ok || edited == text {
			// An edit that changes nothing tests nothing.
			r.acc[i].notApplicable++
			continue
		}
		p.tests = append(p.tests, i)
		p.edited = append(p.edited, edited)
	}
	if len(p.tests) == 0 {
		return nil
	}
	r.b.Add(append([]string{text}, p.edited...), func(probs [][]float64) { r.account(p, probs) })
	return r.b.Run(ctx, false)
}

// rng is the random source of one test on one text.
func (r *Runner) rng(test, text string) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(test))
	h.Write([]byte{0})
	h.Write([]byte(text))
	return rand.New(rand.NewPCG(r.seed, h.Sum64()))
}

// Flush scores every queued text, even if that leaves a batch short.
func (r *Runner) Flush(ctx context.Context) error { return r.b.Run(ctx, true) }

func (r *Runner) account(p pending, probs [][]float64) {
	po := probs[0]
	lo := scoring.Argmax(po)
	// sign is +1 when the target is the original prediction: the
	// direction "toward the prediction" for the target's probability.
	sign := -1.0
	if lo == r.target {
		sign = 1
	}
	for k, ti := range p.tests {
		pe := probs[1+k]
		le := scoring.Argmax(pe)
		d := pe[r.target] - po[r.target]
		var fail bool
		var badness float64 // how far the failure went the wrong way
		switch r.tests[ti].Expect {
		case Invariant:
			fail, badness = le != lo, math.Abs(d)
		case Decrease:
			fail, badness = !(d < 0), d
		case Increase:
			fail, badness = !(d > 0), -d
		case TowardPrediction:
			fail, badness = !(sign*d > 0), -sign*d
		case AgainstPrediction:
			fail, badness = !(sign*d < 0), sign*d
		}
		a := &r.acc[ti]
		a.tested++
		a.sum += d
		a.sumAbs += math.Abs(d)
		if !fail {
			continue
		}
		a.failures++
		if r.keep == 0 {
			continue
		}
		h := &held{seq: p.seq, badness: badness}
		if len(a.worst) == r.keep && !h.before(a.worst[0]) {
			continue
		}
		h.Example = Example{
			Original:      p.text,
			Edited:        p.edited[k],
			OriginalProbs: append([]float64(nil), po...),
			EditedProbs:   append([]float64(nil), pe...),
			OriginalLabel: r.labels[lo],
			EditedLabel:   r.labels[le],
			Delta:         d,
		}
		if len(a.worst) < r.keep {
			heap.Push(&a.worst, h)
		} else {
			a.worst[0] = h
			heap.Fix(&a.worst, 0)
		}
	}
}

// Result scores what is still queued and returns the report so far. The
// runner can go on taking texts afterwards.
func (r *Runner) Result(ctx context.Context) (Result, error) {
	if err := r.Flush(ctx); err != nil {
		return Result{}, err
	}
	res := Result{Target: r.labels[r.target], Labels: append([]string(nil), r.labels...), Texts: r.texts}
	for i, ts := range r.tests {
		a := &r.acc[i]
		tr := TestResult{
			Name:          ts.Name,
			Expect:        ts.Expect,
			NotApplicable: a.notApplicable,
			Tested:        a.tested,
			Failures:      a.failures,
			FailureCI:     Wilson(a.failures, a.tested, Z95),
		}
		if a.tested > 0 {
			n := float64(a.tested)
			tr.FailureRate = float64(a.failures) / n
			tr.PassRate = 1 - tr.FailureRate
			tr.MeanAbsDelta, tr.MeanDelta = a.sumAbs/n, a.sum/n
		}
		hs := append([]*held(nil), a.worst...)
		sort.Slice(hs, func(i, j int) bool { return hs[i].before(hs[j]) })
		for _, h := range hs {
			tr.Examples = append(tr.Examples, h.Example)
		}
		res.Tests = append(res.Tests, tr)
	}
	return res, nil
}

// Result is a Runner's report.
type Result struct {
	Target string   `json:"target"`
	Labels []string `json:"labels"`
	// Texts is the number of texts added.
	Texts int          `json:"texts"`
	Tests []TestResult `json:"tests"`
}

// TestResult is one test's outcome. A failure is, for an invariance test,
// a change of predicted label; for a directional test, a Δp that is not
// strictly in the expected direction (no move at all fails too).
type TestResult struct {
	Name   string      `json:"name"`
	Expect Expectation `json:"expect"`
	// NotApplicable counts texts the edit did not apply to; Tested those
	// it did.
	NotApplicable int `json:"not_applicable"`
	Tested        int `json:"tested"`
	Failures      int `json:"failures"`
	// FailureRate is Failures / Tested (0 when nothing was tested), with
	// its Wilson 95% interval; PassRate is 1 − FailureRate, for a
	// directional test the rate of moving in the expected direction.
	FailureRate float64  `json:"failure_rate"`
	FailureCI   Interval `json:"failure_ci"`
	PassRate    float64  `json:"pass_rate"`
	// MeanAbsDelta and MeanDelta are the mean |Δp| and Δp over the tested
	// texts.
	MeanAbsDelta float64 `json:"mean_abs_delta"`
	MeanDelta    float64 `json:"mean_delta"`
	// Examples are failing examples, those that went furthest the wrong
	// way first (largest |Δp| for invariance).
	Examples []Example `json:"examples,omitempty"`
}

// Example is one failing text and its edit, with both predictions.
type Example struct {
	Original      string    `json:"original"`
	Edited        string    `json:"edited"`
	OriginalProbs []float64 `json:"original_probabilities"`
	EditedProbs   []float64 `json:"edited_probabilities"`
	OriginalLabel string    `json:"original_label"`
	EditedLabel   string    `json:"edited_label"`
	Delta         float64   `json:"delta"`
}

type held struct {
	Example
	seq     int
	badness float64
}

// before ranks failures: further the wrong way first, then earlier in the
// stream, so the examples kept do not depend on batching.
func (h *held) before(o *held) bool {
	if h.badness != o.badness {
		return h.badness > o.badness
	}
	return h.seq < o.seq
}

// exampleHeap is a min-heap whose root is the kept example a worse one
// replaces.
type exampleHeap []*held

func (h exampleHeap) Len() int           { return len(h) }
func (h exampleHeap) Less(i, j int) bool { return h[j].before(h[i]) }
func (h exampleHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *exampleHeap) Push(x any)        { *h = append(*h, x.(*held)) }
func (h *exampleHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
