package onnx

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/engine"
)

// copyModel puts testdata/<name>/model.onnx into a fresh folder, so a test
// may change it.
func copyModel(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name, ModelFile))
	require.NoError(t, err)
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, ModelFile), data, 0o644))
	return dir
}

func cacheEntries(t *testing.T, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "*.ort.onnx"))
	require.NoError(t, err)
	return m
}

// checkAdditive runs one known row and compares it with the additive
// graph's exact logits (tolerance 1e-6: the values are sums of eighths).
func checkAdditive(t *testing.T, m *Model) {
	t.Helper()
	b := engine.Batch{Rows: 1, SeqLen: 3, InputIDs: []int64{1, 5, 7}, AttentionMask: []int64{1, 1, 0}, TokenTypeIDs: []int64{0, 1, 1}}
	got, err := m.Run(context.Background(), b)
	require.NoError(t, err)
	for k := range 3 {
		assert.InDelta(t, additiveLogit(b.InputIDs, b.AttentionMask, b.TokenTypeIDs, k), got.Row(0)[k], 1e-6, "label %d", k)
	}
}

func TestGraphCacheSecondOpenReadsTheCachedGraph(t *testing.T) {
	dir, cache := copyModel(t, "additive"), t.TempDir()
	var warnings []string
	warn := WithWarnings(func(s string) { warnings = append(warnings, s) })

	m1, err := Open(dir, WithGraphCache(cache), warn)
	require.NoError(t, err)
	assert.Contains(t, m1.GraphSource(), "optimized graph saved to")
	checkAdditive(t, m1)
	m1.Close()
	entries := cacheEntries(t, cache)
	require.Len(t, entries, 1, "the first open writes one cache entry")
	tmps, _ := filepath.Glob(filepath.Join(cache, "*.tmp"))
	assert.Empty(t, tmps, "no temporary file is left behind")

	m2, err := Open(dir, WithGraphCache(cache), warn)
	require.NoError(t, err)
	assert.Equal(t, "cached optimized graph "+entries[0], m2.GraphSource())
	checkAdditive(t, m2)
	m2.Close()

	// Proof that the second open read the cache file rather than the
	// model: a damaged entry is noticed, removed and rebuilt.
	require.NoError(t, os.WriteFile(entries[0], []byte("not a graph"), 0o644))
	m3, err := Open(dir, WithGraphCache(cache), warn)
	require.NoError(t, err)
	assert.Contains(t, m3.GraphSource(), "optimized graph saved to")
	checkAdditive(t, m3)
	m3.Close()
	require.Len(t, warnings, 1)
	assert.Contains(t, warnings[0], "does not open")
	assert.Contains(t, warnings[0], entries[0])
	st, err := os.Stat(entries[0])
	require.NoError(t, err)
	assert.Greater(t, st.Size(), int64(len("not a graph")), "the entry was written again")
}

func TestGraphCacheSessionsShareOneEntry(t *testing.T) {
	dir, cache := copyModel(t, "additive"), t.TempDir()
	m, err := Open(dir, WithGraphCache(cache), WithSessions(3))
	require.NoError(t, err)
	defer m.Close()
	assert.Contains(t, m.GraphSource(), "saved to", "the first session writes the entry")
	assert.Len(t, cacheEntries(t, cache), 1, "later sessions read it")
	checkAdditive(t, m)
}

func TestGraphCacheChangedModelGetsANewEntry(t *testing.T) {
	dir, cache := copyModel(t, "additive"), t.TempDir()
	m, err := Open(dir, WithGraphCache(cache))
	require.NoError(t, err)
	m.Close()
	require.Len(t, cacheEntries(t, cache), 1)

	// Another graph in the same place (a re-export): a different size and
	// content, and a later modification time.
	other, err := os.ReadFile(filepath.Join("testdata", "no_logits", ModelFile))
	require.NoError(t, err)
	path := filepath.Join(dir, ModelFile)
	require.NoError(t, os.WriteFile(path, other, 0o644))
	later := time.Now().Add(time.Minute)
	require.NoError(t, os.Chtimes(path, later, later))
	_, err = Open(dir, WithGraphCache(cache))
	require.Error(t, err, "the changed model is read, not the stale cached graph")
	assert.Contains(t, err.Error(), `no "logits" output`)

	// Same bytes, only a new modification time: also a new key.
	orig, err := os.ReadFile(filepath.Join("testdata", "additive", ModelFile))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, orig, 0o644))
	require.NoError(t, os.Chtimes(path, later.Add(time.Hour), later.Add(time.Hour)))
	m2, err := Open(dir, WithGraphCache(cache))
	require.NoError(t, err)
	defer m2.Close()
	assert.Contains(t, m2.GraphSource(), "saved to")
	assert.Len(t, cacheEntries(t, cache), 2)
	checkAdditive(t, m2)
}

func TestGraphCacheUnwritableFolderFallsBackWithAWarning(t *testing.T) {
	dir := copyModel(t, "additive")
	// A folder below a regular file can be created by nobody, root included.
	blocker := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(blocker, nil, 0o644))
	cache := filepath.Join(blocker, "graphs")
	var warnings []string
	m, err := Open(dir, WithGraphCache(cache), WithWarnings(func(s string) { warnings = append(warnings, s) }))
	require.NoError(t, err, "an unusable cache never stops the model from opening")
	defer m.Close()
	assert.Equal(t, "model file "+filepath.Join(dir, ModelFile), m.GraphSource())
	checkAdditive(t, m)
	require.Len(t, warnings, 1)
	assert.Contains(t, warnings[0], cache)
	assert.Contains(t, warnings[0], GraphCacheEnv)
}

func TestGraphCacheOff(t *testing.T) {
	dir, cache := copyModel(t, "additive"), t.TempDir()
	t.Setenv(GraphCacheEnv, "")
	m0, err := Open(dir)
	require.NoError(t, err)
	defer m0.Close()
	assert.True(t, strings.HasPrefix(m0.GraphSource(), "model file "), "off by default: %s", m0.GraphSource())
	t.Setenv(GraphCacheEnv, "off")
	m, err := Open(dir)
	require.NoError(t, err)
	defer m.Close()
	assert.True(t, strings.HasPrefix(m.GraphSource(), "model file "), m.GraphSource())
	assert.Empty(t, cacheEntries(t, cache))
	t.Setenv(GraphCacheEnv, cache)
	m2, err := Open(dir)
	require.NoError(t, err)
	defer m2.Close()
	assert.Len(t, cacheEntries(t, cache), 1, "$%s names the folder", GraphCacheEnv)
}
