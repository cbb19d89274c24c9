package audit

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/dataset"
	"github.com/lucid-nlp/lucid/fairness/stats"
	"github.com/lucid-nlp/lucid/fairness/thresholds"
	"github.com/lucid-nlp/lucid/models"
)

// scoreModel reads its positive-class score from the text's last word, so
// a test can plant any score distribution.
type scoreModel struct{}

func (scoreModel) Labels() []string { return []string{"NEGATIVE", "POSITIVE"} }

func (scoreModel) Predict(_ context.Context, texts []string) ([]models.Prediction, error) {
	out := make([]models.Prediction, len(texts))
	for i, t := range texts {
		p, err := strconv.ParseFloat(t[strings.LastIndexByte(t, ' ')+1:], 64)
		if err != nil {
			return nil, err
		}
		label := 0
		if p >= 0.5 {
			label = 1
		}
		out[i] = models.Prediction{Text: t, Label: []string{"NEGATIVE", "POSITIVE"}[label], LabelIndex: label, Probabilities: []float64{1 - p, p}}
	}
	return out, nil
}

// gapCSV is n labelled rows of two groups; the model separates group b's
// labels less well (logit means ±1 against ±2), so at 0.5 b's TPR is
// about 0.14 below a's.
func gapCSV(n int, seed uint64) string {
	rng := rand.New(rand.NewPCG(seed, 3))
	var b strings.Builder
	b.WriteString("text,label,group\n")
	for i := range n {
		g, mu := "a", 2.0
		if i%2 == 1 {
			g, mu = "b", 1.0
		}
		y := rng.IntN(2)
		z := mu*float64(2*y-1) + rng.NormFloat64()
		fmt.Fprintf(&b, "row %d %.6f,%s,%s\n", i, 1/(1+math.Exp(-z)), []string{"NEGATIVE", "POSITIVE"}[y], g)
	}
	return b.String()
}

func TestAuditFitsAndJudgesThresholds(t *testing.T) {
	ctx := context.Background()
	base := Config{Name: "train.csv", Dataset: dataset.Options{GroupCols: []string{"group"}}, Checks: []string{CheckGroups}, Resamples: 200, Seed: 5}
	fitCfg := base
	fitCfg.Source = strings.NewReader(gapCSV(20000, 1))
	fitCfg.FitThresholds = thresholds.EqualOpportunity
	rep, err := Run(ctx, scoreModel{}, nil, fitCfg)
	require.NoError(t, err)
	require.Empty(t, rep.ThresholdFitError)
	require.NotNil(t, rep.ThresholdFit)
	assert.Equal(t, "group", rep.ThresholdFit.Column)
	assert.Equal(t, "POSITIVE", rep.ThresholdFit.Positive)
	assert.Equal(t, uint64(5), rep.ThresholdFit.Seed)
	assert.Equal(t, 20000, rep.ThresholdFit.Fit.FittedRows)
	assert.True(t, hasFinding(rep, "thresholds", "Fitted equal-opportunity thresholds for 2 groups"), "%+v", rep.Summary)

	// thresholds.json round trip, then the held-out file.
	var buf bytes.Buffer
	require.NoError(t, rep.ThresholdFit.Write(&buf))
	f, err := thresholds.Read(&buf, "thresholds.json")
	require.NoError(t, err)
	judge := base
	judge.Name = "test.csv"
	judge.Source = strings.NewReader(gapCSV(10000, 2))
	judge.Thresholds = f
	rep, err = Run(ctx, scoreModel{}, nil, judge)
	require.NoError(t, err)
	e := rep.Thresholds
	require.NotNil(t, e)
	assert.Equal(t, 10000, e.Rows)
	assert.Equal(t, 10000, e.FittedRows)
	assert.Equal(t, stats.Fail, e.VerdictBefore.Status, e.VerdictBefore.Reason)
	assert.NotEqual(t, stats.Fail, e.VerdictAfter.Status, e.VerdictAfter.Reason)
	require.Len(t, e.Tests, 1)
	after := e.Tests[0].After.Test.Estimate
	assert.True(t, after.Low <= 0 && 0 <= after.High, "tpr difference after: %.4f [%.4f, %.4f]", after.Value, after.Low, after.High)
	// The "before" report is the audit's own group report of the column.
	assert.Equal(t, rep.Groups[0].Pairs[0].Tests, e.Before.Pairs[0].Tests)
	require.NotNil(t, e.AccuracyChange)
	assert.True(t, hasFinding(rep, "thresholds", "equal-opportunity thresholds on \"group\": before FAIL"), "%+v", rep.Summary)
}

func TestAuditThresholdErrors(t *testing.T) {
	ctx := context.Background()
	cfg := Config{Name: "x.csv", Source: strings.NewReader(gapCSV(200, 1)), Checks: []string{CheckGroups}, Resamples: 50,
		FitThresholds: thresholds.DemographicParity}
	_, err := Run(ctx, scoreModel{}, nil, cfg)
	assert.ErrorContains(t, err, "fitting thresholds (demographic-parity) needs a group column")

	cfg.Thresholds = &thresholds.File{}
	cfg.Dataset.GroupCols = []string{"group"}
	_, err = Run(ctx, scoreModel{}, nil, cfg)
	assert.ErrorContains(t, err, "fit on one file, judge on another")

	// One group only: the audit stands, the fit says why it failed.
	cfg.Thresholds = nil
	cfg.Source = strings.NewReader("text,label,group\nrow 0.9,POSITIVE,a\nrow 0.2,NEGATIVE,a\n")
	rep, err := Run(ctx, scoreModel{}, nil, cfg)
	require.NoError(t, err)
	assert.Nil(t, rep.ThresholdFit)
	assert.Contains(t, rep.ThresholdFitError, "0 groups can be fitted, two are needed")
	assert.True(t, hasFinding(rep, "thresholds", "Group thresholds not fitted: column \"group\": 0 groups"), "%+v", rep.Summary)
}

func hasFinding(rep *Report, check, prefix string) bool {
	for _, f := range rep.Summary {
		if f.Check == check && strings.HasPrefix(f.Message, prefix) {
			return true
		}
	}
	return false
}
