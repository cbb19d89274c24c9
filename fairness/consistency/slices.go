package consistency

import (
	"math"
	"sort"
	"strings"
	"unicode"

	"github.com/lucid-nlp/lucid/fairness/stats"
)

// SliceFunc names the slices a text belongs to (any number, or none).
type SliceFunc func(text string) []string

// The built-in slice names.
const (
	SliceShort    = "short (≤ 8 words)"
	SliceLong     = "long (> 25 words)"
	SliceNegation = "has negation"
	SliceQuestion = "has question mark"
	SliceNumber   = "has number"
	// SliceAll is the row of every text.
	SliceAll = "all"
)

// BuiltinSlices puts a text in the built-in slices. Words are white-space
// separated tokens with a letter or digit in them, so SST-2's detached
// punctuation does not count; a negation is as HasNegation finds it; a
// number is any digit.
func BuiltinSlices(text string) []string {
	var out []string
	n := 0
	for _, f := range strings.Fields(text) {
		if strings.IndexFunc(f, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) >= 0 {
			n++
		}
	}
	switch {
	case n <= 8:
		out = append(out, SliceShort)
	case n > 25:
		out = append(out, SliceLong)
	}
	if HasNegation(text) {
		out = append(out, SliceNegation)
	}
	if strings.Contains(text, "?") {
		out = append(out, SliceQuestion)
	}
	if strings.IndexFunc(text, unicode.IsDigit) >= 0 {
		out = append(out, SliceNumber)
	}
	return out
}

// SliceAccuracy accumulates accuracy by slice from a stream of (text,
// true label, predicted label). Memory is one counter pair per slice.
//
// It is counts only, so it merges exactly (Merge, MarshalBinary,
// UnmarshalBinary): accumulators fed any partition of a stream, merged in
// any order, give the single pass's Result. The slice function is not
// encoded: UnmarshalBinary must be called on one made with the same
// SliceFunc.
type SliceAccuracy struct {
	slices SliceFunc
	all    tally
	by     map[string]*tally
}

type tally struct{ n, correct int }

// NewSliceAccuracy slices texts with f; nil means BuiltinSlices.
func NewSliceAccuracy(f SliceFunc) *SliceAccuracy {
	if f == nil {
		f = BuiltinSlices
	}
	return &SliceAccuracy{slices: f, by: make(map[string]*tally)}
}

// Add counts one prediction in SliceAll and in each slice of text (once
// per slice, even if the slice function names it twice; a slice it calls
// SliceAll is that row already and is not counted again).
func (s *SliceAccuracy) Add(text, trueLabel, predLabel string) {
	ok := trueLabel == predLabel
	s.all.add(ok)
	seen := map[string]bool{SliceAll: true}
	for _, name := range s.slices(text) {
		if seen[name] {
			continue
		}
		seen[name] = true
		t := s.by[name]
		if t == nil {
			t = &tally{}
			s.by[name] = t
		}
		t.add(ok)
	}
}

func (t *tally) add(ok bool) {
	t.n++
	if ok {
		t.correct++
	}
}

// SliceGapTolerance is the practical region for a slice's accuracy gap:
// a slice whose accuracy is at most 0.05 below the rest's is treated as
// no worse. It is half CheckList's probability tolerance, because an
// accuracy gap of 0.05 (say 0.85 against 0.90) is already one an auditor
// would report. The test is one-sided: a slice the model does better on
// is not a failure of the model, so only a slice shown worse fails.
const SliceGapTolerance = 0.05

// SliceStats is the accuracy on one slice, compared with the texts
// outside it.
type SliceStats struct {
	Name    string `json:"name"`
	Count   int    `json:"count"`
	Correct int    `json:"correct"`
	// Accuracy is Correct / Count, with its Wilson 95% interval.
	Accuracy float64        `json:"accuracy"`
	CI       stats.Interval `json:"ci"`
	// Gap is Accuracy minus the accuracy on all texts: negative for a
	// slice the model does worse on.
	Gap float64 `json:"gap"`
	// RestCount and RestCorrect are the texts outside the slice.
	RestCount   int `json:"rest_count"`
	RestCorrect int `json:"rest_correct"`
	// RawP is Fisher's exact two-sided test of "the slice and the rest
	// have the same accuracy" (1 when one side is empty). Evidence
	// carries it Holm-corrected across the result's slices, with the
	// estimate Accuracy − rest accuracy, its Newcombe (hybrid Wilson)
	// interval at the level the slices' Holm family gives it
	// (stats.HolmFamily), and the one-sided region [−SliceGapTolerance,
	// 1]: a slice more accurate than the rest is never a finding. nil for
	// SliceAll and whenever the slice or the rest is empty.
	RawP     float64         `json:"raw_p"`
	Evidence *stats.Evidence `json:"evidence,omitempty"`
	// Verdict is stats.Decide on Evidence: FAIL when the slice is shown
	// to be more than SliceGapTolerance less accurate than the rest;
	// INFO with no Evidence.
	Verdict stats.Verdict `json:"verdict"`
}

// Result returns SliceAll first, then every slice seen, by name. Slices
// no text fell in are absent; with no texts at all the result is the
// SliceAll row alone, with Count 0. Each slice is tested against the rest
// of the texts, the p-values Holm-corrected across the slices.
func (s *SliceAccuracy) Result() []SliceStats {
	all := s.all.stats(SliceAll, 0)
	all.RawP = 1
	all.Verdict = stats.Verdict{Status: stats.Info, Reason: "every text: nothing to compare with"}
	out := []SliceStats{all}
	names := make([]string, 0, len(s.by))
	for n := range s.by {
		names = append(names, n)
	}
	sort.Strings(names)
	raw := make([]float64, len(names))
	for i, n := range names {
		t := s.by[n]
		st := t.stats(n, all.Accuracy)
		st.RestCount, st.RestCorrect = s.all.n-t.n, s.all.correct-t.correct
		st.RawP = stats.FisherExact(t.correct, t.n-t.correct, st.RestCorrect, st.RestCount-st.RestCorrect)
		raw[i] = math.NaN() // untestable: left out of the Holm family
		if t.n > 0 && st.RestCount > 0 {
			raw[i] = st.RawP
		}
		out = append(out, st)
	}
	adj := stats.Holm(raw)
	// One-sided: only a slice worse than the rest can fail, so the band
	// is [−SliceGapTolerance, 1] (1 is the largest a difference of
	// accuracies can be). The slices are one Holm family, each interval
	// drawn at the level the correction gives it.
	members := make([]stats.Member, len(names))
	for i := range names {
		if math.IsNaN(raw[i]) {
			continue
		}
		st := &out[1+i]
		k1, n1, k2, n2 := st.Correct, st.Count, st.RestCorrect, st.RestCount
		members[i] = stats.Member{Interval: func(z float64) stats.Interval { return stats.NewcombeZ(k1, n1, k2, n2, z) },
			Lower: -SliceGapTolerance, Upper: 1}
	}
	corrected := stats.HolmFamily(members, stats.DefaultAlpha)
	for i := range names {
		st := &out[1+i]
		if math.IsNaN(raw[i]) {
			st.Verdict = stats.Verdict{Status: stats.Info, Reason: "no texts outside the slice to compare with"}
			continue
		}
		rest := float64(st.RestCorrect) / float64(st.RestCount)
		c := corrected[i]
		st.Evidence = &stats.Evidence{
			Estimate: st.Accuracy - rest, Low: c.Interval.Low, High: c.Interval.High,
			P: adj[i], Lower: -SliceGapTolerance, Upper: 1, Confidence: c.Confidence,
		}
		st.Verdict = stats.Decide(*st.Evidence)
	}
	return out
}

func (t tally) stats(name string, overall float64) SliceStats {
	st := SliceStats{Name: name, Count: t.n, Correct: t.correct, CI: stats.Wilson(t.correct, t.n, stats.Z95)}
	if t.n > 0 {
		st.Accuracy = float64(t.correct) / float64(t.n)
		st.Gap = st.Accuracy - overall
	}
	if name == SliceAll {
		st.Gap = 0
	}
	return st
}
