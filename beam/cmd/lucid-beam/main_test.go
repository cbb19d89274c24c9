package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The command registers its flags on the process's flag set, once, as a
// Beam program must; so each case runs the built binary.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "lucid-beam")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "lucid-beam")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building lucid-beam: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// runBinary runs lucid-beam from the repository root (where the default model
// folder is found) and returns its exit code, stdout and stderr.
func runBinary(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Dir = filepath.Join("..", "..", "..")
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else {
		require.NoError(t, err)
	}
	return code, stdout.String(), stderr.String()
}

func TestHelpAndUsageErrors(t *testing.T) {
	code, out, _ := runBinary(t, "--help")
	assert.Equal(t, 0, code)
	assert.Contains(t, out, "lucid-beam audit --data FILES")

	code, _, errOut := runBinary(t, "audit", "--help")
	assert.Equal(t, 0, code)
	assert.Contains(t, errOut, "-group-col", "the audit's flags")
	assert.Contains(t, errOut, "-runner", "Beam's runner flags")

	code, _, errOut = runBinary(t, "audit")
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "--data FILES is required")

	code, _, errOut = runBinary(t, "audit", "--data", "x.tsv", "--checks", "nonsense")
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, `"nonsense"`)

	code, _, errOut = runBinary(t, "audit", "--data", "x.tsv", "--batch", "0")
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "--batch")
}

func TestMissingFileIsNamed(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "no-such-file.tsv")
	code, _, errOut := runBinary(t, "audit", "--data", missing, "--out", t.TempDir())
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "no-such-file.tsv")
}

// A small audit end to end on Prism: the report lands in --out and
// --fail-on turns a failing finding into exit 3.
func TestAuditWritesTheReport(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("sentence\tlabel\tgroup\n")
	for i := range 200 {
		text, label := "a dull and tedious film", "NEGATIVE"
		if i%2 == 0 {
			text, label = "a gorgeous , witty , seductive movie", "POSITIVE"
		}
		fmt.Fprintf(&b, "%s number %d\t%s\tg%d\n", text, i, label, i%2)
	}
	b.WriteString("a row without its label\n") // malformed: one field short
	data := filepath.Join(dir, "rows.tsv")
	require.NoError(t, os.WriteFile(data, []byte(b.String()), 0o644))
	out := filepath.Join(dir, "out")
	code, stdout, errOut := runBinary(t, "audit", "--data", data, "--group-col", "group", "--checks", "groups,slices", "--resamples", "50", "--out", out)
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, stdout, "200 rows scored, 1 skipped")
	js, err := os.ReadFile(filepath.Join(out, "report.json"))
	require.NoError(t, err)
	var rep struct {
		Rows    int `json:"rows"`
		Skipped int `json:"skipped_rows"`
		Groups  []struct {
			Column string `json:"column"`
		} `json:"groups"`
	}
	require.NoError(t, json.Unmarshal(js, &rep))
	assert.Equal(t, 200, rep.Rows)
	assert.Equal(t, 1, rep.Skipped)
	require.Len(t, rep.Groups, 1)
	assert.Equal(t, "group", rep.Groups[0].Column)
	_, err = os.Stat(filepath.Join(out, "report.html"))
	assert.NoError(t, err)

	// group g0 is all positive and g1 all negative: the parity check fails.
	code, _, errOut = runBinary(t, "audit", "--data", data, "--group-col", "group", "--checks", "groups", "--resamples", "50", "--out", filepath.Join(dir, "out2"), "--fail-on", "fail")
	assert.Equal(t, 3, code, errOut)
	assert.Contains(t, errOut, "--fail-on fail")
}

// lucid-beam audits given outputs as lucid does: no model is read
// (--model names no folder), the scores come from a column, a bad score
// is a malformed row, and the checks that need the model are listed as
// skipped; naming one in --checks is a usage error.
func TestAuditOfGivenOutputs(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("sentence\tlabel\tgroup\tscore\n")
	for i := range 200 {
		fmt.Fprintf(&b, "row %d\t%d\tg%d\t%.2f\n", i, i%2, i%2, float64(i%100)/100)
	}
	b.WriteString("a bad score\t1\tg0\t1.7\n")
	data := filepath.Join(dir, "rows.tsv")
	require.NoError(t, os.WriteFile(data, []byte(b.String()), 0o644))
	out := filepath.Join(dir, "out")
	args := []string{"audit", "--data", data, "--group-col", "group", "--score-col", "score", "--label-names", "neg,pos",
		"--model", filepath.Join(dir, "no-model"), "--resamples", "50", "--out", out}
	code, stdout, errOut := runBinary(t, args...)
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, stdout, "200 rows scored, 1 skipped")
	js, err := os.ReadFile(filepath.Join(out, "report.json"))
	require.NoError(t, err)
	var rep struct {
		Model   string `json:"model"`
		Rows    int    `json:"rows"`
		Skipped []struct {
			Check  string `json:"check"`
			Reason string `json:"reason"`
		} `json:"skipped_checks"`
		Examples []struct {
			Reason string `json:"reason"`
		} `json:"skipped_examples"`
	}
	require.NoError(t, json.Unmarshal(js, &rep))
	assert.Equal(t, 200, rep.Rows)
	assert.Contains(t, rep.Model, "--score-col score")
	require.Len(t, rep.Skipped, 4)
	assert.Equal(t, "counterfactual", rep.Skipped[0].Check)
	require.Len(t, rep.Examples, 1)
	assert.Contains(t, rep.Examples[0].Reason, "1.7 is outside [0, 1]")

	code, _, errOut = runBinary(t, append(args, "--checks", "groups,faithfulness")...)
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "--checks faithfulness needs the model")
}
