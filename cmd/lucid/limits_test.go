package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/audit"
)

// Issue 7, defect 2: huge flag values crashed the process (12.8 GB for
// predict --batch 100000000, 32 GB for lime --budget 1e9, an abort inside
// ONNX Runtime for --threads 10000, bad_alloc for --sessions 1000). Each is
// now a usage error naming the flag, the value and the limit, before any
// model is loaded.
func TestHugeFlagsAreUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"predict", "--batch", "100000000", "x"}, "--batch 100000000: above the limit of 4096"},
		{[]string{"predict", "--threads", "10000", "x"}, "--threads 10000: above the limit of"},
		{[]string{"predict", "--sessions", "1000", "x"}, "--sessions 1000: above the limit of 64"},
		{[]string{"explain", "--method", "lime", "--budget", "1000000000", "x"}, "--budget 1000000000: above the limit of 1048576"},
		{[]string{"explain", "--budget", "1000000000", "x"}, "--budget 1000000000: above the limit of 1048576"},
		{[]string{"explain", "--method", "ig", "--steps", "100000000", "x"}, "--steps 100000000: above the limit of 1024"},
		{[]string{"explain", "--batch", "100000", "x"}, "--batch 100000: above the limit of 4096"},
		{[]string{"audit", "--data", "x.csv", "--resamples", "100000000"}, "--resamples 100000000: above the limit of 100000"},
		{[]string{"audit", "--data", "x.csv", "--explain-rows", "100000000"}, "--explain-rows 100000000: above the limit of 10000"},
		{[]string{"bench", "--budgets", "100000000"}, "--budgets 100000000: above the limit of 1048576"},
		// memory that grows with a flag, refused against --max-memory
		{[]string{"predict", "--sessions", "64", "--batch", "4096", "x"}, "above --max-memory"},
		{[]string{"predict", "--max-memory", "64MiB", "x"}, "needs an estimated"},
		{[]string{"explain", "--max-memory", "64MiB", "x"}, "needs an estimated"},
	} {
		code, stdout, stderr := lucid(t, "", tc.args...)
		assert.Equal(t, exitUsage, code, "%v: %s", tc.args, stderr)
		assert.Contains(t, stderr, tc.want, tc.args)
		assert.Empty(t, stdout, tc.args)
	}
}

// Issue 7, defects 4 and 8: a panic on --top -1, values silently accepted
// (--kernel-width -1 became 25, audit --budget -3, --consistency-rows -1,
// --explain-rows -1) and usage errors that exited 1.
func TestBadValuesAreUsageErrors(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "d.csv")
	require.NoError(t, os.WriteFile(data, []byte("text,label\na fine film,1\n"), 0o644))
	txt := filepath.Join(dir, "d.txt")
	require.NoError(t, os.WriteFile(txt, []byte("text,label\na fine film,1\n"), 0o644))
	out := filepath.Join(dir, "out")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"explain", "--top", "-1", "fine"}, "--top -1: want at least 0"},
		{[]string{"explain", "--kernel-width", "-1", "--method", "lime", "fine"}, "--kernel-width -1: want a number above 0"},
		{[]string{"explain", "--kernel-width", "0", "--method", "lime", "fine"}, "--kernel-width 0"},
		{[]string{"explain", "--kernel-width", "NaN", "--method", "lime", "fine"}, "--kernel-width NaN"},
		{[]string{"explain", "--target", "FOO", "fine"}, `--target "FOO": unknown target label`},
		{[]string{"explain", "--target", "2", "fine"}, `--target "2": unknown target label`},
		{[]string{"explain", "--mask", "delete", "--method", "ig", "fine"}, "--mask delete --method ig"},
		{[]string{"explain", "--budget", "-3", "fine"}, "--budget -3: want at least 0"},
		{[]string{"predict", "--threads", "-1", "x"}, "--threads -1: want at least 0"},
		{[]string{"predict", "--max-memory", "lots", "x"}, `size "lots"`},
		{[]string{"audit", "--data", data, "--budget", "-3"}, "--budget -3: want at least 1"},
		{[]string{"audit", "--data", data, "--consistency-rows", "-1"}, "--consistency-rows -1: want at least 0"},
		{[]string{"audit", "--data", data, "--explain-rows", "-1"}, "--explain-rows -1: want at least 0"},
		{[]string{"audit", "--data", data, "--resamples", "-1"}, "--resamples -1: want at least 1"},
		{[]string{"audit", "--data", data, "--min-group-size", "-5"}, "--min-group-size -5: want at least 0"},
		{[]string{"audit", "--data", data, "--positive", "MAYBE", "--out", out}, `--positive "MAYBE": not one of the model's labels NEGATIVE, POSITIVE`},
		{[]string{"audit", "--data", data, "--text-col", "review", "--out", out, "--progress", "never"}, `text column "review"`},
		{[]string{"audit", "--data", txt, "--out", out}, `extension ".txt"`},
		{[]string{"audit", "--data", data, "--tolerance", "0"}, "--tolerance 0: want a value strictly between 0 and 1"},
		{[]string{"audit", "--data", data, "--tolerance", "1.5"}, "--tolerance 1.5"},
		{[]string{"audit", "--data", data, "--max-skipped-share", "-0.1"}, "--max-skipped-share -0.1"},
		{[]string{"audit", "--data", data, "--max-groups", "1"}, "--max-groups 1: want at least 2"},
		{[]string{"audit", "--data", data, "--cf-partners", "-2"}, "--cf-partners -2: want at least -1"},
		{[]string{"audit", "--data", data, "--cf-partners", "5000"}, "--cf-partners 5000: above the limit of 1000"},
		{[]string{"audit", "--data", data, "--missing-group", "drop"}, `--missing-group "drop": want exclude or as-group`},
		{[]string{"audit", "--data", data, "--max-field-size", "1TiB"}, `--max-field-size "1TiB"`},
		{[]string{"audit", "--data", data, "--group-cross", "gender"}, "name two or more group columns"},
		{[]string{"audit", "--data", data, "--pair-col", "template", "--out", out, "--progress", "never"}, `--pair-col column "template"`},
	} {
		code, _, stderr := lucid(t, "", tc.args...)
		assert.Equal(t, exitUsage, code, "%v: %s", tc.args, stderr)
		assert.Contains(t, stderr, tc.want, tc.args)
		assert.NotContains(t, stderr, "panic", tc.args)
	}
	// --top 0 is valid: no features listed, no panic
	code, stdout, stderr := lucid(t, "", "explain", "--top", "0", "--method", "occlusion", "a fine film")
	require.Equal(t, exitOK, code, stderr)
	assert.Regexp(t, `top features \(bars: against \w+ ◀ │ ▶ towards it\):\ncost:`, stdout)
	// --target by index is a label
	code, stdout, stderr = lucid(t, "", "explain", "--target", "0", "--json", "--method", "occlusion", "a fine film")
	require.Equal(t, exitOK, code, stderr)
	assert.Equal(t, "NEGATIVE", jsonLines(t, stdout)[0]["target"])
}

func TestIntFlag(t *testing.T) {
	assert.NoError(t, intFlag("n", 5, 1, 5))
	assert.EqualError(t, intFlag("n", 6, 1, 5), "--n 6: above the limit of 5")
	assert.EqualError(t, intFlag("n", 0, 1, 5), "--n 0: want at least 1")
	assert.LessOrEqual(t, maxThreads(), maxThreadsCeiling)
	assert.GreaterOrEqual(t, maxThreads(), 4)
}

func TestDefaultMaxMemory(t *testing.T) {
	assert.Greater(t, defaultMaxMemory(), int64(0))
}

// Issue 7, defect 8: `predict "x" --json` classified "--json" as a text.
// Flags after arguments are flags; after "--" everything is an argument.
func TestFlagsAfterArguments(t *testing.T) {
	code, stdout, stderr := lucid(t, "", "predict", "a fine film", "--json")
	require.Equal(t, exitOK, code, stderr)
	rows := jsonLines(t, stdout)
	require.Len(t, rows, 1, "--json is a flag, not a second text")
	assert.Equal(t, "a fine film", rows[0]["text"])

	code, stdout, stderr = lucid(t, "", "predict", "a fine film", "--batch", "1", "a dull film", "--json")
	require.Equal(t, exitOK, code, stderr)
	rows = jsonLines(t, stdout)
	require.Len(t, rows, 2)
	assert.Equal(t, "a dull film", rows[1]["text"])

	code, stdout, stderr = lucid(t, "", "predict", "--json", "--", "--json", "-x")
	require.Equal(t, exitOK, code, stderr)
	rows = jsonLines(t, stdout)
	require.Len(t, rows, 2, "after -- every argument is a text")
	assert.Equal(t, "--json", rows[0]["text"])
	assert.Equal(t, "-x", rows[1]["text"])

	// a bad flag after the texts is still a usage error
	code, _, stderr = lucid(t, "", "predict", "x", "--batch", "0")
	assert.Equal(t, exitUsage, code, stderr)
}

func TestPermute(t *testing.T) {
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.Bool("json", false, "")
	fs.Int("n", 0, "")
	assert.Equal(t, []string{"--json", "-n", "3", "--", "a", "b"}, permute(fs, []string{"a", "--json", "b", "-n", "3"}))
	assert.Equal(t, []string{"-n=3", "--", "a", "--json"}, permute(fs, []string{"a", "-n=3", "--", "--json"}))
	assert.Equal(t, []string{"--", "-", "a"}, permute(fs, []string{"-", "a"}))
	assert.Equal(t, []string{"--bogus", "--", "a"}, permute(fs, []string{"a", "--bogus"}), "unknown flags are left for Parse to report")
}

// Issue 7, defect 7: escape sequences and bidi overrides in texts reached
// the terminal unchanged.
func TestTermSafe(t *testing.T) {
	for in, want := range map[string]string{
		"plain text, café":       "plain text, café",
		"tab\tand\nnewline":      "tab\tand\nnewline",
		"\x1b[31mred\x1b[0m":     `\x1b[31mred\x1b[0m`,
		"bell\a cr\r del\x7f":    `bell\x07 cr\x0d del\x7f`,
		"c1 \u0085 \u009b":       `c1 \u0085 \u009b`,
		"0.38\u202e":             `0.38\u202e`,
		"\u2066iso\u2069 \u200f": `\u2066iso\u2069 \u200f`,
		"bad \xff byte":          `bad \xff byte`,
	} {
		assert.Equal(t, want, termSafe(in), "%q", in)
	}
}

func TestTerminalOutputEscaped(t *testing.T) {
	evil := "a fine film \x1b]0;pwned\a\x1b[2J with \u202eevil"
	code, stdout, stderr := lucid(t, "", "predict", evil)
	require.Equal(t, exitOK, code, stderr)
	assert.NotContains(t, stdout, "\x1b")
	assert.NotContains(t, stdout, "\u202e")
	assert.Contains(t, stdout, `a fine film \x1b]0;pwned\x07\x1b[2J with \u202eevil`)

	// JSON stays exact: encoding/json escapes the control characters and
	// decoding gives the text back byte for byte
	code, stdout, stderr = lucid(t, "", "predict", "--json", evil)
	require.Equal(t, exitOK, code, stderr)
	assert.NotContains(t, stdout, "\x1b")
	assert.Equal(t, evil, jsonLines(t, stdout)[0]["text"])

	code, stdout, stderr = lucid(t, "", "explain", "--method", "occlusion", "--color", "never", evil)
	require.Equal(t, exitOK, code, stderr)
	assert.NotContains(t, stdout, "\x1b")
	assert.NotContains(t, stdout, "\u202e")
	assert.Contains(t, stdout, `\u202eevil`)
	code, stdout, stderr = lucid(t, "", "explain", "--method", "occlusion", "--color", "always", evil)
	require.Equal(t, exitOK, code, stderr)
	assert.NotContains(t, stdout, "\x1b]0;", "only Lucid's own colour codes reach the terminal")
	assert.NotContains(t, stdout, "\u202e")

	var b bytes.Buffer
	printSummary(&b, &audit.Report{Model: "m", Data: "d\x1b[2J.csv", Summary: []audit.Finding{
		{Check: "groups", Status: "warn", Message: "group \"x\u202e\" has disparity 0.38 \x1b[8m"},
	}}, "out")
	assert.NotContains(t, b.String(), "\x1b")
	assert.NotContains(t, b.String(), "\u202e")
	assert.Contains(t, b.String(), `group "x\u202e" has disparity 0.38 \x1b[8m`)
	assert.Contains(t, b.String(), `d\x1b[2J.csv`)
}

func TestExplainPlanRefusesWhatCannotFit(t *testing.T) {
	code, stdout, stderr := lucid(t, "", "explain", "--json", "--method", "occlusion", "a fine film", "--max-memory", "3GiB")
	require.Equal(t, exitOK, code, stderr)
	assert.Len(t, jsonLines(t, stdout), 1)

	// the rows in flight fit, but not a 2^20-coalition explanation of 300 words beside them
	long := strings.Repeat("good ", 300)
	code, stdout, stderr = lucid(t, "", "explain", "--json", "--budget", "1048576", "--max-memory", "4GiB", "a fine film .", long)
	assert.Equal(t, exitFailure, code, stderr)
	rows := jsonLines(t, stdout)
	require.Len(t, rows, 2)
	assert.Equal(t, "a fine film .", rows[0]["text"], "the text that fits is explained")
	assert.Contains(t, rows[1]["error"], "needs an estimated")
	assert.Contains(t, rows[1]["error"], "--max-memory")
}

func TestExplainSettingsBudgetReported(t *testing.T) {
	// settings.budget is the budget as used, not as asked: occlusion
	// spends n+1 rows whatever --budget says, and evaluations adds the
	// prediction run
	code, stdout, stderr := lucid(t, "", "explain", "--json", "--method", "occlusion", "--budget", "1000", "a fine film")
	require.Equal(t, exitOK, code, stderr)
	row := jsonLines(t, stdout)[0]
	assert.Equal(t, float64(4), row["settings"].(map[string]any)["budget"], "3 words: 3 left out one at a time and the empty text")
	assert.Equal(t, float64(5), row["evaluations"], "settings.budget plus the prediction")
}
