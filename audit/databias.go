package audit

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/lucid-nlp/lucid/dataset"
	"github.com/lucid-nlp/lucid/fairness/databias"
	"github.com/lucid-nlp/lucid/fairness/stats"
)

// ModelFree reports whether checks need no model: the data check alone.
// Run then takes a nil Classifier and Config.Labels.
func ModelFree(checks []string) bool {
	if len(checks) == 0 {
		return false
	}
	for _, c := range checks {
		if c != CheckData {
			return false
		}
	}
	return true
}

// auditLabels are the label names: the classifier's, or Config.Labels for
// a model-free audit.
func auditLabels(clf Classifier, cfg Config) ([]string, error) {
	if clf != nil {
		return clf.Labels(), nil
	}
	if cfg.OutputsGiven() {
		if len(cfg.Labels) < 2 {
			return nil, errors.New("audit: an audit of given outputs needs Config.Labels, the label names (class i is Labels[i]), at least two")
		}
		return cfg.Labels, nil
	}
	if !ModelFree(cfg.Checks) {
		return nil, fmt.Errorf("audit: no model given: only --checks %s runs without one (asked: %s), or an audit of given outputs (--score-col, --prediction-col)", CheckData, strings.Join(cfg.Checks, ","))
	}
	if len(cfg.Labels) < 2 {
		return nil, errors.New("audit: a data-only audit needs Config.Labels, the label names (class i is Labels[i]), at least two")
	}
	return cfg.Labels, nil
}

// newDataScan starts the data-bias scan over the families and the audited
// group columns.
func newDataScan(cfg Config, labels []string, posIdx int, gcols []groupColumn) (*databias.Scanner, error) {
	names := make([]string, len(gcols))
	for i, g := range gcols {
		names[i] = g.name
	}
	return databias.NewScanner(databias.Options{Families: cfg.Families, GroupColumns: names, Labels: labels, Positive: posIdx,
		Tolerance: cfg.Tolerance, MinCount: cfg.MinGroupSize, MaxGroups: cfg.MaxGroups, Seed: cfg.Seed})
}

// scanRow adds one row to the data scan.
func scanRow(s *databias.Scanner, text string, label int, groups []string, gcols []groupColumn) error {
	vals := make([]string, len(gcols))
	for i, g := range gcols {
		vals[i] = g.value(groups)
	}
	return s.Add(text, label, vals)
}

// scanRow adds one row to the data scan and, with a weight column, to
// its weighted table.
func (s *State) scanRow(row dataset.Row) error {
	if err := scanRow(s.scan, row.Text, row.Label, row.Groups, s.gcols); err != nil {
		return err
	}
	if s.wtab == nil {
		return nil
	}
	vals := make([]string, len(s.gcols))
	for i, g := range s.gcols {
		vals[i] = g.value(row.Groups)
	}
	return s.wtab.Add(row.Label, vals, row.Groups[s.weightAt], row.Line)
}

// dataBiasFindings state the data scan's verdicts: one line per family or
// column that does not pass (its worst unit), the passing ones together,
// and the term most skewed towards a label.
func dataBiasFindings(r *databias.Report) []Finding {
	var out []Finding
	var passed, quiet []string
	lists := append(append([]databias.List{}, r.Families...), r.Columns...)
	for _, l := range lists {
		name := l.Kind + " " + l.Name
		switch l.Verdict.Status {
		case stats.Pass:
			passed = append(passed, name)
			continue
		case stats.Info:
			quiet = append(quiet, name)
			continue
		}
		w := worstUnit(l)
		msg := fmt.Sprintf("Data, %s (%d rows mention it): %s positive share %.3f %s in %d labelled rows vs %.3f elsewhere, difference %+.3f %s, ratio %.2f %s, Holm p=%s: %s.",
			name, l.Rows, w.Name, float64(w.Share.Value), interval(float64(w.Share.Low), float64(w.Share.High), "%.3f"), w.Share.Of,
			float64(w.Elsewhere.Value), float64(w.Difference.Value), interval(float64(w.Difference.Low), float64(w.Difference.High), "%+.3f"),
			float64(w.Ratio.Value), interval(float64(w.Ratio.Low), float64(w.Ratio.High), "%.2f"), pText(float64(w.PHolm)), w.Verdict.Reason)
		if len(l.Failing) > 1 {
			msg += fmt.Sprintf(" %d failing: %s.", len(l.Failing), strings.Join(l.Failing[:min(len(l.Failing), 8)], ", "))
		}
		out = append(out, Finding{Check: "data_bias", Status: string(l.Verdict.Status), Message: msg})
	}
	head := fmt.Sprintf("Data bias scan of %d rows (%d labelled, positive share %.3f, label %q): ", r.Rows, r.Labelled, float64(r.PositiveShare.Value), r.Positive)
	switch {
	case len(passed) > 0:
		head += "no skew beyond ±" + fmt.Sprint(r.Tolerance) + " in " + strings.Join(passed, ", ") + "."
	case len(out) == 0:
		head += "nothing to judge."
	default:
		head += fmt.Sprintf("%d of %d lists skewed or inconclusive.", len(out), len(lists))
	}
	if len(quiet) > 0 {
		head += fmt.Sprintf(" Too few rows to judge: %s.", strings.Join(quiet, ", "))
	}
	if len(r.Skewed) > 0 {
		s := r.Skewed[0]
		head += fmt.Sprintf(" Most skewed term: %q (%s) towards %q, PMI %.2f bits, %d rows.", s.Term, s.Family, s.Label, float64(s.PMI), s.Rows)
	}
	return append([]Finding{{Check: "data_bias", Status: "info", Message: head}}, out...)
}

// worstUnit is a list's unit with the most severe verdict, then the largest
// difference.
func worstUnit(l databias.List) databias.Unit {
	var w databias.Unit
	found := false
	for _, u := range append(append([]databias.Unit{}, l.Groups...), l.Terms...) {
		d := math.Abs(float64(u.Difference.Value))
		if !found || u.Verdict.Status.Severity() > w.Verdict.Status.Severity() ||
			(u.Verdict.Status == w.Verdict.Status && d > math.Abs(float64(w.Difference.Value))) {
			w, found = u, true
		}
	}
	return w
}
