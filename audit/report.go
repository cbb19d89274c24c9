package audit

import (
	"github.com/lucid-nlp/lucid/attribution"
	"github.com/lucid-nlp/lucid/dataset"
	"github.com/lucid-nlp/lucid/fairness/consistency"
	"github.com/lucid-nlp/lucid/fairness/counterfactual"
	"github.com/lucid-nlp/lucid/fairness/databias"
	"github.com/lucid-nlp/lucid/fairness/group"
	"github.com/lucid-nlp/lucid/fairness/paired"
	"github.com/lucid-nlp/lucid/fairness/stats"
	"github.com/lucid-nlp/lucid/fairness/suite"
	"github.com/lucid-nlp/lucid/fairness/thresholds"
)

// Report is everything an audit found; report.json is its JSON form
// (schema: README.md, "Audit report").
type Report struct {
	// What was audited, and how.
	Model       string   `json:"model"`
	Data        string   `json:"data"`
	Labels      []string `json:"labels"`
	Positive    string   `json:"positive_label"`
	Seed        uint64   `json:"seed"`
	GeneratedAt string   `json:"generated_at"`
	Checks      []string `json:"checks"`
	// SkippedChecks are the checks not run, with why: an audit of given
	// outputs (ScoreCol, PredictionCol: where the predictions were read)
	// cannot run the checks that score new texts.
	SkippedChecks []SkippedCheck `json:"skipped_checks,omitempty"`
	ScoreCol      string         `json:"score_col,omitempty"`
	PredictionCol string         `json:"prediction_col,omitempty"`

	// Head is the kind of classifier audited: single-label, multi-label
	// or regression (engine.Head).
	Head string `json:"head,omitempty"`
	// Family, on a multi-label report, is the one Holm family of the
	// label-by-group verdict (labels × group columns × pairs × metrics).
	Family *stats.Family `json:"family,omitempty"`
	// MultiLabel holds a multi-label audit: every label's own report and
	// the label-by-group table.
	MultiLabel *MultiLabel `json:"multi_label,omitempty"`

	// Partial is set when the audit was interrupted: the figures cover the
	// rows read until then, and PartialReason says what was not run.
	Partial       bool   `json:"partial"`
	PartialReason string `json:"partial_reason,omitempty"`

	// Rule is the decision rule and the thresholds every verdict used.
	Rule Rule `json:"decision_rule"`

	// Rows scored, of which Labelled have a label and Unlabelled an empty
	// label cell (used by the label-free checks); rows skipped
	// (malformed), and the first reasons.
	Rows            int          `json:"rows"`
	Labelled        int          `json:"labelled_rows"`
	Unlabelled      int          `json:"unlabelled_rows"`
	Skipped         int          `json:"skipped_rows"`
	SkippedExamples []SkippedRow `json:"skipped_examples,omitempty"`
	// Reconciliation accounts for every line of the file: header, blank,
	// rows read, rows skipped by the reader (rows the model could not
	// read are then counted in Skipped too).
	Reconciliation *dataset.Reconciliation `json:"reconciliation,omitempty"`
	// Seconds is the whole audit's wall time; RowsPerSecond the reading
	// phase's rows (reading and scoring) per second, not mixed with the
	// later checks; Timings each phase's.
	Seconds       float64  `json:"seconds"`
	RowsPerSecond float64  `json:"rows_per_second"`
	Timings       []Timing `json:"timings"`

	// Accuracy over the labelled rows, with a Wilson 95% interval.
	Accuracy   *Rate `json:"accuracy,omitempty"`
	Prediction Rate  `json:"positive_prediction_rate"`

	// Summary is what a person reads first: one finding per check.
	Summary []Finding `json:"summary"`

	// DataBias is the data scan (CheckData): label skew by identity term
	// and group in the data itself, no model involved.
	DataBias       *databias.Report         `json:"data_bias,omitempty"`
	Groups         []*group.Report          `json:"groups,omitempty"`
	Paired         []*paired.Report         `json:"paired,omitempty"`
	Counterfactual *Counterfactual          `json:"counterfactual,omitempty"`
	Consistency    *consistency.Result      `json:"consistency,omitempty"`
	Slices         []consistency.SliceStats `json:"slices,omitempty"`
	Faithfulness   []MethodFaithfulness     `json:"faithfulness,omitempty"`
	Stability      []Stability              `json:"explanation_stability,omitempty"`

	// GroupMeans compare the groups of each column by the mean score of a
	// regression head (Welch intervals, one Holm family per column).
	GroupMeans []*group.MeanReport `json:"group_means,omitempty"`
	// RegressionCounterfactual is a regression head's counterfactual
	// check: the score change of identity-term swaps, per direction.
	RegressionCounterfactual *RegressionCounterfactual `json:"regression_counterfactual,omitempty"`

	// ThresholdFit is the group thresholds fitted (--fit-thresholds; the
	// content of thresholds.json), or ThresholdFitError why none were;
	// Thresholds is a fitted file judged on this data (--thresholds).
	ThresholdFit      *thresholds.File       `json:"threshold_fit,omitempty"`
	ThresholdFitError string                 `json:"threshold_fit_error,omitempty"`
	Thresholds        *thresholds.Evaluation `json:"thresholds,omitempty"`

	// Suite is the user-written test suite's result (--suite), one
	// verdict per test.
	Suite *suite.Result `json:"suite,omitempty"`
}

// Timing is one phase of the audit: reading (and scoring every row), then
// each check that runs after it.
type Timing struct {
	Phase   string  `json:"phase"`
	Seconds float64 `json:"seconds"`
	// Items is what the phase processed (rows read, rows sampled), 0 when
	// it has no natural unit.
	Items int `json:"items,omitempty"`
}

// Rule is the decision rule as the report states it: the text of the rule
// and each threshold it used.
type Rule struct {
	Text       string             `json:"text"`
	Alpha      float64            `json:"alpha"`
	Thresholds map[string]float64 `json:"thresholds"`
}

// SkippedRow is a malformed input row, reported and skipped.
type SkippedRow struct {
	// Source names the file, for an audit over several.
	Source string `json:"source,omitempty"`
	Line   int    `json:"line"`
	Reason string `json:"reason"`
}

// Rate is a proportion with its Wilson 95% interval.
type Rate struct {
	Value float64 `json:"value"`
	Low   float64 `json:"low"`
	High  float64 `json:"high"`
	Count int     `json:"count"`
	Of    int     `json:"of"`
}

// Finding is one line of the summary.
type Finding struct {
	// Check is groups, counterfactual, consistency, slices, faithfulness,
	// stability, data (the reading) or data_bias (the data scan).
	Check string `json:"check"`
	// Status is pass, warn or fail (or info for facts that are neither).
	Status  string `json:"status"`
	Message string `json:"message"`
}

// Counterfactual is the identity-term audit with its worst swaps explained.
type Counterfactual struct {
	counterfactual.Result
	// Explained are the worst swaps with both texts explained by the same
	// method: which words carry the difference.
	Explained []ExplainedSwap `json:"explained,omitempty"`
}

// ExplainedSwap is one counterfactual pair with an explanation of each side.
type ExplainedSwap struct {
	Example  counterfactual.Example `json:"example"`
	Original *attribution.Result    `json:"original"`
	Swapped  *attribution.Result    `json:"swapped"`
	// WordDeltas is, word by word when both texts have the same number of
	// words, the swapped attribution minus the original's.
	WordDeltas []WordDelta `json:"word_deltas,omitempty"`
}

// WordDelta is one word's attribution on both sides of a swap.
type WordDelta struct {
	Original string  `json:"original"`
	Swapped  string  `json:"swapped"`
	Before   float64 `json:"before"`
	After    float64 `json:"after"`
	Delta    float64 `json:"delta"`
}

// MethodFaithfulness averages one explanation method's faithfulness over
// the sampled rows.
type MethodFaithfulness struct {
	Method            attribution.Method `json:"method"`
	Texts             int                `json:"texts"`
	Failed            int                `json:"failed"`
	Comprehensiveness float64            `json:"comprehensiveness"`
	// ComprehensivenessCI is the t interval of the mean over the texts.
	ComprehensivenessCI stats.Interval `json:"comprehensiveness_ci"`
	Sufficiency         float64        `json:"sufficiency"`
	AOPCDeletion        float64        `json:"aopc_deletion"`
	AOPCInsertion       float64        `json:"aopc_insertion"`
	Evaluations         float64        `json:"evaluations_per_text"`
	WallSeconds         float64        `json:"wall_seconds_per_text"`
}

// Stability compares explanations of the same texts under two settings
// (another seed, another budget): mean Spearman rank correlation and top-k
// overlap of the attributions.
type Stability struct {
	Method   attribution.Method `json:"method"`
	Setting  string             `json:"setting"`
	Texts    int                `json:"texts"`
	Spearman float64            `json:"mean_spearman"`
	// SpearmanCI is the t interval of the mean over the texts.
	SpearmanCI stats.Interval `json:"mean_spearman_ci"`
	// PBelow is the one-sided t-test p-value of "the mean rank
	// correlation is below StabilityThreshold".
	PBelow float64 `json:"p_below_threshold"`
	// Verdict judges the mean rank correlation against
	// StabilityThreshold with the one rule.
	Verdict     stats.Verdict `json:"verdict"`
	TopKOverlap float64       `json:"mean_top3_overlap"`
}
