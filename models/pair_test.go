package models

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// pairModelDir is a sentence-pair model whose logits are known exactly
// (testdata/pair-additive/README.md).
const pairModelDir = "testdata/pair-additive"

// additiveLogits is the pair-additive graph's formula, computed here from
// the ids and type ids alone: logit k = Σ W[id, k] + 0.5·k·Σ type,
// W[i, k] = (i+1)(k−1)/8.
func additiveLogits(ids, types []int64) []float64 {
	out := make([]float64, 3)
	for k := range out {
		for s, id := range ids {
			out[k] += float64(id+1) * float64(k-1) / 8
			out[k] += 0.5 * float64(types[s]) * float64(k)
		}
	}
	return out
}

func TestPairModelGraphsAreTheAdditiveOnes(t *testing.T) {
	for _, f := range []string{"model.onnx", "model_embeds.onnx", "embeddings.onnx", "model_grad.onnx"} {
		a, err := os.ReadFile(filepath.Join("..", "engine", "onnx", "testdata", "additive", f))
		require.NoError(t, err)
		b, err := os.ReadFile(filepath.Join(pairModelDir, f))
		require.NoError(t, err)
		assert.True(t, bytes.Equal(a, b), "%s: the copy in %s differs from engine/onnx/testdata/additive's (rerun cp after scripts/make_test_models.py)", f, pairModelDir)
	}
}

// TestPredictPairs: the logits of a pair are the graph's formula on the
// pair template's ids and segment ids, to float32 rounding (1e-5), and
// the second text's type ids reach the model: the same words as one text
// give other logits.
func TestPredictPairs(t *testing.T) {
	c, err := Load(pairModelDir)
	require.NoError(t, err)
	defer c.Close()
	pairs := [][2]string{
		{"A man is eating food.", "Someone eats."},
		{"someone eats", "a man is not eating"},
		{"", "a man"},
		{"a man", ""},
	}
	preds, err := c.PredictPairs(context.Background(), pairs)
	require.NoError(t, err)
	require.Len(t, preds, len(pairs))
	for i, p := range preds {
		require.NoError(t, p.Err)
		e, err := c.Tokenizer.EncodePair(pairs[i][0], pairs[i][1])
		require.NoError(t, err)
		want := additiveLogits(e.IDs, e.TypeIDs)
		for k := range want {
			assert.InDelta(t, want[k], float64(p.Logits[k]), 1e-5, "pair %d logit %d", i, k)
		}
		assert.Equal(t, pairs[i][0], p.Text)
		assert.Equal(t, pairs[i][1], p.TextPair)
		assert.False(t, p.Truncated)
	}
	// [CLS] a man is eating food . [SEP] someone eats . [SEP] has 4 tokens
	// of type 1 and one [SEP] more than the words as one text, so logit 2
	// gains 0.5·2·4 = 4 from the segment ids and W[[SEP]=3, 2] = 0.5.
	one, err := c.Predict(context.Background(), []string{"A man is eating food. Someone eats."})
	require.NoError(t, err)
	assert.InDelta(t, 4.5, float64(preds[0].Logits[2]-one[0].Logits[2]), 1e-5)

	bad, err := c.PredictPairs(context.Background(), [][2]string{{"ok", "\xff"}})
	require.NoError(t, err)
	require.Error(t, bad[0].Err)
	assert.Contains(t, bad[0].Err.Error(), "second text")
}

func TestPredictPairsTruncation(t *testing.T) {
	c, err := Load(pairModelDir)
	require.NoError(t, err)
	defer c.Close()
	c.Tokenizer.SetMaxLength(9) // 6 tokens of room
	preds, err := c.PredictPairs(context.Background(), [][2]string{{"a man is eating food .", "someone eats"}})
	require.NoError(t, err)
	require.NoError(t, preds[0].Err)
	assert.True(t, preds[0].Truncated)
	assert.Equal(t, [2]int{2, 0}, preds[0].Removed, "longest-first: the first text (6 tokens) is cut to the 4 the second (2) leaves")
}
