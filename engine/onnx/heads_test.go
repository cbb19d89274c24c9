package onnx

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/engine"
)

// A graph whose logits are declared [batch, labels] with a dynamic label
// count opens without names: one row says there are three.
func TestDynamicLabelCountIsProbed(t *testing.T) {
	m, err := Open("testdata/dynamic_labels")
	require.NoError(t, err, "ONNX Runtime must be installed: run scripts/setup_ort.sh")
	t.Cleanup(func() { m.Close() })
	assert.Equal(t, []string{"LABEL_0", "LABEL_1", "LABEL_2"}, m.Labels())
	assert.Equal(t, engine.SingleLabel, m.Head(), "three outputs, no head given: single-label")
	// [CLS] (id 2) rows -1, -1, -1.5 plus "idiot" (id 8) 2, 1.5, 0
	got, err := m.Run(context.Background(), engine.Batch{Rows: 1, SeqLen: 2, InputIDs: []int64{2, 8}, AttentionMask: []int64{1, 1}})
	require.NoError(t, err)
	assert.Equal(t, []float32{1, 0.5, -1.5}, got.Row(0))

	named, err := Open("testdata/dynamic_labels", WithLabels([]string{"a", "b", "c"}), WithHead(engine.MultiLabel))
	require.NoError(t, err)
	t.Cleanup(func() { named.Close() })
	assert.Equal(t, []string{"a", "b", "c"}, named.Labels())
	assert.Equal(t, engine.MultiLabel, named.Head())
}

// Transformers' rule: one output without a head is regression; a
// single-label head on one output is refused, since its softmax is 1.
func TestOneOutputHead(t *testing.T) {
	m, err := Open("testdata/regression")
	require.NoError(t, err)
	t.Cleanup(func() { m.Close() })
	assert.Equal(t, engine.Regression, m.Head())
	assert.Equal(t, engine.Regression, engine.HeadOf(m))
	_, err = Open("testdata/regression", WithHead(engine.SingleLabel))
	assert.ErrorContains(t, err, "one output (LABEL_0) and a single-label (softmax) head, whose one probability is always 1")
}
