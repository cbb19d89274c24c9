package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestExplainLongTextFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--window-stride", "8"}, "--window-stride 8 needs --window"},
		{[]string{"--window", "--window-stride", "70000"}, "--window-stride 70000: above the limit of 65536"},
		{[]string{"--window", "--window-stride", "-1"}, "--window-stride -1: want at least 0"},
		{[]string{"--features", "paragraphs"}, `feature level "paragraphs"`},
		{[]string{"--method", "owen"}, `method "owen"`},
	} {
		code, _, stderr := lucid(t, "", append(append([]string{"explain"}, tc.args...), "fine")...)
		assert.Equal(t, exitUsage, code, tc.args)
		assert.Contains(t, stderr, tc.want, tc.args)
	}

	// partition at the sentence level: one feature per sentence, efficient.
	code, stdout, stderr := lucid(t, "", "explain", "--json", "--method", "partition", "--features", "sentences", "--budget", "64",
		"a gorgeous , witty , seductive movie . the plot made no sense at all . i laughed .")
	require.Equal(t, exitOK, code, stderr)
	rows := jsonLines(t, stdout)
	require.Len(t, rows, 1)
	feats := rows[0]["features"].([]any)
	require.Len(t, feats, 3)
	assert.Equal(t, "the plot made no sense at all .", feats[1].(map[string]any)["text"])
	sum := 0.0
	for _, f := range feats {
		sum += f.(map[string]any)["attribution"].(float64)
	}
	assert.InDelta(t, rows[0]["f_x"].(float64)-rows[0]["base_value"].(float64), sum, 1e-4, "efficiency")
	assert.Equal(t, "sentences", rows[0]["settings"].(map[string]any)["features"])
}

func TestExplainWindowOverALongText(t *testing.T) {
	var b strings.Builder
	for i := range 40 { // 40 sentences of 14 words: over 512 tokens
		if i%2 == 0 {
			b.WriteString("the acting is good and the story moves along at a fine pace . ")
		} else {
			b.WriteString("sadly the ending is dull , slow and far too long for me . ")
		}
	}
	text := strings.TrimSpace(b.String())
	code, stdout, stderr := lucid(t, text+"\n", "explain", "--json", "--method", "occlusion", "--features", "sentences")
	require.Equal(t, exitOK, code, stderr)
	first := jsonLines(t, stdout)[0]
	assert.Less(t, len(first["features"].([]any)), 40, "the first window only")
	assert.Contains(t, first["warnings"].([]any)[0], "--window")

	code, stdout, stderr = lucid(t, text+"\n", "explain", "--json", "--method", "occlusion", "--features", "sentences", "--window")
	require.Equal(t, exitOK, code, stderr)
	all := jsonLines(t, stdout)[0]
	assert.Len(t, all["features"].([]any), 40, "every sentence, once")
	assert.GreaterOrEqual(t, len(all["windows"].([]any)), 2)
	assert.EqualValues(t, 255, all["settings"].(map[string]any)["window_stride"], "half of 510 content tokens")

	// The windowed prediction is named as a mean, beside what lucid
	// predict says for the same text (to 1e-6), in JSON, terminal and
	// summary.
	code, stdout, stderr = lucid(t, text+"\n", "predict", "--json")
	require.Equal(t, exitOK, code, stderr)
	pred := jsonLines(t, stdout)[0]
	label := pred["label"].(string)
	p := pred["probabilities"].(map[string]any)[label].(float64)
	win := all["windowing"].(map[string]any)
	assert.Equal(t, "mean_over_windows", win["rule"])
	assert.Equal(t, label, win["predict_label"])
	assert.InDelta(t, p, win["predict_probability"].(float64), 1e-6)
	assert.Equal(t, all["predicted"] == label, win["agrees"])
	assert.Contains(t, all["summary"], "probabilities averaged")
	code, stdout, stderr = lucid(t, text+"\n", "explain", "--color", "never", "--method", "occlusion", "--features", "sentences", "--window")
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, fmt.Sprintf("mean probability over %d windows; lucid predict, reading the first 512 tokens: %s %.3f)", len(all["windows"].([]any)), label, p))
}
