package bench

import (
	"context"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/engine"
	"github.com/lucid-nlp/lucid/tokenize"
)

// batchModel records the shape of every batch it runs.
type batchModel struct {
	mu      sync.Mutex
	batches [][2]int // rows, sequence length
}

func (m *batchModel) Labels() []string { return []string{"a", "b"} }

func (m *batchModel) Run(_ context.Context, b engine.Batch) (engine.Logits, error) {
	m.mu.Lock()
	m.batches = append(m.batches, [2]int{b.Rows, b.SeqLen})
	m.mu.Unlock()
	return engine.Logits{Rows: b.Rows, Labels: 2, Data: make([]float32, 2*b.Rows)}, nil
}

func enc(n int) *tokenize.Encoding {
	e := &tokenize.Encoding{IDs: make([]int64, n), AttentionMask: make([]int64, n), TypeIDs: make([]int64, n)}
	return e
}

// The floor packs rows of equal length from every sentence into full
// batches, as the evaluator packs an explanation's rows: only the last
// batch of each length is short.
func TestReplayPacksRowsByLength(t *testing.T) {
	m := &batchModel{}
	encs := []*tokenize.Encoding{enc(5), enc(7), enc(5), enc(5)}
	_, err := replay(context.Background(), m, encs, []int{3, 6, 3, 3}, 4)
	require.NoError(t, err)
	// Length 5: 9 rows → 4, 4, 1; length 7: 6 rows → 4, 2.
	assert.Equal(t, [][2]int{{4, 5}, {4, 5}, {1, 5}, {4, 7}, {2, 7}}, m.batches)
}

// The other packing the floor tries: every sentence's rows sorted by
// length and cut into full batches, each padded to its longest row. With
// one row a sentence (grad-input, saliency) it runs one full batch where
// packing by length runs one short batch per length.
func TestReplayPaddedFillsBatchesAcrossLengths(t *testing.T) {
	m := &batchModel{}
	encs := []*tokenize.Encoding{enc(9), enc(5), enc(7), enc(5), enc(6)}
	_, err := replayPadded(context.Background(), m, encs, []int{1, 1, 1, 1, 1}, 4)
	require.NoError(t, err)
	// Sorted 5, 5, 6, 7 | 9: the first batch is padded to 7.
	assert.Equal(t, [][2]int{{4, 7}, {1, 9}}, m.batches)

	m = &batchModel{}
	_, err = replay(context.Background(), m, encs, []int{1, 1, 1, 1, 1}, 4)
	require.NoError(t, err)
	assert.Len(t, m.batches, 4, "by length: one short batch for each of 4 lengths")

	// Zero rows of a sentence run nothing of it.
	m = &batchModel{}
	_, err = replayPadded(context.Background(), m, encs, []int{0, 2, 0, 0, 0}, 4)
	require.NoError(t, err)
	assert.Equal(t, [][2]int{{2, 5}}, m.batches)
}

// The headline throughput is the best measured one.
func TestThroughputHeadlineIsTheBestMeasured(t *testing.T) {
	if testing.Short() {
		t.Skip("times the engine for about a second")
	}
	m := &batchModel{}
	tp, err := MeasureThroughput(context.Background(), m, []*tokenize.Encoding{enc(4), enc(6), enc(9)}, []int{1, 8})
	require.NoError(t, err)
	assert.Equal(t, 6, tp.MedianLength)
	best := 0.0
	for _, r := range tp.ByBatch {
		best = max(best, r)
	}
	assert.Equal(t, best, tp.BestMeasured)
	assert.Equal(t, tp.ByBatch[tp.BestBatch], tp.BestMeasured)
	assert.Len(t, tp.ByLength, 3)
}
