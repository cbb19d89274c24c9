package main

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// lucid serve --threshold and --label-thresholds NAME=FILE: a multi-label
// model served beside a single-label one judges each label by its own
// threshold (the file's, else --threshold) and says so by label.
func TestServeLabelThresholds(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "thr.json")
	require.NoError(t, os.WriteFile(file, []byte(`{"toxic": 0.8}`), 0o600))
	shippedDir := filepath.Join("..", "..", "models", "sst2-mini-bert")

	url := startServe(t, "--model", "ml="+multiLabelModel, "--model", "sst2="+shippedDir,
		"--threshold", "0.2", "--label-thresholds", "ml="+file).url

	resp, err := http.Post(url+"/v1/models/ml:predict", "application/json", strings.NewReader(`{"instances": ["you are an idiot"]}`))
	require.NoError(t, err)
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode, "%s", raw)
	var v struct {
		Predictions []map[string]any `json:"predictions"`
	}
	require.NoError(t, json.Unmarshal(raw, &v))
	p := v.Predictions[0]
	// toxic σ(1.25) = 0.777 < 0.8 (the file's); insult σ(1) = 0.731 and
	// threat σ(−1.375) = 0.202 ≥ 0.2 (--threshold).
	assert.Equal(t, []any{"insult", "threat"}, p["labels_above_threshold"])
	assert.Equal(t, map[string]any{"toxic": 0.8, "insult": 0.2, "threat": 0.2}, p["thresholds"])

	// The single-label model beside it has no thresholds.
	resp, err = http.Post(url+"/v1/models/sst2:predict", "application/json", strings.NewReader(`{"instances": ["a fine film"]}`))
	require.NoError(t, err)
	raw, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode, "%s", raw)
	assert.NotContains(t, string(raw), "threshold")
}

func TestServeLabelThresholdsUsageErrors(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "thr.json")
	require.NoError(t, os.WriteFile(file, []byte(`{"toxic": 0.8}`), 0o600))
	shippedDir := filepath.Join("..", "..", "models", "sst2-mini-bert")
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"--threshold", "1.5"}, "--threshold 1.5: want a probability from 0 to 1"},
		{[]string{"--threshold", "0.3"}, "no served model has a multi-label head"},
		{[]string{"--model", "ml=" + multiLabelModel, "--model", "sst2=" + shippedDir, "--label-thresholds", file}, "several models are served; write NAME=FILE"},
		{[]string{"--model", "ml=" + multiLabelModel, "--model", "sst2=" + shippedDir, "--label-thresholds", "sst2=" + file}, "the model sst2 has a single-label head"},
		{[]string{"--model", "ml=" + multiLabelModel, "--label-thresholds", file, "--label-thresholds", file}, "model ml is given thresholds twice"},
		{[]string{"--model", "ml=" + multiLabelModel, "--label-thresholds", filepath.Join(dir, "missing.json")}, "model ml: --label-thresholds"},
	} {
		code, _, stderr := lucid(t, "", append([]string{"serve", "--addr", "127.0.0.1:0"}, c.args...)...)
		assert.Equal(t, exitUsage, code, "%v: %s", c.args, stderr)
		assert.Contains(t, stderr, c.msg, "%v", c.args)
	}
}
