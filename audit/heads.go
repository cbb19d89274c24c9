package audit

import (
	"fmt"
	"math"
	"slices"

	"github.com/lucid-nlp/lucid/engine"
	"github.com/lucid-nlp/lucid/fairness/group"
)

// HeadOf is the head of clf: what its Head method says (a
// *models.Classifier of a multi-label or regression model, a test's
// classifier), engine.SingleLabel when it has none.
func HeadOf(clf Classifier) engine.Head {
	if h, ok := clf.(interface{ Head() engine.Head }); ok {
		return h.Head()
	}
	return engine.SingleLabel
}

// settleHead is the head the audit runs under: the classifier's when it
// says one, else Config.Head (an audit of given outputs, or a user's
// override of a model that does not say). Two different non-default heads
// are a contradiction.
func settleHead(clf Classifier, cfg Config) (engine.Head, error) {
	if clf == nil {
		return cfg.Head, nil
	}
	h := HeadOf(clf)
	switch {
	case h == engine.SingleLabel:
		return cfg.Head, nil
	case cfg.Head != engine.SingleLabel && cfg.Head != h:
		return h, fmt.Errorf("audit: the model is %s but the audit was asked to treat it as %s", h, cfg.Head)
	}
	return h, nil
}

// regressionSkipped are the checks a regression audit does not run, with
// why. What it runs: group means (groups), with --pair-col paired score
// differences within frames, and with a model the counterfactual swaps'
// score changes (regcf.go).
var regressionSkipped = map[string]string{
	CheckData:         "it measures how the labels skew by group and identity term, and a regression audit reads no class labels",
	CheckSlices:       "it compares accuracy, which a regression score does not have",
	CheckConsistency:  "its rules judge changes of the decision and differences of probabilities in (0, 1); a regression score has neither (compare matched texts with --pair-col)",
	CheckFaithfulness: "the audit's faithfulness measures are defined on a class probability (use lucid explain, which attributes the raw score)",
	CheckStability:    "the audit's stability check explains a class probability (use lucid explain, which attributes the raw score)",
}

// regressionDefaults settles a regression audit's checks and tolerance;
// skipped lists what it does not run.
func (c *Config) regressionDefaults(hasModel bool) (skipped []SkippedCheck, err error) {
	if c.FitThresholds != "" || c.Thresholds != nil {
		return nil, fmt.Errorf("audit: group thresholds act on decisions, and a regression head has none: drop --fit-thresholds and --thresholds")
	}
	if c.Suite != nil {
		return nil, fmt.Errorf("audit: the test suite %q expects labels and probabilities; a regression head gives a score", c.Suite.Name)
	}
	if c.Dataset.LabelCol != "" || c.PredictionCol != "" {
		return nil, fmt.Errorf("audit: a regression audit compares the score's group means and reads no label (--label-col %q, --prediction-col %q): leave them out", c.Dataset.LabelCol, c.PredictionCol)
	}
	if c.WeightCol != "" {
		return nil, fmt.Errorf("audit: the weight column %q weighs the data scan, which a regression audit does not run", c.WeightCol)
	}
	for _, ch := range c.Checks {
		if why, ok := regressionSkipped[ch]; ok {
			return nil, fmt.Errorf("audit: check %s does not apply to a regression head: %s; a regression audit runs %s and %s", ch, why, CheckGroups, CheckCounterfactual)
		}
	}
	if !hasModel && slices.Contains(c.Checks, CheckCounterfactual) {
		return nil, fmt.Errorf("audit: check %s needs the model, not its outputs: %s", CheckCounterfactual, modelOnlyChecks[CheckCounterfactual])
	}
	if len(c.Checks) == 0 {
		c.Checks = []string{CheckGroups}
		if hasModel {
			c.Checks = append(c.Checks, CheckCounterfactual)
		} else {
			skipped = append(skipped, SkippedCheck{Check: CheckCounterfactual, Reason: fmt.Sprintf("needs the model (%s), and this audit reads the outputs from %s", modelOnlyChecks[CheckCounterfactual], c.outputsSource())})
		}
		for _, ch := range AllChecks {
			if why, ok := regressionSkipped[ch]; ok {
				skipped = append(skipped, SkippedCheck{Check: ch, Reason: "not for a regression head: " + why})
			}
		}
	}
	if c.ScoreTolerance == 0 {
		c.ScoreTolerance = group.DefaultMeanTolerance
	}
	if !(c.ScoreTolerance > 0) || math.IsInf(c.ScoreTolerance, 0) {
		return nil, fmt.Errorf("audit: score tolerance %v: want a positive difference in the score's units, like %v", c.ScoreTolerance, group.DefaultMeanTolerance)
	}
	// The paired frames compare score differences: in score units too.
	c.Tolerance = c.ScoreTolerance
	c.Dataset.IgnoreLabels = true
	return skipped, nil
}

// regressionLabels names a regression audit's one output when no
// classifier does.
func regressionLabels(labels []string) []string {
	if len(labels) == 0 {
		return []string{"score"}
	}
	return labels
}

// headName is the head as report.json writes it.
func headName(h engine.Head) string { return h.String() }
