package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/attribution"
	"github.com/lucid-nlp/lucid/attribution/shapley"
)

// Without colour a bar against the target differs from one towards it:
// it lies left of the centre axis.
func TestBarsReadWithoutColour(t *testing.T) {
	pos, neg := bar(0.5, 1, false), bar(-0.5, 1, false)
	assert.NotEqual(t, pos, neg)
	assert.Equal(t, strings.Repeat(" ", barHalf)+"│"+strings.Repeat("█", 6), pos)
	assert.Equal(t, strings.Repeat(" ", 6)+strings.Repeat("█", 6)+"│", neg)
	// Every bar has the axis in the same column.
	for _, v := range []float64{-1, -0.3, 0, 0.3, 1} {
		left, _, _ := strings.Cut(bar(v, 1, false), "│")
		assert.Equal(t, barHalf, displayWidth(left), "%v", v)
	}
	assert.NotContains(t, bar(1, 1, false), "\x1b")
	assert.Contains(t, bar(-1, 1, true), "\x1b[31m")
}

// Display width follows East Asian Width: an emoji or a CJK character
// takes two columns, so padding keeps the next column in place.
func TestPadRightUsesDisplayWidth(t *testing.T) {
	for _, s := range []string{"bad", "😀", "映画", "café", "e\u0301", "👍🏽"} {
		p := padRight(s, 8)
		assert.Equal(t, 8, displayWidth(p), "%q → %q", s, p)
	}
	assert.Equal(t, 2, displayWidth("😀"))
	assert.Equal(t, 4, displayWidth("映画"))
	cut := padRight("supercalifragilistic", 8)
	assert.Equal(t, 8, displayWidth(cut))
	assert.True(t, strings.HasPrefix(cut, "superca…"), cut)
	cut = padRight("映画映画映画", 6) // a wide character never split
	assert.Equal(t, 6, displayWidth(cut), cut)
}

func TestMethodAndCostLines(t *testing.T) {
	r := &attribution.Result{Method: attribution.MethodKernelSHAP, Features: make([]attribution.FeatureAttribution, 4),
		Diagnostics: map[string]float64{shapley.DiagExact: 1}, Evaluations: 17, RuntimeSeconds: 0.05, WallSeconds: 1.3}
	assert.Equal(t, "kernelshap, exact Shapley values (all 2^4 = 16 coalitions evaluated; 17 model evaluations)", methodLine(r))
	r.Diagnostics[shapley.DiagExact] = 0
	r.Settings.Budget = 16
	assert.Equal(t, "kernelshap estimate (budget 16 of the 2^4 = 16 coalitions; 17 model evaluations)", methodLine(r))
	// Partition with every split valued: exact Owen values, not Shapley's.
	r.Method, r.Evaluations = attribution.MethodPartition, 124
	r.Features = make([]attribution.FeatureAttribution, 13)
	r.Diagnostics = map[string]float64{shapley.DiagExact: 1}
	assert.Equal(t, "partition: exact Owen values of the binarized hierarchy (every split valued; not Shapley values, which would need all 2^13 = 8192 coalitions; 124 model evaluations)", methodLine(r))
	r.Evaluations = 17

	r.BatchTexts, r.BatchWallSeconds, r.WallShareSeconds = 12, 1.3, 0.061
	c := costLine(r)
	assert.Contains(t, c, "17 evaluations, 0.050s in the model")
	assert.Contains(t, c, "0.061s wall as its share of 12 texts explained together (1.300s wall for all)")
	r.BatchTexts = 1
	assert.Equal(t, "17 evaluations, 0.050s in the model, 1.300s wall", costLine(r))
}

// --target all through the CLI: every label in JSON, a table in the
// terminal, one explanation's evaluations.
func TestExplainTargetAll(t *testing.T) {
	code, stdout, stderr := lucid(t, "", "explain", "--json", "--target", "all", "--budget", "64", "the plot made no sense at all and it dragged")
	require.Equal(t, exitOK, code, stderr)
	rows := jsonLines(t, stdout)
	require.Len(t, rows, 1)
	labels := rows[0]["labels"].([]any)
	require.Len(t, labels, 2)
	feats := rows[0]["features"].([]any)
	for _, l := range labels {
		assert.Len(t, l.(map[string]any)["attributions"], len(feats))
	}
	// The tests run in cmd/lucid, outside which the model lies: its name.
	assert.Equal(t, "sst2-mini-bert", rows[0]["model"], "the model's name, not its absolute path")
	single := jsonLines(t, mustRun(t, "explain", "--json", "--budget", "64", "the plot made no sense at all and it dragged"))[0]
	assert.Equal(t, single["evaluations"], rows[0]["evaluations"])

	code, stdout, stderr = lucid(t, "", "explain", "--color", "never", "--target", "all", "not bad")
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, "every label, from the same")
	assert.Regexp(t, `feature\s+NEGATIVE\s+POSITIVE`, stdout)
	assert.Contains(t, stdout, "method: kernelshap, exact Shapley values (all 2^2 = 4 coalitions evaluated;")

	code, _, stderr = lucid(t, "", "explain", "--target", "all", "--method", "ig", "x")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "--target LABEL")
}

func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	code, stdout, stderr := lucid(t, "", args...)
	require.Equal(t, exitOK, code, stderr)
	return stdout
}

// The bench's progress lines and table say what sets each method's cost,
// never "budget 0".
func TestCostSetting(t *testing.T) {
	assert.Equal(t, "budget 512", costSetting(attribution.MethodKernelSHAP, 512, 0))
	assert.Equal(t, "words+1", costSetting(attribution.MethodOcclusion, 0, 0))
	assert.Equal(t, "32 steps", costSetting(attribution.MethodPath, 0, 32))
	assert.Equal(t, "2^words", costSetting(attribution.MethodExact, 0, 0))
}
