package global

import (
	"cmp"
	"container/heap"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strings"

	"golang.org/x/text/cases"

	"github.com/lucid-nlp/lucid/attribution"
	"github.com/lucid-nlp/lucid/fairness/stats"
	"github.com/lucid-nlp/lucid/internal/gobsnap"
	"github.com/lucid-nlp/lucid/internal/shorten"
)

const (
	// DefaultMaxWords is the default cap on word types kept.
	DefaultMaxWords = 100_000
	// MaxMaxWords bounds Options.MaxWords, so the cap's memory is
	// bounded before anything is read.
	MaxMaxWords = 10_000_000
	// Examples is how many example texts each word keeps.
	Examples = 3
	// ExampleBytes is the most bytes of an example text kept (cut at a
	// character boundary, marked with "…"): examples illustrate, and a
	// long text kept for each of 100,000 words would not be bounded.
	ExampleBytes = 240
)

// Options describe the explanations an Accumulator aggregates. Two
// Accumulators merge only when their Options are equal.
type Options struct {
	// Labels are the model's labels, in index order; every explanation
	// added must attribute each of them.
	Labels []string
	// CaseSensitive keeps words as written; by default they are
	// case-folded (Unicode full case folding: "The" and "THE" are "the").
	CaseSensitive bool
	// MaxWords caps the word types kept (0: DefaultMaxWords).
	MaxWords int
	// Model, Method, Output, Features and Budget describe how the
	// explanations were made; they are reported, and must agree to merge.
	Model    string
	Method   string
	Output   string
	Features string
	Budget   int
}

func (o *Options) check() error {
	if len(o.Labels) < 1 {
		return errors.New("global: Options.Labels is empty: name the model's labels")
	}
	if o.MaxWords == 0 {
		o.MaxWords = DefaultMaxWords
	}
	if o.MaxWords < 1 || o.MaxWords > MaxMaxWords {
		return fmt.Errorf("global: MaxWords %d: want 1 to %d", o.MaxWords, MaxMaxWords)
	}
	return nil
}

func (o Options) equal(p Options) bool {
	return slices.Equal(o.Labels, p.Labels) && o.CaseSensitive == p.CaseSensitive && o.MaxWords == p.MaxWords &&
		o.Model == p.Model && o.Method == p.Method && o.Output == p.Output && o.Features == p.Features && o.Budget == p.Budget
}

// Accumulator aggregates explanations word by word. Not safe for
// concurrent use: make one per worker and Merge.
type Accumulator struct {
	opt   Options
	words map[string]*wordStats
	// byHash is a max-heap of the kept words by (hash, word): the one to
	// evict when the cap is passed.
	byHash wordHeap
	// cut is set once a type has been dropped; then bound is the smallest
	// (hash, word) dropped, and a type above it is never kept (MaxWords
	// types below it have been seen).
	cut   bool
	bound wordKey

	texts, failed, occurrences, dropped, evaluations int
	// partial: some texts of the input were never added (an
	// interrupted run); it survives encoding and merging.
	partial bool
	fold    cases.Caser
}

// wordKey orders word types for the cap: by hash, ties by the word.
type wordKey struct {
	hash uint64
	word string
}

func (k wordKey) compare(o wordKey) int {
	if c := cmp.Compare(k.hash, o.hash); c != 0 {
		return c
	}
	return strings.Compare(k.word, o.word)
}

type wordStats struct {
	key wordKey
	n   int
	// attr[l] holds the attributions towards label l (sum, sum of
	// squares, signs: exact); abs[l] the sum of their absolute values.
	attr     []*stats.PairedStream
	abs      []stats.ExactSum
	examples []example // at most Examples, sorted by (hash, text)
	heapAt   int
}

type example struct {
	Hash uint64
	Text string
}

func (e example) compare(o example) int {
	if c := cmp.Compare(e.Hash, o.Hash); c != 0 {
		return c
	}
	return strings.Compare(e.Text, o.Text)
}

type wordHeap []*wordStats

func (h wordHeap) Len() int           { return len(h) }
func (h wordHeap) Less(i, j int) bool { return h[i].key.compare(h[j].key) > 0 }
func (h wordHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].heapAt, h[j].heapAt = i, j
}
func (h *wordHeap) Push(x any) {
	w := x.(*wordStats)
	w.heapAt = len(*h)
	*h = append(*h, w)
}
func (h *wordHeap) Pop() any {
	old := *h
	w := old[len(old)-1]
	*h = old[:len(old)-1]
	return w
}

// New starts an empty Accumulator.
func New(opt Options) (*Accumulator, error) {
	opt.Labels = slices.Clone(opt.Labels)
	if err := opt.check(); err != nil {
		return nil, err
	}
	return &Accumulator{opt: opt, words: map[string]*wordStats{}, fold: cases.Fold()}, nil
}

// Options returns the Accumulator's options (defaults filled in).
func (a *Accumulator) Options() Options {
	o := a.opt
	o.Labels = slices.Clone(o.Labels)
	return o
}

// hash64 is FNV-1a 64 with a final mix, so nearby strings spread over
// the whole range: fixed, so every machine ranks words and texts alike.
func hash64(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	x := h.Sum64()
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}

// Add aggregates one explanation. It must attribute every label: either
// r.Labels holds them all (an explanation with Request.AllTargets), or
// the model has one label and r explains it. An explanation of one label
// of several is refused: use AddLabels with one result per label.
func (a *Accumulator) Add(r *attribution.Result) error {
	if r == nil {
		return errors.New("global: Add: nil result")
	}
	if len(r.Labels) == 0 {
		if len(a.opt.Labels) != 1 {
			return fmt.Errorf("global: explanation of %q attributes only label %q of %d: explain every label (Request.AllTargets) or use AddLabels",
				shorten.Bytes(r.Text, 60), r.Target, len(a.opt.Labels))
		}
		return a.AddLabels([]*attribution.Result{r})
	}
	if len(r.Labels) != len(a.opt.Labels) {
		return fmt.Errorf("global: explanation of %q attributes %d labels, the model has %d", shorten.Bytes(r.Text, 60), len(r.Labels), len(a.opt.Labels))
	}
	attrs := make([][]float64, len(a.opt.Labels))
	for i, la := range r.Labels {
		if la.Index != i || la.Label != a.opt.Labels[i] {
			return fmt.Errorf("global: explanation of %q: label %d is %q (index %d), want %q", shorten.Bytes(r.Text, 60), i, la.Label, la.Index, a.opt.Labels[i])
		}
		if len(la.Attributions) != len(r.Features) {
			return fmt.Errorf("global: explanation of %q: label %q has %d attributions for %d features", shorten.Bytes(r.Text, 60), la.Label, len(la.Attributions), len(r.Features))
		}
		attrs[i] = la.Attributions
	}
	a.add(r.Text, r.Features, attrs, r.Evaluations)
	return nil
}

// AddLabels aggregates one text explained once per label: rs[i] explains
// label i, all of the same text over the same features (methods that
// follow one label at a time, such as ig).
func (a *Accumulator) AddLabels(rs []*attribution.Result) error {
	if len(rs) != len(a.opt.Labels) {
		return fmt.Errorf("global: AddLabels: %d results for %d labels", len(rs), len(a.opt.Labels))
	}
	attrs := make([][]float64, len(rs))
	evals := 0
	for i, r := range rs {
		if r == nil {
			return fmt.Errorf("global: AddLabels: result %d is nil", i)
		}
		if r.TargetIndex != i {
			return fmt.Errorf("global: AddLabels: result %d explains label %q (index %d), want %q", i, r.Target, r.TargetIndex, a.opt.Labels[i])
		}
		if r.Text != rs[0].Text || !sameFeatures(r.Features, rs[0].Features) {
			return fmt.Errorf("global: AddLabels: result %d is of another text or other features than result 0 (%q)", i, shorten.Bytes(rs[0].Text, 60))
		}
		attrs[i] = make([]float64, len(r.Features))
		for j, f := range r.Features {
			attrs[i][j] = f.Attribution
		}
		evals += r.Evaluations
	}
	a.add(rs[0].Text, rs[0].Features, attrs, evals)
	return nil
}

func sameFeatures(a, b []attribution.FeatureAttribution) bool {
	return slices.EqualFunc(a, b, func(x, y attribution.FeatureAttribution) bool {
		return x.Text == y.Text && x.ByteStart == y.ByteStart && x.ByteEnd == y.ByteEnd
	})
}

// Failed counts a text that could not be explained.
func (a *Accumulator) Failed() { a.failed++ }

// MarkPartial records that the run feeding a stopped before the end of
// its input; a Report of a, or of anything a is merged into, is partial.
func (a *Accumulator) MarkPartial() { a.partial = true }

// add aggregates a text's features; attrs[l][j] is feature j's
// attribution towards label l.
func (a *Accumulator) add(text string, feats []attribution.FeatureAttribution, attrs [][]float64, evals int) {
	a.texts++
	a.evaluations += evals
	// Cloned (once, shared by the text's words): a slice would keep the
	// whole text alive.
	ex := example{Hash: hash64(text), Text: strings.Clone(clipExample(text))}
	for j, f := range feats {
		word := a.word(f.Text)
		if word == "" {
			continue
		}
		a.occurrences++
		w := a.keep(word)
		if w == nil {
			a.dropped++
			continue
		}
		w.n++
		for l := range attrs {
			v := attrs[l][j]
			w.attr[l].Add(v)
			w.abs[l].Add(abs(v))
		}
		w.offer(ex)
	}
}

func abs(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}

// word is a feature's word type: trimmed and, unless CaseSensitive,
// case-folded.
func (a *Accumulator) word(s string) string {
	s = strings.TrimSpace(s)
	if a.opt.CaseSensitive || s == "" {
		return s
	}
	return a.fold.String(s)
}

// keep returns word's stats, making them if the cap allows, or nil when
// the word is not among the kept types.
func (a *Accumulator) keep(word string) *wordStats {
	if w := a.words[word]; w != nil {
		return w
	}
	k := wordKey{hash: hash64(word), word: word}
	if a.cut && k.compare(a.bound) > 0 {
		return nil
	}
	// A copy: word may be a slice of the text, which must not stay alive.
	k.word = strings.Clone(word)
	w := a.newWord(k)
	a.insert(w)
	if w.heapAt < 0 { // inserted and evicted at once
		return nil
	}
	return w
}

func (a *Accumulator) newWord(k wordKey) *wordStats {
	n := len(a.opt.Labels)
	w := &wordStats{key: k, attr: make([]*stats.PairedStream, n), abs: make([]stats.ExactSum, n)}
	for l := range w.attr {
		w.attr[l] = stats.NewPairedStream(0, 0)
	}
	return w
}

// insert adds a new word type and, past the cap, drops the type with the
// largest key (perhaps w itself, whose heapAt is then -1).
func (a *Accumulator) insert(w *wordStats) {
	a.words[w.key.word] = w
	heap.Push(&a.byHash, w)
	if len(a.byHash) <= a.opt.MaxWords {
		return
	}
	out := heap.Pop(&a.byHash).(*wordStats)
	out.heapAt = -1
	delete(a.words, out.key.word)
	a.dropped += out.n
	if !a.cut || out.key.compare(a.bound) < 0 {
		a.cut, a.bound = true, out.key
	}
}

// offer keeps e if it is among the Examples smallest of the word's.
func (w *wordStats) offer(e example) {
	i, found := slices.BinarySearchFunc(w.examples, e, example.compare)
	if found || i >= Examples {
		return
	}
	w.examples = slices.Insert(w.examples, i, e)
	if len(w.examples) > Examples {
		w.examples = w.examples[:Examples]
	}
}

// Merge adds o's explanations into a; o is unchanged. Their Options must
// be equal.
func (a *Accumulator) Merge(o *Accumulator) error {
	if !a.opt.equal(o.opt) {
		return fmt.Errorf("global: merging accumulators of different options (%+v into %+v)", o.opt, a.opt)
	}
	if a == o {
		return errors.New("global: merging an accumulator into itself")
	}
	a.texts += o.texts
	a.failed += o.failed
	a.occurrences += o.occurrences
	a.dropped += o.dropped
	a.evaluations += o.evaluations
	a.partial = a.partial || o.partial
	if o.cut && (!a.cut || o.bound.compare(a.bound) < 0) {
		a.cut, a.bound = true, o.bound
	}
	// Drop a's types above the merged bound: o never counted them.
	if a.cut {
		for len(a.byHash) > 0 && a.byHash[0].key.compare(a.bound) > 0 {
			out := heap.Pop(&a.byHash).(*wordStats)
			out.heapAt = -1
			delete(a.words, out.key.word)
			a.dropped += out.n
		}
	}
	// o's words in key order, so the result does not depend on map order.
	ws := make([]*wordStats, 0, len(o.words))
	for _, w := range o.words {
		ws = append(ws, w)
	}
	slices.SortFunc(ws, func(x, y *wordStats) int { return x.key.compare(y.key) })
	for _, ow := range ws {
		w := a.words[ow.key.word]
		if w == nil {
			if a.cut && ow.key.compare(a.bound) > 0 {
				a.dropped += ow.n
				continue
			}
			w = a.newWord(ow.key)
			a.insert(w)
			if w.heapAt < 0 {
				a.dropped += ow.n
				continue
			}
		}
		w.n += ow.n
		for l := range w.attr {
			if err := w.attr[l].Merge(ow.attr[l]); err != nil {
				return err
			}
			w.abs[l].Merge(&ow.abs[l])
		}
		for _, e := range ow.examples {
			w.offer(e)
		}
	}
	return nil
}

// clipExample shortens an example text to ExampleBytes.
func clipExample(s string) string {
	if len(s) <= ExampleBytes {
		return s
	}
	return shorten.Prefix(s, ExampleBytes-len("…")) + "…"
}

// snapshot is the gob form of an Accumulator: words sorted by key, so
// equal accumulators encode to equal bytes.
type snapshot struct {
	Opt                                              Options
	Cut, Partial                                     bool
	BoundHash                                        uint64
	BoundWord                                        string
	Texts, Failed, Occurrences, Dropped, Evaluations int
	Words                                            []wordSnap
}

type wordSnap struct {
	Word     string
	N        int
	Attr     []*stats.PairedStream
	Abs      []stats.ExactSum
	Examples []example
}

// MarshalBinary encodes the Accumulator (options included).
func (a *Accumulator) MarshalBinary() ([]byte, error) {
	s := snapshot{Opt: a.opt, Cut: a.cut, Partial: a.partial, BoundHash: a.bound.hash, BoundWord: a.bound.word, Texts: a.texts, Failed: a.failed,
		Occurrences: a.occurrences, Dropped: a.dropped, Evaluations: a.evaluations, Words: make([]wordSnap, 0, len(a.words))}
	for _, w := range a.sorted() {
		s.Words = append(s.Words, wordSnap{Word: w.key.word, N: w.n, Attr: w.attr, Abs: w.abs, Examples: w.examples})
	}
	return gobsnap.Encode("global", "an Accumulator", s)
}

// UnmarshalBinary replaces a with the Accumulator MarshalBinary wrote,
// refusing data that is not a consistent encoding of one.
func (a *Accumulator) UnmarshalBinary(data []byte) error {
	var s snapshot
	if err := gobsnap.Decode("global", "an Accumulator", data, &s); err != nil {
		return err
	}
	d, err := New(s.Opt)
	if err != nil {
		return fmt.Errorf("global: decoding an Accumulator: %w", err)
	}
	if s.Texts < 0 || s.Failed < 0 || s.Occurrences < 0 || s.Dropped < 0 || s.Evaluations < 0 || s.Dropped > s.Occurrences {
		return fmt.Errorf("global: decoding an Accumulator: bad counts (texts %d, failed %d, occurrences %d, dropped %d, evaluations %d)",
			s.Texts, s.Failed, s.Occurrences, s.Dropped, s.Evaluations)
	}
	if len(s.Words) > d.opt.MaxWords {
		return fmt.Errorf("global: decoding an Accumulator: %d words above the cap of %d", len(s.Words), d.opt.MaxWords)
	}
	d.cut, d.bound, d.partial = s.Cut, wordKey{hash: s.BoundHash, word: s.BoundWord}, s.Partial
	d.texts, d.failed, d.occurrences, d.dropped, d.evaluations = s.Texts, s.Failed, s.Occurrences, s.Dropped, s.Evaluations
	kept := 0
	for _, ws := range s.Words {
		k := wordKey{hash: hash64(ws.Word), word: ws.Word}
		switch {
		case ws.Word == "" || d.words[ws.Word] != nil:
			return fmt.Errorf("global: decoding an Accumulator: empty or repeated word %q", ws.Word)
		case ws.N < 1 || len(ws.Attr) != len(d.opt.Labels) || len(ws.Abs) != len(d.opt.Labels) || len(ws.Examples) > Examples:
			return fmt.Errorf("global: decoding an Accumulator: word %q: count %d, %d label streams, %d sums, %d examples for %d labels",
				ws.Word, ws.N, len(ws.Attr), len(ws.Abs), len(ws.Examples), len(d.opt.Labels))
		case d.cut && k.compare(d.bound) > 0:
			return fmt.Errorf("global: decoding an Accumulator: word %q is above the cap's bound", ws.Word)
		}
		for l, p := range ws.Attr {
			if p == nil || p.N() != ws.N {
				return fmt.Errorf("global: decoding an Accumulator: word %q label %d: stream does not hold %d values", ws.Word, l, ws.N)
			}
		}
		if !slices.IsSortedFunc(ws.Examples, example.compare) {
			return fmt.Errorf("global: decoding an Accumulator: word %q: examples out of order", ws.Word)
		}
		kept += ws.N
		w := &wordStats{key: k, n: ws.N, attr: ws.Attr, abs: ws.Abs, examples: ws.Examples}
		d.words[ws.Word] = w
		heap.Push(&d.byHash, w)
	}
	if kept+s.Dropped != s.Occurrences {
		return fmt.Errorf("global: decoding an Accumulator: %d kept + %d dropped occurrences ≠ %d", kept, s.Dropped, s.Occurrences)
	}
	*a = *d
	return nil
}

// sorted returns the kept words by key.
func (a *Accumulator) sorted() []*wordStats {
	ws := make([]*wordStats, 0, len(a.words))
	for _, w := range a.words {
		ws = append(ws, w)
	}
	slices.SortFunc(ws, func(x, y *wordStats) int { return x.key.compare(y.key) })
	return ws
}
