package main

import (
	"math"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// --punctuation=false leaves the marks out of the features, and words stay
// a reader's words.
func TestExplainPunctuationFlag(t *testing.T) {
	text := `"Well-made," she said -- but I don't buy it!`
	features := func(args ...string) []string {
		code, stdout, stderr := lucid(t, "", append([]string{"explain", "--json", "--method", "occlusion", "--threads", "1"}, append(args, text)...)...)
		require.Equal(t, exitOK, code, stderr)
		var out []string
		for _, f := range jsonLines(t, stdout)[0]["features"].([]any) {
			out = append(out, f.(map[string]any)["text"].(string))
		}
		return out
	}
	assert.Equal(t, []string{`"`, "Well-made", ",", `"`, "she", "said", "--", "but", "I", "don't", "buy", "it", "!"}, features())
	assert.Equal(t, []string{"Well-made", "she", "said", "but", "I", "don't", "buy", "it"}, features("--punctuation=false"))
	code, _, stderr := lucid(t, "", "explain", "--punctuation=maybe", text)
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "punctuation")
}

// The edited text --why-not prints, given to lucid predict, gives the
// label and the probability the edit reports (to 1e-6 in JSON, and the
// same four decimals in the terminal).
func TestWhyNotEditedTextReproducesInPredict(t *testing.T) {
	for _, mask := range []string{"mask", "delete"} {
		code, stdout, stderr := lucid(t, "", "explain", "--json", "--method", "occlusion", "--mask", mask, "--why-not", "POSITIVE", "--threads", "1", "I don't like this movie at all.")
		require.Equal(t, exitOK, code, stderr)
		e := jsonLines(t, stdout)[0]["counterfactual"].(map[string]any)
		require.True(t, e["found"].(bool), "%v", e)
		assert.Equal(t, map[string]string{"mask": "word_mask", "delete": "delete"}[mask], e["edit_kind"])
		assert.Equal(t, true, e["round_trip"])
		edited := e["edited_text"].(string)
		code, stdout, stderr = lucid(t, "", "predict", "--json", edited)
		require.Equal(t, exitOK, code, stderr)
		p := jsonLines(t, stdout)[0]
		assert.Equal(t, e["label"], p["label"], edited)
		got := p["probabilities"].(map[string]any)[p["label"].(string)].(float64)
		assert.LessOrEqual(t, math.Abs(got-e["probability"].(float64)), 1e-6, "%q: edit %.9f, predict %.9f", edited, e["probability"], got)
	}
	code, stdout, stderr := lucid(t, "", "explain", "--color", "never", "--method", "occlusion", "--why-not", "POSITIVE", "--threads", "1", "I don't like this movie at all.")
	require.Equal(t, exitOK, code, stderr)
	m := regexp.MustCompile(`edited \(one \[MASK\] per removed word\): (.*) → (\w+) \((0\.\d{4}), as lucid predict gives\)`).FindStringSubmatch(stdout)
	require.NotNil(t, m, stdout)
	code, stdout, stderr = lucid(t, "", "predict", m[1])
	require.Equal(t, exitOK, code, stderr)
	assert.Regexp(t, `^`+m[2]+` +`+regexp.QuoteMeta(m[3])+` `, stdout)
}
