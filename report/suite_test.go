package report

import (
	"context"
	"github.com/lucid-nlp/lucid/internal/browsertest"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/audit"
	"github.com/lucid-nlp/lucid/dataset"
	"github.com/lucid-nlp/lucid/fairness/suite"
)

// nameBias is a pure-Go classifier with a planted bias: p(positive) =
// sigmoid(2 if "good" − 3 if "ahmed"), labels [negative, positive].
type nameBias struct{}

func (nameBias) Labels() []string { return []string{"negative", "positive"} }

func (nameBias) Probabilities(_ context.Context, texts []string) ([][]float64, error) {
	out := make([][]float64, len(texts))
	for i, t := range texts {
		z := 0.0
		if strings.Contains(t, "good") {
			z += 2
		}
		if strings.Contains(strings.ToLower(t), "ahmed") {
			z -= 3
		}
		p := 1 / (1 + math.Exp(-z))
		out[i] = []float64{1 - p, p}
	}
	return out, nil
}

// The suite's section: every number carries a data-key equal to
// report.json's, the failing cases are shown with the reference and the
// worst expansion, and a sampled test says of how many.
func TestWriteAuditSuite(t *testing.T) {
	s, err := suite.Load(strings.NewReader(`{"name":"names","description":"Planted <b>bias</b>.","lexicons":{
	  "name":["Anna","Ahmed","John"],"thing":["film","plot","story","show","cast"],"x":["a","b","c","d","e","f","g","h","i","j"]},
	  "tests":[
	    {"name":"names","type":"inv","label":"positive","vary":["name"],"templates":["{name} said the {thing} was good."]},
	    {"name":"good is positive","type":"mft","label":"positive","max_cases":40,"templates":["{x} {x} good {thing}"]},
	    {"name":"ok is positive","type":"mft","label":"positive","templates":["an ok {thing}"]}]}`), "n.json")
	require.NoError(t, err)
	res, err := suite.Run(context.Background(), nameBias{}, s, suite.Config{Seed: 2})
	require.NoError(t, err)
	r := fixture()
	r.Suite = res
	r.Timings = append(r.Timings, audit.Timing{Phase: "suite", Seconds: 0.25, Items: 220})
	page := renderAudit(t, r)
	selfContained(t, page)
	seen := checkDataKeys(t, page, r, "suite:names:failure_rate", "suite:names:failure_rate:low", "suite:names:verdict",
		"suite:names:p_holm", "suite:names:texts", "suite-run:tolerance", "suite:good is positive:cases", "timing:suite:seconds")
	assert.Equal(t, "fail", seen["suite:names:verdict"])
	assert.Equal(t, "1.0000", seen["suite:names:failure_rate"])
	assert.Equal(t, "15", seen["suite:names:texts"])
	assert.Equal(t, "40", seen["suite:good is positive:cases"])
	assert.Contains(t, page, "(sample of <span")
	assert.Contains(t, page, "Planted &lt;b&gt;bias&lt;/b&gt;.")
	assert.Contains(t, page, `<span class="lab">reference</span><span><bdi>Anna said the film was good.</bdi></span><span class="lab">expansion</span><span><bdi>Ahmed said the film was good.</bdi></span>`)
	assert.Contains(t, page, `<span class="lab">text</span><span><bdi>an ok film</bdi></span>`)
	assert.Less(t, strings.Index(page, `id="consistency"`), strings.Index(page, `id="suite"`))
	assert.Less(t, strings.Index(page, `id="suite"`), strings.Index(page, `id="slices"`))
}

// In headless Chromium, the suite's section and the weighted table render
// without script errors and every number in the DOM is report.json's.
func TestBrowserSuiteAndWeighted(t *testing.T) {
	bin := browsertest.Chromium(t)
	s, err := suite.Load(strings.NewReader(`{"name":"names","lexicons":{"name":["Anna","Ahmed","John"],"thing":["film","plot","story"]},
	  "tests":[{"name":"names","type":"inv","label":"positive","vary":["name"],"templates":["{name} said the {thing} was good."]}]}`), "n.json")
	require.NoError(t, err)
	res, err := suite.Run(context.Background(), nameBias{}, s, suite.Config{})
	require.NoError(t, err)
	var b strings.Builder
	b.WriteString("text\tlabel\tsource\tw\n")
	for i := range 120 {
		src, label, w := "web", i%2, "1"
		if i%3 == 0 {
			src, label, w = "books", 1, "0.5"
		}
		b.WriteString("text " + string(rune('a'+i%26)) + " " + strings.Repeat("x", i%7) + "\t" + []string{"0", "1"}[label] + "\t" + src + "\t" + w + "\n")
	}
	data, err := audit.Run(context.Background(), nil, nil, audit.Config{Source: strings.NewReader(b.String()), Name: "w.tsv",
		Checks: []string{audit.CheckData}, Labels: []string{"negative", "positive"}, Dataset: dataset.Options{GroupCols: []string{"source"}}, WeightCol: "w"})
	require.NoError(t, err)
	r := fixture()
	r.Suite, r.DataBias = res, data.DataBias
	page := writePage(t, t.TempDir(), "report.html", func(f *os.File) error { return WriteAudit(f, r) })
	dom, stderr := browse(t, bin, page, "--dump-dom")
	errs, console := jsProblems(t, dom, stderr)
	assert.Empty(t, errs, "#js-errors")
	assert.Empty(t, console, "console messages")
	seen := checkDataKeys(t, dom, r, "suite:names:failure_rate", "suite:names:verdict", "suite:names:tested",
		"databias-weighted:source:max_gap", "databias-weighted:source:books:share:1", "databias-weighted:source:web:weight:0")
	assert.Equal(t, "fail", seen["suite:names:verdict"])
	assert.Contains(t, dom, "Ahmed said the film was good.")
}
