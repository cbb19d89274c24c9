package compare

import (
	"fmt"

	"github.com/lucid-nlp/lucid/audit"
	"github.com/lucid-nlp/lucid/fairness/stats"
)

// summarize writes the findings a person reads first.
func summarize(r *Report) []audit.Finding {
	var out []audit.Finding
	data := fmt.Sprintf("Skipped %d malformed or unscorable rows.", r.Skipped)
	st := "info"
	if r.Skipped > 0 {
		st = "warn"
	}
	if r.Partial {
		out = append(out, audit.Finding{Check: "data", Status: "warn", Message: "Partial report: " + r.PartialReason + "."})
	}
	if m := r.Models; m != nil {
		out = append(out, audit.Finding{Check: "data", Status: st, Message: fmt.Sprintf("Both models scored %d rows (%d labelled). %s", m.Rows, m.Labelled, data)})
		out = append(out, audit.Finding{Check: "flips", Status: string(m.Flips.Verdict.Status), Message: fmt.Sprintf(
			"The models agree on %.2f%% of %d rows; %d flips (rate %.4f, 95%% interval %.4f–%.4f; %d %s→other, %d other→%s): %s.",
			100*m.Agreement.Value, m.Rows, m.Flips.Flips, m.Flips.Rate, m.Flips.CI.Low, m.Flips.CI.High,
			m.PositiveToNegative, r.Positive, m.NegativeToPositive, r.Positive, m.Flips.Verdict.Reason)})
		out = append(out, worstCell("flips by slice", m.BySlice))
		for _, g := range m.ByGroup {
			out = append(out, worstCell("flips by "+g.Column, g.Groups))
		}
		out = append(out, audit.Finding{Check: "probability", Status: string(m.AbsDelta.Verdict.Status), Message: fmt.Sprintf(
			"Mean |Δp(%s)| %.4f (95%% interval %.4f–%.4f, n=%d); signed B − A %.4f (%s): %s.",
			r.Positive, m.AbsDelta.Summary.Mean, m.AbsDelta.Summary.Low, m.AbsDelta.Summary.High, m.AbsDelta.Summary.N,
			m.Delta.Summary.Mean, m.Delta.Verdict.Status, m.AbsDelta.Verdict.Reason)})
		if d := m.AccuracyDifference; d != nil {
			out = append(out, audit.Finding{Check: "accuracy", Status: string(d.Verdict.Status), Message: fmt.Sprintf(
				"Accuracy A %.4f, B %.4f on %d labelled rows; B − A %+.4f (95%% interval %.4f–%.4f, McNemar p=%s): %s.",
				m.AccuracyA.Value, m.AccuracyB.Value, m.Labelled, d.Summary.Mean, d.Summary.Low, d.Summary.High, stats.FormatP(d.Summary.SignP, stats.DefaultAlpha), d.Verdict.Reason)})
		}
		if e := m.Explanations; e != nil {
			msg := fmt.Sprintf("No sampled text could be compared (%d failed).", e.Failed)
			if e.Texts > 0 {
				msg = fmt.Sprintf("Explanations (%s, budget %d) of %d sampled texts: mean Spearman %.3f (95%% interval %.3f–%.3f), top-3 overlap %.2f: %s.",
					e.Method, e.Budget, e.Texts, e.Spearman, e.SpearmanCI.Low, e.SpearmanCI.High, e.TopKOverlap, e.Verdict.Reason)
			}
			out = append(out, audit.Finding{Check: "explanations", Status: string(e.Verdict.Status), Message: msg})
		}
	}
	if s := r.Shift; s != nil {
		out = append(out, audit.Finding{Check: "data", Status: st, Message: fmt.Sprintf("Read %d rows of %s and %d of %s. %s", s.A.Rows, s.A.Name, s.B.Rows, s.B.Name, data)})
		if s.A.Accuracy != nil && s.B.Accuracy != nil {
			out = append(out, audit.Finding{Check: "data", Status: "info", Message: fmt.Sprintf("Accuracy %.4f on %s, %.4f on %s.", s.A.Accuracy.Value, s.A.Name, s.B.Accuracy.Value, s.B.Name)})
		}
		fails, warns := 0, 0
		for _, t := range s.Tests {
			switch t.Verdict.Status {
			case stats.Fail:
				fails++
			case stats.Warn:
				warns++
			}
		}
		out = append(out, audit.Finding{Check: "shift", Status: string(s.Verdict.Status), Message: fmt.Sprintf(
			"%d metrics compared between the files (Holm-corrected): %d fail, %d warn. Worst: %s.", len(s.Tests), fails, warns, s.Verdict.Reason)})
	}
	return out
}

// worstCell states the most severe cell of a flips table.
func worstCell(check string, cells []FlipCell) audit.Finding {
	f := audit.Finding{Check: check, Status: string(stats.Info), Message: "no rows"}
	var worst *FlipCell
	for i := range cells {
		c := &cells[i]
		if worst == nil || c.Verdict.Status.Severity() > worst.Verdict.Status.Severity() ||
			(c.Verdict.Status == worst.Verdict.Status && c.Rate > worst.Rate) {
			worst = c
		}
	}
	if worst != nil {
		f.Status = string(worst.Verdict.Status)
		f.Message = fmt.Sprintf("%d cells; worst %q: %d of %d rows flipped (rate %.4f, 95%% interval %.4f–%.4f): %s.",
			len(cells), worst.Name, worst.Flips, worst.Rows, worst.Rate, worst.CI.Low, worst.CI.High, worst.Verdict.Reason)
	}
	return f
}
