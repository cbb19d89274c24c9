package consistency

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/fairness/pairtext"
)

// pairLexicon scores sentence pairs (pairtext.Join): the lexicon's logit
// of the first text plus second times that of the second text, so with
// second ≠ 1 the order of the texts matters.
type pairLexicon struct {
	lex    lexicon
	second float64
	seen   []string
}

func (p *pairLexicon) Labels() []string { return p.lex.Labels() }

func (p *pairLexicon) Probabilities(_ context.Context, texts []string) ([][]float64, error) {
	out := make([][]float64, len(texts))
	for i, s := range texts {
		p.seen = append(p.seen, s)
		a, b, ok := pairtext.Split(s)
		if !ok {
			a, b = s, ""
		}
		z := p.lex.bias
		for _, part := range []struct {
			t string
			k float64
		}{{a, 1}, {b, p.second}} {
			for _, sp := range letterRuns(part.t) {
				z += part.k * p.lex.w[strings.ToLower(part.t[sp.start:sp.end])]
			}
		}
		q := sigmoid(z)
		out[i] = []float64{1 - q, q}
	}
	return out, nil
}

func joined(t *testing.T, a, b string) string {
	t.Helper()
	s, err := pairtext.Join(a, b)
	require.NoError(t, err)
	return s
}

// TestPairSides: an edit reaches only the texts --pair-side names.
func TestPairSides(t *testing.T) {
	pair := joined(t, "THE PLOT IS TEDIOUS", "GREAT FUN")
	for _, c := range []struct {
		side pairtext.Side
		want string
	}{
		{pairtext.First, "the plot is tedious ␞ GREAT FUN"},
		{pairtext.Second, "THE PLOT IS TEDIOUS ␞ great fun"},
		{pairtext.Both, "the plot is tedious ␞ great fun"},
	} {
		clf := &pairLexicon{lex: lexicon{w: map[string]float64{"tedious": -2, "great": 2}}, second: 1}
		r := run(t, clf, Config{Tests: only("lowercase"), Pairs: true, PairSide: c.side}, pair)
		tr := testNamed(t, r, "lowercase")
		assert.Equal(t, 1, tr.Tested, c.side)
		assert.Equal(t, []string{pair, c.want}, clf.seen, "%s: the classifier sees the original and the edit of the chosen side", c.side)
	}
}

// TestOrderSwap: the order-swap invariance test fails a model that reads
// the texts differently and passes one that does not, by the same rule as
// the other invariance tests (|Δp| > tolerance is a failure).
func TestOrderSwap(t *testing.T) {
	w := map[string]float64{"great": 2, "dull": -2}
	texts := []string{joined(t, "great", "dull"), joined(t, "dull film", "great film"), joined(t, "great", "great")}
	asym := &pairLexicon{lex: lexicon{w: w}, second: 0.25}
	r := run(t, asym, Config{Tests: only("lowercase"), Pairs: true, Symmetric: true}, texts...)
	tr := testNamed(t, r, OrderSwapTest)
	assert.Equal(t, Invariant, tr.Expect)
	assert.Equal(t, 2, tr.Tested, "equal texts are not swapped")
	assert.Equal(t, 1, tr.NotApplicable)
	assert.Equal(t, 2, tr.Failures, "sigmoid(2 − 0.5) against sigmoid(−2 + 0.5): |Δp| 0.64 > 0.1")

	sym := &pairLexicon{lex: lexicon{w: w}, second: 1}
	r = run(t, sym, Config{Tests: only("lowercase"), Pairs: true, Symmetric: true}, texts...)
	tr = testNamed(t, r, OrderSwapTest)
	assert.Equal(t, 2, tr.Tested)
	assert.Equal(t, 0, tr.Failures)
	assert.Zero(t, tr.MeanAbsDelta)

	// Without Symmetric there is no order-swap test.
	r = run(t, sym, Config{Tests: only("lowercase"), Pairs: true}, texts...)
	for _, tr := range r.Tests {
		assert.NotEqual(t, OrderSwapTest, tr.Name)
	}
}
