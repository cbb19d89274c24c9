package compare

import (
	"math"
	"slices"

	"github.com/lucid-nlp/lucid/audit"
)

// MetricRows flattens every figure of r with a value, an interval and an
// n into audit.MetricRow records (metrics.csv), in report order; a figure
// whose value is undefined (NaN) is left out. Groups
// are named "column=value" for a group, "slice=name" for a slice, and
// "column=value" with the metric prefixed for a shift test.
func MetricRows(r *Report) []audit.MetricRow {
	var out []audit.MetricRow
	add := func(check, metric, grp string, v, lo, hi float64, n int) {
		out = append(out, audit.MetricRow{Check: check, Metric: metric, Group: grp, Value: v, Low: lo, High: hi, N: n})
	}
	rate := func(check, metric, grp string, x audit.Rate) { add(check, metric, grp, x.Value, x.Low, x.High, x.Of) }
	if m := r.Models; m != nil {
		rate("models", "agreement", "", m.Agreement)
		add("models", "flip_rate", "", m.Flips.Rate, m.Flips.CI.Low, m.Flips.CI.High, m.Flips.Rows)
		if m.AccuracyA != nil {
			rate("models", "accuracy_a", "", *m.AccuracyA)
			rate("models", "accuracy_b", "", *m.AccuracyB)
			d := m.AccuracyDifference.Summary
			add("models", "accuracy_difference", "", d.Mean, d.Low, d.High, d.N)
		}
		add("models", "mean_delta", "", m.Delta.Summary.Mean, m.Delta.Summary.Low, m.Delta.Summary.High, m.Delta.Summary.N)
		add("models", "mean_abs_delta", "", m.AbsDelta.Summary.Mean, m.AbsDelta.Summary.Low, m.AbsDelta.Summary.High, m.AbsDelta.Summary.N)
		for _, c := range m.BySlice {
			add("flips_by_slice", "flip_rate", "slice="+c.Name, c.Rate, c.CI.Low, c.CI.High, c.Rows)
		}
		for _, g := range m.ByGroup {
			for _, c := range g.Groups {
				add("flips_by_group", "flip_rate", g.Column+"="+c.Name, c.Rate, c.CI.Low, c.CI.High, c.Rows)
			}
		}
		if e := m.Explanations; e != nil && e.Texts > 0 {
			add("explanations", "mean_spearman", "", e.Spearman, e.SpearmanCI.Low, e.SpearmanCI.High, e.Texts)
		}
	}
	if s := r.Shift; s != nil {
		for _, t := range s.Tests {
			grp := t.Column
			if t.Group != "" {
				grp += "=" + t.Group
			}
			if t.Metric != MetricGap {
				rate("shift", t.Metric+"_a", grp, t.A)
				rate("shift", t.Metric+"_b", grp, t.B)
			}
			add("shift", t.Metric+"_difference", grp, t.Difference, t.CI.Low, t.CI.High, t.A.Of+t.B.Of)
		}
	}
	// A figure with no value (a rate over no rows) says nothing: left out,
	// as audit.MetricRows does.
	return slices.DeleteFunc(out, func(r audit.MetricRow) bool { return math.IsNaN(r.Value) || math.IsInf(r.Value, 0) })
}
