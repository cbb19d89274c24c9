package report

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/audit"
	"github.com/lucid-nlp/lucid/dataset"
)

// The weighted table of a data-only audit with --weight-col: every number
// on the page is report.json's, the gap is printed so that 1e-16 reads as
// such, and a missing group value is named.
func TestWeightedSectionMatchesJSON(t *testing.T) {
	var b strings.Builder
	b.WriteString("text\tlabel\tsource\tw\n")
	for i := range 300 {
		src, label, w := "web", i%2, "1"
		if i%3 == 0 {
			src, label, w = "books", 1, "0.25"
		}
		if i%50 == 0 {
			src = ""
		}
		fmt.Fprintf(&b, "text %d\t%d\t%s\t%s\n", i, label, src, w)
	}
	rep, err := audit.Run(context.Background(), nil, nil, audit.Config{Source: strings.NewReader(b.String()), Name: "w.tsv",
		Checks: []string{audit.CheckData}, Labels: []string{"negative", "positive"}, Dataset: dataset.Options{GroupCols: []string{"source"}}, WeightCol: "w"})
	require.NoError(t, err)
	require.NotNil(t, rep.DataBias.Weighted)
	var page bytes.Buffer
	require.NoError(t, WriteAudit(&page, rep))
	html := page.String()
	seen := checkDataKeys(t, html, rep, "databias-weighted:rows", "databias-weighted:source:max_gap", "databias-weighted:source:label_share:1",
		"databias-weighted:source:web:share:1", "databias-weighted:source:books:weight:1", "databias-weighted:source::rows:0")
	assert.Equal(t, "300", seen["databias-weighted:rows"])
	assert.Equal(t, "1.0000", seen["databias-weighted:source:books:share:1"])
	assert.Contains(t, html, `id="weighted"`)
	assert.Contains(t, html, "<td><bdi>(missing)</bdi></td>")
	assert.Less(t, strings.Index(html, `id="databias"`), strings.Index(html, `id="weighted"`))
}
