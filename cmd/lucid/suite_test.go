package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/audit"
	"github.com/lucid-nlp/lucid/fairness/stats"
)

// The example suite on the shipped model (README, "Your own test
// suites"): all 9 tests run, 4,500 texts, and the names invariance test
// FAILs (the shipped model moves p(positive) by up to 0.76 when only the
// speaker's name changes), so --fail-on fail exits 3.
func TestAuditExampleSuiteOnShippedModel(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "d.tsv")
	require.NoError(t, os.WriteFile(data, []byte("sentence\tlabel\na charming , moving film .\t1\na dull , tedious mess .\t0\n"), 0o644))
	out := filepath.Join(dir, "out")
	code, stdout, stderr := lucid(t, "", "audit", "--data", data, "--checks", "slices", "--suite", filepath.Join("..", "..", "examples", "sentiment_suite.json"),
		"--out", out, "--fail-on", "fail", "--progress", "never")
	require.Equal(t, exitFound, code, stderr)
	assert.Contains(t, stdout, `Suite "sentiment (example)": 9 of 9 tests judged`)
	raw, err := os.ReadFile(filepath.Join(out, "report.json"))
	require.NoError(t, err)
	var rep audit.Report
	require.NoError(t, json.Unmarshal(raw, &rep))
	require.NotNil(t, rep.Suite)
	require.Len(t, rep.Suite.Tests, 9)
	texts := 0
	for _, tr := range rep.Suite.Tests {
		texts += tr.Texts
		if tr.Name == "names do not matter" {
			assert.Equal(t, stats.Fail, tr.Verdict.Status, tr.Verdict.Reason)
			require.NotEmpty(t, tr.Examples)
			assert.NotEqual(t, tr.Examples[0].Text, tr.Examples[0].Edited)
		}
	}
	assert.Equal(t, 4500, texts)
	page, err := os.ReadFile(filepath.Join(out, "report.html"))
	require.NoError(t, err)
	assert.True(t, strings.Contains(string(page), `id="suite"`))
}
