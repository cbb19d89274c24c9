package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/dataset"
	"github.com/lucid-nlp/lucid/models"
)

// wordModel is a pure-Go classifier: POSITIVE (0.9) when the text has
// "good", else NEGATIVE (0.2). It is fast enough for a million rows.
type wordModel struct{}

func (wordModel) Labels() []string { return []string{"NEGATIVE", "POSITIVE"} }

func (wordModel) Predict(_ context.Context, texts []string) ([]models.Prediction, error) {
	out := make([]models.Prediction, len(texts))
	for i, t := range texts {
		p, label := 0.2, 0
		if strings.Contains(t, "good") {
			p, label = 0.9, 1
		}
		out[i] = models.Prediction{Text: t, Label: []string{"NEGATIVE", "POSITIVE"}[label], LabelIndex: label, Probabilities: []float64{1 - p, p}}
	}
	return out, nil
}

// streamCSV writes an unquoted CSV of n rows through a pipe; bad(i) may
// replace data row i (1-based).
func streamCSV(n int, bad func(i int) string) io.Reader {
	pr, pw := io.Pipe()
	go func() {
		w := func(s string) { _, _ = io.WriteString(pw, s) }
		w("text,label,group\n")
		for i := 1; i <= n; i++ {
			if s := bad(i); s != "" {
				w(s)
				continue
			}
			text, label := "a dull film", "NEGATIVE"
			if i%2 == 0 {
				text, label = "a good film", "POSITIVE"
			}
			w(fmt.Sprintf("%s number %d,%s,g%d\n", text, i, label, i%3))
		}
		pw.Close()
	}()
	return pr
}

// Issue 7: one stray quote at the start of data row 5 of an unquoted
// million-row CSV used to swallow the rest of the file ("Read 4 rows,
// skipped 1") and the audit then judged 4 rows. Now it costs line 6 alone,
// reported with its line, and every line of the file is accounted for.
func TestMillionRowStrayQuote(t *testing.T) {
	if testing.Short() {
		t.Skip("a million rows: skipped with -short")
	}
	const n = 1_000_000
	src := streamCSV(n, func(i int) string {
		if i == 5 {
			return "\"a stray quote opens here,NEGATIVE,g0\n"
		}
		return ""
	})
	rep, err := Run(context.Background(), wordModel{}, nil, Config{Source: src, Name: "million.csv",
		Dataset: dataset.Options{GroupCols: []string{"group"}}, Checks: []string{CheckGroups}, Resamples: 50})
	require.NoError(t, err)
	assert.Equal(t, n-1, rep.Rows)
	assert.Equal(t, 1, rep.Skipped)
	require.Len(t, rep.SkippedExamples, 1)
	assert.Equal(t, 6, rep.SkippedExamples[0].Line)
	assert.Contains(t, rep.SkippedExamples[0].Reason, "line 6")
	rec := rep.Reconciliation
	require.NotNil(t, rec)
	assert.True(t, rec.Balanced, "%+v", rec)
	assert.Equal(t, n+1, rec.Lines)
	assert.Equal(t, n-1, rec.Rows)
	assert.Equal(t, 1, rec.SkippedLines)
	// One bad row in a million is not a data problem: the data finding
	// warns, and the group verdict rests on all the other rows.
	assert.Equal(t, "warn", rep.Summary[0].Status, rep.Summary[0].Message)
	require.Len(t, rep.Groups, 1)
	assert.Equal(t, n-1, rep.Groups[0].Rows)
}

// When more than the allowed share of rows is malformed, the audit judges
// the data, not the model: the data finding fails and nothing else passes
// or fails.
func TestTooManySkippedRowsJudgeOnlyTheData(t *testing.T) {
	src := streamCSV(2000, func(i int) string {
		if i%40 == 0 { // 2.5% of the rows have too many fields
			return "a good film,POSITIVE,g1,extra\n"
		}
		return ""
	})
	rep, err := Run(context.Background(), wordModel{}, nil, Config{Source: src, Name: "ragged.csv",
		Dataset: dataset.Options{GroupCols: []string{"group"}}, Checks: []string{CheckGroups, CheckSlices}, Resamples: 50})
	require.NoError(t, err)
	assert.Equal(t, 50, rep.Skipped)
	assert.Equal(t, "fail", rep.Summary[0].Status)
	assert.Contains(t, rep.Summary[0].Message, "Data problem")
	assert.Contains(t, rep.Summary[0].Message, "line 41")
	for _, f := range rep.Summary[1:] {
		assert.NotContains(t, []string{"pass", "warn", "fail"}, f.Status, "%s: %s", f.Check, f.Message)
	}
	assert.True(t, rep.Reconciliation.Balanced)
}

// An empty label cell is an unlabelled row, counted, not a malformed one;
// an empty group value is reported as missing and never compared.
func TestUnlabelledRowsAndMissingGroups(t *testing.T) {
	csv := "text,label,group\na good film,POSITIVE,a\na dull film,,b\na good film,,\na dull film,NEGATIVE, \n"
	rep, err := Run(context.Background(), wordModel{}, nil, Config{Source: strings.NewReader(csv), Name: "u.csv",
		Dataset: dataset.Options{GroupCols: []string{"group"}}, Checks: []string{CheckGroups}, Resamples: 20, MinGroupSize: 1})
	require.NoError(t, err)
	assert.Equal(t, 4, rep.Rows)
	assert.Equal(t, 2, rep.Labelled)
	assert.Equal(t, 2, rep.Unlabelled)
	assert.Zero(t, rep.Skipped)
	g, ok := rep.Groups[0].Group("(missing)")
	require.True(t, ok, "the missing group is its own row")
	assert.Equal(t, 2, g.Count)
	for _, p := range rep.Groups[0].Pairs {
		assert.NotEqual(t, "(missing)", p.A)
		assert.NotEqual(t, "(missing)", p.B)
	}
	assert.NotEqual(t, "(missing)", rep.Groups[0].Reference)
	_, err = json.Marshal(rep)
	require.NoError(t, err)
}

// An interrupted audit returns what it read, marked partial, with the
// context's error.
func TestInterruptedAuditIsPartial(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	model := cancelAfter{wordModel{}, 3, cancel}
	rep, err := Run(ctx, &model, nil, Config{Source: streamCSV(5000, func(int) string { return "" }), Name: "big.csv",
		Dataset: dataset.Options{GroupCols: []string{"group"}}, BatchSize: 100, Resamples: 20,
		Checks: []string{CheckGroups, CheckCounterfactual, CheckConsistency}})
	require.ErrorIs(t, err, context.Canceled)
	require.NotNil(t, rep)
	assert.True(t, rep.Partial)
	assert.Contains(t, rep.PartialReason, "interrupted")
	assert.Equal(t, 300, rep.Rows, "three batches of 100 were scored before the interrupt")
	require.Len(t, rep.Groups, 1)
	assert.Nil(t, rep.Counterfactual, "checks after reading do not run once interrupted")
	assert.Equal(t, "warn", rep.Summary[1].Status)
	_, err = json.Marshal(rep)
	require.NoError(t, err)
}

// cancelAfter cancels its context once it has scored n batches.
type cancelAfter struct {
	wordModel
	n      int
	cancel context.CancelFunc
}

func (c *cancelAfter) Predict(ctx context.Context, texts []string) ([]models.Prediction, error) {
	if c.n == 0 {
		c.cancel()
		return nil, ctx.Err()
	}
	c.n--
	return c.wordModel.Predict(ctx, texts)
}
