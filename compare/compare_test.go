package compare

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/attribution"
	"github.com/lucid-nlp/lucid/dataset"
	"github.com/lucid-nlp/lucid/fairness/stats"
	"github.com/lucid-nlp/lucid/models"
)

var labelNames = []string{"NEGATIVE", "POSITIVE"}

// wordModel is a pure-Go classifier: p(POSITIVE) = 0.9 with "good", 0.2
// without. With flipWord set it is a modified version that inverts its
// prediction on every text holding that word: the planted flips.
type wordModel struct{ flipWord string }

func (wordModel) Labels() []string { return labelNames }

func (m wordModel) score(t string) float64 {
	p := 0.2
	if strings.Contains(t, "good") {
		p = 0.9
	}
	if m.flipWord != "" && strings.Contains(t, m.flipWord) {
		p = 1 - p
	}
	return p
}

func (m wordModel) Predict(_ context.Context, texts []string) ([]models.Prediction, error) {
	out := make([]models.Prediction, len(texts))
	for i, t := range texts {
		p := m.score(t)
		label := 0
		if p > 0.5 {
			label = 1
		}
		out[i] = models.Prediction{Text: t, Label: labelNames[label], LabelIndex: label, Probabilities: []float64{1 - p, p}}
	}
	return out, nil
}

// wordExplainer attributes each word a fixed weight (its position and
// whether it is "good"), reversed on texts holding flipWord: a pure-Go
// stand-in whose rank correlations are known.
type wordExplainer struct{ flipWord string }

func (x wordExplainer) ExplainAll(_ context.Context, reqs []attribution.Request, _ int) ([]*attribution.Result, []error) {
	res, errs := make([]*attribution.Result, len(reqs)), make([]error, len(reqs))
	for i, r := range reqs {
		words := strings.Fields(r.Text)
		out := &attribution.Result{Text: r.Text, Method: r.Method}
		for j, w := range words {
			a := 0.01 * float64(j+1)
			if w == "good" {
				a = 0.7
			}
			if x.flipWord != "" && strings.Contains(r.Text, x.flipWord) {
				a = -a
			}
			out.Features = append(out.Features, attribution.FeatureAttribution{Text: w, Attribution: a})
		}
		res[i] = out
	}
	return res, errs
}

// corpus is n rows of CSV: every third text "good", every fifth (in group
// x only) with the word "twist"; groups x and y alternate.
func corpus(n int) string {
	var b strings.Builder
	b.WriteString("text,label,group\n")
	for i := 1; i <= n; i++ {
		g := "y"
		if i%2 == 0 {
			g = "x"
		}
		text, label := fmt.Sprintf("a dull film number %d", i), "NEGATIVE"
		if i%3 == 0 {
			text, label = fmt.Sprintf("a good film number %d", i), "POSITIVE"
		}
		if g == "x" && i%5 == 0 {
			text += " with a twist"
		}
		fmt.Fprintf(&b, "%s,%s,%s\n", text, label, g)
	}
	return b.String()
}

func runModels(t *testing.T, a, b wordModel, n int) *Report {
	t.Helper()
	rep, err := RunModels(context.Background(), a, b, wordExplainer(a), wordExplainer(b), Config{
		Source: strings.NewReader(corpus(n)), Name: "corpus.csv", Seed: 1, BatchSize: 64,
		Dataset: dataset.Options{GroupCols: []string{"group"}}, ModelA: "a", ModelB: "b"})
	require.NoError(t, err)
	return rep
}

func TestIdenticalModelsAgreeAndPass(t *testing.T) {
	rep := runModels(t, wordModel{}, wordModel{}, 600)
	m := rep.Models
	require.NotNil(t, m)
	assert.Equal(t, 600, m.Rows)
	assert.Equal(t, 600, m.Agreement.Count)
	assert.InDelta(t, 1.0, m.Agreement.Value, 0)
	assert.Equal(t, 0, m.Flips.Flips)
	assert.Equal(t, stats.Pass, m.Flips.Verdict.Status, m.Flips.Verdict.Reason)
	// Every paired difference is exactly 0, so the t intervals have zero
	// width, which is never evidence (the Guide's "Statistics"): these
	// checks are inconclusive rather than PASS; the flip rate's Wilson
	// interval (0 of 600) has a width and passes.
	assert.Equal(t, stats.Warn, m.AbsDelta.Verdict.Status, m.AbsDelta.Verdict.Reason)
	assert.Contains(t, m.AbsDelta.Verdict.Reason, "zero width")
	assert.InDelta(t, 0, m.Delta.Summary.Mean, 1e-12)
	require.NotNil(t, m.AccuracyDifference)
	assert.Equal(t, stats.Warn, m.AccuracyDifference.Verdict.Status, m.AccuracyDifference.Verdict.Reason)
	assert.Empty(t, m.Changed, "no row changed")
	for _, c := range append(m.BySlice, m.ByGroup[0].Groups...) {
		assert.Equal(t, 0, c.Flips, c.Name)
	}
	require.NotNil(t, m.Explanations)
	assert.Equal(t, DefaultExplainRows, m.Explanations.Texts)
	assert.InDelta(t, 1, m.Explanations.Spearman, 1e-12)
	assert.Equal(t, stats.Warn, m.Explanations.Verdict.Status, m.Explanations.Verdict.Reason, "rank correlation 1 on every text: [1, 1] has zero width")
	for _, f := range rep.Summary {
		assert.NotEqual(t, "fail", f.Status, f.Message)
	}
	_, err := json.Marshal(rep)
	require.NoError(t, err)
}

func TestPlantedFlipsAreFound(t *testing.T) {
	const n = 600
	rep := runModels(t, wordModel{}, wordModel{flipWord: "twist"}, n)
	m := rep.Models
	// The twist rows: even i divisible by 5, i.e. every tenth row.
	planted := n / 10
	assert.Equal(t, planted, m.Flips.Flips)
	assert.InDelta(t, float64(planted)/n, m.Flips.Rate, 1e-12)
	assert.Equal(t, stats.Fail, m.Flips.Verdict.Status, m.Flips.Verdict.Reason)
	// Twist rows that were "good" (i divisible by 30) went positive →
	// negative; the rest negative → positive.
	assert.Equal(t, n/30, m.PositiveToNegative)
	assert.Equal(t, planted-n/30, m.NegativeToPositive)

	require.Len(t, m.ByGroup, 1)
	cells := map[string]FlipCell{}
	for _, c := range m.ByGroup[0].Groups {
		cells[c.Name] = c
	}
	assert.Equal(t, planted, cells["x"].Flips)
	assert.Equal(t, n/2, cells["x"].Rows)
	assert.Equal(t, stats.Fail, cells["x"].Verdict.Status, cells["x"].Verdict.Reason)
	assert.Equal(t, 0, cells["y"].Flips)
	assert.Equal(t, stats.Pass, cells["y"].Verdict.Status, cells["y"].Verdict.Reason)

	// Every flipped row moves |Δp| by 0.6 or 0.8, every other by 0.
	require.Len(t, m.Changed, DefaultTopChanged)
	for _, c := range m.Changed {
		assert.Contains(t, c.Text, "twist")
		assert.NotEqual(t, c.LabelA, c.LabelB)
		assert.InDelta(t, c.PB-c.PA, c.Delta, 1e-12)
	}
	assert.InDelta(t, 0.8, math.Abs(m.Changed[0].Delta), 1e-12, "largest first")
	// mean |Δp| = (n/30·0.8 + (n/10 − n/30)·0.6) / n.
	want := (float64(n/30)*0.8 + float64(planted-n/30)*0.6) / n
	assert.InDelta(t, want, m.AbsDelta.Summary.Mean, 1e-12)

	sliceAll := m.BySlice[0]
	assert.Equal(t, "all", sliceAll.Name)
	assert.Equal(t, planted, sliceAll.Flips)

	require.NotNil(t, m.Explanations)
	e := m.Explanations
	for _, pt := range e.PerText {
		require.NotNil(t, pt.Spearman, pt.Error)
		if strings.Contains(pt.Text, "twist") {
			assert.InDelta(t, -1, *pt.Spearman, 1e-12, pt.Text)
		} else {
			assert.InDelta(t, 1, *pt.Spearman, 1e-12, pt.Text)
		}
	}
}

func TestModelsRefuseDifferentLabels(t *testing.T) {
	_, err := RunModels(context.Background(), wordModel{}, otherLabels{}, nil, nil, Config{Source: strings.NewReader(corpus(10)), Name: "c.csv"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "labels differ")
}

type otherLabels struct{ wordModel }

func (otherLabels) Labels() []string { return []string{"bad", "good"} }

func TestConfigLimits(t *testing.T) {
	for _, c := range []Config{{FlipTolerance: 1.5}, {Tolerance: -1}, {TopChanged: MaxTopChanged + 1}} {
		c.Source = strings.NewReader(corpus(10))
		_, err := RunModels(context.Background(), wordModel{}, wordModel{}, nil, nil, c)
		require.Error(t, err)
	}
}

// shiftCorpus is n rows where a share hard of the texts are "good film"
// labelled NEGATIVE (the model gets them wrong) in group x only.
func shiftCorpus(n int, hard float64) string {
	var b strings.Builder
	b.WriteString("text,label,group\n")
	for i := 1; i <= n; i++ {
		g := "y"
		if i%2 == 0 {
			g = "x"
		}
		text, label := fmt.Sprintf("a dull film %d", i), "NEGATIVE"
		if i%3 == 0 {
			text, label = fmt.Sprintf("a good film %d", i), "POSITIVE"
		}
		if g == "x" && float64(i%100) < 100*hard {
			text, label = fmt.Sprintf("a good film %d", i), "NEGATIVE"
		}
		fmt.Fprintf(&b, "%s,%s,%s\n", text, label, g)
	}
	return b.String()
}

func runShift(t *testing.T, a, b string) *Report {
	t.Helper()
	rep, err := RunShift(context.Background(), wordModel{}, Config{Source: strings.NewReader(a), Name: "a.csv",
		Source2: strings.NewReader(b), Name2: "b.csv", Seed: 1, Dataset: dataset.Options{GroupCols: []string{"group"}}, Resamples: 400})
	require.NoError(t, err)
	require.NotNil(t, rep.Shift)
	return rep
}

func find(s *Shift, col, group, metric string) *ShiftTest {
	for i := range s.Tests {
		if t := &s.Tests[i]; t.Column == col && t.Group == group && t.Metric == metric {
			return t
		}
	}
	return nil
}

func TestShiftFindsAPlantedDrop(t *testing.T) {
	rep := runShift(t, shiftCorpus(2000, 0), shiftCorpus(2000, 0.3))
	s := rep.Shift
	acc := find(s, "", "", MetricAccuracy)
	require.NotNil(t, acc)
	assert.InDelta(t, 1, acc.A.Value, 1e-12)
	assert.Less(t, acc.Difference, -0.1)
	assert.Equal(t, stats.Fail, acc.Verdict.Status, acc.Verdict.Reason)
	x := find(s, "group", "x", MetricAccuracy)
	require.NotNil(t, x)
	assert.Equal(t, stats.Fail, x.Verdict.Status, x.Verdict.Reason)
	y := find(s, "group", "y", MetricAccuracy)
	require.NotNil(t, y)
	assert.InDelta(t, 0, y.Difference, 1e-12)
	assert.Equal(t, stats.Pass, y.Verdict.Status, y.Verdict.Reason)
	gap := find(s, "group", "", MetricGap)
	require.NotNil(t, gap)
	assert.Greater(t, gap.Difference, 0.1)
	assert.True(t, gap.CI.Contains(gap.Difference))
	assert.Equal(t, stats.Fail, s.Verdict.Status)
	_, err := json.Marshal(rep)
	require.NoError(t, err)
}

func TestShiftSameDistributionPasses(t *testing.T) {
	rep := runShift(t, shiftCorpus(2000, 0.1), shiftCorpus(2000, 0.1))
	for _, tt := range rep.Shift.Tests {
		assert.InDelta(t, 0, tt.Difference, 1e-12, testName(&tt))
		assert.NotEqual(t, stats.Fail, tt.Verdict.Status, "%s: %s", testName(&tt), tt.Verdict.Reason)
	}
}

func TestShiftNeedsTwoFiles(t *testing.T) {
	_, err := RunShift(context.Background(), wordModel{}, Config{Source: strings.NewReader(corpus(5)), Name: "a.csv"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "two files")
}

func TestInterruptedComparisonIsPartial(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	m := &cancelAfter{cancel: cancel, after: 2}
	rep, err := RunModels(ctx, m, wordModel{}, nil, nil, Config{Source: strings.NewReader(corpus(1000)), Name: "c.csv", BatchSize: 50})
	require.ErrorIs(t, err, context.Canceled)
	require.NotNil(t, rep)
	assert.True(t, rep.Partial)
	assert.Equal(t, 100, rep.Models.Rows)
}

// cancelAfter cancels its context once it has scored `after` batches.
type cancelAfter struct {
	wordModel
	cancel func()
	after  int
	calls  int
}

func (c *cancelAfter) Predict(ctx context.Context, texts []string) ([]models.Prediction, error) {
	c.calls++
	if c.calls == c.after {
		c.cancel()
	}
	return c.wordModel.Predict(ctx, texts)
}
