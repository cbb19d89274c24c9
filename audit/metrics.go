package audit

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/lucid-nlp/lucid/fairness/databias"
	"github.com/lucid-nlp/lucid/fairness/group"
	"github.com/lucid-nlp/lucid/fairness/thresholds"
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

// MetricRows flattens every figure of r that has a value, an interval
// (NaN where the figure has none) and an n into rows, in report order,
// then the data scan's and the thresholds' figures; a figure whose value
// is undefined (NaN) is left out, so a check that did not run or had no
// rows for a figure adds no row. Group names are "column=value" for a
// group, "column: A vs B" for a pair, "family: from → to" for a
// counterfactual direction (the data scan's and thresholds' are
// described at CheckDataBias and CheckThresholds' rows).
func MetricRows(r *Report) []MetricRow {
	var out []MetricRow
	add := func(check, metric, grp string, v, lo, hi float64, n int) {
		out = append(out, MetricRow{check, metric, grp, v, lo, hi, n})
	}
	rate := func(check, metric, grp string, x Rate) { add(check, metric, grp, x.Value, x.Low, x.High, x.Of) }
	if r.Accuracy != nil {
		rate("data", "accuracy", "", *r.Accuracy)
	}
	if r.Prediction.Of > 0 {
		// A data-only audit (no model) predicted nothing: no row.
		rate("data", "positive_prediction_rate", "", r.Prediction)
	}
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
	if d := r.DataBias; d != nil {
		out = append(out, dataBiasRows(d)...)
	}
	if f := r.ThresholdFit; f != nil {
		out = append(out, thresholdFitRows(f)...)
	}
	if e := r.Thresholds; e != nil {
		out = append(out, thresholdRows(e)...)
	}
	// A figure with no value (a rate over no rows: a group without
	// labelled positives, accuracy on unlabelled data) says nothing: it
	// is left out rather than written as an empty row.
	return slices.DeleteFunc(out, func(r MetricRow) bool { return !finite(r.Value) })
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// CheckDataBias names the data scan's rows (the scan runs as CheckData;
// "data" already names the reading's accuracy and positive rate).
const CheckDataBias = "data_bias"

// Threshold rows: CheckThresholdFit for the in-sample figures of a fit
// (--fit-thresholds), CheckThresholds for a fitted file judged before and
// after on other data (--thresholds).
const (
	CheckThresholdFit = "threshold_fit"
	CheckThresholds   = "thresholds"
)

// dataBiasRows are the data scan's figures: the overall positive share,
// then per family group, term and column value its positive share, the
// difference and ratio to the rest of the labelled rows (the skew), and
// the most skewed terms' PMI with the label they lean to. Groups are
// "family F=group", "family F term=t", "column C=value" and
// "family F term=t → label".
func dataBiasRows(d *databias.Report) []MetricRow {
	var out []MetricRow
	share := func(metric, grp string, s databias.Share) {
		out = append(out, MetricRow{CheckDataBias, metric, grp, float64(s.Value), float64(s.Low), float64(s.High), s.Of})
	}
	share("positive_share", "", d.PositiveShare)
	unit := func(grp string, u databias.Unit) {
		share("positive_share", grp, u.Share)
		n := u.Share.Of + u.Elsewhere.Of
		out = append(out,
			MetricRow{CheckDataBias, "positive_share_difference", grp, float64(u.Difference.Value), float64(u.Difference.Low), float64(u.Difference.High), n},
			MetricRow{CheckDataBias, "positive_share_ratio", grp, float64(u.Ratio.Value), float64(u.Ratio.Low), float64(u.Ratio.High), n})
	}
	lists := func(ls []databias.List) {
		for _, l := range ls {
			for _, g := range l.Groups {
				unit(l.Kind+" "+l.Name+"="+g.Name, g)
			}
			for _, t := range l.Terms {
				unit(l.Kind+" "+l.Name+" term="+t.Name, t)
			}
		}
	}
	lists(d.Families)
	lists(d.Columns)
	for _, s := range d.Skewed {
		out = append(out, MetricRow{CheckDataBias, "skewed_pmi_bits", "family " + s.Family + " term=" + s.Term + " → " + s.Label, float64(s.PMI), math.NaN(), math.NaN(), s.Rows})
	}
	return out
}

// thresholdFitRows are a fit's in-sample figures (no interval: judge the
// rules on other data with --thresholds): the model's and the rules'
// expected accuracy over the fitted groups, and per group the model's
// and the rule's expected rates.
func thresholdFitRows(f *thresholds.File) []MetricRow {
	var out []MetricRow
	opt := func(metric, grp string, v *float64, n int) {
		if v != nil {
			out = append(out, MetricRow{CheckThresholdFit, metric, grp, *v, math.NaN(), math.NaN(), n})
		}
	}
	opt("model_accuracy", f.Column, f.Fit.ModelAccuracy, f.Fit.Labelled)
	opt("model_accuracy_fitted", f.Column, f.Fit.ModelAccuracyFitted, f.Fit.FittedRows)
	opt("expected_accuracy_fitted", f.Column, f.Fit.ExpectedAccuracyFitted, f.Fit.FittedRows)
	for _, g := range f.Groups {
		name := f.Column + "=" + g.Group
		for _, side := range []struct {
			prefix string
			r      thresholds.Rates
		}{{"model_", g.Model}, {"expected_", g.Expected}} {
			opt(side.prefix+"positive_rate", name, side.r.PositiveRate, g.Labelled)
			opt(side.prefix+"tpr", name, side.r.TPR, g.Positives)
			opt(side.prefix+"fpr", name, side.r.FPR, g.Negatives)
			opt(side.prefix+"accuracy", name, side.r.Accuracy, g.Labelled)
		}
	}
	return out
}

// thresholdRows are a thresholds file judged on other data, before (the
// model's decisions) and after (the rules'): positive rate and accuracy
// with their intervals, the paired accuracy change, and every pair's
// test of the constraint's metrics on each side. The group is the column
// ("column: A vs B" for a pair, as each side ordered it).
func thresholdRows(e *thresholds.Evaluation) []MetricRow {
	var out []MetricRow
	prop := func(metric string, p *thresholds.Proportion) {
		if p != nil {
			out = append(out, MetricRow{CheckThresholds, metric, e.Column, p.Value, p.Low, p.High, p.Of})
		}
	}
	prop("positive_rate_before", &e.PositiveRateBefore)
	prop("positive_rate_after", &e.PositiveRateAfter)
	prop("accuracy_before", e.AccuracyBefore)
	prop("accuracy_after", e.AccuracyAfter)
	if c := e.AccuracyChange; c != nil {
		out = append(out, MetricRow{CheckThresholds, "accuracy_change", e.Column, c.Value, c.Low, c.High, c.N})
	}
	for _, t := range e.Tests {
		for _, side := range []struct {
			suffix string
			p      *thresholds.PairSide
		}{{"_before", t.Before}, {"_after", t.After}} {
			if side.p == nil {
				continue
			}
			m := t.Metric + "_difference"
			if t.Metric == group.DisparateImpact {
				m = t.Metric
			}
			x, tab := side.p.Test.Estimate, side.p.Test.Table
			out = append(out, MetricRow{CheckThresholds, m + side.suffix, e.Column + ": " + side.p.A + " vs " + side.p.B, x.Value, x.Low, x.High, tab[0] + tab[1] + tab[2] + tab[3]})
		}
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
