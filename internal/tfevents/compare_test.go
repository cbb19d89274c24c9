package tfevents_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/compare"
	"github.com/lucid-nlp/lucid/dataset"
	"github.com/lucid-nlp/lucid/models"
	"github.com/lucid-nlp/lucid/report"
)

// flipModel is biasedModel with its decision reversed on texts with
// "really": a second model to compare with.
type flipModel struct{}

func (flipModel) Labels() []string { return biasedModel{}.Labels() }

func (flipModel) Predict(ctx context.Context, texts []string) ([]models.Prediction, error) {
	out, err := biasedModel{}.Predict(ctx, texts)
	for i := range out {
		if strings.Contains(texts[i], "really") {
			p := out[i].Probabilities
			p[0], p[1] = p[1], p[0]
			out[i].LabelIndex = 1 - out[i].LabelIndex
			out[i].Label = []string{"NEGATIVE", "POSITIVE"}[out[i].LabelIndex]
		}
	}
	return out, err
}

// A comparison's export holds report.json's agreement, flip rate, |Δp|
// and flips by group under their tags, and compare's metrics.csv rows.
func TestTensorBoardExportOfACompare(t *testing.T) {
	rep, err := compare.RunModels(context.Background(), biasedModel{}, flipModel{}, nil, nil, compare.Config{
		Source: strings.NewReader(auditData(300)), Name: "sex.csv", Dataset: dataset.Options{GroupCols: []string{"sex"}}, ModelA: "a", ModelB: "b"})
	require.NoError(t, err)
	path, step, err := report.WriteTensorBoard(filepath.Join(t.TempDir(), "tb"), report.CompareRun(rep))
	require.NoError(t, err)
	require.Equal(t, int64(0), step)
	sc, tx := scalars(t, path, 0)
	doc := jsonDoc(t, rep)
	m := obj(doc["models"])
	n := 0
	n += expect(t, sc, "models/agreement", obj(m["agreement"]), "value", "low", "high")
	fl := obj(m["flips"])
	n += expect(t, sc, "models/flip_rate", map[string]any{"value": fl["rate"], "low": obj(fl["ci"])["low"], "high": obj(fl["ci"])["high"]}, "value", "low", "high")
	n += expect(t, sc, "models/mean_abs_delta", obj(obj(m["abs_delta"])["summary"]), "mean", "low", "high")
	for _, g := range list(m["by_group"]) {
		g := obj(g)
		for _, c := range list(g["groups"]) {
			c := obj(c)
			n += expect(t, sc, "flips_by_group/flip_rate/"+g["column"].(string)+"="+c["name"].(string),
				map[string]any{"value": c["rate"], "low": obj(c["ci"])["low"], "high": obj(c["ci"])["high"]}, "value", "low", "high")
		}
	}
	assert.GreaterOrEqual(t, n, 9+2*3, "agreement, flips, |Δp| and both groups' flip rates compared")
	assert.Positive(t, sc["models/flip_rate/value"], "flipModel disagrees on the texts with \"really\"")
	for _, r := range compare.MetricRows(rep) {
		tag := report.TensorBoardTag(report.HistoryMetric{Name: r.Check + "." + r.Metric, Group: r.Group})
		assert.Equal(t, float32(r.Value), sc[tag], tag)
	}
	for _, f := range rep.Summary {
		assert.Contains(t, tx["verdicts/"+f.Check], f.Message)
	}
	assert.Contains(t, tx["run/info"], "**compare**")
}
