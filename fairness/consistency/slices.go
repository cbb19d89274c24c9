package consistency

import (
	"sort"
	"strings"
	"unicode"
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

// SliceStats is the accuracy on one slice.
type SliceStats struct {
	Name    string `json:"name"`
	Count   int    `json:"count"`
	Correct int    `json:"correct"`
	// Accuracy is Correct / Count, with its Wilson 95% interval.
	Accuracy float64  `json:"accuracy"`
	CI       Interval `json:"ci"`
	// Gap is Accuracy minus the accuracy on all texts: negative for a
	// slice the model does worse on.
	Gap float64 `json:"gap"`
}

// Result returns SliceAll first, then every slice seen, by name. Slices
// no text fell in are absent; with no texts at all the result is the
// SliceAll row alone, with Count 0.
func (s *SliceAccuracy) Result() []SliceStats {
	all := s.all.stats(SliceAll, 0)
	out := []SliceStats{all}
	names := make([]string, 0, len(s.by))
	for n := range s.by {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		out = append(out, s.by[n].stats(n, all.Accuracy))
	}
	return out
}

func (t tally) stats(name string, overall float64) SliceStats {
	st := SliceStats{Name: name, Count: t.n, Correct: t.correct, CI: Wilson(t.correct, t.n, Z95)}
	if t.n > 0 {
		st.Accuracy = float64(t.correct) / float64(t.n)
		st.Gap = st.Accuracy - overall
	}
	if name == SliceAll {
		st.Gap = 0
	}
	return st
}
