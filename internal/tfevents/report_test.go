package tfevents_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/audit"
	"github.com/lucid-nlp/lucid/dataset"
	"github.com/lucid-nlp/lucid/fairness/thresholds"
	"github.com/lucid-nlp/lucid/models"
	"github.com/lucid-nlp/lucid/report"
)

// biasedModel is a pure-Go classifier: p(POSITIVE) is high with "good",
// low without, a little lower when the text says "she" (so the
// counterfactual swap has a signed Δp) and spread by the text's length
// (so thresholds have scores to cut).
type biasedModel struct{}

func (biasedModel) Labels() []string { return []string{"NEGATIVE", "POSITIVE"} }

func (biasedModel) Predict(_ context.Context, texts []string) ([]models.Prediction, error) {
	out := make([]models.Prediction, len(texts))
	for i, t := range texts {
		p := 0.25
		if strings.Contains(t, "good") {
			p = 0.8
		}
		if strings.Contains(" "+t+" ", " she ") {
			p -= 0.12
		}
		p += float64(len(t)%7) * 0.015
		l := 0
		if p > 0.5 {
			l = 1
		}
		out[i] = models.Prediction{Text: t, Label: []string{"NEGATIVE", "POSITIVE"}[l], LabelIndex: l, Probabilities: []float64{1 - p, p}}
	}
	return out, nil
}

func auditData(n int) string {
	var b strings.Builder
	b.WriteString("text,label,sex\n")
	subjects := []struct{ who, sex string }{{"she", "F"}, {"he", "M"}, {"my sister", "F"}, {"my brother", "M"}}
	for i := range n {
		s := subjects[i%len(subjects)]
		text, label := s.who+" found the film dull", "NEGATIVE"
		if i%3 != 0 {
			text, label = s.who+" thought the film was good", "POSITIVE"
		}
		if i%11 == 0 {
			label = "NEGATIVE" // some errors, so accuracy has an interval
		}
		text += strings.Repeat(" really", i%5)
		fmt.Fprintf(&b, "%s,%s,%s\n", text, label, s.sex)
	}
	return b.String()
}

func runAudit(t *testing.T, cfg audit.Config) *audit.Report {
	t.Helper()
	cfg.Name = "sex.csv"
	cfg.Dataset = dataset.Options{GroupCols: []string{"sex"}}
	cfg.Checks = []string{audit.CheckData, audit.CheckGroups, audit.CheckCounterfactual, audit.CheckConsistency, audit.CheckSlices}
	cfg.Seed, cfg.Resamples, cfg.ConsistencyRows = 7, 60, 60
	rep, err := audit.Run(context.Background(), biasedModel{}, nil, cfg)
	require.NoError(t, err)
	return rep
}

func jsonDoc(t *testing.T, v any) map[string]any {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	var doc map[string]any
	require.NoError(t, json.Unmarshal(b, &doc))
	return doc
}

// scalars is an event file's scalars by tag, checking every event's step.
func scalars(t *testing.T, path string, step int64) (map[string]float32, map[string]string) {
	t.Helper()
	evs, err := readEventFile(path)
	require.NoError(t, err)
	require.NotEmpty(t, evs)
	require.Equal(t, "brain.Event:2", evs[0].FileVersion)
	sc, tx := map[string]float32{}, map[string]string{}
	for _, e := range evs {
		require.Equal(t, step, e.Step)
		for _, v := range e.Values {
			switch {
			case v.Simple != nil:
				_, dup := sc[v.Tag]
				require.False(t, dup, "tag %q written twice", v.Tag)
				sc[v.Tag] = *v.Simple
			case v.Text != nil:
				require.Equal(t, "text", v.Plugin, v.Tag)
				tx[v.Tag] = *v.Text
			default:
				t.Fatalf("tag %q: neither a scalar nor a text", v.Tag)
			}
		}
	}
	return sc, tx
}

// expect checks a figure of report.json (an object with value, low and
// high under the given names; a null is no scalar) against the scalars
// under base. Values match exactly at float32, the precision
// TensorBoard's simple_value holds.
func expect(t *testing.T, sc map[string]float32, base string, obj map[string]any, value, low, high string) int {
	t.Helper()
	checked := 0
	for _, k := range [][2]string{{"value", value}, {"low", low}, {"high", high}} {
		v, ok := obj[k[1]]
		got, has := sc[base+"/"+k[0]]
		if !ok || v == nil {
			if k[0] == "value" {
				assert.False(t, has, "%s: no figure in report.json, yet a scalar", base)
			}
			continue
		}
		if assert.True(t, has, "%s/%s missing; have %d tags", base, k[0], len(sc)) {
			assert.Equal(t, float32(v.(float64)), got, "%s/%s", base, k[0])
			checked++
		}
	}
	return checked
}

func obj(v any) map[string]any { return v.(map[string]any) }

func list(v any) []any {
	if v == nil {
		return nil
	}
	return v.([]any)
}

// Two audits (the second judging the thresholds the first fitted) written
// to one folder: the event files read back with the test's own reader
// hold report.json's figures under the documented tags at steps 0 and 1,
// the verdicts as text, and exactly metrics.csv's and the history's
// figures.
func TestTensorBoardExportEqualsReportJSON(t *testing.T) {
	dir := t.TempDir()
	tb := filepath.Join(dir, "tb")
	first := runAudit(t, audit.Config{Source: strings.NewReader(auditData(480)), FitThresholds: thresholds.DemographicParity})
	require.NotNil(t, first.ThresholdFit, first.ThresholdFitError)
	second := runAudit(t, audit.Config{Source: strings.NewReader(auditData(400)), Thresholds: first.ThresholdFit})
	require.NotNil(t, second.Thresholds)
	require.NotNil(t, second.DataBias)
	require.NotNil(t, second.Counterfactual)
	require.NotNil(t, second.Consistency)

	history := filepath.Join(dir, "runs.jsonl")
	for step, rep := range []*audit.Report{first, second} {
		run := report.AuditRun(rep)
		path, got, err := report.WriteTensorBoard(tb, run)
		require.NoError(t, err)
		require.Equal(t, int64(step), got, "one step per run: the run's index in the folder")
		require.True(t, strings.HasPrefix(filepath.Base(path), "events.out.tfevents."), path)
		_, err = report.AppendHistory(history, run)
		require.NoError(t, err)

		sc, tx := scalars(t, path, int64(step))
		doc := jsonDoc(t, rep)
		checked := map[string]int{}

		checked["accuracy"] += expect(t, sc, "data/accuracy", obj(doc["accuracy"]), "value", "low", "high")
		assert.Equal(t, float32(obj(doc["accuracy"])["of"].(float64)), sc["data/accuracy/n"])

		g := obj(list(doc["groups"])[0])
		for _, p := range list(g["pairs"]) {
			p := obj(p)
			for _, ts := range list(p["tests"]) {
				ts := obj(ts)
				m := ts["metric"].(string) + "_difference"
				if ts["metric"] == "disparate_impact" {
					m = "disparate_impact"
				}
				checked["pair"] += expect(t, sc, "groups/"+m+"/sex: "+p["a"].(string)+" vs "+p["b"].(string), obj(ts["estimate"]), "value", "low", "high")
			}
		}
		for _, d := range list(obj(doc["counterfactual"])["groups"]) {
			d := obj(d)
			if d["signed"] == nil {
				continue
			}
			checked["signed"] += expect(t, sc, "counterfactual/mean_signed_delta/"+d["family"].(string)+": "+d["from_group"].(string)+" → "+d["to_group"].(string), obj(d["signed"]), "mean", "low", "high")
		}
		for _, c := range list(obj(doc["consistency"])["tests"]) {
			c := obj(c)
			fig := map[string]any{"value": c["failure_rate"], "low": obj(c["failure_ci"])["low"], "high": obj(c["failure_ci"])["high"]}
			checked["checklist"] += expect(t, sc, "consistency/failure_rate/"+c["name"].(string), fig, "value", "low", "high")
		}
		db := obj(doc["data_bias"])
		for _, l := range append(list(db["families"]), list(db["columns"])...) {
			l := obj(l)
			for _, part := range []struct{ key, infix string }{{"groups", "="}, {"terms", " term="}} {
				for _, u := range list(l[part.key]) {
					u := obj(u)
					grp := l["kind"].(string) + " " + l["name"].(string) + part.infix + u["name"].(string)
					checked["skew"] += expect(t, sc, "data_bias/positive_share_difference/"+grp, obj(u["difference"]), "value", "low", "high")
					checked["skew"] += expect(t, sc, "data_bias/positive_share_ratio/"+grp, obj(u["ratio"]), "value", "low", "high")
					checked["skew"] += expect(t, sc, "data_bias/positive_share/"+grp, obj(u["positive_share"]), "value", "low", "high")
					if l["kind"] == "column" {
						checked["column"]++
					}
				}
			}
		}
		for _, k := range list(db["most_skewed_terms"]) {
			k := obj(k)
			checked["skew"] += expect(t, sc, "data_bias/skewed_pmi_bits/family "+k["family"].(string)+" term="+k["term"].(string)+" → "+k["label"].(string), map[string]any{"value": k["pmi_bits"]}, "value", "", "")
		}
		if step == 0 {
			fit := obj(obj(doc["threshold_fit"])["fit"])
			checked["fit"] += expect(t, sc, "threshold_fit/expected_accuracy_fitted/sex", map[string]any{"value": fit["expected_accuracy_fitted"]}, "value", "", "")
			checked["fit"] += expect(t, sc, "threshold_fit/model_accuracy_fitted/sex", map[string]any{"value": fit["model_accuracy_fitted"]}, "value", "", "")
		} else {
			th := obj(doc["thresholds"])
			for _, k := range []string{"positive_rate_before", "positive_rate_after", "accuracy_before", "accuracy_after", "accuracy_change"} {
				checked["thresholds"] += expect(t, sc, "thresholds/"+k+"/sex", obj(th[k]), "value", "low", "high")
			}
		}
		t.Logf("step %d: %d scalars, %d texts; figures compared: %v", step, len(sc), len(tx), checked)
		for _, k := range []string{"accuracy", "pair", "signed", "checklist", "skew", "column"} {
			assert.Positive(t, checked[k], "step %d: %s figures compared", step, k)
		}
		assert.Positive(t, checked["fit"]+checked["thresholds"], "threshold figures compared")

		// Verdicts: every finding's message under verdicts/<check>.
		require.NotEmpty(t, rep.Summary)
		for _, f := range rep.Summary {
			assert.Contains(t, tx["verdicts/"+f.Check], strings.ToUpper(f.Status)+"**: "+f.Message)
		}
		assert.Contains(t, tx["run/info"], "**audit**")

		// Part 5: metrics.csv, the history line and TensorBoard carry the
		// same figures: every CSV row is a scalar with its value, and
		// TensorBoard has nothing else but the findings counts.
		var buf bytes.Buffer
		require.NoError(t, audit.WriteMetricsCSV(&buf, audit.MetricRows(rep)))
		recs, err := csv.NewReader(&buf).ReadAll()
		require.NoError(t, err)
		values := 0
		for tag := range sc {
			if strings.HasSuffix(tag, "/value") {
				values++
			}
		}
		assert.Equal(t, len(recs)-1+2, values, "metrics.csv rows + findings.fail + findings.warn")
		for _, r := range recs[1:] {
			require.NotEmpty(t, r[3], "%v: a row without a value", r)
			v, err := strconv.ParseFloat(r[3], 64)
			require.NoError(t, err)
			tag := report.TensorBoardTag(report.HistoryMetric{Name: r[0] + "." + r[1], Group: strings.TrimPrefix(r[2], "'")})
			assert.Equal(t, float32(v), sc[tag], "%v", r)
		}
		raw, err := os.ReadFile(history)
		require.NoError(t, err)
		lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
		require.Len(t, lines, step+1)
		var line report.HistoryRun
		require.NoError(t, json.Unmarshal([]byte(lines[step]), &line))
		assert.Len(t, line.Metrics, values, "the history line holds the same figures")
		for _, m := range line.Metrics {
			assert.Equal(t, float32(m.Value), sc[report.TensorBoardTag(m)], "%s %s", m.Name, m.Group)
		}
		assert.Equal(t, rep.Summary, line.Verdicts)
	}
	files, err := os.ReadDir(tb)
	require.NoError(t, err)
	assert.Len(t, files, 2, "one event file per run")
}
