package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/fairness/pairtext"
	"github.com/lucid-nlp/lucid/internal/mergetest"
)

// mergeCorpus is the template corpus with a few malformed rows and
// unlabelled ones, so every streaming accumulator has work.
func mergeCorpus() string {
	lines := strings.Split(strings.TrimSuffix(templateCorpus(rand.New(rand.NewPCG(7, 7))), "\n"), "\n")
	var b strings.Builder
	b.WriteString(lines[0] + "\n")
	for i, l := range lines[1:] {
		switch {
		case i%200 == 5:
			b.WriteString("\"a runaway quote,POSITIVE,a,t99\n") // malformed
		case i%31 == 3:
			f := strings.Split(l, ",")
			f[1] = "" // unlabelled
			l = strings.Join(f, ",")
		}
		b.WriteString(l + "\n")
	}
	return b.String()
}

var mergeChecks = []string{CheckData, CheckGroups, CheckCounterfactual, CheckConsistency, CheckSlices}

func mergeConfig(seed uint64) Config {
	return Config{Name: "templates.csv", Dataset: dataCols("group"), PairCol: "template", Checks: mergeChecks,
		Seed: seed, Resamples: 200, ConsistencyRows: 40, BatchSize: 32, Labels: []string{"NEGATIVE", "POSITIVE"}}
}

// reportNumbers strips what legitimately differs between one pass and a
// merge of parts: wall times, and the line numbers and header lines that
// splitting a file into several renumbers.
func reportNumbers(t *testing.T, rep *Report) map[string]any {
	t.Helper()
	b, err := json.Marshal(rep)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m))
	for _, k := range []string{"generated_at", "seconds", "rows_per_second", "timings", "skipped_examples", "reconciliation"} {
		delete(m, k)
	}
	return m
}

// The tentpole of issue 14: any split of the rows into parts, each read
// into its own State (some through an encode and decode), merged in any
// order, gives the report of one pass over the whole file.
func TestMergedStatesGiveTheSinglePassReport(t *testing.T) {
	ctx := context.Background()
	corpus := mergeCorpus()
	clf := newPlantedModel(0.05, rand.New(rand.NewPCG(3, 3)))
	cfg := mergeConfig(11)
	cfg.Source = strings.NewReader(corpus)
	whole, err := Run(ctx, clf, nil, cfg)
	require.NoError(t, err)
	require.Positive(t, whole.Skipped)
	want := reportNumbers(t, whole)

	lines := strings.Split(strings.TrimSuffix(corpus, "\n"), "\n")
	header, body := lines[0], lines[1:]
	for trial := range 4 {
		rng := rand.New(rand.NewPCG(uint64(trial), 99))
		k := 1 + trial + rng.IntN(2)
		perm := rng.Perm(len(body))
		parts := make([][]string, k)
		for i, j := range perm {
			parts[i%k] = append(parts[i%k], body[j])
		}
		var states []*State
		for i, p := range parts {
			st, err := NewState(clf, mergeConfig(11))
			require.NoError(t, err)
			src := header + "\n" + strings.Join(p, "\n") + "\n"
			size := 5 + rng.IntN(60)
			require.NoError(t, ReadBatches(ctx, strings.NewReader(src), "templates.csv", st.ReaderOptions(), size,
				func(b Batch) error { return st.Add(ctx, b) }))
			if i%2 == 0 { // through the wire, into a merge-only State
				data, err := st.MarshalBinary()
				require.NoError(t, err)
				dec, err := NewState(nil, mergeConfig(11))
				require.NoError(t, err)
				require.NoError(t, dec.UnmarshalBinary(data))
				st = dec
			}
			states = append(states, st)
		}
		// Merge as a random tree, through the wire into merge-only States.
		merged := mergetest.Merge(t, rng, states, func() *State {
			s, err := NewState(nil, mergeConfig(11))
			require.NoError(t, err)
			return s
		})
		got, err := Finish(ctx, merged, clf, nil)
		require.NoError(t, err)
		assert.Equal(t, want, reportNumbers(t, got), "trial %d, %d parts", trial, k)
		assert.Equal(t, whole.Reconciliation.Rows, got.Reconciliation.Rows)
		assert.Equal(t, whole.Reconciliation.Skipped, got.Reconciliation.Skipped)
		assert.True(t, got.Reconciliation.Balanced)
		assert.Len(t, got.SkippedExamples, whole.Skipped)
	}
}

func TestStateMergeAndDecodeRefuseAnotherConfiguration(t *testing.T) {
	ctx := context.Background()
	clf := wordModel{}
	a, err := NewState(clf, mergeConfig(1))
	require.NoError(t, err)
	require.NoError(t, ReadBatches(ctx, strings.NewReader(mergeCorpus()), "t.csv", a.ReaderOptions(), 64,
		func(b Batch) error { return a.Add(ctx, b) }))
	b, err := NewState(clf, mergeConfig(2)) // another seed: other samples and bootstrap
	require.NoError(t, err)
	assert.ErrorContains(t, b.Merge(a), "different configurations")
	// Settings that shape what is scored or judged are in the
	// fingerprint too: a pair column, the pair side and order test, the
	// regression tolerance, the weight column. (Merge-only States: the
	// word model reads no pairs.)
	for name, change := range map[string]func(*Config){
		"text pair column": func(c *Config) { c.TextPairCol = "second" },
		"pair side":        func(c *Config) { c.PairSide = pairtext.First },
		"symmetric":        func(c *Config) { c.Symmetric = true },
		"score tolerance":  func(c *Config) { c.ScoreTolerance = 0.2 },
		"weight column":    func(c *Config) { c.WeightCol = "w" },
	} {
		base := mergeConfig(1)
		if name == "pair side" || name == "symmetric" {
			base.TextPairCol = "second"
		}
		changed := base
		change(&changed)
		x, err := NewState(nil, base)
		require.NoError(t, err, name)
		y, err := NewState(nil, changed)
		require.NoError(t, err, name)
		assert.ErrorContains(t, y.Merge(x), "different configurations", name)
	}

	data, err := a.MarshalBinary()
	require.NoError(t, err)
	assert.ErrorContains(t, b.UnmarshalBinary(data), "different configuration")
	assert.ErrorContains(t, b.UnmarshalBinary([]byte("not a state")), "decoding a State")

	// A merge-only State cannot score rows.
	m, err := NewState(nil, mergeConfig(1))
	require.NoError(t, err)
	err = ReadBatches(ctx, strings.NewReader(mergeCorpus()), "t.csv", m.ReaderOptions(), 64, func(b Batch) error { return m.Add(ctx, b) })
	assert.ErrorContains(t, err, "without a classifier")
}

func TestSampleIsTheSameWhateverTheOrder(t *testing.T) {
	texts := make([]string, 500)
	for i := range texts {
		texts[i] = fmt.Sprintf("text %d", i%350) // duplicates too
	}
	one := NewSample(20, 5, 1)
	for _, s := range texts {
		one.Add(s)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20 {
		rng.Shuffle(len(texts), func(i, j int) { texts[i], texts[j] = texts[j], texts[i] })
		a, b := NewSample(20, 5, 1), NewSample(20, 5, 1)
		cut := rng.IntN(len(texts))
		for _, s := range texts[:cut] {
			a.Add(s)
		}
		for _, s := range texts[cut:] {
			b.Add(s)
		}
		b.Merge(a)
		assert.Equal(t, one.Items(), b.Items())
		assert.Equal(t, 500, b.Seen)
	}
	assert.Len(t, one.Items(), 20)
	assert.NotEqual(t, one.Items(), sampleOf(20, 6, 1, texts).Items(), "another seed, another sample")
}

// sampleOf is the sample of texts.
func sampleOf(k int, seed, purpose uint64, texts []string) *Sample {
	s := NewSample(k, seed, purpose)
	for _, t := range texts {
		s.Add(t)
	}
	return s
}
