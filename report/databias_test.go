package report

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/audit"
	"github.com/lucid-nlp/lucid/dataset"
)

// TestDataBiasSectionMatchesJSON renders a data-only audit with a planted
// skew and checks every data-key number against report.json.
func TestDataBiasSectionMatchesJSON(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	var b strings.Builder
	b.WriteString("text\tlabel\tsource\n")
	for i := range 1500 {
		text, p, src := "the film was long", 0.45, "books"
		if i%4 == 0 {
			text, p = "she thought the film was long", 0.8
		}
		if i%3 == 0 {
			src = "web"
		}
		if i%50 == 0 {
			src = ""
		}
		label := 0
		if rng.Float64() < p {
			label = 1
		}
		fmt.Fprintf(&b, "%s %d <b>\t%d\t%s\n", text, i, label, src)
	}
	rep, err := audit.Run(context.Background(), nil, nil, audit.Config{Source: strings.NewReader(b.String()), Name: "skew.tsv",
		Checks: []string{audit.CheckData}, Labels: []string{"negative", "positive"}, Dataset: dataset.Options{GroupCols: []string{"source"}}})
	require.NoError(t, err)
	var page bytes.Buffer
	require.NoError(t, WriteAudit(&page, rep))
	html := page.String()
	checkDataKeys(t, html, rep,
		"databias:rows", "databias:labelled_rows", "databias:positive_share", "databias:positive_share:low", "databias:tolerance",
		"databias:family:gender:verdict", "databias:family:gender:rows",
		"databias:family:gender:term:she:difference", "databias:family:gender:term:she:difference:low",
		"databias:family:gender:term:she:difference:high", "databias:family:gender:term:she:ratio:high",
		"databias:family:gender:term:she:p_holm", "databias:family:gender:term:she:verdict",
		"databias:family:gender:term:she:positive_share", "databias:family:gender:term:she:elsewhere_positive_share",
		"databias:family:gender:term:she:pmi_positive", "databias:family:gender:term:she:labelled",
		"databias:family:gender:group:female:difference",
		"databias:column:source:value:web:difference", "databias:column:source:verdict",
		"databias-skewed:0:pmi_bits", "databias-skewed:0:label_share")
	assert.Contains(t, html, `id="databias"`)
	assert.NotContains(t, html, "<b>", "sample sentences are escaped")
	assert.Contains(t, html, "&lt;b&gt;")
}

func TestDataBiasSectionNotRun(t *testing.T) {
	var page bytes.Buffer
	require.NoError(t, WriteAudit(&page, fixture()))
	assert.Contains(t, page.String(), "Bias in the data")
	assert.Contains(t, page.String(), "Not run: this check was not requested")
}
