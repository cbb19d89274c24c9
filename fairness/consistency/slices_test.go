package consistency

import (
	"strings"
	"testing"

	"github.com/lucid-nlp/lucid/fairness/stats"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBuiltinSlices(t *testing.T) {
	long := strings.Repeat("word ", 26)
	cases := []struct {
		text string
		want []string
	}{
		// Eight words; the detached "," and "." are not words.
		{"a gorgeous , witty , seductive movie that i love .", []string{SliceShort}},
		{"one two three four five six seven eight nine", nil},
		{"is it not good ?", []string{SliceShort, SliceNegation, SliceQuestion}},
		{"it isn't 10/10", []string{SliceShort, SliceNegation, SliceNumber}},
		{long, []string{SliceLong}},
		{strings.Repeat("word ", 25), nil},
		{"", []string{SliceShort}},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, BuiltinSlices(c.text), "%q", c.text)
	}
}

func TestSliceAccuracy(t *testing.T) {
	s := NewSliceAccuracy(nil)
	rows := []struct{ text, truth, pred string }{
		{"not good", "neg", "neg"},                  // short, negation: right
		{"not bad at all", "pos", "neg"},            // short, negation: wrong
		{"is it good?", "pos", "pos"},               // short, question: right
		{"a fine film", "pos", "pos"},               // short: right
		{strings.Repeat("fine ", 30), "pos", "neg"}, // long: wrong
	}
	for _, r := range rows {
		s.Add(r.text, r.truth, r.pred)
	}
	got := s.Result()
	names := make([]string, len(got))
	for i, g := range got {
		names[i] = g.Name
	}
	assert.Equal(t, []string{SliceAll, SliceNegation, SliceQuestion, SliceLong, SliceShort}, names, "all first, then by name")

	const tol = 1e-12
	byName := map[string]SliceStats{}
	for _, g := range got {
		byName[g.Name] = g
	}
	all := byName[SliceAll]
	assert.Equal(t, [2]int{5, 3}, [2]int{all.Count, all.Correct})
	assert.InDelta(t, 0.6, all.Accuracy, tol)
	assert.Zero(t, all.Gap)
	assert.Equal(t, stats.Wilson(3, 5, stats.Z95), all.CI)

	neg := byName[SliceNegation]
	assert.Equal(t, [2]int{2, 1}, [2]int{neg.Count, neg.Correct})
	assert.InDelta(t, 0.5, neg.Accuracy, tol)
	assert.InDelta(t, -0.1, neg.Gap, tol)
	// Wilson 1/2 at 95%, as in TestWilson (z = 1.96 there; Z95 here).
	assert.InDelta(t, 0.0945, neg.CI.Low, 1e-4)
	assert.InDelta(t, 0.9055, neg.CI.High, 1e-4)

	short := byName[SliceShort]
	assert.Equal(t, [2]int{4, 3}, [2]int{short.Count, short.Correct})
	assert.InDelta(t, 0.15, short.Gap, tol)
	long := byName[SliceLong]
	assert.Equal(t, [2]int{1, 0}, [2]int{long.Count, long.Correct})
	assert.InDelta(t, -0.6, long.Gap, tol)

	// A custom slicer: duplicates and "all" are counted once.
	c := NewSliceAccuracy(func(text string) []string {
		return []string{"first-letter-" + text[:1], "first-letter-" + text[:1], SliceAll}
	})
	c.Add("apple", "x", "x")
	c.Add("avocado", "x", "y")
	c.Add("banana", "y", "y")
	got = c.Result()
	require.Len(t, got, 3)
	a := got[1]
	assert.Equal(t, "first-letter-a", a.Name)
	assert.Equal(t, [2]int{2, 1}, [2]int{a.Count, a.Correct})
	assert.InDelta(t, 0.5-2.0/3, a.Gap, tol)
	assert.Equal(t, 3, got[0].Count)

	empty := NewSliceAccuracy(nil).Result()
	require.Len(t, empty, 1)
	assert.Equal(t, SliceAll, empty[0].Name)
	assert.Zero(t, empty[0].Count)
	assert.Equal(t, stats.Interval{Low: 0, High: 1}, empty[0].CI)
	assert.Equal(t, stats.Info, empty[0].Verdict.Status)
}

func TestSliceGapVerdicts(t *testing.T) {
	// 400 texts: 100 negated at accuracy 0.6, 300 others at 0.9. Slice
	// "has negation" against the rest: gap −0.3, Fisher p tiny: FAIL.
	// The short slice (every text here) has no rest: INFO.
	s := NewSliceAccuracy(nil)
	for i := range 100 {
		pred := "pos"
		if i < 40 {
			pred = "neg"
		}
		s.Add("not fine", "pos", pred)
	}
	for i := range 300 {
		pred := "pos"
		if i < 30 {
			pred = "neg"
		}
		s.Add("fine", "pos", pred)
	}
	got := s.Result()
	byName := map[string]SliceStats{}
	for _, g := range got {
		byName[g.Name] = g
	}
	all := byName[SliceAll]
	assert.Equal(t, stats.Info, all.Verdict.Status)
	assert.Nil(t, all.Evidence)

	neg := byName[SliceNegation]
	assert.Equal(t, [2]int{300, 270}, [2]int{neg.RestCount, neg.RestCorrect})
	assert.InDelta(t, stats.FisherExact(60, 40, 270, 30), neg.RawP, 1e-15)
	require.NotNil(t, neg.Evidence)
	assert.InDelta(t, -0.3, neg.Evidence.Estimate, 1e-12)
	// A family of one, rejected at step 1: its interval is at 1 − α.
	iv := stats.Newcombe(60, 100, 270, 300)
	assert.InDelta(t, 0.95, neg.Evidence.Confidence, 1e-12)
	assert.InDelta(t, iv.Low, neg.Evidence.Low, 1e-12)
	assert.InDelta(t, iv.High, neg.Evidence.High, 1e-12)
	assert.Equal(t, [2]float64{-SliceGapTolerance, 1}, [2]float64{neg.Evidence.Lower, neg.Evidence.Upper}, "one-sided: only worse than the rest fails")
	// The only testable slice: a family of one, Holm leaves p alone.
	assert.Equal(t, neg.RawP, neg.Evidence.P)
	assert.Equal(t, stats.Fail, neg.Verdict.Status, neg.Verdict.Reason)

	// The mirror image, a slice 0.3 MORE accurate than the rest, is not a
	// finding: it passes (shown not materially worse).
	s2 := NewSliceAccuracy(nil)
	for i := range 100 {
		pred := "pos"
		if i < 5 {
			pred = "neg"
		}
		s2.Add("not fine", "pos", pred)
	}
	for i := range 300 {
		pred := "pos"
		if i < 105 {
			pred = "neg"
		}
		s2.Add("fine", "pos", pred)
	}
	for _, g := range s2.Result() {
		if g.Name == SliceNegation {
			assert.InDelta(t, 0.3, g.Evidence.Estimate, 1e-12)
			assert.Equal(t, stats.Pass, g.Verdict.Status, g.Verdict.Reason)
		}
	}

	short := byName[SliceShort]
	assert.Zero(t, short.RestCount)
	assert.Nil(t, short.Evidence)
	assert.Equal(t, stats.Info, short.Verdict.Status)

	// Three slices at the same accuracy as the rest: all PASS with enough
	// data, and their p-values are Holm-corrected as a family of three.
	s = NewSliceAccuracy(func(text string) []string { return []string{text[:1]} })
	for i := range 3000 {
		text := []string{"a", "b", "c"}[i%3]
		pred := "y"
		if (i/3)%10 == 0 {
			pred = "n"
		}
		s.Add(text, "y", pred)
	}
	got = s.Result()
	require.Len(t, got, 4)
	raw := []float64{got[1].RawP, got[2].RawP, got[3].RawP}
	adj := stats.Holm(raw)
	for i, g := range got[1:] {
		assert.InDelta(t, 0.9, g.Accuracy, 1e-12)
		assert.Equal(t, adj[i], g.Evidence.P, g.Name)
		assert.Equal(t, stats.Pass, g.Verdict.Status, "%s: %s", g.Name, g.Verdict.Reason)
	}
}
