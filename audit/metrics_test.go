package audit

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/dataset"
)

// metrics.csv must say exactly what report.json says: every row read back
// from the CSV is compared with the figure at its place in the JSON.
func TestMetricsCSVEqualsReportJSON(t *testing.T) {
	rep, err := Run(context.Background(), wordModel{}, nil, Config{Source: streamCSV(600, func(int) string { return "" }), Name: "m.csv",
		Dataset: dataset.Options{GroupCols: []string{"group"}}, Checks: []string{CheckGroups, CheckSlices}, Resamples: 50})
	require.NoError(t, err)
	js, err := json.Marshal(rep)
	require.NoError(t, err)
	var doc map[string]any
	require.NoError(t, json.Unmarshal(js, &doc))

	var buf bytes.Buffer
	require.NoError(t, WriteMetricsCSV(&buf, MetricRows(rep)))
	recs, err := csv.NewReader(&buf).ReadAll()
	require.NoError(t, err)
	require.Equal(t, MetricsHeader, recs[0])
	f := func(s string) float64 {
		v, err := strconv.ParseFloat(s, 64)
		require.NoError(t, err, s)
		return v
	}
	obj := func(v any) map[string]any { return v.(map[string]any) }
	checked := map[string]int{}
	for _, r := range recs[1:] {
		check, metric, grp, value, low, high, n := r[0], r[1], r[2], r[3], r[4], r[5], r[6]
		var want map[string]any
		var wantN float64
		switch {
		case check == "data":
			want = obj(doc[metric])
			wantN = want["of"].(float64)
		case check == CheckGroups && strings.Contains(grp, "="):
			col, name, _ := strings.Cut(grp, "=")
			g := obj(doc["groups"].([]any)[0])
			require.Equal(t, col, g["column"])
			for _, x := range g["groups"].([]any) {
				if obj(x)["group"] == name {
					want = obj(obj(x)[metric])
					if metric == "positive_rate" {
						wantN = obj(x)["count"].(float64)
					} else if metric == "accuracy" {
						wantN = obj(x)["labelled"].(float64)
					} else {
						wantN = f(n) // counts of a rate's denominator: checked by value
					}
				}
			}
		case check == CheckSlices:
			for _, x := range doc["slices"].([]any) {
				if obj(x)["name"] == grp {
					s := obj(x)
					want = map[string]any{"value": s["accuracy"], "low": obj(s["ci"])["low"], "high": obj(s["ci"])["high"]}
					wantN = s["count"].(float64)
				}
			}
		default:
			continue
		}
		require.NotNil(t, want, "%v: no figure in report.json", r)
		if want["value"] == nil {
			assert.Equal(t, "", value, "%v", r)
		} else {
			assert.Equal(t, want["value"].(float64), f(value), "%v", r)
			assert.Equal(t, want["low"].(float64), f(low), "%v", r)
			assert.Equal(t, want["high"].(float64), f(high), "%v", r)
		}
		assert.Equal(t, wantN, f(n), "%v", r)
		checked[check]++
	}
	assert.Equal(t, 2, checked["data"])
	assert.Equal(t, 3*6, checked[CheckGroups], "three groups, six rates each")
	assert.GreaterOrEqual(t, checked[CheckSlices], 1)
}

func TestMetricsCSVGuardsFormulas(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, WriteMetricsCSV(&buf, []MetricRow{{Check: "groups", Metric: "accuracy", Group: "=HYPERLINK(1)", Value: 0.5, Low: -0.1, High: 1, N: 3}}))
	recs, err := csv.NewReader(&buf).ReadAll()
	require.NoError(t, err)
	assert.Equal(t, []string{"groups", "accuracy", "'=HYPERLINK(1)", "0.5", "-0.1", "1", "3"}, recs[1])
}

// No spurious rows: on unlabelled data the label-dependent figures
// (accuracy, TPR, FPR, FNR, precision, their gaps) are undefined and
// have no row, and checks that did not run add none.
func TestMetricRowsLeaveOutWhatDidNotRun(t *testing.T) {
	var b strings.Builder
	b.WriteString("text,group\n")
	for i := range 400 {
		text := "a dull film"
		if i%3 == 0 {
			text = "a good film"
		}
		b.WriteString(text + ",g" + strconv.Itoa(i%2) + "\n")
	}
	rep, err := Run(context.Background(), wordModel{}, nil, Config{Source: strings.NewReader(b.String()), Name: "u.csv",
		Dataset: dataset.Options{GroupCols: []string{"group"}}, Checks: []string{CheckGroups}, Resamples: 50})
	require.NoError(t, err)
	rows := MetricRows(rep)
	require.NotEmpty(t, rows)
	metrics := map[string]bool{}
	for _, r := range rows {
		assert.Equal(t, r.Value, r.Value, "%+v: NaN value", r) // NaN != NaN
		assert.Contains(t, []string{"data", CheckGroups}, r.Check, "%+v: a check that did not run", r)
		metrics[r.Metric] = true
	}
	assert.True(t, metrics["positive_rate"])
	assert.True(t, metrics["positive_rate_difference"])
	for _, m := range []string{"accuracy", "tpr", "fpr", "fnr", "precision", "tpr_difference", "fpr_difference", "precision_difference"} {
		assert.False(t, metrics[m], "%s: undefined without labels, yet a row", m)
	}
}
