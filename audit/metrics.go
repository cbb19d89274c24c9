package audit

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/lucid-nlp/lucid/fairness/group"
)

// MetricRow is one figure of a report as a flat record, for experiment
// trackers and spreadsheets (metrics.csv): which check, which metric, for
// which group (empty for the whole data), the value with its interval
// (NaN where there is none) and the n it rests on.
type MetricRow struct {
	Check  string
	Metric string
	Group  string
	Value  float64
	Low    float64
	High   float64
	N      int
}

// MetricsHeader is metrics.csv's header.
var MetricsHeader = []string{"check", "metric", "group", "value", "low", "high", "n"}

// MetricRows flattens every figure of r that has a value, an interval and
// an n into rows, in report order. Group names are "column=value" for a
// group, "column: A vs B" for a pair, "family: from → to" for a
// counterfactual direction.
func MetricRows(r *Report) []MetricRow {
	var out []MetricRow
	add := func(check, metric, grp string, v, lo, hi float64, n int) {
		out = append(out, MetricRow{check, metric, grp, v, lo, hi, n})
	}
	rate := func(check, metric, grp string, x Rate) { add(check, metric, grp, x.Value, x.Low, x.High, x.Of) }
	if r.Accuracy != nil {
		rate("data", "accuracy", "", *r.Accuracy)
	}
	rate("data", "positive_prediction_rate", "", r.Prediction)
	for _, g := range r.Groups {
		if g == nil {
			continue
		}
		for _, gs := range g.Groups {
			name := g.Column + "=" + gs.Group
			metric := func(m string, x group.Metric, n int) { add(CheckGroups, m, name, x.Value, x.Low, x.High, n) }
			metric("positive_rate", gs.PositiveRate, gs.Count)
			metric("accuracy", gs.Accuracy, gs.Labelled)
			metric("tpr", gs.TPR, gs.TP+gs.FN)
			metric("fpr", gs.FPR, gs.FP+gs.TN)
			metric("fnr", gs.FNR, gs.TP+gs.FN)
			metric("precision", gs.Precision, gs.TP+gs.FP)
		}
		for _, p := range g.Pairs {
			name := g.Column + ": " + p.A + " vs " + p.B
			for _, t := range p.Tests {
				m := t.Metric + "_difference"
				if t.Metric == group.DisparateImpact {
					m = t.Metric
				}
				add(CheckGroups, m, name, t.Estimate.Value, t.Estimate.Low, t.Estimate.High, t.Table[0]+t.Table[1]+t.Table[2]+t.Table[3])
			}
		}
	}
	for _, p := range r.Paired {
		if p == nil {
			continue
		}
		for _, pr := range p.Pairs {
			add(CheckGroups, "paired_score_difference", p.Column+": "+pr.A+" vs "+pr.B, pr.Score.Mean, pr.Score.Low, pr.Score.High, pr.Score.N)
		}
	}
	if cf := r.Counterfactual; cf != nil {
		for _, s := range cf.Groups {
			name := s.Family + ": " + s.FromGroup + " → " + s.ToGroup
			add(CheckCounterfactual, "flip_rate", name, s.FlipRate, s.FlipInterval.Low, s.FlipInterval.High, s.Swaps)
			if s.Signed != nil {
				add(CheckCounterfactual, "mean_signed_delta", name, s.Signed.Mean, s.Signed.Low, s.Signed.High, s.Signed.N)
			}
		}
	}
	if c := r.Consistency; c != nil {
		for _, t := range c.Tests {
			add(CheckConsistency, "failure_rate", t.Name, t.FailureRate, t.FailureCI.Low, t.FailureCI.High, t.Tested)
		}
	}
	for _, s := range r.Slices {
		add(CheckSlices, "accuracy", s.Name, s.Accuracy, s.CI.Low, s.CI.High, s.Count)
	}
	for _, f := range r.Faithfulness {
		add(CheckFaithfulness, "comprehensiveness", string(f.Method), f.Comprehensiveness, f.ComprehensivenessCI.Low, f.ComprehensivenessCI.High, f.Texts)
	}
	for _, s := range r.Stability {
		add(CheckStability, "mean_spearman", string(s.Method)+" "+s.Setting, s.Spearman, s.SpearmanCI.Low, s.SpearmanCI.High, s.Texts)
	}
	return out
}

// WriteMetricsCSV writes rows as metrics.csv: MetricsHeader, then one
// line per row; a number that is not finite is an empty cell.
func WriteMetricsCSV(w io.Writer, rows []MetricRow) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(MetricsHeader); err != nil {
		return err
	}
	for _, r := range rows {
		if err := cw.Write([]string{csvText(r.Check), csvText(r.Metric), csvText(r.Group), csvFloat(r.Value), csvFloat(r.Low), csvFloat(r.High), strconv.Itoa(r.N)}); err != nil {
			return err
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("writing metrics.csv: %w", err)
	}
	return nil
}

// csvText keeps a spreadsheet from reading a data string (a group or
// column name from the file) as a formula: a cell starting with = + - @
// or a tab or carriage return gets a leading apostrophe, as OWASP advises
// against CSV injection.
func csvText(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// csvFloat writes v exactly (the shortest form that reads back as v), or
// "" when it is not finite.
func csvFloat(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return ""
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}
