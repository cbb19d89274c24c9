package thresholds

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/internal/mergetest"

	"github.com/lucid-nlp/lucid/fairness/group"
)

// extraRows adds to a planted sample what a real column has: rows with
// no group value, a small group, duplicates, groups without a rule and
// unlabelled rows (labelled false).
type judgedRow struct {
	row
	labelled bool
}

func messyRows(rng *rand.Rand, n int, seed uint64) []judgedRow {
	var out []judgedRow
	for _, r := range planted.sample(n, seed) {
		jr := judgedRow{row: r, labelled: rng.IntN(10) > 0}
		switch rng.IntN(30) {
		case 0:
			jr.group = ""
		case 1:
			jr.group = "small"
		case 2:
			jr.group = fmt.Sprintf("z%d", rng.IntN(5))
		}
		out = append(out, jr)
		if rng.IntN(15) == 0 {
			out = append(out, jr)
		}
	}
	return out
}

// splitMerge feeds rows, shuffled and split into k parts, to k fresh
// accumulators made by mk, round-trips each merged-in part through its
// encoding, and merges them in a random tree order.
func splitMerge[T mergetest.Mergeable[T]](t *testing.T, rng *rand.Rand, rows []judgedRow, k int, mk func() T, add func(T, judgedRow)) T {
	t.Helper()
	rows = append([]judgedRow(nil), rows...)
	rng.Shuffle(len(rows), func(i, j int) { rows[i], rows[j] = rows[j], rows[i] })
	parts := make([]T, k)
	for i := range parts {
		parts[i] = mk()
	}
	for _, r := range rows {
		add(parts[rng.IntN(k)], r)
	}
	return mergetest.Merge(t, rng, parts, mk)
}

func addScore(t *testing.T) func(*Scores, judgedRow) {
	return func(s *Scores, r judgedRow) {
		if !r.labelled {
			s.AddUnlabelled()
			return
		}
		require.NoError(t, s.Add(r.group, r.score, r.y, r.score >= 0.5))
	}
}

func TestScoresMergeToTheSinglePass(t *testing.T) {
	rng := rand.New(rand.NewPCG(51, 52))
	for trial := range 8 {
		c := Constraints[trial%len(Constraints)]
		rows := messyRows(rng, 500+rng.IntN(2000), uint64(trial))
		single := NewScores()
		for _, r := range rows {
			addScore(t)(single, r)
		}
		merged := splitMerge(t, rng, rows, 1+rng.IntN(5), NewScores, addScore(t))
		opts := Options{Constraint: c, Column: "g", Positive: "pos", Seed: 5}
		want, err := Fit(single, opts)
		require.NoError(t, err)
		got, err := Fit(merged, opts)
		require.NoError(t, err)
		wantJSON, err := json.Marshal(want)
		require.NoError(t, err)
		gotJSON, err := json.Marshal(got)
		require.NoError(t, err)
		require.Equal(t, string(wantJSON), string(gotJSON), "trial %d (%s)", trial, c)
	}
}

func TestComparisonMergesToTheSinglePass(t *testing.T) {
	rng := rand.New(rand.NewPCG(53, 54))
	f := fit(t, planted.sample(4000, 7), EqualOpportunity)
	opts := group.Options{Resamples: 50}
	mk := func() *Comparison {
		c, err := NewComparison(f, opts)
		require.NoError(t, err)
		return c
	}
	add := func(c *Comparison, r judgedRow) {
		c.Add(r.group, r.text, r.score, r.score >= 0.5, r.labelled, r.y)
	}
	for trial := range 6 {
		rows := messyRows(rng, 200+rng.IntN(1500), 100+uint64(trial))
		single := mk()
		for _, r := range rows {
			add(single, r)
		}
		merged := splitMerge(t, rng, rows, 1+rng.IntN(5), mk, add)
		want, err := single.Result(uint64(trial))
		require.NoError(t, err)
		got, err := merged.Result(uint64(trial))
		require.NoError(t, err)
		wantJSON, err := json.Marshal(want)
		require.NoError(t, err)
		gotJSON, err := json.Marshal(got)
		require.NoError(t, err)
		require.Equal(t, string(wantJSON), string(gotJSON), "trial %d", trial)
	}
}

func TestMergeRefusesOrderDependentStates(t *testing.T) {
	a, b := NewScores(), NewScores()
	for i := range MaxGroups {
		require.NoError(t, a.Add(fmt.Sprintf("a%d", i), 0.5, true, true))
		require.NoError(t, b.Add(fmt.Sprintf("b%d", i), 0.5, true, true))
	}
	assert.ErrorContains(t, a.Merge(b), "depends on the order")
	assert.Equal(t, MaxGroups, a.Rows(), "a refused merge changes nothing")
	require.NoError(t, a.Add("one too many", 0.5, true, true))
	assert.ErrorContains(t, a.Merge(NewScores()), "depends on the order")
	require.NoError(t, b.Merge(b), "merging with itself doubles the rows")
	assert.Equal(t, 2*MaxGroups, b.Rows())

	f := fit(t, planted.sample(3000, 8), DemographicParity)
	c1, err := NewComparison(f, group.Options{})
	require.NoError(t, err)
	c2, err := NewComparison(f, group.Options{})
	require.NoError(t, err)
	for i := range maxBeyondNames {
		c1.Add(fmt.Sprintf("x%d", i), "t", 0.5, true, true, true)
		c2.Add(fmt.Sprintf("y%d", i), "t", 0.5, true, true, true)
	}
	assert.ErrorContains(t, c1.Merge(c2), "depends on the order")
	assert.Equal(t, maxBeyondNames, c1.rows)
}

func TestMergeAndUnmarshalErrors(t *testing.T) {
	f := fit(t, planted.sample(3000, 9), DemographicParity)
	g := fit(t, planted.sample(3000, 10), DemographicParity)
	c, err := NewComparison(f, group.Options{})
	require.NoError(t, err)
	other, err := NewComparison(g, group.Options{})
	require.NoError(t, err)
	resamples, err := NewComparison(f, group.Options{Resamples: 10})
	require.NoError(t, err)
	c.Add("a", "t", 0.7, true, true, true)
	assert.ErrorContains(t, c.Merge(other), "different thresholds files")
	assert.ErrorContains(t, c.Merge(resamples), "different options")
	assert.Equal(t, 1, c.rows, "refused merges change nothing")
	data, err := other.MarshalBinary()
	require.NoError(t, err)
	assert.ErrorContains(t, c.UnmarshalBinary(data), "another thresholds file")
	assert.Error(t, c.UnmarshalBinary([]byte("garbage")))
	assert.Equal(t, 1, c.rows, "failed decodes change nothing")

	s := NewScores()
	assert.Error(t, s.UnmarshalBinary([]byte("garbage")))
	assert.Error(t, s.UnmarshalBinary(nil))
}
