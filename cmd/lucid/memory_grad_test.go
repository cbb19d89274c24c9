package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/models"
)

// The gradient methods' memory estimate counts model_grad.onnx beside the
// embedding graphs, since they run on it whenever the folder has it.
func TestShapeOfCountsTheGradientGraph(t *testing.T) {
	dir := filepath.Join("..", "..", "models", "sst2-mini-bert")
	grad, err := os.Stat(filepath.Join(dir, "model_grad.onnx"))
	if err != nil {
		t.Skipf("the shipped model has no model_grad.onnx: %v", err)
	}
	f, err := models.ReadFolder(dir)
	require.NoError(t, err)
	var embeds int64
	for _, name := range []string{"model_embeds.onnx", "embeddings.onnx"} {
		st, err := os.Stat(filepath.Join(dir, name))
		require.NoError(t, err)
		embeds += st.Size()
	}
	assert.Equal(t, embeds+grad.Size(), shapeOf(f, true).weightBytes-shapeOf(f, false).weightBytes)
}
