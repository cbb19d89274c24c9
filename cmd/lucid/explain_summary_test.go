package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// --summary: the plain summary has none of the figures' jargon, the
// technical one has them; JSON has both; a bad value is a usage error
// naming it.
func TestExplainSummaryWording(t *testing.T) {
	summaryOf := func(out string) string {
		i := strings.Index(out, "summary: ")
		require.GreaterOrEqual(t, i, 0, out)
		j := strings.Index(out[i:], "\n\n")
		return out[i : i+j]
	}
	code, stdout, stderr := lucid(t, "", "explain", "--color", "never", "--threads", "1", "not bad at all")
	require.Equal(t, exitOK, code, stderr)
	plain := summaryOf(stdout)
	for _, j := range []string{"f(x)", "base", "standard error"} {
		assert.NotContains(t, plain, j)
	}
	assert.Contains(t, plain, "16 model")
	code, stdout, stderr = lucid(t, "", "explain", "--color", "never", "--threads", "1", "--summary", "technical", "not bad at all")
	require.Equal(t, exitOK, code, stderr)
	technical := summaryOf(stdout)
	assert.Contains(t, technical, "f(x) − base")
	assert.Contains(t, technical, "'bad' (+0.2593")

	code, stdout, stderr = lucid(t, "", "explain", "--json", "--threads", "1", "not bad at all")
	require.Equal(t, exitOK, code, stderr)
	row := jsonLines(t, stdout)[0]
	assert.NotContains(t, row["summary"], "f(x)")
	assert.Contains(t, row["summary_technical"], "f(x) − base")

	code, _, stderr = lucid(t, "", "explain", "--summary", "short", "x")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, `--summary "short": want plain or technical`)
}
