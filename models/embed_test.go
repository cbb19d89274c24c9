package models

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The embedded copy is byte for byte the folder it was built from.
func TestEmbeddedEqualsFolder(t *testing.T) {
	emb := Embedded()
	for _, f := range []string{ModelFile, TokenizerFile, ConfigFile, "model_embeds.onnx", "embeddings.onnx", "README.md"} {
		want, err := os.ReadFile(filepath.Join(defaultDir, f))
		require.NoError(t, err)
		got, err := fs.ReadFile(emb, f)
		require.NoError(t, err, f)
		assert.Equal(t, len(want), len(got), f)
		assert.True(t, string(want) == string(got), "%s differs from the embedded copy", f)
	}
	_, err := fs.Stat(emb, "reference.json")
	assert.ErrorIs(t, err, fs.ErrNotExist, "test data stays out of the binary")
}

func TestReadFolderFS(t *testing.T) {
	f, err := ReadFolderFS(Embedded(), EmbeddedName)
	require.NoError(t, err)
	disk, err := ReadFolder(defaultDir)
	require.NoError(t, err)
	assert.Equal(t, EmbeddedName, f.Dir)
	assert.NotNil(t, f.FS)
	assert.Nil(t, disk.FS)
	f.Dir, f.FS = disk.Dir, nil
	assert.Equal(t, disk, f, "the same contract read from memory as from disk")

	_, err = ReadFolderFS(nil, "x")
	assert.ErrorContains(t, err, "model x: no file system given")
	_, err = ReadFolderFS(fstest.MapFS{ConfigFile: {Data: []byte("{}")}}, "mem")
	assert.ErrorContains(t, err, "model folder mem lacks [model.onnx tokenizer.json]")
	_, err = ReadFolderFS(fstest.MapFS{ModelFile: {}, TokenizerFile: {}, ConfigFile: {Data: []byte("{")}}, "mem")
	assert.ErrorContains(t, err, "mem/config.json is not valid JSON")
}

func TestLoadDefaultFromEmbedded(t *testing.T) {
	t.Setenv(ModelEnv, "")
	t.Chdir(t.TempDir()) // nowhere near the checkout
	c, err := LoadDefault()
	require.NoError(t, err)
	defer c.Close()
	assert.Equal(t, EmbeddedName, c.Folder.Dir)
	assert.Equal(t, 512, c.Folder.MaxLength)
	preds, err := c.Predict(context.Background(), []string{"a gorgeous , witty , seductive movie ."})
	require.NoError(t, err)
	assert.Equal(t, "POSITIVE", preds[0].Label)

	abs, err := filepath.Abs(filepath.Join("..", "..")) // any folder that is not a model
	require.NoError(t, err)
	t.Setenv(ModelEnv, abs)
	_, err = Default()
	assert.ErrorContains(t, err, "lacks", "$"+ModelEnv+" is honoured before the embedded copy")
}

func TestLoadFolderCorruptTokenizerInFS(t *testing.T) {
	raw, err := fs.ReadFile(Embedded(), ModelFile)
	require.NoError(t, err)
	cfg, err := fs.ReadFile(Embedded(), ConfigFile)
	require.NoError(t, err)
	f, err := ReadFolderFS(fstest.MapFS{ModelFile: {Data: raw}, TokenizerFile: {Data: []byte("[]")}, ConfigFile: {Data: cfg}}, "mem")
	require.NoError(t, err)
	_, err = LoadFolder(f)
	assert.ErrorContains(t, err, "tokenize: mem/tokenizer.json: not a tokenizer.json")
}

func TestFileSizeEmbeddedEqualsDisk(t *testing.T) {
	emb, err := ReadFolderFS(Embedded(), EmbeddedName)
	require.NoError(t, err)
	disk, err := ReadFolder(defaultDir)
	require.NoError(t, err)
	for _, f := range []string{ModelFile, "model_embeds.onnx", "embeddings.onnx", "model_grad.onnx"} {
		a, err := emb.FileSize(f)
		require.NoError(t, err)
		b, err := disk.FileSize(f)
		require.NoError(t, err)
		assert.Equal(t, b, a, f)
		assert.Greater(t, a, int64(1<<20), f)
	}
	_, err = emb.FileSize("reference.json") // not embedded: tests read it from disk
	assert.ErrorContains(t, err, "embedded:sst2-mini-bert/reference.json")
	assert.ErrorIs(t, err, fs.ErrNotExist)
}
