package onnx

import (
	"context"
	"os"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/engine"
)

// mapFS holds the files of a testdata folder in memory.
func mapFS(t *testing.T, dir string, files ...string) fstest.MapFS {
	t.Helper()
	fsys := fstest.MapFS{}
	for _, f := range files {
		b, err := os.ReadFile(dir + "/" + f)
		require.NoError(t, err)
		fsys[f] = &fstest.MapFile{Data: b}
	}
	return fsys
}

// A folder opened from bytes (OpenFS) runs exactly as the same folder
// opened from disk, embedding graphs included.
func TestOpenFSEqualsOpen(t *testing.T) {
	disk := openAdditive(t)
	fsys := mapFS(t, "testdata/additive", ModelFile, EmbedModelFile, LookupFile)
	mem, err := OpenFS(fsys, "in-memory/additive", WithSessions(2))
	require.NoError(t, err)
	defer mem.Close()
	assert.Equal(t, "in-memory/additive", mem.Dir())
	assert.Equal(t, disk.Inputs(), mem.Inputs())
	assert.Equal(t, disk.Labels(), mem.Labels())
	b := engine.Batch{Rows: 2, SeqLen: 3, InputIDs: []int64{1, 5, 7, 2, 9, 0}, AttentionMask: []int64{1, 1, 1, 1, 1, 0}}
	want, err := disk.Run(context.Background(), b)
	require.NoError(t, err)
	got, err := mem.Run(context.Background(), b)
	require.NoError(t, err)
	assert.Equal(t, want.Data, got.Data)

	require.True(t, mem.HasEmbeddingGraphs())
	require.Equal(t, 3, mem.Hidden())
	e1, err := disk.Embed(context.Background(), []int64{3, 4})
	require.NoError(t, err)
	e2, err := mem.Embed(context.Background(), []int64{3, 4})
	require.NoError(t, err)
	assert.Equal(t, e1, e2)
}

func TestOpenFSPositions(t *testing.T) {
	m, err := OpenFS(mapFS(t, "../../models/sst2-mini-bert", ModelFile), "sst2")
	require.NoError(t, err)
	defer m.Close()
	assert.Equal(t, 512, m.Positions(), "read from the bytes as from the file")
	assert.False(t, m.HasEmbeddingGraphs())
	_, err = m.Embed(context.Background(), []int64{1})
	assert.ErrorContains(t, err, "model folder sst2 lacks model_embeds.onnx and embeddings.onnx")
}

func TestOpenFSErrors(t *testing.T) {
	_, err := OpenFS(nil, "nothing")
	assert.ErrorContains(t, err, "model nothing: no file system given")

	_, err = OpenFS(fstest.MapFS{}, "empty-folder")
	assert.ErrorContains(t, err, "model file empty-folder/model.onnx")
	assert.ErrorContains(t, err, "file does not exist")

	_, err = OpenFS(fstest.MapFS{ModelFile: {Data: nil}}, "zero")
	assert.ErrorContains(t, err, "zero/model.onnx is not a model ONNX Runtime can read: the file is empty")

	_, err = OpenFS(fstest.MapFS{ModelFile: {Data: []byte("not an onnx file")}}, "junk")
	assert.ErrorContains(t, err, "junk/model.onnx is not a model ONNX Runtime can read")
}
