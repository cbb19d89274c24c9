//go:build unix

package report

import (
	"context"
	"github.com/lucid-nlp/lucid/internal/browsertest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/attribution"
	"github.com/lucid-nlp/lucid/audit"
	"github.com/lucid-nlp/lucid/dataset"
	"github.com/lucid-nlp/lucid/evaluate"
	"github.com/lucid-nlp/lucid/fairness/pairtext"
	"github.com/lucid-nlp/lucid/models"
)

// TestBrowserPairExplanation renders a pair's explanation page in
// headless Chromium: both texts shown apart, each feature once, no
// script errors.
func TestBrowserPairExplanation(t *testing.T) {
	bin := browsertest.Chromium(t)
	page := writePage(t, t.TempDir(), "pair.html", func(f *os.File) error {
		return WriteExplanations(f, []*attribution.Result{pairExplanation()})
	})
	dom, stderr := browse(t, bin, page, "--dump-dom")
	errs, console := jsProblems(t, dom, stderr)
	assert.Empty(t, errs, "#js-errors")
	assert.Empty(t, console, "console messages")
	first := strings.Index(dom, "First text:")
	second := strings.Index(dom, "Second text (text_pair):")
	require.True(t, first >= 0 && second > first, "the page labels the two texts, first then second")
	tok := regexp.MustCompile(`<span class="tok [^"]*"[^>]*>([^<]*)</span>`)
	var heat []string
	for _, m := range tok.FindAllStringSubmatch(dom[first:], -1) {
		heat = append(heat, m[1])
	}
	require.GreaterOrEqual(t, len(heat), 4)
	assert.Equal(t, []string{"good", "film", "bad", "plot"}, heat[:4], "the first text's words, then the second's, each in its own heatmap")
	between := dom[first:second]
	assert.Contains(t, between, ">good<")
	assert.NotContains(t, between, ">bad<", "no word of the second text in the first heatmap")
}

// TestBrowserRealPairAudit: a real audit of sentence pairs (the
// pair-additive test model, --text-pair-col, --pair-side second,
// --symmetric), rendered and opened in Chromium: the consistency table
// has the order-swap row, the worst swaps show the pair as "text ␞
// text_pair" with the swapped word in the second text, and the page's
// figures are report.json's.
func TestBrowserRealPairAudit(t *testing.T) {
	bin := browsertest.Chromium(t)
	clf, err := models.Load(filepath.Join("..", "models", "testdata", "pair-additive"))
	require.NoError(t, err)
	defer clf.Close()
	x := attribution.NewExplainer(clf.Tokenizer, evaluate.New(clf.Model, evaluate.Options{PadID: clf.Tokenizer.PadID()}), "pair-additive")
	tsv := "premise\thypothesis\tlabel\tg\n" +
		"a man is eating food .\tsomeone eats .\tentailment\tx\n" +
		"someone is eating .\ta man eats food .\tentailment\ty\n" +
		"someone eats .\ta man is not eating .\tcontradiction\tx\n" +
		"a man eats\tsomeone is eating food\tentailment\ty\n"
	r, err := audit.Run(context.Background(), clf, x, audit.Config{
		Source: strings.NewReader(tsv), Name: "nli.tsv",
		Dataset:     dataset.Options{Format: dataset.TSV, TextCol: "premise", GroupCols: []string{"g"}},
		TextPairCol: "hypothesis", PairSide: pairtext.Second, Symmetric: true,
		Checks: []string{audit.CheckGroups, audit.CheckCounterfactual, audit.CheckConsistency, audit.CheckFaithfulness},
		Seed:   1, Resamples: 50, ExplainRows: 2, Budget: 16, MinGroupSize: 1,
		Methods: []attribution.Method{attribution.MethodOcclusion}, WorstPairs: 2,
	})
	require.NoError(t, err)
	require.NotNil(t, r.Consistency)
	require.NotNil(t, r.Counterfactual)
	page := writePage(t, t.TempDir(), "report.html", func(f *os.File) error { return WriteAudit(f, r) })

	dom, stderr := browse(t, bin, page, "--dump-dom")
	errs, console := jsProblems(t, dom, stderr)
	assert.Empty(t, errs, "#js-errors")
	assert.Empty(t, console, "console messages")
	seen := checkDataKeys(t, dom, r, "rows")
	assert.Equal(t, "4", seen["rows"])
	assert.Contains(t, dom, "order-swap", "the order-swap test is in the consistency table")
	require.NotEmpty(t, r.Counterfactual.Worst)
	for _, w := range r.Counterfactual.Worst {
		a, _, ok := pairtext.Split(w.Original)
		require.True(t, ok, w.Original)
		sa, _, _ := pairtext.Split(w.Swap.Text)
		assert.Equal(t, a, sa, "--pair-side second leaves the first text alone")
	}
	assert.Contains(t, dom, "someone is eating . ␞ a ", "the pair is shown joined by ␞")

	// The worst swaps are explained as pairs and drawn on the joined pair:
	// every feature placed, the swapped word marked in the second text.
	require.NotEmpty(t, r.Counterfactual.Explained)
	for _, e := range r.Counterfactual.Explained {
		for _, res := range []*attribution.Result{e.Original, e.Swapped} {
			for _, f := range res.Features {
				assert.Equal(t, f.Text, res.Text[f.ByteStart:f.ByteEnd], "a feature's offsets index the joined pair %q", res.Text)
			}
		}
		h := markedHeatmap(e.Swapped, 1, e.Example.Swap.NewSpans, e.Example.Swap.NewAgreements)
		assert.Zero(t, h.Unplaced)
		marked := 0
		for _, s := range h.Segs {
			if s.Mark == "swap" {
				marked++
				assert.Greater(t, strings.Index(e.Example.Swap.Text, s.Text), strings.Index(e.Example.Swap.Text, "␞"), "the swapped word %q is in the second text", s.Text)
			}
		}
		assert.Positive(t, marked, "the swapped word is marked in the heatmap")
	}
}
