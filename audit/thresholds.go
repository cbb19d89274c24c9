package audit

import (
	"fmt"
	"strings"

	"github.com/lucid-nlp/lucid/fairness/group"
	"github.com/lucid-nlp/lucid/fairness/stats"
	"github.com/lucid-nlp/lucid/fairness/thresholds"
)

// thresholdWork is the audit's part in post-processing mitigation: a
// thresholds.Scores to fit on (Config.FitThresholds) or a
// thresholds.Comparison judging a fitted file (Config.Thresholds), both on
// one column of the rows the audit reads. Memory: 64 KB per group to fit
// (at most thresholds.MaxGroups groups), O(groups) to judge.
type thresholdWork struct {
	at     int    // the column's place in a row's Groups
	column string // as spelled in the file
	scores *thresholds.Scores
	cmp    *thresholds.Comparison
}

// thresholdColumn is the column the thresholds are fitted on or applied
// to: Config.ThresholdCol, else the file's column when applying, else the
// first group column when fitting.
func (c *Config) thresholdColumn() (string, error) {
	switch {
	case c.FitThresholds == "" && c.Thresholds == nil:
		return "", nil
	case c.FitThresholds != "" && c.Thresholds != nil:
		return "", fmt.Errorf("audit: fitting thresholds and judging a thresholds file in one run would judge them on the rows they were fitted on; fit on one file, judge on another")
	case c.ThresholdCol != "":
		return c.ThresholdCol, nil
	case c.Thresholds != nil:
		return c.Thresholds.Column, nil
	case len(c.Dataset.GroupCols) > 0:
		return c.Dataset.GroupCols[0], nil
	}
	return "", fmt.Errorf("audit: fitting thresholds (%s) needs a group column", c.FitThresholds)
}

func newThresholdWork(cfg Config, at int, positive string) (*thresholdWork, error) {
	w := &thresholdWork{at: at}
	if cfg.FitThresholds != "" {
		if _, err := thresholds.ParseConstraint(string(cfg.FitThresholds)); err != nil {
			return nil, err
		}
		w.scores = thresholds.NewScores()
		return w, nil
	}
	cmp, err := thresholds.NewComparison(cfg.Thresholds, group.Options{Column: cfg.Thresholds.Column, Positive: positive,
		Resamples: cfg.Resamples, MinGroupSize: cfg.MinGroupSize, ParityTolerance: cfg.Tolerance,
		MissingAsGroup: cfg.MissingAsGroup, MaxGroups: cfg.MaxGroups})
	if err != nil {
		return nil, err
	}
	w.cmp = cmp
	return w, nil
}

// add counts one scored row.
func (w *thresholdWork) add(groups []string, text string, score float64, modelPositive, labelled, positive bool) error {
	g := groups[w.at]
	if w.scores != nil {
		if !labelled {
			w.scores.AddUnlabelled()
			return nil
		}
		return w.scores.Add(g, score, positive, modelPositive)
	}
	w.cmp.Add(g, text, score, modelPositive, labelled, positive)
	return nil
}

// result fills the report's thresholds fields. A fit is not made on a
// partial read (rules fitted on the first rows of a file would be written
// as if fitted on all of it); a fit that fails is reported, not fatal, so
// the rest of the audit stands.
func (w *thresholdWork) result(rep *Report, cfg Config, positive string) error {
	if w.scores != nil {
		if rep.Partial {
			rep.ThresholdFitError = "the audit was interrupted: rules fitted on the first rows would pass for rules fitted on the file"
			return nil
		}
		f, err := thresholds.Fit(w.scores, thresholds.Options{Constraint: cfg.FitThresholds, Column: w.column, Positive: positive,
			Data: cfg.Name, Seed: cfg.Seed, MinGroupSize: cfg.MinGroupSize})
		if err != nil {
			rep.ThresholdFitError = strings.TrimPrefix(err.Error(), "thresholds: ")
			return nil
		}
		rep.ThresholdFit = f
		return nil
	}
	e, err := w.cmp.Result(cfg.Seed)
	if err != nil {
		return err
	}
	rep.Thresholds = e
	return nil
}

// thresholdFindings are the summary lines of a fit or a judged file.
func thresholdFindings(r *Report) []Finding {
	var out []Finding
	if r.ThresholdFitError != "" {
		out = append(out, Finding{Check: "thresholds", Status: "warn", Message: "Group thresholds not fitted: " + r.ThresholdFitError + "."})
	}
	if f := r.ThresholdFit; f != nil {
		randomized := 0
		for _, g := range f.Groups {
			if g.Randomized {
				randomized++
			}
		}
		msg := fmt.Sprintf("Fitted %s thresholds for %d groups of %q on %d labelled rows (%d randomised)", f.Constraint, len(f.Groups), f.Column, f.Fit.FittedRows, randomized)
		if f.Fit.ModelAccuracyFitted != nil && f.Fit.ExpectedAccuracyFitted != nil {
			msg += fmt.Sprintf("; in-sample accuracy %.1f%% → %.1f%% (optimistic: judge them on another file with --thresholds)", 100**f.Fit.ModelAccuracyFitted, 100**f.Fit.ExpectedAccuracyFitted)
		}
		if len(f.Unfitted) > 0 {
			var names []string
			for _, u := range f.Unfitted {
				names = append(names, fmt.Sprintf("%q (%s)", u.Group, u.Reason))
			}
			msg += fmt.Sprintf("; not fitted, keeping the model's decisions: %s", strings.Join(names[:min(len(names), 5)], ", "))
			if len(names) > 5 {
				msg += fmt.Sprintf(" and %d more", len(names)-5)
			}
		}
		out = append(out, Finding{Check: "thresholds", Status: "info", Message: msg + "."})
	}
	if e := r.Thresholds; e != nil {
		msg := fmt.Sprintf("%s thresholds on %q: before %s, after %s on the constrained metric (%s)", e.Constraint, e.Column,
			strings.ToUpper(string(e.VerdictBefore.Status)), strings.ToUpper(string(e.VerdictAfter.Status)), e.VerdictAfter.Reason)
		// Every metric, not only the constrained one: rules that close one
		// gap can open another.
		if e.ColumnAfter.Status != "" {
			msg += fmt.Sprintf("; every metric: before %s, after %s", strings.ToUpper(string(e.ColumnBefore.Status)), strings.ToUpper(string(e.ColumnAfter.Status)))
		}
		if len(e.Worsened) > 0 {
			msg += fmt.Sprintf("; worse after: %s", strings.Join(e.Worsened[:min(len(e.Worsened), 5)], ", "))
			if len(e.Worsened) > 5 {
				msg += fmt.Sprintf(" and %d more", len(e.Worsened)-5)
			}
		}
		if c := e.AccuracyChange; c != nil {
			msg += fmt.Sprintf("; accuracy %.1f%% → %.1f%%, change %+.1f points (95%% interval %+.1f to %+.1f, McNemar p=%s, n=%d)",
				100*e.AccuracyBefore.Value, 100*e.AccuracyAfter.Value, 100*c.Value, 100*c.Low, 100*c.High, pText(c.P), c.N)
		}
		msg += fmt.Sprintf("; %d of %d rows changed decision, %d decided by a draw", e.ChangedRows, e.Rows, e.RandomizedRows)
		if e.UnfittedRows > 0 {
			msg += fmt.Sprintf(", %d in groups without a rule kept the model's decision", e.UnfittedRows)
		}
		// The finding is the worse of the constrained metric's verdict and
		// every metric's after the rules.
		status := stats.Worse(e.VerdictAfter.Status, e.ColumnAfter.Status)
		if status == "" {
			status = stats.Info
		}
		out = append(out, Finding{Check: "thresholds", Status: string(status), Message: msg + "."})
	}
	return out
}
