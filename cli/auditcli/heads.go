package auditcli

import (
	"context"
	"encoding/json"
	"flag"
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
	fs.Float64Var(&f.Threshold, "threshold", audit.DefaultThreshold, "multi-label models: a label is predicted when its probability is at least this, in (0, 1)")
	fs.StringVar(&f.LabelThresholds, "label-thresholds", "", "multi-label models: a JSON file of per-label thresholds, {\"toxic\": 0.7, \"insult\": 0.6}; labels it leaves out use --threshold")
	fs.Var((*StringList)(&f.ScoreCols), "score-cols", "audit a multi-label model's given outputs, no model: one probability column per label, in --label-names order (default names: --label-cols, else the columns themselves)")
	fs.BoolVar(&f.Regression, "regression", false, "audit a regression head's given outputs, no model: --score-col holds the raw score (a model's head comes from its config.json's problem_type)")
	fs.Float64Var(&f.ScoreTolerance, "score-tolerance", group.DefaultMeanTolerance, "regression heads: the practical threshold for differences of mean scores between groups and paired score differences, in score units (0.1 fits a 0-1 score; set it for your scale)")
}

// validateHeads checks the multi-label and regression flags.
func (f *Flags) validateHeads() error {
	switch {
	case !(f.Threshold > 0 && f.Threshold < 1):
		return Usagef("--threshold %v: want a probability strictly between 0 and 1, like 0.5", f.Threshold)
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
	cfg.Threshold, cfg.ScoreCols, cfg.ScoreTolerance = f.Threshold, f.ScoreCols, f.ScoreTolerance
	switch {
	case f.Regression:
		cfg.Head = engine.Regression
		cfg.ModelName = "none (regression scores from --score-col " + f.ScoreCol + ")"
	case len(f.ScoreCols) > 0:
		cfg.Head = engine.MultiLabel
	}
	if f.LabelThresholds != "" {
		b, err := readcap.ReadFile(context.Background(), f.LabelThresholds, "--label-thresholds file", maxLabelThresholdsBytes)
		if err != nil {
			return Usagef("--label-thresholds: %s", TermSafe(err.Error()))
		}
		var m map[string]float64
		if err := json.Unmarshal(b, &m); err != nil {
			return Usagef("--label-thresholds %s: want a JSON object of label names and thresholds, {\"toxic\": 0.7}: %s", TermSafe(f.LabelThresholds), TermSafe(err.Error()))
		}
		for l, v := range m {
			if !(v > 0 && v < 1) {
				return Usagef("--label-thresholds %s: threshold %v for %q: want a probability strictly between 0 and 1", TermSafe(f.LabelThresholds), v, TermSafe(l))
			}
		}
		cfg.LabelThresholds = m
	}
	return nil
}
