package audit

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/lucid-nlp/lucid/dataset"
	"github.com/lucid-nlp/lucid/engine"
)

// An audit of given outputs (Config.ScoreCol, Config.PredictionCol) reads
// each row's prediction from the file instead of running a model: the
// predictions of an LLM, a vendor's API or another framework are audited
// the same way as the model's own. Everything computed from the rows'
// predictions works (groups, matched frames, thresholds, slices, the data
// scan); the checks that run a model on texts the file does not hold
// (edited, swapped or masked ones) cannot, and are skipped or refused.

// modelOnlyChecks are the checks that run the model on new texts, with
// why an audit of given outputs cannot run them.
var modelOnlyChecks = map[string]string{
	CheckCounterfactual: "it scores identity-term swaps of each text, which the file's outputs do not cover",
	CheckConsistency:    "it scores CheckList edits of the sampled texts, which the file's outputs do not cover",
	CheckFaithfulness:   "it explains texts by scoring masked copies of them, which the file's outputs do not cover",
	CheckStability:      "it explains texts by scoring masked copies of them, which the file's outputs do not cover",
}

// OutputsGiven reports whether the configuration audits predictions read
// from the data (a score or prediction column) instead of a model's.
func (c *Config) OutputsGiven() bool { return c.ScoreCol != "" || c.PredictionCol != "" }

// ModelOnlyCheck reports whether check runs the model on new texts, so
// that an audit of given outputs cannot run it, and why.
func ModelOnlyCheck(check string) (string, bool) {
	why, ok := modelOnlyChecks[check]
	return why, ok
}

// OutputChecks are the checks an audit of given outputs runs, in report
// order.
func OutputChecks() []string { return outputCheckNames() }

// outputsSource names the columns the outputs come from, for messages.
func (c *Config) outputsSource() string {
	var parts []string
	if c.ScoreCol != "" {
		parts = append(parts, fmt.Sprintf("--score-col %q", c.ScoreCol))
	}
	if c.PredictionCol != "" {
		parts = append(parts, fmt.Sprintf("--prediction-col %q", c.PredictionCol))
	}
	return strings.Join(parts, " and ")
}

// outputChecks settles the checks of an audit of given outputs: by
// default every check that needs no model (the others are listed in
// SkippedChecks with the reason); a model-only check asked for by name
// is an error naming it and why.
func (c *Config) outputChecks() ([]string, []SkippedCheck, error) {
	if len(c.Checks) > 0 {
		for _, ch := range c.Checks {
			if why, ok := modelOnlyChecks[ch]; ok {
				return nil, nil, fmt.Errorf("audit: check %s needs the model, not its outputs: %s; an audit of %s runs %s",
					ch, why, c.outputsSource(), strings.Join(outputCheckNames(), ", "))
			}
		}
		return c.Checks, nil, nil
	}
	var skipped []SkippedCheck
	for _, ch := range AllChecks {
		if why, ok := modelOnlyChecks[ch]; ok {
			skipped = append(skipped, SkippedCheck{Check: ch, Reason: fmt.Sprintf("needs the model (%s), and this audit reads the outputs from %s", why, c.outputsSource())})
		}
	}
	return outputCheckNames(), skipped, nil
}

// outputCheckNames are the checks an audit of given outputs runs, in
// report order.
func outputCheckNames() []string {
	var out []string
	for _, ch := range AllChecks {
		if _, ok := modelOnlyChecks[ch]; !ok {
			out = append(out, ch)
		}
	}
	return out
}

// validateOutputs checks what an audit of given outputs needs: a score
// alone decides between two labels only, and thresholds need scores.
func (c *Config) validateOutputs(labels []string) error {
	if c.ScoreCol != "" && c.ScoreCol == c.PredictionCol {
		return fmt.Errorf("audit: --score-col and --prediction-col are both %q: a column holds either the positive-class score or the predicted label", c.ScoreCol)
	}
	if c.PredictionCol == "" && len(labels) != 2 && c.Head != engine.Regression {
		return fmt.Errorf("audit: --score-col %q alone decides between two labels (score above 0.5: the positive one); with %d labels (%s) give the predicted label too, --prediction-col",
			c.ScoreCol, len(labels), strings.Join(labels, ", "))
	}
	if c.ScoreCol == "" && (c.FitThresholds != "" || c.Thresholds != nil) {
		return fmt.Errorf("audit: group thresholds act on the positive-class score, and --prediction-col %q gives labels only: give --score-col", c.PredictionCol)
	}
	return nil
}

// SkippedCheck is a check the audit did not run, and why.
type SkippedCheck struct {
	Check  string `json:"check"`
	Reason string `json:"reason"`
}

// output is one row's prediction read from its columns.
type output struct {
	label int     // predicted class
	score float64 // positive-class score; the decision (0 or 1) when only a label is given
}

// scoreDecision is the decision a positive-class score alone makes: above
// 0.5 is the positive label, as the larger of two probabilities (a tie is
// the other label, as argmax breaks it towards the first class of a
// binary model whose positive label is its second).
const scoreDecision = 0.5

// readOutput reads a row's prediction from the score and prediction
// columns, or says why the row is malformed.
func (s *State) readOutput(row dataset.Row) (output, string) {
	var o output
	if s.predAt >= 0 {
		raw := strings.TrimSpace(row.Groups[s.predAt])
		if raw == "" {
			return o, fmt.Sprintf("--prediction-col %q is empty", s.cfg.PredictionCol)
		}
		i, err := dataset.LabelIndex(s.labels, raw)
		if err != nil {
			return o, fmt.Sprintf("--prediction-col %q: %v", s.cfg.PredictionCol, err)
		}
		o.label = i
		if i == s.posIdx {
			o.score = 1
		}
	}
	if s.scoreAt >= 0 {
		raw := strings.TrimSpace(row.Groups[s.scoreAt])
		if raw == "" {
			return o, fmt.Sprintf("--score-col %q is empty", s.cfg.ScoreCol)
		}
		v, err := strconv.ParseFloat(raw, 64)
		switch {
		case err != nil:
			return o, fmt.Sprintf("--score-col %q: %q is not a number", s.cfg.ScoreCol, abbreviate(raw))
		case s.cfg.Head == engine.Regression && (math.IsNaN(v) || math.IsInf(v, 0)):
			return o, fmt.Sprintf("--score-col %q: %s is not a finite score", s.cfg.ScoreCol, raw)
		case s.cfg.Head == engine.Regression:
		case math.IsNaN(v) || v < 0 || v > 1:
			return o, fmt.Sprintf("--score-col %q: %s is outside [0, 1] (want the positive class's probability or a score scaled to [0, 1])", s.cfg.ScoreCol, raw)
		}
		o.score = v
		if s.predAt < 0 {
			o.label = 1 - s.posIdx // two labels: validateOutputs
			if s.cfg.decisionSet {
				// One label of a multi-label audit: predicted at or
				// above its threshold, as lucid predict decides.
				if v >= s.cfg.decisionThreshold {
					o.label = s.posIdx
				}
			} else if v > scoreDecision {
				o.label = s.posIdx
			}
			if s.cfg.Head == engine.Regression {
				o.label = 0
			}
		}
	}
	return o, ""
}
