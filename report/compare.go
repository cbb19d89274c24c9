package report

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/lucid-nlp/lucid/audit"
	"github.com/lucid-nlp/lucid/compare"
	"github.com/lucid-nlp/lucid/fairness/group"
	fstats "github.com/lucid-nlp/lucid/fairness/stats"
)

// WriteCompare writes report.html for a comparison (two models on one
// file, or one model on two files), with the trend of its headline
// metrics when runs holds two or more (nil for none).
func WriteCompare(w io.Writer, r *compare.Report, runs []HistoryRun) error {
	if r == nil {
		return errors.New("report: nil comparison report")
	}
	var buf bytes.Buffer
	if err := templates.ExecuteTemplate(&buf, "compare", buildCompare(r, runs)); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

type compareView struct {
	R        *compare.Report
	Title    string
	Rule     *ruleV
	Findings []findingV
	Skipped  []audit.SkippedRow
	Models   *modelsV
	Shift    []shiftV
	History  []trendV
}

type modelsV struct {
	Rows, Labelled      Num
	Agreement, Flips    MetricV
	FlipVerdict         verdictV
	PosToNeg, NegToPos  Num
	AccA, AccB, AccDiff *MetricV
	AccVerdict          *verdictV
	Delta, AbsDelta     MetricV
	DeltaV, AbsV        verdictV
	Slices              []flipV
	Groups              []groupFlipsV
	Changed             []compare.ChangedRow
	Explain             *compare.ExplanationAgreement
	ExplainSp           MetricV
	ExplainV            verdictV
	ExplainRows         []explainRowV
}

type flipV struct {
	Name    string
	Rows    Num
	Rate    MetricV
	Flips   Num
	P       Num
	Verdict verdictV
	Bar     Bar
}

type groupFlipsV struct {
	Column string
	Cells  []flipV
	Pooled int
}

type explainRowV struct {
	Text              string
	Spearman, Overlap Num
	Error             string
}

type shiftV struct {
	Name       string
	Metric     string
	A, B, Diff MetricV
	NA, NB     Num
	Test       string
	P          Num
	Verdict    verdictV
}

func ivMetric(key string, v, lo, hi float64) MetricV {
	return metricV(key, group.Metric{Value: v, Low: lo, High: hi})
}

func buildCompare(r *compare.Report, runs []HistoryRun) *compareView {
	v := &compareView{R: r, Rule: buildRule(r.Rule), History: trends(runs)}
	v.Title = "Lucid model comparison"
	if r.Kind == compare.KindShift {
		v.Title = "Lucid distribution-shift check"
	}
	v.Skipped = r.SkippedExamples
	if len(v.Skipped) > maxSkipped {
		v.Skipped = v.Skipped[:maxSkipped]
	}
	var names []string
	for _, f := range r.Summary {
		cl := statusClass[strings.ToLower(f.Status)]
		if cl == "" {
			cl = "info"
		}
		v.Findings = append(v.Findings, findingV{Check: f.Check, Status: cl, Class: cl, Message: message(f.Message, names)})
	}
	if m := r.Models; m != nil {
		mv := &modelsV{Rows: count("models:rows", m.Rows), Labelled: count("models:labelled_rows", m.Labelled),
			Agreement:   rateV("models:agreement", m.Agreement),
			Flips:       ivMetric("models:flips:rate", m.Flips.Rate, m.Flips.CI.Low, m.Flips.CI.High),
			FlipVerdict: verdict("models:flips:verdict", m.Flips.Verdict),
			PosToNeg:    count("models:positive_to_negative", m.PositiveToNegative), NegToPos: count("models:negative_to_positive", m.NegativeToPositive),
			Delta:    ivMetric("models:delta:summary:mean", m.Delta.Summary.Mean, m.Delta.Summary.Low, m.Delta.Summary.High),
			AbsDelta: ivMetric("models:abs_delta:summary:mean", m.AbsDelta.Summary.Mean, m.AbsDelta.Summary.Low, m.AbsDelta.Summary.High),
			DeltaV:   verdict("models:delta:verdict", m.Delta.Verdict), AbsV: verdict("models:abs_delta:verdict", m.AbsDelta.Verdict),
			Changed: m.Changed, Explain: m.Explanations}
		if m.AccuracyA != nil {
			a, b := rateV("models:accuracy_a", *m.AccuracyA), rateV("models:accuracy_b", *m.AccuracyB)
			d := m.AccuracyDifference
			dv := ivMetric("models:accuracy_difference:summary:mean", d.Summary.Mean, d.Summary.Low, d.Summary.High)
			vv := verdict("models:accuracy_difference:verdict", d.Verdict)
			mv.AccA, mv.AccB, mv.AccDiff, mv.AccVerdict = &a, &b, &dv, &vv
		}
		mv.Slices = flipRows("models:by_slice:", m.BySlice)
		for _, g := range m.ByGroup {
			mv.Groups = append(mv.Groups, groupFlipsV{Column: g.Column, Cells: flipRows("models:by_group:"+g.Column+":", g.Groups), Pooled: g.Pooled})
		}
		if e := m.Explanations; e != nil {
			mv.ExplainSp = ivMetric("models:explanations:mean_spearman", e.Spearman, e.SpearmanCI.Low, e.SpearmanCI.High)
			if e.Texts == 0 {
				mv.ExplainSp = intervalV("", 0, fstats.Interval{}, "no text could be compared")
			}
			mv.ExplainV = verdict("models:explanations:verdict", e.Verdict)
			for _, t := range e.PerText {
				row := explainRowV{Text: t.Text, Error: t.Error, Spearman: dash, Overlap: dash}
				if t.Spearman != nil {
					row.Spearman, row.Overlap = num("", *t.Spearman), num("", *t.Overlap)
				}
				mv.ExplainRows = append(mv.ExplainRows, row)
			}
		}
		v.Models = mv
	}
	if s := r.Shift; s != nil {
		for i, t := range s.Tests {
			k := fmt.Sprintf("shift:tests:%d:", i)
			name := "all rows"
			switch {
			case t.Column != "" && t.Group != "":
				name = t.Column + " = " + t.Group
			case t.Column != "":
				name = t.Column + " (gap between groups)"
			}
			sv := shiftV{Name: name, Metric: t.Metric, Diff: ivMetric(k+"difference", t.Difference, t.CI.Low, t.CI.High),
				NA: count(k+"a:of", t.A.Of), NB: count(k+"b:of", t.B.Of), Test: t.Test, P: pNum(k+"evidence:p", t.Evidence.P), Verdict: verdict(k+"verdict", t.Verdict)}
			if t.Metric == compare.MetricGap {
				sv.A, sv.B = ivMetric(k+"a:value", t.A.Value, t.A.Value, t.A.Value), ivMetric(k+"b:value", t.B.Value, t.B.Value, t.B.Value)
				sv.A.NoCI, sv.B.NoCI = true, true
				sv.NA, sv.NB = dash, dash
			} else {
				sv.A, sv.B = rateV(k+"a", t.A), rateV(k+"b", t.B)
			}
			v.Shift = append(v.Shift, sv)
		}
		bySeverity(v.Shift, func(s shiftV) fstats.Status { return fstats.Status(s.Verdict.Status) })
	}
	return v
}

func flipRows(key string, cells []compare.FlipCell) []flipV {
	var out []flipV
	var rates []float64
	for _, c := range cells {
		rates = append(rates, c.CI.High)
	}
	scale := niceMax(rates...)
	for _, c := range cells {
		k := key + c.Name + ":"
		out = append(out, flipV{Name: c.Name, Rows: count(k+"rows", c.Rows), Flips: count(k+"flips", c.Flips),
			Rate: ivMetric(k+"rate", c.Rate, c.CI.Low, c.CI.High), P: pNum(k+"evidence:p", c.Evidence.P),
			Verdict: verdict(k+"verdict", c.Verdict), Bar: bar(c.Rate, c.CI.Low, c.CI.High, scale, "bar-"+verdict("", c.Verdict).Class)})
	}
	return out
}
