package consistency

import (
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/internal/mergetest"
)

type sliceRow struct{ text, truth, pred string }

func TestSliceAccuracyMergesToTheSinglePass(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 42))
	words := []string{"good", "not", "bad", "never", "film", "42", "?", "fine", "plot"}
	for trial := range 40 {
		rows := make([]sliceRow, rng.IntN(300))
		for i := range rows {
			if i > 0 && rng.IntN(8) == 0 {
				rows[i] = rows[rng.IntN(i)] // duplicates
				continue
			}
			n := rng.IntN(30)
			w := make([]string, n)
			for j := range w {
				w[j] = words[rng.IntN(len(words))]
			}
			rows[i] = sliceRow{strings.Join(w, " "), []string{"pos", "neg"}[rng.IntN(2)], []string{"pos", "neg"}[rng.IntN(2)]}
		}
		single := NewSliceAccuracy(nil)
		for _, r := range rows {
			single.Add(r.text, r.truth, r.pred)
		}
		rng.Shuffle(len(rows), func(i, j int) { rows[i], rows[j] = rows[j], rows[i] })
		k := 1 + rng.IntN(5)
		parts := make([]*SliceAccuracy, k)
		for i := range parts {
			parts[i] = NewSliceAccuracy(nil)
		}
		for _, r := range rows {
			parts[rng.IntN(k)].Add(r.text, r.truth, r.pred)
		}
		merged := mergetest.Merge(t, rng, parts, func() *SliceAccuracy { return NewSliceAccuracy(nil) })
		want, err := json.Marshal(single.Result())
		require.NoError(t, err)
		got, err := json.Marshal(merged.Result())
		require.NoError(t, err)
		require.Equal(t, string(want), string(got), "trial %d: %d rows, %d parts", trial, len(rows), k)
	}
}

func TestSliceAccuracyMergeAndUnmarshalErrors(t *testing.T) {
	s := NewSliceAccuracy(nil)
	s.Add("not good", "pos", "neg")
	other := NewSliceAccuracy(func(text string) []string { return []string{text} })
	assert.ErrorContains(t, s.Merge(other), "different slice functions")
	assert.Error(t, s.UnmarshalBinary([]byte("garbage")))
	assert.Error(t, s.UnmarshalBinary(nil))
	assert.Equal(t, 1, s.Result()[0].Count, "failed merges and decodes change nothing")

	require.NoError(t, s.Merge(s), "merging with itself doubles the counts")
	r := s.Result()
	assert.Equal(t, 2, r[0].Count)
	for _, st := range r[1:] {
		assert.Equal(t, 2, st.Count, st.Name)
	}
}
