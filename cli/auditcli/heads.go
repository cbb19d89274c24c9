package auditcli

import (
	"context"
	"flag"
	"github.com/lucid-nlp/lucid/models"
	"math"
	"strings"

	"github.com/lucid-nlp/lucid/audit"
	"github.com/lucid-nlp/lucid/engine"
	"github.com/lucid-nlp/lucid/fairness/group"
	"github.com/lucid-nlp/lucid/internal/readcap"
)

// maxLabelThresholdsBytes caps a --label-thresholds file: a JSON object of
// label names and probabilities.
const maxLabelThresholdsBytes = 1 << 20

// registerHeads defines the flags of multi-label and regression audits.
func registerHeads(fs *flag.FlagSet, f *Flags) {
	fs.StringVar(&f.LabelListCol, "label-list-col", "", "multi-label models: the column listing each row's labels, \"toxic|insult\" (split on --label-sep) or a JSON list [\"toxic\",\"insult\"]; an empty cell lists none (default: --label-col read as such a list)")
	fs.StringVar(&f.LabelSep, "label-sep", audit.DefaultLabelSep, "multi-label models: the separator of --label-list-col's labels")
	fs.Var((*StringList)(&f.LabelCols), "label-cols", "multi-label models: one 0/1 column per label, named as the label (comma-separated), instead of --label-list-col; an empty cell leaves the label unlabelled")
	fs.Float64Var(&f.Threshold, "threshold", audit.DefaultThreshold, "multi-label models: a label is predicted when its probability is at least this, 0 to 1")
	fs.StringVar(&f.LabelThresholds, "label-thresholds", "", "multi-label models: per-label thresholds, as lucid predict reads them: a JSON object {\"toxic\": 0.7} or TSV lines label<TAB>t; labels it leaves out use --threshold")
	fs.Var((*StringList)(&f.ScoreCols), "score-cols", "audit a multi-label model's given outputs, no model: one probability column per label, in --label-names order (default names: --label-cols, else the columns themselves)")
	fs.BoolVar(&f.Regression, "regression", false, "audit a regression head's given outputs, no model: --score-col holds the raw score (a model's head comes from its config.json's problem_type)")
	fs.Float64Var(&f.ScoreTolerance, "score-tolerance", group.DefaultMeanTolerance, "regression heads: the practical threshold for differences of mean scores between groups and paired score differences, in score units (0.1 fits a 0-1 score; set it for your scale)")
}

// validateHeads checks the multi-label and regression flags.
func (f *Flags) validateHeads() error {
	switch {
	case math.IsNaN(f.Threshold) || f.Threshold < 0 || f.Threshold > 1:
		return Usagef("--threshold %v: want a probability from 0 to 1, like 0.5", f.Threshold)
	case !(f.ScoreTolerance > 0) || math.IsInf(f.ScoreTolerance, 0):
		return Usagef("--score-tolerance %v: want a positive difference in score units, like %v", f.ScoreTolerance, group.DefaultMeanTolerance)
	case f.LabelSep == "":
		return Usagef("--label-sep is empty: want the separator of --label-list-col's labels, like %q", audit.DefaultLabelSep)
	case f.LabelListCol != "" && len(f.LabelCols) > 0:
		return Usagef("--label-list-col %q and --label-cols %q: give the gold labels one way", TermSafe(f.LabelListCol), TermSafe(strings.Join(f.LabelCols, ",")))
	case len(f.ScoreCols) > 0 && (f.ScoreCol != "" || f.PredictionCol != ""):
		return Usagef("--score-cols is a multi-label model's outputs, one column per label: not with --score-col or --prediction-col")
	case len(f.ScoreCols) > 0 && f.Regression:
		return Usagef("--regression audits one score column (--score-col), not --score-cols")
	case f.Regression && f.ScoreCol == "":
		return Usagef("--regression audits given outputs: name the score column, --score-col")
	case f.Regression && f.PredictionCol != "":
		return Usagef("--regression: a regression head predicts a score, not a label: drop --prediction-col %q", TermSafe(f.PredictionCol))
	case len(f.ScoreCols) > 0 && len(f.Labels) > 0 && len(f.Labels) != len(f.ScoreCols):
		return Usagef("--score-cols names %d columns for %d --label-names: one per label, in order", len(f.ScoreCols), len(f.Labels))
	}
	return nil
}

// headConfig sets the audit's multi-label and regression fields.
func (f *Flags) headConfig(cfg *audit.Config) error {
	cfg.LabelListCol, cfg.LabelSep, cfg.LabelCols = f.LabelListCol, f.LabelSep, f.LabelCols
	cfg.Threshold, cfg.ThresholdSet, cfg.ScoreCols, cfg.ScoreTolerance = f.Threshold, true, f.ScoreCols, f.ScoreTolerance
	switch {
	case f.Regression:
		cfg.Head = engine.Regression
		cfg.ModelName = "none (regression scores from --score-col " + f.ScoreCol + ")"
	case len(f.ScoreCols) > 0:
		cfg.Head = engine.MultiLabel
	}
	if f.LabelThresholds != "" {
		m, err := readLabelThresholds(f.LabelThresholds)
		if err != nil {
			return err
		}
		cfg.LabelThresholds = m
	}
	return nil
}

// readLabelThresholds reads per-label thresholds as lucid predict
// --label-thresholds does: a JSON object {"label": t} or TSV lines
// label<TAB>t (blank lines and lines starting with # skipped), each t in
// [0, 1]; a label given twice is an error. Whether each names a label is
// the audit's to check (it knows the labels).
func readLabelThresholds(path string) (map[string]float64, error) {
	raw, err := readcap.ReadFile(context.Background(), path, "--label-thresholds file", maxLabelThresholdsBytes)
	if err != nil {
		return nil, Usagef("--label-thresholds: %s", TermSafe(err.Error()))
	}
	entries, err := models.ParseLabelThresholds(raw, "--label-thresholds "+path)
	if err != nil {
		return nil, Usagef("%s", TermSafe(err.Error()))
	}
	m := make(map[string]float64, len(entries))
	for _, e := range entries {
		m[e.Label] = e.T
	}
	return m, nil
}
