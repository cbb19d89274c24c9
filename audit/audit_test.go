package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/attribution"
	"github.com/lucid-nlp/lucid/dataset"
	"github.com/lucid-nlp/lucid/evaluate"
	"github.com/lucid-nlp/lucid/fairness/counterfactual"
	"github.com/lucid-nlp/lucid/models"
)

var (
	once sync.Once
	clf  *models.Classifier
	xp   *attribution.Explainer
	lerr error
)

func defaultModel(t *testing.T) (*models.Classifier, *attribution.Explainer) {
	t.Helper()
	once.Do(func() {
		clf, lerr = models.Load(filepath.Join("..", "models", models.DefaultName))
		if lerr == nil {
			xp = attribution.NewExplainer(clf.Tokenizer, evaluate.New(clf.Model, evaluate.Options{PadID: clf.Tokenizer.PadID()}), "default")
		}
	})
	require.NoError(t, lerr, "the shipped model must load (ONNX Runtime from scripts/setup_ort.sh)")
	return clf, xp
}

// templated builds a small labelled CSV of review sentences that mention
// identity terms, with a group column, and one malformed row in the middle.
func templated() string {
	subjects := [][2]string{{"he", "m"}, {"she", "f"}, {"my brother", "m"}, {"my sister", "f"}, {"the old man", "m"}, {"the young woman", "f"}}
	opinions := []struct {
		text  string
		label string
	}{
		{"said the film was wonderful and moving .", "POSITIVE"},
		{"thought the plot was dull and far too long .", "NEGATIVE"},
		{"loved every minute of this charming story .", "POSITIVE"},
		{"found the acting flat and the jokes stale .", "NEGATIVE"},
		{"called it one of the best films of the year .", "POSITIVE"},
		{"said it was a mess from start to finish .", "NEGATIVE"},
	}
	var b strings.Builder
	b.WriteString("text,label,gender\n")
	n := 0
	for _, s := range subjects {
		for _, o := range opinions {
			fmt.Fprintf(&b, "%q,%s,%s\n", s[0]+" "+o.text, o.label, s[1])
			n++
			if n == 10 {
				b.WriteString("this row,has,too,many,fields\n") // wrong number of fields: reported, skipped
			}
		}
	}
	return b.String()
}

func TestAuditOfDefaultModelOnTemplates(t *testing.T) {
	c, x := defaultModel(t)
	rep, err := Run(context.Background(), c, x, Config{
		Source: strings.NewReader(templated()), Name: "templates.csv", Dataset: dataset.Options{GroupCols: []string{"gender"}},
		Seed: 3, Resamples: 200, ExplainRows: 4, Budget: 64, ConsistencyRows: 36,
		Methods: []attribution.Method{attribution.MethodKernelSHAP, attribution.MethodOcclusion},
	})
	require.NoError(t, err)
	assert.Equal(t, 36, rep.Rows)
	assert.Equal(t, 36, rep.Labelled)
	assert.Equal(t, 1, rep.Skipped)
	require.Len(t, rep.SkippedExamples, 1)
	assert.Equal(t, "POSITIVE", rep.Positive)
	require.NotNil(t, rep.Accuracy)
	assert.InDelta(t, float64(rep.Accuracy.Count)/36, rep.Accuracy.Value, 1e-12)

	// groups: one column, two groups of 18
	require.Len(t, rep.Groups, 1)
	assert.Equal(t, "gender", rep.Groups[0].Column)
	require.Len(t, rep.Groups[0].Groups, 2)
	for _, g := range rep.Groups[0].Groups {
		assert.Equal(t, 18, g.Count)
	}

	// counterfactual: every text mentions a term; swaps are symmetric in
	// the sense that each he→she has a she→he pair in the table
	cf := rep.Counterfactual
	require.NotNil(t, cf)
	assert.Equal(t, 36, cf.Texts)
	assert.Equal(t, 36, cf.TextsWithTerms)
	assert.Greater(t, cf.Swaps, 36)
	pairs := map[string]counterfactual.Stats{}
	for _, p := range cf.Pairs {
		pairs[p.Family+":"+p.Term+">"+p.Replacement] = p
	}
	for _, p := range []string{"gender:he>she", "gender:she>he", "gender:brother>sister", "gender:sister>brother"} {
		s, ok := pairs[p]
		require.True(t, ok, "pair %s is audited", p)
		assert.Equal(t, 6, s.Swaps, p)
		assert.GreaterOrEqual(t, s.MaxAbsDelta, s.MeanAbsDelta)
		assert.InDelta(t, float64(s.Flips)/float64(s.Swaps), s.FlipRate, 1e-12)
	}
	// the worst pairs are explained on both sides
	require.NotEmpty(t, cf.Explained)
	for _, e := range cf.Explained {
		assert.Equal(t, e.Example.Original, e.Original.Text)
		assert.Equal(t, e.Example.Swap.Text, e.Swapped.Text)
		assert.Equal(t, "POSITIVE", e.Original.Target)
		if len(e.WordDeltas) > 0 {
			// the explained difference is consistent with efficiency on both sides
			var d float64
			for _, w := range e.WordDeltas {
				d += w.Delta
			}
			assert.InDelta(t, (e.Swapped.FX-e.Swapped.BaseValue)-(e.Original.FX-e.Original.BaseValue), d, 1e-4)
		}
	}

	require.NotNil(t, rep.Consistency)
	assert.Equal(t, 36, rep.Consistency.Texts)
	require.NotEmpty(t, rep.Slices)
	require.Len(t, rep.Faithfulness, 2)
	for _, f := range rep.Faithfulness {
		assert.Equal(t, 4, f.Texts, f.Method)
		assert.False(t, math.IsNaN(f.Comprehensiveness))
	}
	require.Len(t, rep.Stability, 3)
	require.NotEmpty(t, rep.Summary)
	assert.Equal(t, "data", rep.Summary[0].Check)
	// 1 of 37 rows (2.7%) malformed is above the 1% an audit can stand:
	// the data problem is the finding and nothing else is judged.
	assert.Equal(t, "fail", rep.Summary[0].Status, rep.Summary[0].Message)
	assert.Contains(t, rep.Summary[0].Message, "line 12")
	for _, f := range rep.Summary[1:] {
		assert.NotContains(t, []string{"pass", "fail"}, f.Status, "%s: %s", f.Check, f.Message)
	}

	// the whole report is valid JSON (no NaN)
	_, err = json.Marshal(rep)
	require.NoError(t, err)
}

func TestCounterfactualSelfSwapMovesNothing(t *testing.T) {
	c, x := defaultModel(t)
	self, err := counterfactual.NewFamily("self", counterfactual.Group{Name: "a", Terms: []string{"film"}}, counterfactual.Group{Name: "b", Terms: []string{"film"}})
	require.NoError(t, err)
	rep, err := Run(context.Background(), c, x, Config{
		Source: strings.NewReader("text\na wonderful film\na dull film .\nno term here\n"), Name: "self.csv",
		Checks: []string{CheckCounterfactual}, Families: []counterfactual.Family{self},
	})
	require.NoError(t, err)
	cf := rep.Counterfactual
	assert.Equal(t, 2, cf.TextsWithTerms)
	for _, p := range cf.Pairs {
		assert.Zero(t, p.MaxAbsDelta, "a term swapped with itself moves nothing")
		assert.Zero(t, p.Flips)
	}
	assert.Nil(t, rep.Accuracy, "no label column")
}

func TestAuditInputErrors(t *testing.T) {
	c, x := defaultModel(t)
	ctx := context.Background()
	_, err := Run(ctx, c, x, Config{Source: strings.NewReader("review,stars\nfine,1\n"), Name: "r.csv"})
	assert.ErrorContains(t, err, "missing column")

	_, err = Run(ctx, c, x, Config{Source: strings.NewReader(""), Name: "empty.csv"})
	assert.Error(t, err)

	_, err = Run(ctx, c, x, Config{Source: strings.NewReader("text,label\nfine,MAYBE\n"), Name: "l.csv", Checks: []string{CheckGroups}})
	assert.ErrorContains(t, err, "no readable rows (1 skipped)")

	rep, err := Run(ctx, c, x, Config{Source: strings.NewReader("text,label\nfine,NEUTRAL\ngood,POSITIVE\ncaf\xe9,0\n"), Name: "l.csv", Checks: []string{CheckSlices}})
	require.NoError(t, err)
	assert.Equal(t, 1, rep.Rows)
	assert.Equal(t, 2, rep.Skipped)
	assert.Contains(t, rep.SkippedExamples[0].Reason, `unknown label "NEUTRAL"`)
	assert.Equal(t, 4, rep.SkippedExamples[1].Line)

	// A missing column is named for what it was asked as.
	_, err = Run(ctx, c, x, Config{Source: strings.NewReader("text,label,group\nfine,POSITIVE,a\n"), Name: "p.csv",
		Dataset: dataCols("group"), PairCol: "template", Intersections: [][]string{{"group", "age"}}, Checks: []string{CheckGroups}})
	assert.ErrorContains(t, err, `--group-cross column "age", --pair-col column "template"`)

	_, err = Run(ctx, c, x, Config{Source: strings.NewReader("text\nx\n"), Name: "x.csv", Checks: []string{"vibes"}})
	assert.ErrorContains(t, err, `unknown check "vibes"`)
}
