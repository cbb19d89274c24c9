package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestAuditDataOnlyLoadsNoModel: --checks data alone reads only the model
// folder's label names. The folder's model.onnx here is not a model at
// all, so loading it would fail; the audit must still run.
func TestAuditDataOnlyLoadsNoModel(t *testing.T) {
	dir := t.TempDir()
	model := filepath.Join(dir, "model")
	require.NoError(t, os.MkdirAll(model, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(model, "model.onnx"), []byte("not a model"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(model, "tokenizer.json"), []byte("{}"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(model, "config.json"), []byte(`{"id2label":{"0":"negative","1":"positive"}}`), 0o644))
	var b strings.Builder
	b.WriteString("sentence\tlabel\n")
	for i := range 400 {
		if i%2 == 0 {
			b.WriteString("she liked it\t1\n")
		} else {
			b.WriteString("the film\t0\n")
		}
	}
	data := filepath.Join(dir, "d.tsv")
	require.NoError(t, os.WriteFile(data, []byte(b.String()), 0o644))
	out := filepath.Join(dir, "out")
	code, stdout, stderr := lucid(t, "", "audit", "--model", model, "--data", data, "--checks", "data", "--out", out)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "FAIL  data_bias")
	var rep map[string]any
	raw, err := os.ReadFile(filepath.Join(out, "report.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(raw, &rep))
	assert.Equal(t, "none (data only)", rep["model"])
	assert.NotNil(t, rep["data_bias"])

	// With a check that needs the model, the same folder fails to load.
	code, _, _ = lucid(t, "", "audit", "--model", model, "--data", data, "--checks", "data,groups", "--out", out)
	assert.NotEqual(t, 0, code)
}
