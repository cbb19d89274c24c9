package bench

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/models"
	"github.com/lucid-nlp/lucid/tokenize"
)

// Bucketing changes which texts share a batch and how much padding each
// gets, never the outputs: on the shipped model every text's logits agree
// between arrival order, bucketed order and the text run alone (no
// padding) to 1e-4, float32 rounding of differently shaped matrix
// products (the logits are of order 1).
func TestBucketingKeepsEveryOutput(t *testing.T) {
	clf, err := models.LoadDefault()
	require.NoError(t, err, "ONNX Runtime must be installed: run scripts/setup_ort.sh")
	defer clf.Close()
	texts := BuiltinSentences
	if p := filepath.Join("..", "..", "shared", "data", "sst2", "dev.tsv"); fileExistsForTest(p) {
		if texts, err = ReadSentences(p, 40); err != nil {
			t.Fatal(err)
		}
	}
	encs, err := clf.Tokenizer.EncodeBatch(texts)
	require.NoError(t, err)
	ctx := context.Background()
	pad := clf.Tokenizer.PadID()
	alone, own, _, err := RunPadded(ctx, clf.Model, encs, pad, 1, false)
	require.NoError(t, err)
	total := 0
	for _, e := range encs {
		total += e.Len()
	}
	assert.Equal(t, total, own, "batches of one text carry no padding")
	for _, bs := range []int{3, 8, 64} {
		arr, at, _, err := RunPadded(ctx, clf.Model, encs, pad, bs, false)
		require.NoError(t, err)
		buck, bt, _, err := RunPadded(ctx, clf.Model, encs, pad, bs, true)
		require.NoError(t, err)
		assert.LessOrEqual(t, bt, at, "batch %d: sorted by length, batches carry no more padding", bs)
		assert.GreaterOrEqual(t, bt, total)
		for i := range encs {
			assert.InDeltaSlice(t, alone[i], arr[i], 1e-4, "batch %d, text %d, arrival order", bs, i)
			assert.InDeltaSlice(t, alone[i], buck[i], 1e-4, "batch %d, text %d, bucketed", bs, i)
		}
	}
}

// Padding counts: texts of 2, 9, 3 and 8 tokens in batches of two cost
// 2·9 + 2·8 = 34 tokens in arrival order, 2·3 + 2·9 = 24 sorted.
func TestBucketingPadsLess(t *testing.T) {
	m := &batchModel{}
	encs := []*tokenize.Encoding{enc(2), enc(9), enc(3), enc(8)}
	_, at, _, err := RunPadded(context.Background(), m, encs, 0, 2, false)
	require.NoError(t, err)
	_, bt, _, err := RunPadded(context.Background(), m, encs, 0, 2, true)
	require.NoError(t, err)
	assert.Equal(t, 34, at)
	assert.Equal(t, 24, bt)
	assert.Equal(t, [][2]int{{2, 9}, {2, 8}, {2, 3}, {2, 9}}, m.batches)
	_, _, _, err = RunPadded(context.Background(), m, encs, 0, 0, true)
	assert.ErrorContains(t, err, "batch size 0")
}

func fileExistsForTest(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
