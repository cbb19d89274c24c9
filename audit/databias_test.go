package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/dataset"
	"github.com/lucid-nlp/lucid/fairness/stats"
)

// skewedTSV is 2,000 rows where "she" rows are positive 80% of the time
// and the rest 45%, with a source column whose value "web" is skewed too.
func skewedTSV() string {
	rng := rand.New(rand.NewPCG(3, 4))
	var b strings.Builder
	b.WriteString("sentence\tlabel\tsource\n")
	for i := range 2000 {
		text, p, src := "the film was long", 0.45, "books"
		if i%4 == 0 {
			text, p = "she thought the film was long", 0.8
		}
		if i%5 == 0 {
			src = "web"
			p = min(p+0.3, 0.95)
		}
		label := 0
		if rng.Float64() < p {
			label = 1
		}
		fmt.Fprintf(&b, "%s %d\t%d\t%s\n", text, i, label, src)
	}
	return b.String()
}

func TestDataOnlyAuditNeedsNoModel(t *testing.T) {
	cfg := Config{Source: strings.NewReader(skewedTSV()), Name: "skew.tsv", Checks: []string{CheckData},
		Labels: []string{"negative", "positive"}, Dataset: dataset.Options{GroupCols: []string{"source"}}}
	rep, err := Run(context.Background(), nil, nil, cfg)
	require.NoError(t, err)
	require.NotNil(t, rep.DataBias)
	assert.Equal(t, 2000, rep.Rows)
	assert.Equal(t, 2000, rep.Labelled)
	assert.Nil(t, rep.Accuracy, "no model, no accuracy")
	db := rep.DataBias
	var gender, source string
	for _, l := range db.Families {
		if l.Name == "gender" {
			gender = string(l.Verdict.Status)
			assert.Contains(t, l.Failing, "term she")
		}
	}
	require.Len(t, db.Columns, 1)
	source = string(db.Columns[0].Verdict.Status)
	assert.Equal(t, "fail", gender)
	assert.Equal(t, "fail", source)
	var bias []Finding
	for _, f := range rep.Summary {
		if f.Check == "data_bias" {
			bias = append(bias, f)
		}
	}
	require.GreaterOrEqual(t, len(bias), 3)
	assert.Contains(t, bias[0].Message, `Most skewed term: "she"`)
	joined := fmt.Sprint(bias)
	assert.Contains(t, joined, "family gender")
	assert.Contains(t, joined, "column source")
	_, err = json.Marshal(rep)
	require.NoError(t, err)
	assert.Equal(t, stats.DefaultAlpha, rep.Rule.Alpha)
}

func TestDataOnlyAuditRefusesModelChecksWithoutAModel(t *testing.T) {
	_, err := Run(context.Background(), nil, nil, Config{Source: strings.NewReader("text\tlabel\nx\t0\n"), Name: "x.tsv",
		Checks: []string{CheckData, CheckGroups}, Labels: []string{"a", "b"}})
	assert.ErrorContains(t, err, "only --checks data runs without one")
	_, err = Run(context.Background(), nil, nil, Config{Source: strings.NewReader("text\tlabel\nx\t0\n"), Name: "x.tsv",
		Checks: []string{CheckData}})
	assert.ErrorContains(t, err, "needs Config.Labels")
}

func TestDataProblemSilencesDataBiasVerdicts(t *testing.T) {
	// A third of the rows have an unknown label: a data problem, so the
	// skew is reported but not judged.
	src := skewedTSV() + strings.Repeat("she liked it\tmaybe\tweb\n", 1000)
	rep, err := Run(context.Background(), nil, nil, Config{Source: strings.NewReader(src), Name: "bad.tsv", Checks: []string{CheckData},
		Labels: []string{"negative", "positive"}, Dataset: dataset.Options{GroupCols: []string{"source"}}})
	require.NoError(t, err)
	for _, f := range rep.Summary {
		if f.Check == "data_bias" {
			assert.Equal(t, "info", f.Status, f.Message)
		}
	}
}
