package evaluate

import (
	"context"
	"errors"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/engine"
	"github.com/lucid-nlp/lucid/perturb"
)

// sumModel is a pure-Go classifier with known logits: label 1's logit is
// the sum of the attended ids divided by 10, label 0's is its negative, and
// label 2's is zero. It records the batches it is given.
type sumModel struct {
	mu      sync.Mutex
	batches []int // rows per Run
	fail    error
	delay   time.Duration
}

func (m *sumModel) Labels() []string { return []string{"neg", "pos", "none"} }

func (m *sumModel) Run(ctx context.Context, b engine.Batch) (engine.Logits, error) {
	if err := b.Validate(); err != nil {
		return engine.Logits{}, err
	}
	m.mu.Lock()
	m.batches = append(m.batches, b.Rows)
	fail := m.fail
	m.mu.Unlock()
	time.Sleep(m.delay)
	if fail != nil {
		return engine.Logits{}, fail
	}
	out := engine.Logits{Rows: b.Rows, Labels: 3, Data: make([]float32, 3*b.Rows)}
	for r := range b.Rows {
		var s float32
		for c := range b.SeqLen {
			s += float32(b.InputIDs[r*b.SeqLen+c]*b.AttentionMask[r*b.SeqLen+c]) / 10
		}
		out.Data[3*r], out.Data[3*r+1] = -s, s
	}
	return out, nil
}

func row(ids ...int64) perturb.Row {
	mask := make([]int64, len(ids))
	for i := range mask {
		mask[i] = 1
	}
	return perturb.Row{IDs: ids, AttentionMask: mask}
}

func TestScoreOutputs(t *testing.T) {
	m := &sumModel{}
	rows := []perturb.Row{row(1, 2), row(5, 5)} // sums 0.3 and 1.0
	for _, tc := range []struct {
		out  Output
		want func(s float64) float64
	}{
		{Logit, func(s float64) float64 { return s }},
		{Probability, func(s float64) float64 { return math.Exp(s) / (math.Exp(s) + math.Exp(-s) + 1) }},
		{LogOdds, func(s float64) float64 { return s - math.Log(math.Exp(-s)+1) }},
	} {
		e := New(m, Options{Output: tc.out})
		got, st, err := e.Score(context.Background(), rows, 1)
		require.NoError(t, err)
		assert.Equal(t, 2, st.Evaluations)
		assert.InDelta(t, tc.want(0.3), got[0], 1e-6, tc.out.String())
		assert.InDelta(t, tc.want(1.0), got[1], 1e-6, tc.out.String())
	}
}

func TestScoreRemovesDuplicates(t *testing.T) {
	m := &sumModel{}
	e := New(m, Options{Output: Logit})
	padded := perturb.Row{IDs: []int64{3, 4}, AttentionMask: []int64{1, 0}}
	rows := []perturb.Row{row(3, 4), row(3, 4), padded, row(3, 4), padded}
	got, st, err := e.Score(context.Background(), rows, 1)
	require.NoError(t, err)
	assert.Equal(t, 2, st.Evaluations, "two distinct rows")
	assert.InDeltaSlice(t, []float64{0.7, 0.7, 0.3, 0.7, 0.3}, got, 1e-6)
	total, batches := e.Total()
	assert.Equal(t, 2, total.Evaluations)
	assert.Equal(t, 1, batches)
}

func TestScoreGroupsByLengthAndFillsBatches(t *testing.T) {
	m := &sumModel{}
	e := New(m, Options{BatchSize: 4, Output: Logit})
	rows := []perturb.Row{row(1), row(1, 1), row(2), row(3), row(2, 2), row(4), row(5)}
	got, _, err := e.Score(context.Background(), rows, 1)
	require.NoError(t, err)
	assert.InDeltaSlice(t, []float64{0.1, 0.2, 0.2, 0.3, 0.4, 0.4, 0.5}, got, 1e-6)
	// five rows of length 1 → batches of 4 and 1; two of length 2 → one batch
	assert.ElementsMatch(t, []int{4, 1, 2}, m.batches)
}

func TestConcurrentCallersShareBatches(t *testing.T) {
	// A slow model: while one batch runs, the other callers' rows queue up
	// and the next batch takes rows of many callers at once.
	m := &sumModel{delay: 5 * time.Millisecond}
	e := New(m, Options{BatchSize: 64, Output: Logit})
	const callers, each = 16, 8
	var wg sync.WaitGroup
	results := make([][]float64, callers)
	for c := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rows := make([]perturb.Row, each)
			for i := range rows {
				rows[i] = row(int64(c), int64(i)) // all length 2, distinct per caller
			}
			got, st, err := e.Score(context.Background(), rows, 1)
			assert.NoError(t, err)
			assert.Equal(t, each, st.Evaluations)
			results[c] = got
		}()
	}
	wg.Wait()
	for c := range callers {
		for i := range each {
			assert.InDelta(t, float64(c+i)/10, results[c][i], 1e-6)
		}
	}
	total, batches := e.Total()
	assert.Equal(t, callers*each, total.Evaluations)
	assert.Equal(t, len(m.batches), batches)
	assert.Less(t, batches, callers/2, "callers' rows must share batches: %v", m.batches)
}

func TestScoreErrors(t *testing.T) {
	m := &sumModel{}
	e := New(m, Options{})
	_, _, err := e.Score(context.Background(), []perturb.Row{row(1)}, 3)
	assert.ErrorContains(t, err, "target label index 3, the model has 3 labels")
	_, _, err = e.Score(context.Background(), []perturb.Row{row(1), {}}, 0)
	assert.ErrorContains(t, err, "row 1 is empty")

	m.fail = errors.New("boom")
	_, _, err = e.Score(context.Background(), []perturb.Row{row(1), row(1, 2)}, 0)
	assert.ErrorContains(t, err, "boom")

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, _, err = New(&sumModel{}, Options{}).Score(ctx, []perturb.Row{row(1)}, 0)
	assert.ErrorIs(t, err, context.Canceled)

	out, st, err := e.Score(context.Background(), nil, 0)
	assert.NoError(t, err)
	assert.Empty(t, out)
	assert.Zero(t, st.Evaluations)
}

func TestParseOutput(t *testing.T) {
	for in, want := range map[string]Output{"": Probability, "prob": Probability, "logit": Logit, "logodds": LogOdds} {
		got, err := ParseOutput(in)
		require.NoError(t, err)
		assert.Equal(t, want, got)
	}
	_, err := ParseOutput("odds")
	assert.Error(t, err)
}
