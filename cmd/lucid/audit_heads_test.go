package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The multi-label and regression audits from the command line, on given
// outputs (no model is loaded: --model points at nothing).

func TestAuditMultiLabelGivenOutputs(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("text,identity,labels,p_toxic,p_insult\n")
	for i := range 400 {
		g, pt := "a", 0.2
		if i%2 == 1 {
			g, pt = "b", 0.7 // the planted gap: toxic only
		}
		labels := ""
		if i%5 == 0 {
			labels = `"[""toxic""]"`
		}
		fmt.Fprintf(&b, "c%d,%s,%s,%v,%v\n", i, g, labels, pt, 0.1)
	}
	data := filepath.Join(dir, "d.csv")
	require.NoError(t, os.WriteFile(data, []byte(b.String()), 0o644))
	thr := filepath.Join(dir, "thr.json")
	require.NoError(t, os.WriteFile(thr, []byte(`{"insult": 0.05}`), 0o644))
	out := filepath.Join(dir, "out")
	code, stdout, stderr := lucid(t, "", "audit", "--model", filepath.Join(dir, "none"), "--data", data, "--score-cols", "p_toxic,p_insult",
		"--label-names", "toxic,insult", "--label-list-col", "labels", "--label-thresholds", thr, "--group-col", "identity", "--out", out, "--progress", "never")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "Label by group")
	var rep map[string]any
	raw, err := os.ReadFile(filepath.Join(out, "report.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(raw, &rep))
	assert.Equal(t, "multi-label", rep["head"])
	ml := rep["multi_label"].(map[string]any)
	labels := ml["labels"].([]any)
	require.Len(t, labels, 2)
	assert.Equal(t, 0.05, labels[1].(map[string]any)["threshold"])
	assert.Equal(t, "fail", ml["verdict"].(map[string]any)["status"])
	assert.Equal(t, rep["family"], ml["family"])
	html, err := os.ReadFile(filepath.Join(out, "report.html"))
	require.NoError(t, err)
	assert.Contains(t, string(html), "Label by group")

	// Usage errors name the flag and the value.
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--threshold", "1.5"}, "--threshold 1.5"},
		{[]string{"--score-col", "p_toxic"}, "not with --score-col"},
		{[]string{"--label-cols", "toxic"}, "give the gold labels one way"},
	} {
		args := append([]string{"audit", "--data", data, "--score-cols", "p_toxic,p_insult", "--label-list-col", "labels", "--out", out}, c.args...)
		code, _, stderr := lucid(t, "", args...)
		assert.Equal(t, 2, code, stderr)
		assert.Contains(t, stderr, c.want)
	}
}

func TestAuditRegressionGivenOutputs(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("text,dialect,score\n")
	for i := range 300 {
		g, s := "a", 3.0
		if i%2 == 1 {
			g, s = "b", 3.5
		}
		fmt.Fprintf(&b, "r%d,%s,%v\n", i, g, s+float64(i%7)*0.1)
	}
	data := filepath.Join(dir, "r.csv")
	require.NoError(t, os.WriteFile(data, []byte(b.String()), 0o644))
	out := filepath.Join(dir, "out")
	code, stdout, stderr := lucid(t, "", "audit", "--data", data, "--regression", "--score-col", "score", "--group-col", "dialect", "--out", out, "--progress", "never")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "FAIL  groups")
	assert.Contains(t, stdout, "mean score")
	var rep map[string]any
	raw, err := os.ReadFile(filepath.Join(out, "report.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(raw, &rep))
	assert.Equal(t, "regression", rep["head"])
	require.Len(t, rep["group_means"], 1)

	// A tolerance of 1 score unit: the 0.5 gap is shown immaterial.
	code, stdout, stderr = lucid(t, "", "audit", "--data", data, "--regression", "--score-col", "score", "--group-col", "dialect", "--out", out,
		"--progress", "never", "--score-tolerance", "1")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "PASS  groups")

	code, _, stderr = lucid(t, "", "audit", "--data", data, "--regression", "--group-col", "dialect", "--out", out)
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "--regression audits given outputs: name the score column")
	code, _, stderr = lucid(t, "", "audit", "--data", data, "--regression", "--score-col", "score", "--score-tolerance", "-1", "--out", out)
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "--score-tolerance -1")
}
