package scoring

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/engine"
)

// lengthClassifier scores a text by its length; it records call sizes and
// can be told to fail once.
type lengthClassifier struct {
	calls    []int
	failNext bool
}

func (c *lengthClassifier) Labels() []string { return []string{"short", "long"} }

func (c *lengthClassifier) Probabilities(_ context.Context, texts []string) ([][]float64, error) {
	if c.failNext {
		c.failNext = false
		return nil, errors.New("flaky")
	}
	c.calls = append(c.calls, len(texts))
	out := make([][]float64, len(texts))
	for i, t := range texts {
		p := float64(len(t)) / 10
		out[i] = []float64{1 - p, p}
	}
	return out, nil
}

func TestBatcherFullBatchesAndGroupOrder(t *testing.T) {
	clf := &lengthClassifier{}
	b := NewBatcher(clf, 4, 2)
	var got [][]float64
	var order []string
	add := func(name string, texts ...string) {
		b.Add(texts, func(p [][]float64) {
			order = append(order, name)
			for _, row := range p {
				got = append(got, []float64{row[1]})
			}
		})
		require.NoError(t, b.Run(context.Background(), false))
	}
	add("a", "x", "xx", "xxx")
	assert.Empty(t, order, "3 texts: no full batch yet")
	add("b", "xxxx", "xxxxx") // 5 queued: one batch of 4 runs, a completes, b waits
	assert.Equal(t, []string{"a"}, order)
	add("c", "y")
	assert.Equal(t, []string{"a"}, order)
	clf.failNext = true
	require.Error(t, b.Run(context.Background(), true), "a failed call is reported")
	require.NoError(t, b.Run(context.Background(), true), "and retried")
	assert.Equal(t, []string{"a", "b", "c"}, order)
	assert.Equal(t, []int{4, 2}, clf.calls)
	assert.InDeltaSlice(t, []float64{0.1, 0.2, 0.3, 0.4, 0.5, 0.1}, flatten(got), 1e-12)
	assert.Zero(t, b.Pending())
}

func flatten(rows [][]float64) []float64 {
	var out []float64
	for _, r := range rows {
		out = append(out, r...)
	}
	return out
}

func TestTargetIndex(t *testing.T) {
	i, err := TargetIndex([]string{"NEGATIVE", "POSITIVE"}, "")
	require.NoError(t, err)
	assert.Equal(t, 1, i)
	i, err = TargetIndex([]string{"pos", "neg", "neutral"}, "")
	require.NoError(t, err)
	assert.Equal(t, 2, i, "no label named positive: the last")
	i, err = TargetIndex([]string{"a", "b"}, "A")
	require.NoError(t, err)
	assert.Equal(t, 0, i)
	_, err = TargetIndex([]string{"a", "b"}, "c")
	assert.ErrorContains(t, err, `target label "c"`)
	_, err = TargetIndex(nil, "")
	assert.Error(t, err)
}

type headed struct{ h engine.Head }

func (headed) Labels() []string { return []string{"a", "b"} }
func (headed) Probabilities(context.Context, []string) ([][]float64, error) {
	return [][]float64{{0.9, 0.8}}, nil
}
func (h headed) Head() engine.Head { return h.h }

type plain struct{}

func (plain) Labels() []string { return []string{"a", "b"} }
func (plain) Probabilities(context.Context, []string) ([][]float64, error) {
	return [][]float64{{0.4, 0.6}}, nil
}

func TestHeadOf(t *testing.T) {
	if got := HeadOf(plain{}); got != engine.SingleLabel {
		t.Errorf("a classifier that does not say: %v, want single-label", got)
	}
	for _, h := range []engine.Head{engine.SingleLabel, engine.MultiLabel, engine.Regression} {
		if got := HeadOf(headed{h}); got != h {
			t.Errorf("HeadOf = %v, want %v", got, h)
		}
	}
}
