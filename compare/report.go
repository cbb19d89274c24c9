// Package compare checks consistency between two models on one file
// (prediction agreement, flips by slice and group, the shift in the
// positive-class probability, the rows that changed most, and how far the
// two models' explanations agree) and between two files under one model
// (does accuracy and every group metric hold from one dataset to another:
// a distribution-shift check). Both stream their files in batches, keep
// bounded state (per slice, per group, a top-k heap, a fixed sample), and
// judge every effect with the one decision rule, fairness/stats.Decide.
// Their Report is written as report.json and rendered by the report
// package as report.html.
package compare

import (
	"github.com/lucid-nlp/lucid/audit"
	"github.com/lucid-nlp/lucid/dataset"
	"github.com/lucid-nlp/lucid/fairness/stats"
)

// The kinds of comparison.
const (
	KindModels = "models"
	KindShift  = "shift"
)

// Report is everything a comparison found; report.json is its JSON form.
type Report struct {
	// Kind is KindModels (two models, one file) or KindShift (one model,
	// two files).
	Kind string `json:"kind"`
	// ModelA and ModelB name the models (ModelB empty for a shift);
	// DataA and DataB the files (DataB empty for two models).
	ModelA      string   `json:"model_a"`
	ModelB      string   `json:"model_b,omitempty"`
	DataA       string   `json:"data_a"`
	DataB       string   `json:"data_b,omitempty"`
	Labels      []string `json:"labels"`
	Positive    string   `json:"positive_label"`
	Seed        uint64   `json:"seed"`
	GeneratedAt string   `json:"generated_at"`

	// Partial is set when the comparison was interrupted: the figures
	// cover the rows read until then.
	Partial       bool   `json:"partial"`
	PartialReason string `json:"partial_reason,omitempty"`

	// Rule is the decision rule and the thresholds every verdict used.
	Rule audit.Rule `json:"decision_rule"`

	// Skipped counts the malformed rows of every file read (and rows a
	// model could not score); SkippedExamples quotes the first.
	Skipped         int                `json:"skipped_rows"`
	SkippedExamples []audit.SkippedRow `json:"skipped_examples,omitempty"`
	// Reconciliation accounts for every line of each file, in order.
	Reconciliation []dataset.Reconciliation `json:"reconciliation,omitempty"`
	Seconds        float64                  `json:"seconds"`

	// Summary is what a person reads first: one finding per check.
	Summary []audit.Finding `json:"summary"`

	Models *Models `json:"models,omitempty"`
	Shift  *Shift  `json:"shift,omitempty"`
}

// Models compares two models' predictions on the same rows.
type Models struct {
	// Rows were scored by both models; Labelled of them have a label.
	Rows     int `json:"rows"`
	Labelled int `json:"labelled_rows"`
	// Agreement is the share of rows both models give the same label.
	Agreement audit.Rate `json:"agreement"`
	// Flips is the share of rows whose label differs (1 − agreement),
	// judged one-sided against the flip tolerance; PositiveToNegative
	// and NegativeToPositive split them by direction (A's label to B's)
	// for the positive label.
	Flips              FlipCell `json:"flips"`
	PositiveToNegative int      `json:"positive_to_negative"`
	NegativeToPositive int      `json:"negative_to_positive"`
	// AccuracyA and AccuracyB are each model's accuracy on the labelled
	// rows; AccuracyDifference is B − A on the same rows, with a paired
	// interval and McNemar's exact test (the sign test on the rows only
	// one model gets right). Nil without labels.
	AccuracyA          *audit.Rate `json:"accuracy_a,omitempty"`
	AccuracyB          *audit.Rate `json:"accuracy_b,omitempty"`
	AccuracyDifference *Paired     `json:"accuracy_difference,omitempty"`
	// Delta is the signed change in p(positive), B − A, per row;
	// AbsDelta its absolute value, judged one-sided against the
	// tolerance ("mean |Δp| ≤ tolerance").
	Delta    Paired `json:"delta"`
	AbsDelta Paired `json:"abs_delta"`
	// BySlice breaks the flips down by the built-in slices of
	// fairness/consistency (short, long, negation, ...), ByGroup by the
	// values of each group column. Each cell is judged against the flip
	// tolerance, Holm-corrected within its table.
	BySlice []FlipCell   `json:"by_slice"`
	ByGroup []GroupFlips `json:"by_group,omitempty"`
	// Changed are the rows whose p(positive) moved most, largest |Δp|
	// first (at most Config.TopChanged).
	Changed []ChangedRow `json:"changed"`
	// Explanations compares the two models' explanations of a sample.
	Explanations *ExplanationAgreement `json:"explanations,omitempty"`
}

// Paired is a paired difference summarised (mean, t interval, sign
// counts, tests) with the evidence the rule judged and its verdict.
type Paired struct {
	Summary  stats.Paired   `json:"summary"`
	Evidence stats.Evidence `json:"evidence"`
	Verdict  stats.Verdict  `json:"verdict"`
}

// FlipCell is the flips among some rows: a slice, a group, or all.
type FlipCell struct {
	Name  string `json:"name"`
	Rows  int    `json:"rows"`
	Flips int    `json:"flips"`
	// Rate is Flips / Rows with its Wilson 95% interval.
	Rate float64        `json:"rate"`
	CI   stats.Interval `json:"ci"`
	// RawP is the exact one-sided binomial p-value of "the flip rate is
	// at most the tolerance"; Evidence carries it Holm-corrected within
	// the table.
	RawP     float64        `json:"raw_p"`
	Evidence stats.Evidence `json:"evidence"`
	Verdict  stats.Verdict  `json:"verdict"`
}

// GroupFlips is the flips by the values of one group column.
type GroupFlips struct {
	Column string     `json:"column"`
	Groups []FlipCell `json:"groups"`
	// Pooled is how many distinct values beyond Config.MaxGroups were
	// counted together as one "other" group.
	Pooled int `json:"pooled_groups,omitempty"`
}

// ChangedRow is one row whose prediction moved.
type ChangedRow struct {
	Line   int      `json:"line"`
	Text   string   `json:"text"`
	Label  string   `json:"label,omitempty"`
	Groups []string `json:"groups,omitempty"`
	LabelA string   `json:"label_a"`
	LabelB string   `json:"label_b"`
	PA     float64  `json:"p_a"`
	PB     float64  `json:"p_b"`
	// Delta is PB − PA in p(positive).
	Delta float64 `json:"delta"`
}

// ExplanationAgreement compares the two models' explanations of the same
// sampled texts: the Spearman rank correlation of the attributions, per
// text and on average.
type ExplanationAgreement struct {
	Method string `json:"method"`
	Budget int    `json:"budget"`
	// Texts were explained by both models with the same number of
	// features; Failed could not be compared (an error, a constant
	// explanation, one feature).
	Texts  int `json:"texts"`
	Failed int `json:"failed"`
	// Spearman is the mean rank correlation with its t interval; PBelow
	// the one-sided t-test p-value of "the mean is below Threshold".
	Spearman   float64        `json:"mean_spearman"`
	SpearmanCI stats.Interval `json:"mean_spearman_ci"`
	PBelow     float64        `json:"p_below_threshold"`
	Threshold  float64        `json:"threshold"`
	Verdict    stats.Verdict  `json:"verdict"`
	// TopKOverlap is the mean share of the 3 strongest words both
	// explanations pick.
	TopKOverlap float64        `json:"mean_top3_overlap"`
	PerText     []TextSpearman `json:"per_text"`
}

// TextSpearman is one text's rank correlation between the two models'
// explanations (NaN, as null, when it could not be computed).
type TextSpearman struct {
	Text string `json:"text"`
	// Spearman and Overlap are nil when the pair could not be compared
	// (Error says why).
	Spearman *float64 `json:"spearman"`
	Overlap  *float64 `json:"top3_overlap"`
	Error    string   `json:"error,omitempty"`
}

// Shift compares one model on two files.
type Shift struct {
	A DataSummary `json:"a"`
	B DataSummary `json:"b"`
	// Tests are every metric compared between the files, B − A: overall
	// accuracy and positive rate, then each group's accuracy, positive
	// rate, TPR and FPR, then each group column's positive-rate gap
	// (highest minus lowest group). P-values are Holm-corrected across
	// all of them.
	Tests []ShiftTest `json:"tests"`
	// Verdict is the worst of the tests'.
	Verdict stats.Verdict `json:"verdict"`
}

// DataSummary is one file's overall figures.
type DataSummary struct {
	Name         string      `json:"name"`
	Rows         int         `json:"rows"`
	Labelled     int         `json:"labelled_rows"`
	Accuracy     *audit.Rate `json:"accuracy,omitempty"`
	PositiveRate audit.Rate  `json:"positive_rate"`
}

// ShiftTest is one metric on both files.
type ShiftTest struct {
	// Column and Group name the rows ("" for all rows; Group "" with a
	// Column for the column's gap).
	Column string `json:"column,omitempty"`
	Group  string `json:"group,omitempty"`
	Metric string `json:"metric"`
	// A and B are the metric on each file with its n (the gap has no
	// counts: Count and Of are 0, the interval a bootstrap one).
	A audit.Rate `json:"a"`
	B audit.Rate `json:"b"`
	// Difference is B − A with its 95% interval (Newcombe's for a rate,
	// parametric bootstrap for a gap); Test names the test of RawP.
	Difference float64        `json:"difference"`
	CI         stats.Interval `json:"ci"`
	Test       string         `json:"test"`
	RawP       float64        `json:"raw_p"`
	Evidence   stats.Evidence `json:"evidence"`
	Verdict    stats.Verdict  `json:"verdict"`
}
