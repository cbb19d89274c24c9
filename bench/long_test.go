package bench

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/perturb"
	"github.com/lucid-nlp/lucid/tokenize"
)

func TestBuildLongDocsPlantsOneSentence(t *testing.T) {
	tok, err := tokenize.Load(filepath.Join("..", "models", "sst2-mini-bert", "tokenizer.json"))
	require.NoError(t, err)
	sentences := append([]string{"no full stop here"}, BuiltinSentences...)
	docs, err := BuildLongDocs(sentences, []int{50, 150}, 4, 7)
	require.NoError(t, err)
	require.Len(t, docs, 8)
	again, err := BuildLongDocs(sentences, []int{50, 150}, 4, 7)
	require.NoError(t, err)
	assert.Equal(t, docs, again, "same seed, same documents")
	for i, d := range docs {
		assert.Equal(t, []int{50, 150}[i/4], d.Length)
		assert.Equal(t, i, d.Index)
		assert.GreaterOrEqual(t, d.Words, d.Length)
		assert.Equal(t, len(strings.Fields(d.Text)), d.Words)
		assert.Equal(t, 1-i%2, d.Target, "alternately positive and negative")
		pool := PlantedNegative
		if d.Target == 1 {
			pool = PlantedPositive
		}
		found := false
		for _, p := range pool {
			found = found || strings.HasPrefix(d.Text[d.PlantedStart:], p)
		}
		assert.True(t, found, "doc %d: the planted sentence is at PlantedStart", i)
		enc, err := tok.Encode(d.Text)
		require.NoError(t, err)
		starts := 0
		for _, s := range perturb.Features(enc, perturb.Sentences) {
			if s.Start == d.PlantedStart {
				starts++
			}
		}
		assert.Equal(t, 1, starts, "doc %d: the planted sentence is an outline sentence", i)
	}
	_, err = BuildLongDocs(nil, []int{50}, 1, 1)
	assert.ErrorContains(t, err, "no sentences")
	_, err = BuildLongDocs(sentences, []int{0}, 1, 1)
	assert.ErrorContains(t, err, "length 0")
}

func TestRankAndTopOfSentenceValues(t *testing.T) {
	v := []float64{0.1, 0.5, 0.5, -1}
	assert.Equal(t, 4, rankOf(v, 3))
	assert.Equal(t, 2, rankOf(v, 1), "a tie ranks below the sentence it ties with")
	assert.Equal(t, 2, rankOf(v, 2))
	assert.Equal(t, -1, topOf(v), "a tie for first has no top")
	assert.Equal(t, 1, topOf([]float64{0, 2, 1}))
	assert.Equal(t, -1, topOf(nil))
}

// longRec is a record of document doc by method, whose sentence values put
// sentence first (of 3; the planted one is sentence 0).
func longRec(doc int, method string, first int, secs float64) LongRecord {
	vals := []float64{0, 0.1, 0.2}
	vals[first] = 1
	return LongRecord{Seed: 1, Doc: doc, TextHash: fmt.Sprint("h", doc), Length: 50, Planted: 0, Method: method,
		SentenceValues: vals, Rank: rankOf(vals, 0), Seconds: secs, Evaluations: 10}
}

func TestSummarizeAndCompareLongRecords(t *testing.T) {
	// Five documents. a ranks the planted sentence (0) first on docs 0–3,
	// b on docs 0 and 4; the reference ranks sentence 1 first on doc 3 and
	// sentence 0 elsewhere; b fails on doc 2.
	var recs []LongRecord
	for doc, aFirst := range []int{0, 0, 0, 0, 2} {
		recs = append(recs, longRec(doc, "a", aFirst, 1))
	}
	for doc, bFirst := range []int{0, 1, 0, 2, 0} {
		r := longRec(doc, "b", bFirst, 4)
		if doc == 2 {
			r = LongRecord{Seed: 1, Doc: 2, TextHash: "h2", Length: 50, Method: "b", Error: "boom"}
		}
		recs = append(recs, r)
	}
	for doc, refFirst := range []int{0, 0, 0, 1, 0} {
		recs = append(recs, longRec(doc, "ref", refFirst, 9))
	}
	rows, err := SummarizeLong(recs, "ref")
	require.NoError(t, err)
	require.Len(t, rows, 3)
	a, b := rows[0], rows[1]
	assert.Equal(t, "a", a.Method)
	assert.Equal(t, 5, a.N)
	assert.Equal(t, 4, a.Top1)
	assert.InDelta(t, 0.376, a.Top1Interval.Low, 0.001, "Wilson 95%% interval of 4/5")
	assert.InDelta(t, 0.964, a.Top1Interval.High, 0.001)
	assert.Equal(t, 5, a.RefN)
	assert.Equal(t, 3, a.RefTop1, "a agrees with the reference on docs 0, 1, 2")
	assert.InDelta(t, (1+1+1+1+3)/5.0, a.MeanRank, 1e-12)
	assert.Equal(t, 4, b.N)
	assert.Equal(t, 1, b.Errors)
	assert.Equal(t, 2, b.Top1)
	assert.Equal(t, 2, b.RefTop1, "b agrees with the reference on docs 0 and 4")
	assert.Equal(t, 5, rows[2].RefTop1)

	cs, err := CompareLong(recs, "a", "b")
	require.NoError(t, err)
	require.Len(t, cs, 1)
	c := cs[0]
	assert.Equal(t, LongComparison{A: "a", B: "b", Length: 50, N: 4, Both: 1, OnlyA: 2, OnlyB: 1, Neither: 0,
		P: 1, TimeRatio: 0.25, TimeRatioMax: 0.25}, c, "doc 2 is left out: b failed on it")

	// McNemar: 6 discordant documents all for a give p = 2/2^6.
	var many []LongRecord
	for doc := range 6 {
		many = append(many, longRec(doc, "a", 0, 1), longRec(doc, "b", 1, 2))
	}
	cs, err = CompareLong(many, "a", "b")
	require.NoError(t, err)
	assert.InDelta(t, 2.0/64, cs[0].P, 1e-12)
	assert.Equal(t, 6, cs[0].OnlyA)
}

func TestLongRecordsOfDifferentDocumentsAreRefused(t *testing.T) {
	r1 := longRec(0, "a", 0, 1)
	r2 := longRec(0, "b", 0, 1)
	r2.TextHash = "other"
	_, err := SummarizeLong([]LongRecord{r1, r2}, "")
	assert.ErrorContains(t, err, "two texts")
	_, err = CompareLong([]LongRecord{r1, r1}, "a", "b")
	assert.ErrorContains(t, err, "two records of a")
}
