package consistency

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/lucid-nlp/lucid/fairness/stats"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// lexicon is a pure-Go classifier: P(positive) = sigmoid(bias + Σ w(word))
// over the text's words (letter runs), lower-cased unless caseSensitive;
// labels [negative, positive]. It records its batch sizes.
type lexicon struct {
	bias          float64
	w             map[string]float64
	caseSensitive bool
	batches       []int
	fail          error
}

func (l *lexicon) Labels() []string { return []string{"negative", "positive"} }

func (l *lexicon) p(text string) float64 {
	z := l.bias
	for _, sp := range letterRuns(text) {
		w := text[sp.start:sp.end]
		if !l.caseSensitive {
			w = strings.ToLower(w)
		}
		z += l.w[w]
	}
	return sigmoid(z)
}

func (l *lexicon) Probabilities(ctx context.Context, texts []string) ([][]float64, error) {
	if l.fail != nil {
		return nil, l.fail
	}
	l.batches = append(l.batches, len(texts))
	out := make([][]float64, len(texts))
	for i, s := range texts {
		p := l.p(s)
		out[i] = []float64{1 - p, p}
	}
	return out, nil
}

func sigmoid(z float64) float64 { return 1 / (1 + math.Exp(-z)) }

func run(t *testing.T, clf Classifier, cfg Config, texts ...string) Result {
	t.Helper()
	r, err := NewRunner(clf, cfg)
	require.NoError(t, err)
	for _, s := range texts {
		require.NoError(t, r.Add(context.Background(), s))
	}
	res, err := r.Result(context.Background())
	require.NoError(t, err)
	return res
}

func testNamed(t *testing.T, r Result, name string) TestResult {
	t.Helper()
	for _, tr := range r.Tests {
		if tr.Name == name {
			return tr
		}
	}
	t.Fatalf("no test %q", name)
	return TestResult{}
}

func only(names ...string) []Test {
	var out []Test
	for _, ts := range DefaultTests() {
		if slices.Contains(names, ts.Name) {
			out = append(out, ts)
		}
	}
	return out
}

var reviews = []string{
	"a gorgeous , witty , seductive movie .",
	"The film isn't bad, it's fun!",
	"A dull, lifeless film",
	"it 's a charming and often affecting journey .",
	"THE PLOT IS TEDIOUS",
	"great fun",
}

func TestCaseInvariantClassifierPassesCasing(t *testing.T) {
	clf := &lexicon{w: map[string]float64{"gorgeous": 2, "dull": -2, "fun": 1.5, "tedious": -2, "charming": 1, "bad": -1}}
	r := run(t, clf, Config{Tests: only("lowercase", "titlecase")}, reviews...)
	for _, name := range []string{"lowercase", "titlecase"} {
		tr := testNamed(t, r, name)
		assert.Equal(t, 0, tr.Failures, name)
		assert.Zero(t, tr.MeanAbsDelta, name)
		assert.Empty(t, tr.Examples)
		assert.Equal(t, len(reviews), tr.Tested+tr.NotApplicable)
	}
	// Three reviews are already lower case.
	assert.Equal(t, 3, testNamed(t, r, "lowercase").Tested)
	assert.Equal(t, 6, testNamed(t, r, "titlecase").Tested)

	// A case-sensitive model that knows only lower case loses its
	// sentiment words to title case: p falls back to sigmoid(bias), which
	// flips "a gorgeous movie" and moves "a dull film" by 0.30 without a
	// flip. Both moves exceed the tolerance 0.1, so both fail.
	cs := &lexicon{bias: -0.5, w: map[string]float64{"gorgeous": 2, "dull": -2}, caseSensitive: true}
	r = run(t, cs, Config{Tests: only("titlecase")}, "a gorgeous movie", "a dull film")
	tr := testNamed(t, r, "titlecase")
	assert.Equal(t, 2, tr.Tested)
	assert.Equal(t, 2, tr.Failures)
	assert.Equal(t, 1, tr.Flips)
	assert.Zero(t, tr.FlipsWithinTolerance)
	up, down := sigmoid(-0.5)-sigmoid(-2.5), sigmoid(-0.5)-sigmoid(1.5)
	assert.InDelta(t, (math.Abs(down)+up)/2, tr.MeanAbsDelta, 1e-12)
	assert.InDelta(t, (down+up)/2, tr.MeanDelta, 1e-12)
	require.Len(t, tr.Examples, 2)
	ex := tr.Examples[0] // |Δp| 0.44 before 0.30
	assert.Equal(t, "A Gorgeous Movie", ex.Edited)
	assert.Equal(t, "positive", ex.OriginalLabel)
	assert.Equal(t, "negative", ex.EditedLabel)
	assert.InDelta(t, down, ex.Delta, 1e-12)
	assert.Equal(t, "A Dull Film", tr.Examples[1].Edited)
	assert.Equal(t, "negative", tr.Examples[1].EditedLabel)
}

// The model puts its weight on "movie"; a typo can only land on "movie" in
// the first three texts, so all three flip, "the film" is tested but its
// typo ("flim" or "fiml") changes nothing, and "a good one" has no word
// the typo may touch.
func TestTypoFailures(t *testing.T) {
	const tol = 1e-12
	clf := &lexicon{bias: -1, w: map[string]float64{"movie": 3}}
	r := run(t, clf, Config{Tests: only("typo"), Seed: 42}, "the movie", "a movie!", "Movie.", "the film", "a good one")
	tr := testNamed(t, r, "typo")
	assert.Equal(t, 1, tr.NotApplicable)
	assert.Equal(t, 4, tr.Tested)
	assert.Equal(t, 3, tr.Failures)
	assert.InDelta(t, 0.75, tr.FailureRate, tol)
	assert.InDelta(t, 0.25, tr.PassRate, tol)
	assert.Equal(t, stats.Wilson(3, 4, stats.Z95), tr.FailureCI)
	d := sigmoid(-1) - sigmoid(2)
	assert.InDelta(t, 3*math.Abs(d)/4, tr.MeanAbsDelta, tol)
	assert.InDelta(t, 3*d/4, tr.MeanDelta, tol)
	require.Len(t, tr.Examples, 3)
	for i, orig := range []string{"the movie", "a movie!", "Movie."} {
		ex := tr.Examples[i]
		assert.Equal(t, orig, ex.Original)
		assert.NotEqual(t, orig, ex.Edited)
		assert.InDelta(t, d, ex.Delta, tol)
		assert.InDelta(t, sigmoid(2), ex.OriginalProbs[1], tol)
		assert.InDelta(t, sigmoid(-1), ex.EditedProbs[1], tol)
	}
}

// TestDirectionalEdits runs the built-in negation and intensifier edits
// through a lexicon model, with moves far from the tolerance either way.
func TestDirectionalEdits(t *testing.T) {
	const tol = 1e-12
	clf := &lexicon{w: map[string]float64{
		"not": -2, "great": 1, "dull": -1,
		"very": 1, "really": 1, "extremely": 1,
	}}
	texts := []string{
		"the movie is great", // p .73, predicted positive; "not" lowers it to .27: pass
		"the movie is dull",  // p .27, predicted negative; "not" lowers p to .05, 0.22 the wrong way: fail
		"it is a great film", // as the first: negation passes, intensified p rises .73 → .88: pass
		"it is a dull film",  // as the second: negation fails, intensified p rises .27 → .5, 0.23 the wrong way: fail
		"no comment",         // already negated, no adjective: neither applies
	}
	r := run(t, clf, Config{Tests: only("negation", "intensifier")}, texts...)

	neg := testNamed(t, r, "negation")
	assert.Equal(t, AgainstPrediction, neg.Expect)
	assert.Equal(t, 4, neg.Tested)
	assert.Equal(t, 1, neg.NotApplicable)
	assert.Zero(t, neg.Saturated)
	assert.Equal(t, 2, neg.Failures, "both dull texts go further down from a negative prediction")
	assert.InDelta(t, 0.5, neg.PassRate, tol)
	require.Len(t, neg.Examples, 2)
	// Both failures moved p down by the same logit step from the same
	// start, so they tie and keep stream order.
	assert.Equal(t, "the movie is not dull", neg.Examples[0].Edited)
	assert.Equal(t, "it is not a dull film", neg.Examples[1].Edited)
	assert.InDelta(t, sigmoid(-3)-sigmoid(-1), neg.Examples[0].Delta, tol)

	in := testNamed(t, r, "intensifier")
	assert.Equal(t, TowardPrediction, in.Expect)
	assert.Equal(t, 4, in.Tested)
	assert.Equal(t, 2, in.Failures)
	assert.InDelta(t, 0.5, in.FailureRate, tol)
	assert.InDelta(t, ((sigmoid(2)-sigmoid(1))*2+(sigmoid(0)-sigmoid(-1))*2)/4, in.MeanDelta, tol)
	require.NotNil(t, in.Delta)
	assert.Equal(t, 4, in.Delta.N)
	assert.Equal(t, 4, in.Delta.Positive)
	assert.InDelta(t, in.MeanDelta, in.Delta.Mean, tol)

	// Fixed-direction expectations, with a custom edit.
	addBad := func(text string, _ *rand.Rand) (string, bool) { return text + " bad", true }
	clf.w["bad"] = -1
	r = run(t, clf, Config{Tests: []Test{
		{"bad-decreases", addBad, Decrease},
		{"bad-increases", addBad, Increase},
	}}, "great", "dull")
	assert.Equal(t, 0, testNamed(t, r, "bad-decreases").Failures)
	assert.Equal(t, 2, testNamed(t, r, "bad-increases").Failures)
}

func TestRunnerStreamingMatchesOneBatch(t *testing.T) {
	var texts []string
	for i := range 120 {
		texts = append(texts, fmt.Sprintf("%s (%d)", reviews[i%len(reviews)], i))
	}
	newClf := func() *lexicon {
		return &lexicon{bias: 0.2, w: map[string]float64{"gorgeous": 2, "movie": 0.4, "film": -0.3, "fun": 1.5, "not": -1.7, "dull": -2, "journey": 0.6, "plot": -0.4}}
	}
	one := newClf()
	want := run(t, one, Config{Seed: 7, BatchSize: 1 << 20, Examples: 3}, texts...)
	require.Len(t, one.batches, 1)
	for _, batch := range []int{1, 5, 64} {
		t.Run(fmt.Sprint(batch), func(t *testing.T) {
			clf := newClf()
			got := run(t, clf, Config{Seed: 7, BatchSize: batch, Examples: 3}, texts...)
			assert.Equal(t, want, got)
			for _, b := range clf.batches[:len(clf.batches)-1] {
				assert.Equal(t, batch, b, "every call but the last is full")
			}
		})
	}
	// Edits depend on the text, not its place in the stream: the reversed
	// stream gives the same counts.
	rev := slices.Clone(texts)
	slices.Reverse(rev)
	got := run(t, newClf(), Config{Seed: 7, Examples: -1}, rev...)
	for i, tr := range got.Tests {
		w := want.Tests[i]
		assert.Equal(t, [3]int{w.Tested, w.Failures, w.NotApplicable}, [3]int{tr.Tested, tr.Failures, tr.NotApplicable}, tr.Name)
		assert.InDelta(t, w.MeanAbsDelta, tr.MeanAbsDelta, 1e-12, tr.Name)
		assert.Empty(t, tr.Examples)
	}
	assert.Equal(t, 120, want.Texts)
	assert.Len(t, want.Tests, len(DefaultTests()))
}

func TestRunnerErrors(t *testing.T) {
	edit := Lowercase
	cases := []struct {
		name string
		cfg  Config
		want string
	}{
		{"target", Config{Target: "neutral"}, `target label "neutral"`},
		{"no tests", Config{Tests: []Test{}}, "no tests"},
		{"unnamed", Config{Tests: []Test{{Edit: edit}}}, "test 1 has no name"},
		{"twice", Config{Tests: []Test{{"x", edit, Invariant}, {"x", edit, Invariant}}}, `test "x" is listed twice`},
		{"no edit", Config{Tests: []Test{{Name: "x"}}}, `test "x" has no edit`},
		{"expectation", Config{Tests: []Test{{"x", edit, Expectation(9)}}}, `test "x": unknown expectation 9`},
		{"batch", Config{BatchSize: -1}, "batch size -1"},
		{"tolerance", Config{Tolerance: 1.5}, "tolerance 1.5 is not strictly between 0 and 1"},
		{"negative tolerance", Config{Tolerance: -0.1}, "tolerance -0.1"},
		{"NaN tolerance", Config{Tolerance: math.NaN()}, "tolerance NaN"},
		{"threshold", Config{FailRateThreshold: 1}, "failure-rate threshold 1 is not strictly"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := NewRunner(&lexicon{}, c.cfg)
			require.ErrorContains(t, err, c.want)
		})
	}

	clf := &lexicon{fail: errors.New("runtime gone")}
	r, err := NewRunner(clf, Config{Tests: only("lowercase"), BatchSize: 2})
	require.NoError(t, err)
	require.ErrorContains(t, r.Add(context.Background(), "Hello"), "runtime gone")
	clf.fail = nil
	res, err := r.Result(context.Background())
	require.NoError(t, err, "the failed batch is retried")
	assert.Equal(t, 1, res.Tests[0].Tested)
}

func TestExpectationString(t *testing.T) {
	assert.Equal(t, "against-prediction", AgainstPrediction.String())
	b, err := TowardPrediction.MarshalText()
	require.NoError(t, err)
	assert.Equal(t, "toward-prediction", string(b))
	assert.Equal(t, "Expectation(-1)", Expectation(-1).String())
}
