package main

import (
	"strings"
	"testing"

	"github.com/lucid-nlp/lucid/models"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Help goes to standard output with exit 0, however it is asked for, so
// `lucid explain --help | less` shows it.
func TestHelpGoesToStdout(t *testing.T) {
	for _, args := range [][]string{
		{"help"}, {"--help"}, {"-h"},
		{"help", "explain"}, {"explain", "--help"}, {"explain", "-h"}, {"explain", "-help"},
		{"predict", "--help"}, {"audit", "--help"}, {"bench", "--help"},
		{"explain", "--method", "lime", "--help", "some text"},
	} {
		code, stdout, stderr := lucid(t, "", args...)
		assert.Equal(t, exitOK, code, "%v", args)
		assert.Empty(t, stderr, "%v", args)
		assert.Contains(t, stdout, "Usage: lucid", "%v", args)
	}
	_, stdout, _ := lucid(t, "", "explain", "--help")
	assert.Contains(t, stdout, "\nFlags:\n")
	assert.Contains(t, stdout, "-budget int")
}

// A mistyped flag gets the error, the nearest flag and a pointer to
// --help in a few lines, not the whole usage.
func TestUnknownFlagSuggests(t *testing.T) {
	cases := map[string]string{
		"--tagret": "--target", "--budgte": "--budget", "--metod": "--method",
		"--jsno": "--json", "-seeed": "--seed", "--featurs": "--features",
	}
	for typo, want := range cases {
		code, stdout, stderr := lucid(t, "", "explain", typo, "x", "a text")
		assert.Equal(t, exitUsage, code, typo)
		assert.Empty(t, stdout, typo)
		assert.Contains(t, stderr, "unknown flag --"+strings.TrimLeft(typo, "-"), typo)
		assert.Contains(t, stderr, "did you mean "+want+"?", typo)
		assert.Contains(t, stderr, "Run 'lucid explain --help' for usage.", typo)
		assert.LessOrEqual(t, strings.Count(stderr, "\n"), 3, "%s: %q", typo, stderr)
	}
	// Nothing near: no suggestion, still short.
	code, _, stderr := lucid(t, "", "predict", "--zzzzzzzzzz")
	assert.Equal(t, exitUsage, code)
	assert.NotContains(t, stderr, "did you mean")
	assert.LessOrEqual(t, strings.Count(stderr, "\n"), 3, stderr)

	code, _, stderr = lucid(t, "", "explian", "x")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, `did you mean "explain"?`)
	assert.LessOrEqual(t, strings.Count(stderr, "\n"), 3, stderr)
}

func TestEditDistance(t *testing.T) {
	for _, c := range []struct {
		a, b string
		d    int
	}{{"", "", 0}, {"abc", "abc", 0}, {"tagret", "target", 1}, {"budget", "budgte", 1}, {"kitten", "sitting", 3}, {"", "json", 4}, {"é", "e", 1}} {
		require.Equal(t, c.d, editDistance(c.a, c.b), "%q %q", c.a, c.b)
	}
	assert.Equal(t, "", nearest("completely-different", []string{"seed", "json"}))
	assert.Equal(t, "budget", nearest("budg", []string{"batch", "budget"}))
}

// An empty line is classified but warned about, in text and in JSON; a
// truncated text is marked before it; with --json the closing message
// says the errors are in the JSON output, not "above".
func TestPredictMarksEmptyAndTruncated(t *testing.T) {
	long := strings.Repeat("good ", 600)
	code, stdout, stderr := lucid(t, "fine\n\n   \n"+long+"\n", "predict")
	require.Equal(t, exitOK, code, stderr)
	lines := strings.Split(strings.TrimRight(stdout, "\n"), "\n")
	require.Len(t, lines, 4)
	assert.NotContains(t, lines[0], "[")
	assert.Contains(t, lines[1], "[empty]")
	assert.Contains(t, lines[2], "[empty]")
	assert.Contains(t, lines[3], "[truncated] good good")
	assert.Contains(t, stderr, "input 2: warning: the text is empty")
	assert.Contains(t, stderr, "input 3: warning: the text is empty")

	code, stdout, _ = lucid(t, "fine\n\n", "predict", "--json")
	require.Equal(t, exitOK, code)
	rows := jsonLines(t, stdout)
	require.Len(t, rows, 2)
	assert.Nil(t, rows[0]["warnings"])
	assert.Equal(t, []any{models.EmptyTextWarning}, rows[1]["warnings"])

	code, stdout, stderr = lucid(t, "bad \xff bytes\n", "predict", "--json")
	assert.Equal(t, exitFailure, code)
	assert.Contains(t, stdout, `"error"`)
	assert.Contains(t, stderr, "the errors are in the JSON output")
	assert.NotContains(t, stderr, "above")
	code, _, stderr = lucid(t, "bad \xff bytes\n", "predict")
	assert.Equal(t, exitFailure, code)
	assert.Contains(t, stderr, "see the errors above, on standard error")
}
