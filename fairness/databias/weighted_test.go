package databias

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type wrow struct {
	label  int
	groups []string
	weight string
	line   int
}

func randomWeightedRows(n int, seed uint64) []wrow {
	rng := rand.New(rand.NewPCG(seed, 7))
	rows := make([]wrow, n)
	for i := range rows {
		g := []string{"a", "b", "c"}[rng.IntN(3)]
		h := []string{"x", "y"}[rng.IntN(2)]
		rows[i] = wrow{label: rng.IntN(3) - 1, groups: []string{g, g + " | " + h}, weight: strconv.FormatFloat(rng.Float64()*3, 'g', -1, 64), line: i + 2}
	}
	return rows
}

func newTable(t *testing.T) *WeightedTable {
	tb, err := NewWeightedTable("w", []string{"g", "g × h"}, []string{"neg", "pos"}, 100)
	require.NoError(t, err)
	return tb
}

// Split into parts, scanned apart, encoded, decoded and merged in another
// order: the same table, to the bit, as one pass.
func TestWeightedTableMergesExactly(t *testing.T) {
	rows := randomWeightedRows(3000, 1)
	one := newTable(t)
	for _, r := range rows {
		require.NoError(t, one.Add(r.label, r.groups, r.weight, r.line))
	}
	parts := []*WeightedTable{newTable(t), newTable(t), newTable(t)}
	for i, r := range rows {
		require.NoError(t, parts[(i*7)%3].Add(r.label, r.groups, r.weight, r.line))
	}
	merged := newTable(t)
	for _, k := range []int{2, 0, 1} {
		b, err := parts[k].MarshalBinary()
		require.NoError(t, err)
		dec := newTable(t)
		require.NoError(t, dec.UnmarshalBinary(b))
		require.NoError(t, merged.Merge(dec))
	}
	assert.Equal(t, one.Result(), merged.Result())
}

func TestWeightedTableShares(t *testing.T) {
	tb := newTable(t)
	add := func(label int, g, w string, line int) {
		require.NoError(t, tb.Add(label, []string{g, g + " | x"}, w, line))
	}
	add(1, "a", "3", 2)
	add(0, "a", "1", 3)
	add(1, "b", "0.5", 4)
	add(0, "b", "1.5", 5)
	add(-1, "b", "", 6)     // unlabelled: not counted, its weight not read
	add(1, "b", "heavy", 7) // a bad weight: counted apart
	add(0, "a", "-1", 8)
	r := tb.Result()
	assert.Equal(t, 4, r.Rows)
	assert.Equal(t, 2, r.BadWeights)
	assert.Equal(t, []string{`line 7: weight "heavy": want a finite number, 0 or more`, `line 8: weight "-1": want a finite number, 0 or more`}, r.BadWeightLines)
	c := r.Columns[0]
	assert.InDelta(t, 6, c.Weight, 0)
	assert.InDelta(t, 3.5/6, c.LabelShare[1], 1e-15)
	assert.InDelta(t, 0.75, float64(c.Groups[0].Share[1]), 1e-15)
	assert.InDelta(t, 0.25, float64(c.Groups[1].Share[1]), 1e-15)
	assert.InDelta(t, 3.5/6-0.25, c.MaxGap, 1e-15)
	assert.Equal(t, []int{1, 1}, c.Groups[1].Rows)
}

func TestWeightedTableCapAndErrors(t *testing.T) {
	tb, err := NewWeightedTable("w", []string{"g"}, []string{"a", "b"}, 2)
	require.NoError(t, err)
	for i, g := range []string{"x", "y", "z", "z"} {
		require.NoError(t, tb.Add(0, []string{g}, "1", i))
	}
	r := tb.Result()
	assert.Len(t, r.Columns[0].Groups, 2)
	assert.Equal(t, 2, r.Columns[0].Pooled)
	// A group whose weights are all 0 has no share (null), not 0/0.
	tz, err := NewWeightedTable("w", []string{"g"}, []string{"a", "b"}, 10)
	require.NoError(t, err)
	require.NoError(t, tz.Add(0, []string{"x"}, "0", 2))
	assert.True(t, math.IsNaN(float64(tz.Result().Columns[0].Groups[0].Share[0])))

	_, err = NewWeightedTable("w", nil, []string{"a", "b"}, 10)
	assert.ErrorContains(t, err, "name one")
	_, err = NewWeightedTable(" ", []string{"g"}, []string{"a", "b"}, 10)
	assert.ErrorContains(t, err, "no name")
	other, err := NewWeightedTable("v", []string{"g"}, []string{"a", "b"}, 2)
	require.NoError(t, err)
	assert.ErrorContains(t, tb.Merge(other), "cannot be merged")
	assert.Error(t, tb.UnmarshalBinary([]byte("junk")))
}
