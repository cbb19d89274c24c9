package report

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/compare"
	"github.com/lucid-nlp/lucid/dataset"
	"github.com/lucid-nlp/lucid/models"
)

func TestHistoryAppendsAndChartsFromTwoRuns(t *testing.T) {
	path := filepath.Join(t.TempDir(), "runs.jsonl")
	r := fixture()
	first := AuditRun(r)
	require.NotEmpty(t, first.Metrics)

	runs, err := AppendHistory(path, first)
	require.NoError(t, err)
	require.Len(t, runs, 1)
	var page bytes.Buffer
	require.NoError(t, WriteAuditWithHistory(&page, r, runs))
	assert.NotContains(t, page.String(), `id="history"`, "one run: no trend")

	second := AuditRun(r)
	second.GeneratedAt = "2026-12-01T00:00:00Z"
	second.Metrics[0].Value /= 2
	runs, err = AppendHistory(path, second)
	require.NoError(t, err)
	require.Len(t, runs, 2)
	back, err := ReadHistory(path)
	require.NoError(t, err)
	assert.Equal(t, runs, back, "what was appended reads back")
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, 2, strings.Count(string(b), "\n"), "one line per run")

	page.Reset()
	require.NoError(t, WriteAuditWithHistory(&page, r, runs))
	html := page.String()
	assert.Contains(t, html, `id="history"`)
	assert.Contains(t, html, `data-metric="`+first.Metrics[0].Name+`"`)
	assert.Equal(t, 2*len(trends(runs)), strings.Count(html, "<circle"), "a point per run per metric")
}

func TestHistoryRejectsABadLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "runs.jsonl")
	require.NoError(t, os.WriteFile(path, []byte("{\"command\":\"audit\"}\nnot json\n"), 0o644))
	_, err := AppendHistory(path, AuditRun(fixture()))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "line 2")
}

// wordModel is p(POSITIVE) = 0.9 with "good", 0.2 without; flip inverts
// it on texts with "twist".
type wordModel struct{ flip bool }

func (wordModel) Labels() []string { return []string{"NEGATIVE", "POSITIVE"} }

func (m wordModel) Predict(_ context.Context, texts []string) ([]models.Prediction, error) {
	out := make([]models.Prediction, len(texts))
	for i, t := range texts {
		p := 0.2
		if strings.Contains(t, "good") {
			p = 0.9
		}
		if m.flip && strings.Contains(t, "twist") {
			p = 1 - p
		}
		l := 0
		if p > 0.5 {
			l = 1
		}
		out[i] = models.Prediction{Text: t, Label: m.Labels()[l], LabelIndex: l, Probabilities: []float64{1 - p, p}}
	}
	return out, nil
}

func TestComparePageShowsTheFigures(t *testing.T) {
	var b strings.Builder
	b.WriteString("text,label,group\n")
	for i := range 300 {
		text := "a dull film"
		if i%3 == 0 {
			text = "a good film"
		}
		if i%10 == 0 {
			text += " with a twist"
		}
		b.WriteString(text + ",NEGATIVE,g" + string(rune('0'+i%2)) + "\n")
	}
	rep, err := compare.RunModels(context.Background(), wordModel{}, wordModel{flip: true}, nil, nil, compare.Config{
		Source: strings.NewReader(b.String()), Name: "c.csv", Dataset: dataset.Options{GroupCols: []string{"group"}}, ModelA: "a", ModelB: "b"})
	require.NoError(t, err)
	var page bytes.Buffer
	require.NoError(t, WriteCompare(&page, rep, nil))
	html := page.String()
	assert.Contains(t, html, `data-key="models:flips:rate">0.1000<`)
	assert.Contains(t, html, `data-key="models:flips:verdict"`)
	assert.Contains(t, html, "with a twist")
	assert.Contains(t, html, `id="by-group-group"`)
	assert.NotContains(t, html, `id="history"`)
}

// The file keeps every figure and the verdicts; ReadHistory keeps the
// whole-data figures the trend plots. A line past MaxHistoryLine is
// refused, not written.
func TestHistoryFileKeepsEveryFigure(t *testing.T) {
	path := filepath.Join(t.TempDir(), "runs.jsonl")
	run := AuditRun(fixture())
	grouped := 0
	for _, m := range run.Metrics {
		if m.Group != "" {
			grouped++
		}
	}
	require.Positive(t, grouped, "the fixture has per-group figures")
	require.NotEmpty(t, run.Verdicts)
	runs, err := AppendHistory(path, run)
	require.NoError(t, err)
	assert.Len(t, runs[0].Metrics, len(run.Metrics)-grouped)
	assert.Nil(t, runs[0].Verdicts)
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	var line HistoryRun
	require.NoError(t, json.Unmarshal(raw, &line))
	assert.Equal(t, run, line, "the line is the whole run")

	huge := run
	huge.Model = strings.Repeat("m", MaxHistoryLine)
	_, err = AppendHistory(path, huge)
	require.ErrorContains(t, err, "over the limit")
	back, err := ReadHistory(path)
	require.NoError(t, err)
	assert.Len(t, back, 1, "nothing written")
}
