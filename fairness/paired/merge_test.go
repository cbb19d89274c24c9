package paired

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/internal/mergetest"
)

type pairedRow struct {
	frame, group string
	score        float64
	positive     bool
}

// randomPairedRows draws rows over a few groups and many frames, with
// missing frames, a skipped group, duplicate rows and scores on a coarse
// grid (ties) mixed with full-precision ones.
func randomPairedRows(rng *rand.Rand, n, frames int) []pairedRow {
	rows := make([]pairedRow, 0, n)
	for len(rows) < n {
		if len(rows) > 0 && rng.IntN(10) == 0 {
			rows = append(rows, rows[rng.IntN(len(rows))])
			continue
		}
		r := pairedRow{frame: fmt.Sprintf("f%d", rng.IntN(frames)), group: fmt.Sprintf("g%d", rng.IntN(4)),
			score: rng.Float64()}
		if rng.IntN(2) == 0 {
			r.score = float64(rng.IntN(5)) / 4
		}
		r.positive = r.score > 0.5
		switch rng.IntN(25) {
		case 0:
			r.frame = " "
		case 1:
			r.group = "skip-me"
		}
		rows = append(rows, r)
	}
	return rows
}

func TestAccumulatorMergesToTheSinglePass(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	droppedTrials := 0
	for trial := range 40 {
		frames := 1 + rng.IntN(60)
		opts := Options{Column: "g", FrameColumn: "f", Skip: []string{"skip-me"}}
		if trial%2 == 0 {
			opts.MaxFrames = 1 + rng.IntN(frames) // frames dropped, by the same rule in every part
		}
		rows := randomPairedRows(rng, rng.IntN(500), frames)
		single, err := NewAccumulator(opts)
		require.NoError(t, err)
		for _, r := range rows {
			single.Add(r.frame, r.group, r.score, r.positive)
		}

		rng.Shuffle(len(rows), func(i, j int) { rows[i], rows[j] = rows[j], rows[i] })
		k := 1 + rng.IntN(5)
		parts := make([]*Accumulator, k)
		for i := range parts {
			parts[i], err = NewAccumulator(opts)
			require.NoError(t, err)
		}
		for _, r := range rows {
			parts[rng.IntN(k)].Add(r.frame, r.group, r.score, r.positive)
		}
		merged := mergetest.Merge(t, rng, parts, func() *Accumulator {
			a, err := NewAccumulator(opts)
			require.NoError(t, err)
			return a
		})
		wantReport := single.Result()
		if wantReport.DroppedRows > 0 {
			droppedTrials++
		}
		want, err := json.Marshal(wantReport)
		require.NoError(t, err)
		got, err := json.Marshal(merged.Result())
		require.NoError(t, err)
		require.Equal(t, string(want), string(got), "trial %d: %d rows, %d frames, max %d, %d parts", trial, len(rows), frames, opts.MaxFrames, k)
	}
	assert.Greater(t, droppedTrials, 5, "the frame cap must be exercised")
}

func TestAccumulatorMergeAndUnmarshalErrors(t *testing.T) {
	a, err := NewAccumulator(Options{Tolerance: 0.1})
	require.NoError(t, err)
	b, err := NewAccumulator(Options{Tolerance: 0.2})
	require.NoError(t, err)
	a.Add("f", "x", 0.5, false)
	b.Add("f", "x", 0.5, false)
	assert.ErrorContains(t, a.Merge(b), "different options")
	data, err := b.MarshalBinary()
	require.NoError(t, err)
	assert.ErrorContains(t, a.UnmarshalBinary(data), "options")
	assert.Error(t, a.UnmarshalBinary([]byte("garbage")))
	assert.Error(t, a.UnmarshalBinary(nil))
	assert.Equal(t, 1, a.Result().Rows, "failed merges and decodes change nothing")

	require.NoError(t, a.Merge(a), "merging with itself doubles the rows")
	r := a.Result()
	assert.Equal(t, 2, r.Rows)
	require.Len(t, r.Groups, 1)
	assert.Equal(t, 2, r.Groups[0].Rows)
	assert.Equal(t, 0.5, r.Groups[0].MeanScore)
}

// A pair sharing one frame has no t-test: its adjusted p-value is written
// as null, and read back as NaN.
func TestUndefinedPAdjustedIsNull(t *testing.T) {
	a, err := NewAccumulator(Options{})
	require.NoError(t, err)
	a.Add("f1", "x", 0.9, true)
	a.Add("f1", "y", 0.1, false)
	a.Add("f2", "x", 0.9, true)
	a.Add("f3", "y", 0.1, false)
	r := a.Result()
	require.Len(t, r.Pairs, 1)
	require.True(t, math.IsNaN(r.Pairs[0].PAdjusted))
	b, err := json.Marshal(r)
	require.NoError(t, err)
	assert.Contains(t, string(b), `"p_adjusted":null`)
	var back Report
	require.NoError(t, json.Unmarshal(b, &back))
	assert.True(t, math.IsNaN(back.Pairs[0].PAdjusted))
	assert.Equal(t, r.Pairs[0].A, back.Pairs[0].A)
	assert.Equal(t, r.Pairs[0].Score.N, back.Pairs[0].Score.N)
}
