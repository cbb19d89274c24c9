package serveload

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/engine"
	"github.com/lucid-nlp/lucid/tokenize"
)

// countModel is a pure-Go model that records the batches it ran by size
// and length, and fails when told to.
type countModel struct {
	mu   sync.Mutex
	runs map[[2]int]int // {rows, seq} → runs
	fail error
}

func (m *countModel) Labels() []string { return []string{"a", "b"} }

func (m *countModel) Run(ctx context.Context, b engine.Batch) (engine.Logits, error) {
	if err := b.Validate(); err != nil {
		return engine.Logits{}, err
	}
	if m.fail != nil {
		return engine.Logits{}, m.fail
	}
	m.mu.Lock()
	m.runs[[2]int{b.Rows, b.SeqLen}]++
	m.mu.Unlock()
	return engine.Logits{Rows: b.Rows, Labels: 2, Data: make([]float32, 2*b.Rows)}, nil
}

func enc(n int) *tokenize.Encoding {
	e := &tokenize.Encoding{IDs: make([]int64, n), TypeIDs: make([]int64, n), AttentionMask: make([]int64, n)}
	for i := range n {
		e.IDs[i], e.AttentionMask[i] = int64(i+1), 1
	}
	return e
}

// A floor reading tries every batch size from one row (and the batcher's
// own) with one runner and with the sessions at once, picks the fastest
// at the median length, and rates every length at it. No timing is
// judged: only which points were measured and that the best is the
// highest of them.
func TestReadFloorTriesEveryBatchAndRunnersAndEveryLength(t *testing.T) {
	m := &countModel{runs: map[[2]int]int{}}
	encs := []*tokenize.Encoding{enc(5), enc(9), enc(5), enc(7)}
	r, err := readFloor(context.Background(), m, encs, 2, 24)
	require.NoError(t, err)
	assert.Equal(t, 7, r.MedianLength, "lengths 5, 7, 9")
	assert.Len(t, r.AtMedian, 12, "batches 1, 8, 16, 32, 64, 24 × runners 1, 2")
	for _, k := range []string{"1×1", "1×2", "8×1", "64×2", "24×1", "24×2"} {
		assert.Positive(t, r.AtMedian[k], k)
	}
	best := 0.0
	for _, v := range r.AtMedian {
		best = max(best, v)
	}
	assert.Equal(t, best, r.AtMedian[fmtKey(r.BestBatch, r.BestRunners)])
	assert.Len(t, r.ByLength, 3)
	for _, l := range []int{5, 7, 9} {
		assert.Positive(t, r.ByLength[l], "length %d", l)
		assert.Positive(t, m.runs[[2]int{r.BestBatch, l}], "length %d ran at the best batch", l)
	}
	for _, bs := range []int{1, 8, 16, 24, 32, 64} {
		assert.Positive(t, m.runs[[2]int{bs, 7}], "batch %d at the median length", bs)
	}
	// One session: one runner only.
	r, err = readFloor(context.Background(), m, encs, 1, 0)
	require.NoError(t, err)
	assert.Len(t, r.AtMedian, 5)
	assert.Equal(t, 1, r.BestRunners)

	m.fail = errors.New("boom")
	_, err = readFloor(context.Background(), m, encs, 1, 0)
	assert.ErrorContains(t, err, "boom")
	_, err = readFloor(context.Background(), m, nil, 1, 0)
	assert.ErrorContains(t, err, "no texts")
}

func TestWeightedFloorIsHarmonic(t *testing.T) {
	r := &FloorReading{ByLength: map[int]float64{5: 100, 9: 50}}
	// One row of each: 2 rows in 1/100 + 1/50 s.
	assert.InDelta(t, 2/(1.0/100+1.0/50), weightedFloor(r, []int{5, 9}, nil), 1e-9)
	// Weights 3 and 1: 4 rows in 3/100 + 1/50 s.
	assert.InDelta(t, 4/(3.0/100+1.0/50), weightedFloor(r, []int{5, 9}, []float64{3, 1}), 1e-9)
}
