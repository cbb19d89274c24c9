package report

import (
	"github.com/lucid-nlp/lucid/internal/browsertest"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/attribution"
)

// The explanation page for a regression head and a multi-label model, in
// headless Chromium: no script errors, a score headed as a score (no
// probability bar), multi-label probabilities headed as each label's own.
func TestBrowserExplanationHeads(t *testing.T) {
	bin := browsertest.Chromium(t)
	reg := explanation("a great movie", 1.625, 0, 1.5, 0)
	reg.Head, reg.Output, reg.Target, reg.Predicted, reg.TargetIndex = "regression", "score", "LABEL_0", "LABEL_0", 0
	reg.Probabilities = map[string]float64{"LABEL_0": 1.625}
	reg.Summary = "The model's score is 1.625."
	ml := explanation("you are an idiot", 0.7773, 0.0491, 0, 0, 0.4593)
	ml.Head, ml.Target, ml.Predicted = "multi-label", "toxic", "toxic"
	ml.Probabilities = map[string]float64{"toxic": 0.7773, "insult": 0.7311, "threat": 0.2018}
	page := writePage(t, t.TempDir(), "heads.html", func(f *os.File) error { return WriteExplanations(f, []*attribution.Result{reg, ml}) })

	dom, stderr := browse(t, bin, page, "--dump-dom")
	errs, console := jsProblems(t, dom, stderr)
	assert.Empty(t, errs, "#js-errors")
	assert.Empty(t, console, "console messages")
	first, second, ok := strings.Cut(dom, "you are an idiot</h3>")
	if !ok {
		first, second, _ = strings.Cut(dom, "you are an idiot")
	}
	assert.Contains(t, first, "Score (regression head: its raw output, not a probability)")
	assert.Contains(t, first, "against <bdi>a higher score</bdi>")
	assert.Contains(t, first, "(towards \u2068a higher score\u2069)", "a word's hover text")
	assert.NotContains(t, first, "LABEL_0\u2069)")
	assert.NotContains(t, first, "<h4>Probabilities")
	assert.Contains(t, second, "Probabilities (multi-label: each label's own sigmoid; they need not sum to 1)")
	require.Contains(t, dom, `data-key="explanation:0:probability:LABEL_0"`)
	for _, kv := range dataKeys(dom) {
		if kv[0] == "explanation:0:probability:LABEL_0" {
			assert.Equal(t, "1.6250", kv[1], "the score as it is")
		}
	}
}
