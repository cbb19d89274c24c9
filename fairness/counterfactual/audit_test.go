package counterfactual

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// lexicon is a pure-Go classifier: P(positive) = sigmoid(bias + Σ w(word))
// over the text's lower-cased words, labels [negative, positive]. It
// records the size of each batch it is given.
type lexicon struct {
	bias    float64
	w       map[string]float64
	batches []int
	fail    error
	rows    int // if > 0, return this many rows (a broken classifier)
}

func (l *lexicon) Labels() []string { return []string{"negative", "positive"} }

func (l *lexicon) p(text string) float64 {
	z := l.bias
	for _, sp := range words(text) {
		z += l.w[strings.ToLower(text[sp.Start:sp.End])]
	}
	return 1 / (1 + math.Exp(-z))
}

func (l *lexicon) Probabilities(ctx context.Context, texts []string) ([][]float64, error) {
	if l.fail != nil {
		return nil, l.fail
	}
	l.batches = append(l.batches, len(texts))
	n := len(texts)
	if l.rows > 0 {
		n = l.rows
	}
	out := make([][]float64, n)
	for i := range out {
		p := l.p(texts[i%len(texts)])
		out[i] = []float64{1 - p, p}
	}
	return out, nil
}

func sigmoid(z float64) float64 { return 1 / (1 + math.Exp(-z)) }

func genderOnly(t *testing.T) Config {
	return Config{Families: mustSelect(t, "gender")}
}

func runAudit(t *testing.T, clf Classifier, cfg Config, texts ...string) Result {
	t.Helper()
	a, err := NewAudit(clf, cfg)
	require.NoError(t, err)
	for _, s := range texts {
		require.NoError(t, a.Add(context.Background(), s))
	}
	r, err := a.Result(context.Background())
	require.NoError(t, err)
	return r
}

func pairStats(r Result, term, repl string) *Stats {
	for i := range r.Pairs {
		if r.Pairs[i].Term == term && r.Pairs[i].Replacement == repl {
			return &r.Pairs[i]
		}
	}
	return nil
}

// With a weight only on "she", Δp of he→she is exactly
// sigmoid(b + w_rest + w_she) − sigmoid(b + w_rest).
func TestAuditKnownDelta(t *testing.T) {
	const tol = 1e-12
	clf := &lexicon{bias: -1, w: map[string]float64{"she": 1.5, "great": 2}}
	r := runAudit(t, clf, genderOnly(t), "he is great", "she is great", "a great film")

	assert.Equal(t, 3, r.Texts)
	assert.Equal(t, 2, r.TextsWithTerms)
	assert.Equal(t, 2, r.Swaps)
	assert.Equal(t, "positive", r.Target)

	up := sigmoid(-1+2+1.5) - sigmoid(-1+2)
	heShe := pairStats(r, "he", "she")
	require.NotNil(t, heShe)
	assert.InDelta(t, up, heShe.MeanDelta, tol)
	assert.InDelta(t, up, heShe.MeanAbsDelta, tol)
	assert.InDelta(t, up, heShe.MaxAbsDelta, tol)
	assert.Equal(t, 1, heShe.Swaps)
	assert.Equal(t, "male", heShe.FromGroup)
	assert.Equal(t, "female", heShe.ToGroup)

	sheHe := pairStats(r, "she", "he")
	require.NotNil(t, sheHe)
	assert.InDelta(t, -up, sheHe.MeanDelta, tol)
	assert.InDelta(t, up, sheHe.MeanAbsDelta, tol)

	require.Len(t, r.Families, 1)
	g := r.Families[0]
	assert.Equal(t, "gender", g.Family)
	assert.Equal(t, 2, g.Swaps)
	assert.Equal(t, 2, g.Texts)
	assert.InDelta(t, 0, g.MeanDelta, tol, "the two directions cancel")
	assert.InDelta(t, up, g.MeanAbsDelta, tol)
	assert.Equal(t, 0, g.Flips)

	require.Len(t, r.Groups, 2)
	assert.Equal(t, [2]string{"female", "male"}, [2]string{r.Groups[0].FromGroup, r.Groups[0].ToGroup},
		"equal mean |Δp|: ordered by group name")

	// Worst examples carry both probability rows.
	require.Len(t, r.Worst, 2)
	w := r.Worst[0]
	assert.Equal(t, "he is great", w.Original)
	assert.Equal(t, "she is great", w.Swap.Text)
	assert.InDelta(t, sigmoid(1), w.OriginalProbs[1], tol)
	assert.InDelta(t, sigmoid(2.5), w.SwappedProbs[1], tol)
	assert.InDelta(t, up, w.Delta, tol)

	// Against the other label every Δp changes sign.
	r = runAudit(t, clf, Config{Families: mustSelect(t, "gender"), Target: "NEGATIVE"}, "he is great")
	assert.Equal(t, "negative", r.Target)
	assert.InDelta(t, -up, r.Families[0].MeanDelta, tol)
}

func TestAuditSelfSwapIsZero(t *testing.T) {
	// "good" is in both groups at the same position: it maps to itself.
	fam, err := NewFamily("same", Group{Name: "a", Terms: []string{"good", "movie"}}, Group{Name: "b", Terms: []string{"good", "film"}})
	require.NoError(t, err)
	clf := &lexicon{bias: 0.3, w: map[string]float64{"good": 2, "movie": 0.5, "film": -0.25}}
	r := runAudit(t, clf, Config{Families: []Family{fam}}, "a good movie", "Good.")

	self := pairStats(r, "good", "good")
	require.NotNil(t, self)
	assert.Equal(t, 2, self.Swaps)
	assert.Zero(t, self.MeanAbsDelta, "exactly 0")
	assert.Zero(t, self.MaxAbsDelta, "exactly 0")
	assert.Zero(t, self.Flips)

	mf := pairStats(r, "movie", "film")
	require.NotNil(t, mf)
	assert.InDelta(t, sigmoid(0.3+2-0.25)-sigmoid(0.3+2+0.5), mf.MeanDelta, 1e-12)
}

func TestAuditFlips(t *testing.T) {
	// he: -1, she: +1, bias 0. "he is here" is negative and its swap
	// positive (a flip); "he is great" stays positive.
	clf := &lexicon{w: map[string]float64{"he": -1, "she": 1, "great": 3}}
	r := runAudit(t, clf, genderOnly(t), "he is here", "he is great")
	heShe := pairStats(r, "he", "she")
	require.NotNil(t, heShe)
	assert.Equal(t, 2, heShe.Swaps)
	assert.Equal(t, 1, heShe.Flips)
	assert.InDelta(t, 0.5, heShe.FlipRate, 1e-15)
	assert.InDelta(t, ((sigmoid(1)-sigmoid(-1))+(sigmoid(4)-sigmoid(2)))/2, heShe.MeanDelta, 1e-12)
	assert.InDelta(t, sigmoid(1)-sigmoid(-1), heShe.MaxAbsDelta, 1e-12)
	require.NotEmpty(t, r.Worst)
	assert.Equal(t, "negative", r.Worst[0].OriginalLabel)
	assert.Equal(t, "positive", r.Worst[0].SwappedLabel)
}

// corpus mixes texts with and without terms, in several families.
func corpus(n int) []string {
	subj := []string{"he", "she", "the old man", "her sister", "James", "a muslim", "the Mexican chef", "Keisha", "it", "HIS son"}
	pred := []string{"was great", "was boring", "told a story", "is a terrible cook", "sang at the party", "loved the film"}
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s %s (%d).", subj[i%len(subj)], pred[(i/len(subj)+i)%len(pred)], i)
	}
	return out
}

func corpusLexicon() *lexicon {
	return &lexicon{bias: 0.1, w: map[string]float64{
		"she": 0.4, "her": -0.2, "great": 2, "boring": -2, "terrible": -2.5, "loved": 1.5,
		"old": -0.3, "woman": 0.2, "muslim": -0.7, "mosque": -0.1, "keisha": -0.5, "emily": 0.3,
		"mexican": -0.4, "american": 0.4, "sister": 0.1, "daughter": 0.6,
	}}
}

func TestAuditStreamingMatchesOneBatch(t *testing.T) {
	texts := corpus(300)
	cfg := func(batch int) Config { return Config{BatchSize: batch, TopK: 7} }

	one := &lexicon{bias: 0.1, w: corpusLexicon().w}
	want := runAudit(t, one, cfg(1<<20), texts...)
	require.Len(t, one.batches, 1, "everything in one call")

	for _, batch := range []int{1, 7, 256} {
		t.Run(fmt.Sprint(batch), func(t *testing.T) {
			clf := corpusLexicon()
			got := runAudit(t, clf, cfg(batch), texts...)
			// Compared as JSON: a family no text mentions has NaN
			// evidence (null in JSON), which is never equal to itself.
			assert.Equal(t, mustJSON(t, want), mustJSON(t, got))
			// Every call but the last is full.
			for _, b := range clf.batches[:len(clf.batches)-1] {
				assert.Equal(t, batch, b)
			}
			assert.LessOrEqual(t, clf.batches[len(clf.batches)-1], batch)
		})
	}

	assert.Equal(t, 300, want.Texts)
	assert.Equal(t, 270, want.TextsWithTerms, `one subject in ten ("it") has no term and is never scored`)
	assert.Len(t, want.Worst, 7)
	for i := 1; i < len(want.Worst); i++ {
		assert.GreaterOrEqual(t, math.Abs(want.Worst[i-1].Delta), math.Abs(want.Worst[i].Delta))
	}
	// Family rows add up to the swaps.
	total := 0
	for _, f := range want.Families {
		total += f.Swaps
	}
	assert.Equal(t, want.Swaps, total)
	// Pair rows of a family add up to the family row.
	for _, f := range want.Families {
		n, flips, sum := 0, 0, 0.0
		for _, p := range want.Pairs {
			if p.Family == f.Family {
				n += p.Swaps
				flips += p.Flips
				sum += p.MeanDelta * float64(p.Swaps)
			}
		}
		assert.Equal(t, f.Swaps, n, f.Family)
		assert.Equal(t, f.Flips, flips, f.Family)
		assert.InDelta(t, f.MeanDelta*float64(f.Swaps), sum, 1e-9, f.Family)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

func TestAuditTopK(t *testing.T) {
	texts := corpus(60)
	all := runAudit(t, corpusLexicon(), Config{TopK: 1 << 20}, texts...)
	require.Len(t, all.Worst, all.Swaps)
	top := runAudit(t, corpusLexicon(), Config{TopK: 5}, texts...)
	assert.Equal(t, all.Worst[:5], top.Worst, "the K kept are the K largest of all")
	none := runAudit(t, corpusLexicon(), Config{TopK: -1}, texts...)
	assert.Empty(t, none.Worst)
}

func TestAuditErrors(t *testing.T) {
	_, err := NewAudit(&lexicon{}, Config{Target: "neutral"})
	require.ErrorContains(t, err, `target label "neutral"`)

	_, err = NewAudit(&lexicon{}, Config{BatchSize: -3})
	require.ErrorContains(t, err, "batch size -3")

	g := mustSelect(t, "gender")
	_, err = NewAudit(&lexicon{}, Config{Families: append(g, g...)})
	require.ErrorContains(t, err, `family "gender" is listed twice`)

	_, err = NewAudit(&lexicon{}, Config{Families: []Family{{Name: "bad", Groups: []Group{{Name: "a", Terms: []string{"x"}}}}}})
	require.ErrorContains(t, err, `family "bad" has 1 group(s)`)

	// A broken classifier is named.
	a, err := NewAudit(&lexicon{rows: 1}, Config{Families: g})
	require.NoError(t, err)
	require.NoError(t, a.Add(context.Background(), "he left"))
	_, err = a.Result(context.Background())
	require.ErrorContains(t, err, "returned 1 rows of probabilities for 2 texts")

	// A failed batch stays queued and is scored on the next try.
	clf := &lexicon{fail: errors.New("runtime gone"), w: map[string]float64{"she": 1}}
	a, err = NewAudit(clf, Config{Families: g, BatchSize: 2})
	require.NoError(t, err)
	err = a.Add(context.Background(), "he left")
	require.ErrorContains(t, err, "runtime gone")
	clf.fail = nil
	r, err := a.Result(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 1, r.Swaps)
	assert.InDelta(t, sigmoid(1)-0.5, r.Families[0].MeanDelta, 1e-12)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	a, err = NewAudit(&lexicon{}, Config{Families: g, BatchSize: 1})
	require.NoError(t, err)
	require.ErrorIs(t, a.Add(ctx, "he left"), context.Canceled)
}
