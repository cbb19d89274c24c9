package global

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"

	"github.com/lucid-nlp/lucid/attribution"
	"github.com/lucid-nlp/lucid/internal/mergetest"
)

var labels = []string{"NEGATIVE", "POSITIVE"}

// result builds an explanation of every label of text, split at spaces,
// with attributions pos towards POSITIVE and −pos towards NEGATIVE.
func result(text string, pos ...float64) *attribution.Result {
	words := strings.Fields(text)
	if len(words) != len(pos) {
		panic(fmt.Sprintf("%d words, %d attributions", len(words), len(pos)))
	}
	r := &attribution.Result{Text: text, Evaluations: 10}
	neg := make([]float64, len(pos))
	at := 0
	for i, w := range words {
		start := strings.Index(text[at:], w) + at
		r.Features = append(r.Features, attribution.FeatureAttribution{Text: w, ByteStart: start, ByteEnd: start + len(w), Attribution: pos[i]})
		at = start + len(w)
		neg[i] = -pos[i]
	}
	r.Labels = []attribution.LabelAttribution{
		{Label: "NEGATIVE", Index: 0, Attributions: neg},
		{Label: "POSITIVE", Index: 1, Attributions: slices.Clone(pos)},
	}
	return r
}

func find(t *testing.T, rep *Report, word string) Word {
	t.Helper()
	for _, w := range rep.Words {
		if w.Word == word {
			return w
		}
	}
	t.Fatalf("word %q not in the report", word)
	return Word{}
}

func TestKnownAggregates(t *testing.T) {
	acc, err := New(Options{Labels: labels})
	require.NoError(t, err)
	require.NoError(t, acc.Add(result("Good film", 0.4, 0.1)))
	require.NoError(t, acc.Add(result("good GOOD bad", 0.2, 0.3, -0.5)))
	require.NoError(t, acc.Add(result("bad film", -0.25, -0.05)))
	acc.Failed()
	rep, err := acc.Report(10, 1, false)
	require.NoError(t, err)

	assert.Equal(t, 3, rep.Texts)
	assert.Equal(t, 1, rep.Failed)
	assert.Equal(t, 30, rep.Evaluations)
	assert.Equal(t, 7, rep.Occurrences)
	assert.Equal(t, 3, rep.WordTypes, "case-folded: good, film, bad")
	assert.Zero(t, rep.DroppedOccurrences)

	good := find(t, rep, "good")
	assert.Equal(t, 3, good.Count)
	vals := []float64{0.4, 0.2, 0.3}
	mean, sd := stat.MeanStdDev(vals, nil)
	q := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: 2}.Quantile(0.975)
	half := q * sd / math.Sqrt(3)
	const tol = 1e-12
	pos := good.Labels[1]
	assert.Equal(t, "POSITIVE", pos.Label)
	assert.InDelta(t, mean, pos.Mean, tol)
	assert.InDelta(t, mean-half, pos.Low, tol)
	assert.InDelta(t, mean+half, pos.High, tol)
	assert.InDelta(t, 0.3, pos.MeanAbs, tol)
	assert.Equal(t, 3, pos.Positive)
	neg := good.Labels[0]
	assert.InDelta(t, -mean, neg.Mean, tol)
	assert.InDelta(t, 0.3, neg.MeanAbs, tol)
	assert.Equal(t, 3, neg.Negative)
	// "good GOOD bad" holds the word twice but is one example.
	assert.ElementsMatch(t, []string{"Good film", "good GOOD bad"}, good.Examples)

	bad := find(t, rep, "bad")
	assert.InDelta(t, -0.375, bad.Labels[1].Mean, tol)
	// Most frequent first.
	assert.Equal(t, "good", rep.Words[0].Word)

	// Top lists: POSITIVE towards is good (0.3) then film (0.025);
	// against is bad; importance by mean |attribution|: bad 0.375, good 0.3.
	require.Len(t, rep.Top, 2)
	top := rep.Top[1]
	assert.Equal(t, []string{"good", "film"}, topWords(top.Towards))
	assert.Equal(t, []string{"bad"}, topWords(top.Against))
	assert.Equal(t, []string{"bad", "good", "film"}, topWords(top.Importance))
	assert.Equal(t, []string{"bad"}, topWords(rep.Top[0].Towards))

	// A min count of 3 leaves only "good" in the lists.
	rep3, err := acc.Report(10, 3, false)
	require.NoError(t, err)
	assert.Equal(t, []string{"good"}, topWords(rep3.Top[1].Importance))
}

func topWords(ws []TopWord) []string {
	out := []string{}
	for _, w := range ws {
		out = append(out, w.Word)
	}
	return out
}

func TestCaseSensitive(t *testing.T) {
	acc, err := New(Options{Labels: labels, CaseSensitive: true})
	require.NoError(t, err)
	require.NoError(t, acc.Add(result("Good good", 0.1, 0.2)))
	rep, err := acc.Report(0, 0, false)
	require.NoError(t, err)
	assert.Equal(t, 2, rep.WordTypes)
	// One occurrence: no interval, written as null.
	w := find(t, rep, "Good")
	assert.True(t, math.IsNaN(w.Labels[1].Low))
	b, err := json.Marshal(w.Labels[1])
	require.NoError(t, err)
	assert.Contains(t, string(b), `"low":null`)
	var back LabelStats
	require.NoError(t, json.Unmarshal(b, &back))
	assert.True(t, math.IsNaN(back.Low))
	assert.InDelta(t, 0.1, back.Mean, 0)
}

func TestAddRefusesIncompleteExplanations(t *testing.T) {
	acc, err := New(Options{Labels: labels})
	require.NoError(t, err)
	r := result("a b", 0.1, 0.2)
	r.Labels = nil
	r.Target = "POSITIVE"
	assert.ErrorContains(t, acc.Add(r), `attributes only label "POSITIVE" of 2`)

	r = result("a b", 0.1, 0.2)
	r.Labels[1].Attributions = []float64{0.1}
	assert.ErrorContains(t, acc.Add(r), "has 1 attributions for 2 features")

	// AddLabels: one result per label, of the same text.
	one := func(text string, target int, v ...float64) *attribution.Result {
		r := result(text, v...)
		r.Labels, r.TargetIndex, r.Target = nil, target, labels[target]
		return r
	}
	require.NoError(t, acc.AddLabels([]*attribution.Result{one("a b", 0, -0.1, -0.2), one("a b", 1, 0.1, 0.2)}))
	assert.ErrorContains(t, acc.AddLabels([]*attribution.Result{one("a b", 1, 0.1, 0.2), one("a b", 1, 0.1, 0.2)}), "want \"NEGATIVE\"")
	assert.ErrorContains(t, acc.AddLabels([]*attribution.Result{one("a b", 0, 0.1, 0.2), one("a c", 1, 0.1, 0.2)}), "another text")
	rep, err := acc.Report(0, 1, false)
	require.NoError(t, err)
	assert.InDelta(t, 0.2, find(t, rep, "b").Labels[1].Mean, 0)

	_, err = New(Options{})
	assert.ErrorContains(t, err, "Labels is empty")
	_, err = New(Options{Labels: labels, MaxWords: -1})
	assert.ErrorContains(t, err, "MaxWords -1")
}

// stream is n random texts over a vocabulary of vocab words (a Zipf-like
// mix, mixed case), with random attributions.
func stream(rng *rand.Rand, n, vocab int) []*attribution.Result {
	out := make([]*attribution.Result, n)
	for i := range out {
		k := 1 + rng.IntN(8)
		words := make([]string, k)
		attrs := make([]float64, k)
		for j := range words {
			w := fmt.Sprintf("w%d", int(float64(vocab)*math.Pow(rng.Float64(), 2)))
			if rng.IntN(4) == 0 {
				w = strings.ToUpper(w)
			}
			words[j] = w
			attrs[j] = rng.NormFloat64() * math.Pow(10, float64(rng.IntN(5)-3))
		}
		out[i] = result(strings.Join(words, " "), attrs...)
	}
	return out
}

func reportJSON(t *testing.T, acc *Accumulator) []byte {
	t.Helper()
	rep, err := acc.Report(5, 2, false)
	require.NoError(t, err)
	b, err := json.Marshal(rep)
	require.NoError(t, err)
	return b
}

// TestMergeIsOrderFree: a stream split into parts, each accumulated
// apart, merged in a random tree through the binary encoding, gives
// byte-identical JSON to one pass; with a cap small enough to drop types
// too.
func TestMergeIsOrderFree(t *testing.T) {
	for _, maxWords := range []int{0, 7, 40} {
		t.Run(fmt.Sprintf("cap=%d", maxWords), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(maxWords), 2))
			for trial := range 20 {
				rs := stream(rng, 30+rng.IntN(100), 60)
				opt := Options{Labels: labels, MaxWords: maxWords, Method: "kernelshap"}
				one, err := New(opt)
				require.NoError(t, err)
				for _, r := range rs {
					require.NoError(t, one.Add(r))
				}
				want := reportJSON(t, one)

				shuffled := slices.Clone(rs)
				rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
				nparts := 1 + rng.IntN(6)
				parts := make([]*Accumulator, nparts)
				for i := range parts {
					parts[i], err = New(opt)
					require.NoError(t, err)
				}
				for _, r := range shuffled {
					require.NoError(t, parts[rng.IntN(nparts)].Add(r))
				}
				merged := mergetest.Merge(t, rng, parts, func() *Accumulator { return &Accumulator{} })
				got := reportJSON(t, merged)
				require.Equal(t, string(want), string(got), "trial %d, %d parts", trial, nparts)
				if maxWords == 7 {
					var rep Report
					require.NoError(t, json.Unmarshal(got, &rep))
					require.Equal(t, 7, rep.WordTypes)
					require.Positive(t, rep.DroppedOccurrences)
				}
			}
		})
	}
}

// TestCapKeepsSmallestHashes: under a cap the kept types are the ones
// with the smallest hash, each with every occurrence counted.
func TestCapKeepsSmallestHashes(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	rs := stream(rng, 200, 80)
	capped, err := New(Options{Labels: labels, MaxWords: 10})
	require.NoError(t, err)
	full, err := New(Options{Labels: labels})
	require.NoError(t, err)
	for _, r := range rs {
		require.NoError(t, capped.Add(r))
		require.NoError(t, full.Add(r))
	}
	all := full.sorted()
	require.Greater(t, len(all), 10)
	fullRep, err := full.Report(5, 2, false)
	require.NoError(t, err)
	capRep, err := capped.Report(5, 2, false)
	require.NoError(t, err)
	kept := 0
	for _, w := range all[:10] {
		got := find(t, capRep, w.key.word)
		assert.Equal(t, find(t, fullRep, w.key.word), got)
		kept += w.n
	}
	assert.Equal(t, 10, capRep.WordTypes)
	assert.Equal(t, fullRep.Occurrences, capRep.Occurrences)
	assert.Equal(t, fullRep.Occurrences-kept, capRep.DroppedOccurrences)
}

func TestMergeAndDecodeRefuseMismatches(t *testing.T) {
	a, err := New(Options{Labels: labels})
	require.NoError(t, err)
	b, err := New(Options{Labels: labels, CaseSensitive: true})
	require.NoError(t, err)
	assert.ErrorContains(t, a.Merge(b), "different options")
	assert.ErrorContains(t, a.Merge(a), "into itself")

	require.NoError(t, a.Add(result("x y", 1, 2)))
	data, err := a.MarshalBinary()
	require.NoError(t, err)
	var c Accumulator
	assert.ErrorContains(t, c.UnmarshalBinary(data[:len(data)-3]), "global: decoding an Accumulator")
	assert.ErrorContains(t, c.UnmarshalBinary(append(slices.Clone(data), 0)), "left over")
	require.NoError(t, c.UnmarshalBinary(data))
	assert.Equal(t, string(reportJSON(t, a)), string(reportJSON(t, &c)))
}

// TestIntervalCoverage: for a word whose attributions are independent
// draws around a known mean, the 95% interval covers that mean in 93–97%
// of 2,000 simulated files (the GUIDE's calibration band; the binomial
// standard error of the rate is 0.5 points), at 4 and at 30 occurrences.
func TestIntervalCoverage(t *testing.T) {
	for _, n := range []int{4, 30} {
		rng := rand.New(rand.NewPCG(uint64(n), 9))
		const trials, mean = 2000, 0.12
		covered := 0
		for range trials {
			acc, err := New(Options{Labels: labels})
			require.NoError(t, err)
			for range n {
				require.NoError(t, acc.Add(result("word", mean+0.05*rng.NormFloat64())))
			}
			rep, err := acc.Report(0, 1, false)
			require.NoError(t, err)
			s := rep.Words[0].Labels[1]
			if s.Low <= mean && mean <= s.High {
				covered++
			}
		}
		rate := float64(covered) / trials
		assert.True(t, rate >= 0.93 && rate <= 0.97, "n=%d: coverage %.3f", n, rate)
		t.Logf("n=%d: coverage %.3f", n, rate)
	}
}

// FuzzUnmarshalBinary: a state from another machine is data: decoding
// any bytes returns an error or a state that reports and re-encodes
// without panicking, and decodes again to the same report.
func FuzzUnmarshalBinary(f *testing.F) {
	acc, err := New(Options{Labels: labels, MaxWords: 3})
	require.NoError(f, err)
	for _, r := range stream(rand.New(rand.NewPCG(5, 6)), 10, 8) {
		require.NoError(f, acc.Add(r))
	}
	data, err := acc.MarshalBinary()
	require.NoError(f, err)
	f.Add(data)
	f.Add(data[:len(data)/2])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		var a Accumulator
		if a.UnmarshalBinary(b) != nil {
			return
		}
		rep, err := a.Report(0, 0, false)
		require.NoError(t, err)
		again, err := a.MarshalBinary()
		require.NoError(t, err)
		var c Accumulator
		require.NoError(t, c.UnmarshalBinary(again))
		rep2, err := c.Report(0, 0, false)
		require.NoError(t, err)
		j1, _ := json.Marshal(rep)
		j2, _ := json.Marshal(rep2)
		require.Equal(t, string(j1), string(j2))
	})
}
