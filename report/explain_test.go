package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/attribution"
	"github.com/lucid-nlp/lucid/attribution/edit"
)

// The summary and the counterfactual edit are on the page, escaped, in
// the explanation's section.
func TestWriteExplanationsSummaryAndEdit(t *testing.T) {
	a := explanation("not "+injection+" bad", 0.9, 0.3, -0.02, 0.4)
	a.Counterfactual = &edit.Edit{Found: true, Removed: []int{0, 2}, Words: []string{"not", "bad"}, Label: "negative",
		Probability: 0.71, EditedText: "[MASK] " + injection + " [MASK]", Mask: "mask", Minimal: true, ExhaustiveSize: 1, Verified: true, Evaluations: 14, Budget: 512}
	a.Summary = attribution.Summarize(a)
	require.NotEmpty(t, a.Summary)
	b := explanation("fine", 0.6, 0.1)
	b.Counterfactual = &edit.Edit{Message: "within 8 evaluations, no removal of words made the model say negative", Evaluations: 9, Budget: 8}
	var buf bytes.Buffer
	require.NoError(t, WriteExplanations(&buf, []*attribution.Result{a, b}))
	page := buf.String()
	selfContained(t, page)
	assert.NotContains(t, page, injection)
	first := page[strings.Index(page, `id="explanation-0"`):strings.Index(page, `id="explanation-1"`)]
	assert.Contains(t, first, `<p class="summary"><bdi>The model says`)
	// The plain summary comes first, before the figures, and without them.
	assert.Less(t, strings.Index(first, `class="summary"`), strings.Index(first, `class="meta"`))
	for _, j := range []string{"f(x)", "base", "standard error"} {
		assert.NotContains(t, a.Summary, j)
	}
	assert.Contains(t, first, "removing &#39;not&#39; and &#39;bad&#39; makes the model say negative (0.710)")
	assert.Contains(t, first, "[MASK] &lt;script&gt;")
	assert.Contains(t, first, "14 model evaluations, re-run to check")
	second := page[strings.Index(page, `id="explanation-1"`):]
	assert.Contains(t, second, "no edit found: <bdi>within 8 evaluations, no removal of words made the model say negative</bdi>")
	assert.Contains(t, second, "(9 model evaluations)")
}
