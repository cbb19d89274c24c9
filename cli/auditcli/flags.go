// Package auditcli holds the flags of an audit and what they turn into:
// their definitions, their limits and checks (a bad value is a UsageError,
// exit 2), the audit.Config they build, the model they open, and the
// report folder an audit writes. Two programs share it: `lucid audit` on
// one machine and `lucid-beam audit` (the beam module), whose workers
// receive the Flags inside their DoFns, so Flags holds plain,
// JSON-serialisable fields only.
package auditcli

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"slices"
	"strings"

	"github.com/lucid-nlp/lucid/attribution"
	"github.com/lucid-nlp/lucid/audit"
	"github.com/lucid-nlp/lucid/dataset"
	"github.com/lucid-nlp/lucid/fairness/counterfactual"
	"github.com/lucid-nlp/lucid/fairness/group"
	"github.com/lucid-nlp/lucid/fairness/scoring"
	"github.com/lucid-nlp/lucid/fairness/suite"
	"github.com/lucid-nlp/lucid/fairness/thresholds"
	"github.com/lucid-nlp/lucid/internal/bytesize"
	"github.com/lucid-nlp/lucid/internal/readcap"
)

// The audit flags' documented limits: a value beyond one is a usage
// error, checked before anything is allocated.
const (
	// MaxBudget is the most model evaluations one explanation may spend.
	MaxBudget = attribution.MaxBudget
	// MaxBatch is the most rows sent to ONNX Runtime at once.
	MaxBatch = 4096
	// MaxResamples bounds the bootstrap resamples of the group metrics.
	MaxResamples = 100_000
	// MaxSampleRows bounds --consistency-rows.
	MaxSampleRows = 1_000_000
	// MaxExplainRows bounds --explain-rows (each row is explained by every
	// method, at --budget evaluations each).
	MaxExplainRows = 10_000
	// MaxMinGroupSize bounds --min-group-size.
	MaxMinGroupSize = 1_000_000_000
	// MaxGroupValues bounds --max-groups (each kept group is a row of the
	// report and a bootstrap of its own).
	MaxGroupValues = 100_000
	// MaxCFPartners bounds --cf-partners (each partner is one more swap of
	// every text that mentions a name).
	MaxCFPartners = 1000
)

// UsageError marks an error that is the caller's to fix: a bad flag
// value, an unknown label. Commands exit with status 2 on it.
type UsageError struct{ Msg string }

func (e UsageError) Error() string { return e.Msg }

// Usagef formats a UsageError.
func Usagef(format string, a ...any) error { return UsageError{fmt.Sprintf(format, a...)} }

// Flags are an audit's flags as plain values. The model fields (Model,
// Device, Threads, Sessions, OrtLib) are registered by the command, which
// may share them with its other subcommands (RegisterModel registers them
// for a command that has none).
type Flags struct {
	Data            string     `json:"data"`
	Format          string     `json:"format"`
	TextCol         string     `json:"text_col"`
	LabelCol        string     `json:"label_col"`
	GroupCols       []string   `json:"group_cols"`
	Checks          []string   `json:"checks"`
	FamiliesFile    string     `json:"families_file"`
	Families        []string   `json:"families"`
	Out             string     `json:"out"`
	Positive        string     `json:"positive"`
	Seed            uint64     `json:"seed"`
	Batch           int        `json:"batch"`
	Resamples       int        `json:"resamples"`
	MinGroupSize    int        `json:"min_group_size"`
	ConsistencyRows int        `json:"consistency_rows"`
	ExplainRows     int        `json:"explain_rows"`
	Budget          int        `json:"budget"`
	Methods         []string   `json:"methods"`
	PairCol         string     `json:"pair_col"`
	CFPartners      int        `json:"cf_partners"`
	GroupCross      [][]string `json:"group_cross"`
	MissingGroup    string     `json:"missing_group"`
	Tolerance       float64    `json:"tolerance"`
	MaxSkippedShare float64    `json:"max_skipped_share"`
	MaxGroups       int        `json:"max_groups"`
	Strict          bool       `json:"strict"`
	MaxFieldSize    string     `json:"max_field_size"`
	FailOn          string     `json:"fail_on"`
	Progress        string     `json:"progress"`
	FitThresholds   string     `json:"fit_thresholds"`
	Thresholds      string     `json:"thresholds"`
	ThresholdCol    string     `json:"threshold_col"`
	AppendHistory   string     `json:"append_history"`
	ScoreCol        string     `json:"score_col"`
	PredictionCol   string     `json:"prediction_col"`
	Labels          []string   `json:"label_names"`
	// Suite is a user-written test suite file (fairness/suite, JSON).
	Suite string `json:"suite,omitempty"`
	// WeightCol is a column of row weights the data scan sums by group
	// and label (audit.Config.WeightCol).
	WeightCol string `json:"weight_col,omitempty"`
	// TextPairCol, PairSide and Symmetric audit sentence pairs
	// (audit.Config.TextPairCol).
	TextPairCol string `json:"text_pair_col,omitempty"`
	PairSide    string `json:"pair_side,omitempty"`
	Symmetric   bool   `json:"symmetric,omitempty"`

	// Multi-label and regression heads (heads.go).
	LabelListCol    string   `json:"label_list_col,omitempty"`
	LabelSep        string   `json:"label_sep,omitempty"`
	LabelCols       []string `json:"label_cols,omitempty"`
	Threshold       float64  `json:"threshold,omitempty"`
	LabelThresholds string   `json:"label_thresholds,omitempty"`
	ScoreCols       []string `json:"score_cols,omitempty"`
	Regression      bool     `json:"regression,omitempty"`
	ScoreTolerance  float64  `json:"score_tolerance,omitempty"`

	Model    string `json:"model"`
	Device   string `json:"device"`
	Threads  int    `json:"threads"`
	Sessions int    `json:"sessions"`
	OrtLib   string `json:"ort_lib"`
	// Head overrides config.json's problem_type (single-label,
	// multi-label or regression); "" keeps it.
	Head string `json:"head,omitempty"`
}

// StringList is a repeatable or comma-separated flag.
type StringList []string

func (s *StringList) String() string { return strings.Join(*s, ",") }

// Set adds v's comma-separated, non-empty parts.
func (s *StringList) Set(v string) error {
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			*s = append(*s, p)
		}
	}
	return nil
}

// crossList is a repeatable --group-cross: each value names two or more
// group columns, comma-separated.
type crossList [][]string

func (c *crossList) String() string {
	var parts []string
	for _, x := range *c {
		parts = append(parts, strings.Join(x, ","))
	}
	return strings.Join(parts, " ")
}

func (c *crossList) Set(v string) error {
	var cols []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			cols = append(cols, p)
		}
	}
	if len(cols) < 2 {
		return fmt.Errorf("%q: name two or more group columns, comma-separated, like gender,age", v)
	}
	*c = append(*c, cols)
	return nil
}

// Register defines the audit's flags (all but the model's) on fs, with
// their defaults, and returns the Flags they fill.
func Register(fs *flag.FlagSet) *Flags {
	f := &Flags{Device: "cpu", Sessions: 1}
	fs.StringVar(&f.Data, "data", "", "the labelled file: .csv, .tsv or .jsonl (required)")
	fs.StringVar(&f.Format, "format", "", "csv, tsv or jsonl (default: from the extension)")
	fs.StringVar(&f.TextCol, "text-col", "", "text column (default: text, sentence or content)")
	fs.StringVar(&f.LabelCol, "label-col", "", "label column (default: label, if present)")
	fs.Var((*StringList)(&f.GroupCols), "group-col", "group column for fairness metrics (repeat or comma-separate)")
	fs.Var((*StringList)(&f.Checks), "checks", "checks to run (default all): "+strings.Join(audit.AllChecks, ","))
	fs.StringVar(&f.FamiliesFile, "families", "", `JSON file of extra identity-term families: {"family": [["a1","a2"],["b1","b2"]]}`)
	fs.Var((*StringList)(&f.Families), "family", "restrict the counterfactual audit to these families (built-in: gender,names,religion,nationality,age)")
	fs.StringVar(&f.Out, "out", "lucid-audit", "folder for report.json and report.html")
	fs.StringVar(&f.Positive, "positive", "", "the favourable label (default: one named positive, else the last)")
	fs.Uint64Var(&f.Seed, "seed", 1, "seed for bootstrap, sampling and explanations")
	fs.IntVar(&f.Batch, "batch", 256, fmt.Sprintf("rows per prediction batch, 1 to %d", MaxBatch))
	fs.IntVar(&f.Resamples, "resamples", 1000, fmt.Sprintf("bootstrap resamples for the group metrics, 1 to %d", MaxResamples))
	fs.IntVar(&f.MinGroupSize, "min-group-size", 30, fmt.Sprintf("groups smaller than this are flagged, 0 to %d", MaxMinGroupSize))
	fs.IntVar(&f.ConsistencyRows, "consistency-rows", 1000, fmt.Sprintf("random sample of rows the consistency tests edit, 0 to %d", MaxSampleRows))
	fs.IntVar(&f.ExplainRows, "explain-rows", 16, fmt.Sprintf("random sample of rows explained for faithfulness and stability, 0 to %d", MaxExplainRows))
	fs.IntVar(&f.Budget, "budget", 256, fmt.Sprintf("explanation budget (model evaluations), 1 to %d", MaxBudget))
	fs.Var((*StringList)(&f.Methods), "methods", "explanation methods compared for faithfulness (default kernelshap,lime,occlusion,ig)")
	fs.StringVar(&f.PairCol, "pair-col", "", "frame column of a matched design (a template or pair id): groups are also compared within each frame, paired")
	fs.StringVar(&f.TextPairCol, "text-pair-col", "", "second text column of sentence pairs (NLI, paraphrase, question and passage): rows are scored as pairs with the tokenizer's pair template, longest-first truncation")
	fs.StringVar(&f.PairSide, "pair-side", "both", "with --text-pair-col: which text counterfactual swaps and consistency edits change: first, second or both")
	fs.BoolVar(&f.Symmetric, "symmetric", false, "with --text-pair-col: add the order-swap invariance test (text, text_pair) against (text_pair, text), for symmetric tasks")
	fs.IntVar(&f.CFPartners, "cf-partners", counterfactual.DefaultPartners, "partners per name and target group in the name families' swaps (seeded by --seed); -1 pairs every name with every name of the group")
	fs.Var((*crossList)(&f.GroupCross), "group-cross", "audit the intersection of group columns, e.g. gender,age (repeatable); values become \"f | 30-40\"")
	fs.StringVar(&f.MissingGroup, "missing-group", "exclude", "an empty group value: exclude (its own row, never compared) or as-group (an ordinary group)")
	fs.Float64Var(&f.Tolerance, "tolerance", 0.1, "practical threshold for differences between groups (rates, paired scores), in (0, 1)")
	fs.Float64Var(&f.MaxSkippedShare, "max-skipped-share", audit.DefaultMaxSkippedShare, "above this share of malformed rows the audit judges nothing but the data, in (0, 1]")
	fs.IntVar(&f.MaxGroups, "max-groups", group.DefaultMaxGroups, fmt.Sprintf("distinct values kept per group column; the rest are pooled as \"other (N groups)\", 2 to %d", MaxGroupValues))
	fs.BoolVar(&f.Strict, "strict", false, "stop at the first malformed row instead of reporting it and going on")
	fs.StringVar(&f.MaxFieldSize, "max-field-size", "1MiB", "largest CSV/TSV/JSONL field; a longer one, or a runaway quote, costs its own line, reported where the quote opened")
	fs.StringVar(&f.FailOn, "fail-on", "never", "exit 3 when a finding is at least: fail, warn or never")
	fs.StringVar(&f.Progress, "progress", "auto", "progress on stderr: auto (when a terminal), always or never")
	fs.StringVar(&f.FitThresholds, "fit-thresholds", "", "fit group thresholds and write OUT/thresholds.json: demographic-parity, equal-opportunity or equalized-odds")
	fs.StringVar(&f.Thresholds, "thresholds", "", "a thresholds.json to judge on --data: disparity and accuracy before and after")
	fs.StringVar(&f.ThresholdCol, "threshold-col", "", "the group column thresholds are fitted on (default: the first --group-col) or applied to (default: the file's)")
	fs.StringVar(&f.AppendHistory, "append-history", "", "JSONL file to add this run's figures (metrics.csv's rows) and verdicts to; report.html plots the whole-data figures' trend when it holds two or more runs")
	fs.StringVar(&f.ScoreCol, "score-col", "", "audit given outputs, no model: the column of the positive class's probability or score, in [0, 1] (above 0.5 predicts it when there is no --prediction-col)")
	fs.StringVar(&f.PredictionCol, "prediction-col", "", "audit given outputs, no model: the column of the predicted label (a name from the labels, or a class index)")
	fs.Var((*StringList)(&f.Labels), "label-names", "the class names, in class-index order, for an audit with no model (--score-col, --prediction-col, --checks data); default: the --model folder's config.json")
	fs.StringVar(&f.WeightCol, "weight-col", "", "a column of row weights (lucid augment --reweigh writes one): the data scan adds the weighted group-by-label table of each --group-col, P_w(label | group)")
	registerHeads(fs, f)
	fs.StringVar(&f.Suite, "suite", "", "a JSON test suite of your own (templates with {slot} lexicons; mft, inv and dir tests) run through the model; README \"Your own test suites\"")
	return f
}

// Validate checks every flag against its limit and spelling, in the order
// `lucid audit` reports them, without reading any file.
func (f *Flags) Validate() error {
	if err := firstError(
		IntFlag("batch", f.Batch, 1, MaxBatch),
		IntFlag("resamples", f.Resamples, 1, MaxResamples),
		IntFlag("min-group-size", f.MinGroupSize, 0, MaxMinGroupSize),
		IntFlag("consistency-rows", f.ConsistencyRows, 0, MaxSampleRows),
		IntFlag("explain-rows", f.ExplainRows, 0, MaxExplainRows),
		IntFlag("budget", f.Budget, 1, MaxBudget),
		IntFlag("cf-partners", f.CFPartners, -1, MaxCFPartners),
		IntFlag("max-groups", f.MaxGroups, 2, MaxGroupValues),
		ShareFlag("tolerance", f.Tolerance, false),
		ShareFlag("max-skipped-share", f.MaxSkippedShare, true),
	); err != nil {
		return err
	}
	if err := f.validatePairs(); err != nil {
		return err
	}
	if f.MissingGroup != "exclude" && f.MissingGroup != "as-group" {
		return Usagef("--missing-group %q: want exclude or as-group", TermSafe(f.MissingGroup))
	}
	if _, err := f.fieldBytes(); err != nil {
		return err
	}
	if f.FailOn != "fail" && f.FailOn != "warn" && f.FailOn != "never" {
		return Usagef("--fail-on %q: want fail, warn or never", f.FailOn)
	}
	if f.Progress != "auto" && f.Progress != "always" && f.Progress != "never" {
		return Usagef("--progress %q: want auto, always or never", f.Progress)
	}
	for _, c := range f.Checks {
		if !slices.Contains(audit.AllChecks, c) {
			return Usagef("--checks: unknown check %q (want %s)", c, strings.Join(audit.AllChecks, ", "))
		}
	}
	if f.OutputsGiven() {
		if f.ScoreCol != "" && f.ScoreCol == f.PredictionCol {
			return Usagef("--score-col and --prediction-col are both %q: one column holds the positive class's score, the other the predicted label", TermSafe(f.ScoreCol))
		}
		for _, c := range f.Checks {
			if why, ok := audit.ModelOnlyCheck(c); ok {
				return Usagef("--checks %s needs the model, not its outputs: %s (an audit of --score-col/--prediction-col runs %s)", c, why, strings.Join(audit.OutputChecks(), ","))
			}
		}
		if f.ScoreCol == "" && (f.FitThresholds != "" || f.Thresholds != "") {
			return Usagef("--fit-thresholds and --thresholds act on the positive class's score: give --score-col (--prediction-col %q holds labels only)", TermSafe(f.PredictionCol))
		}
	}
	if err := f.validateHeads(); err != nil {
		return err
	}
	if f.WeightCol != "" && len(f.Checks) > 0 && !slices.Contains(f.Checks, audit.CheckData) {
		return Usagef("--weight-col %q weighs the data scan: add data to --checks", TermSafe(f.WeightCol))
	}
	if f.WeightCol != "" && len(f.GroupCols)+len(f.GroupCross) == 0 {
		return Usagef("--weight-col %q weighs the group-by-label table of a group column: give --group-col", TermSafe(f.WeightCol))
	}
	if f.Suite != "" && f.ModelFree() {
		return Usagef("--suite %q runs the model on its texts: it cannot run with --checks data alone, --score-col or --prediction-col", TermSafe(f.Suite))
	}
	if len(f.Labels) == 1 {
		return Usagef("--label-names %q: name two or more classes, comma-separated, in class-index order", TermSafe(f.Labels[0]))
	}
	if f.FitThresholds != "" {
		if _, err := thresholds.ParseConstraint(f.FitThresholds); err != nil {
			return Usagef("--fit-thresholds %q: want demographic-parity, equal-opportunity or equalized-odds", TermSafe(f.FitThresholds))
		}
		if f.Thresholds != "" {
			return Usagef("--fit-thresholds and --thresholds: fit on one file, judge on another (the same rows would flatter the rules)")
		}
		if len(f.GroupCols) == 0 && f.ThresholdCol == "" {
			return Usagef("--fit-thresholds needs a group column: --group-col (or --threshold-col)")
		}
	}
	return nil
}

func (f *Flags) fieldBytes() (int64, error) {
	n, err := bytesize.Parse(f.MaxFieldSize)
	if err != nil || n < 1 || n > dataset.MaxLineBytes {
		return 0, Usagef("--max-field-size %q: want a size from 1 byte to %d MiB, like 1MiB", TermSafe(f.MaxFieldSize), dataset.MaxLineBytes>>20)
	}
	return n, nil
}

// ModelFree reports whether the audit runs no model: --checks data alone,
// or an audit of given outputs (OutputsGiven).
func (f *Flags) ModelFree() bool { return audit.ModelFree(f.Checks) || f.OutputsGiven() }

// OutputsGiven reports whether the audit reads its predictions from the
// data (--score-col, --prediction-col).
func (f *Flags) OutputsGiven() bool {
	return f.ScoreCol != "" || f.PredictionCol != "" || len(f.ScoreCols) > 0
}

// AuditLabels are the class names of an audit that runs no model:
// --label-names when given, else modelLabels (the --model folder's
// config.json).
func (f *Flags) AuditLabels(modelLabels []string) []string {
	if len(f.Labels) > 0 {
		return f.Labels
	}
	return modelLabels
}

// Config validates the flags and builds the audit's configuration: it
// reads the --thresholds and --families files and checks --format against
// --data's name. Source, Progress, Bytes, ModelName and Labels are the
// caller's to set (a data-only audit, ModelFree, gets ModelName "none
// (data only)" and none of the model's settings).
func (f *Flags) Config() (audit.Config, error) {
	cfg, err := f.baseConfig()
	if err != nil {
		return cfg, err
	}
	return cfg, f.headConfig(&cfg)
}

func (f *Flags) baseConfig() (audit.Config, error) {
	if err := f.Validate(); err != nil {
		return audit.Config{}, err
	}
	fieldBytes, _ := f.fieldBytes()
	constraint, _ := thresholds.ParseConstraint(f.FitThresholds)
	if f.FitThresholds == "" {
		constraint = ""
	}
	var thrFile *thresholds.File
	if f.Thresholds != "" {
		var err error
		if thrFile, err = thresholds.Load(f.Thresholds); err != nil {
			return audit.Config{}, UsageError{TermSafe(err.Error())}
		}
	}
	format, err := dataset.ParseFormat(f.Format)
	if err != nil {
		return audit.Config{}, UsageError{err.Error()}
	}
	if format == dataset.Auto {
		// A file whose extension does not say its format (.txt, .json)
		// is the caller's to name with --format.
		if _, err := dataset.DetectFormat(f.Data); err != nil {
			return audit.Config{}, UsageError{err.Error()}
		}
	}
	var methods []attribution.Method
	for _, m := range f.Methods {
		mm, err := attribution.ParseMethod(m)
		if err != nil {
			return audit.Config{}, UsageError{err.Error()}
		}
		methods = append(methods, mm)
	}
	fams := counterfactual.Families()
	if f.FamiliesFile != "" {
		extra, err := counterfactual.LoadFamilies(f.FamiliesFile)
		if err != nil {
			return audit.Config{}, err
		}
		fams = append(fams, extra...)
	}
	if len(f.Families) > 0 {
		if fams, err = counterfactual.SelectFamilies(fams, f.Families...); err != nil {
			return audit.Config{}, UsageError{err.Error()}
		}
	}
	dopts := dataset.Options{Format: format, TextCol: f.TextCol, LabelCol: f.LabelCol, GroupCols: f.GroupCols, Strict: f.Strict, MaxFieldBytes: int(fieldBytes)}
	if f.OutputsGiven() {
		// The same audit as a model's, minus the model's settings: the
		// outputs come from the columns.
		return audit.Config{
			Name: f.Data, Dataset: dopts, Positive: f.Positive, Checks: f.Checks, Families: fams, Seed: f.Seed, BatchSize: f.Batch,
			Resamples: f.Resamples, MinGroupSize: f.MinGroupSize, PairCol: f.PairCol, Intersections: f.GroupCross, MissingAsGroup: f.MissingGroup == "as-group",
			Tolerance: f.Tolerance, MaxSkippedShare: f.MaxSkippedShare, MaxGroups: f.MaxGroups,
			FitThresholds: constraint, Thresholds: thrFile, ThresholdCol: f.ThresholdCol,
			ScoreCol: f.ScoreCol, PredictionCol: f.PredictionCol, Labels: f.Labels, ModelName: "none (outputs from " + outputsNamed(f) + ")",
			WeightCol: f.WeightCol,
		}, nil
	}
	if f.ModelFree() {
		return audit.Config{Name: f.Data, Dataset: dopts, Positive: f.Positive, Checks: f.Checks, Families: fams, Seed: f.Seed,
			BatchSize: f.Batch, MinGroupSize: f.MinGroupSize, Intersections: f.GroupCross, Tolerance: f.Tolerance, MaxSkippedShare: f.MaxSkippedShare,
			MaxGroups: f.MaxGroups, MissingAsGroup: f.MissingGroup == "as-group", ModelName: "none (data only)", Labels: f.Labels, WeightCol: f.WeightCol}, nil
	}
	var st *suite.Suite
	if f.Suite != "" {
		if st, err = loadSuite(f.Suite); err != nil {
			return audit.Config{}, err
		}
	}
	return audit.Config{
		Name:     f.Data,
		Dataset:  dopts,
		Positive: f.Positive, Checks: f.Checks, Families: fams, Seed: f.Seed, BatchSize: f.Batch,
		Resamples: f.Resamples, MinGroupSize: f.MinGroupSize, ConsistencyRows: f.ConsistencyRows, ExplainRows: f.ExplainRows,
		Methods: methods, Budget: f.Budget, PairCol: f.PairCol, CounterfactualPartners: f.CFPartners, Intersections: f.GroupCross, MissingAsGroup: f.MissingGroup == "as-group",
		Tolerance: f.Tolerance, MaxSkippedShare: f.MaxSkippedShare, MaxGroups: f.MaxGroups,
		FitThresholds: constraint, Thresholds: thrFile, ThresholdCol: f.ThresholdCol,
		Suite: st, WeightCol: f.WeightCol,
		TextPairCol: f.TextPairCol, PairSide: pairSide(f.PairSide), Symmetric: f.Symmetric,
	}, nil
}

// loadSuite reads a --suite file; a missing or malformed file is the
// caller's to fix.
func loadSuite(path string) (*suite.Suite, error) {
	b, err := readcap.ReadFile(context.Background(), path, "--suite file", readcap.MaxSuiteBytes)
	if err != nil {
		return nil, Usagef("--suite: %s", TermSafe(err.Error()))
	}
	st, err := suite.Load(bytes.NewReader(b), path)
	if err != nil {
		return nil, Usagef("--suite: %s", TermSafe(err.Error()))
	}
	return st, nil
}

// outputsNamed names the columns an audit of given outputs reads.
func outputsNamed(f *Flags) string {
	var parts []string
	if f.ScoreCol != "" {
		parts = append(parts, "--score-col "+f.ScoreCol)
	}
	if len(f.ScoreCols) > 0 {
		parts = append(parts, "--score-cols "+strings.Join(f.ScoreCols, ","))
	}
	if f.PredictionCol != "" {
		parts = append(parts, "--prediction-col "+f.PredictionCol)
	}
	return strings.Join(parts, ", ")
}

// CheckPositive checks --positive against the model's labels.
func (f *Flags) CheckPositive(labels []string) error {
	if f.Positive == "" {
		return nil
	}
	if _, err := scoring.TargetIndex(labels, f.Positive); err != nil {
		return Usagef("--positive %q: not one of the model's labels %s", TermSafe(f.Positive), TermSafe(strings.Join(labels, ", ")))
	}
	return nil
}

// CheckOutputs checks an audit of given outputs against the class
// names: a score alone decides between two classes only.
func (f *Flags) CheckOutputs(labels []string) error {
	if f.OutputsGiven() && f.PredictionCol == "" && len(labels) != 2 && len(f.ScoreCols) == 0 && !f.Regression {
		return Usagef("--score-col %q alone decides between two classes (above 0.5: the positive one), and there are %d (%s): give the predicted label too, --prediction-col",
			TermSafe(f.ScoreCol), len(labels), TermSafe(strings.Join(labels, ", ")))
	}
	return nil
}

// IntFlag checks that a flag's value lies in [lo, hi]; the error names the
// flag, the value and the limit.
func IntFlag(name string, v, lo, hi int) error {
	switch {
	case v < lo:
		return Usagef("--%s %d: want at least %d", name, v, lo)
	case v > hi:
		return Usagef("--%s %d: above the limit of %d", name, v, hi)
	}
	return nil
}

// ShareFlag checks that a flag's value is a share in (0, 1), or (0, 1]
// when closed; the error names the flag and the value.
func ShareFlag(name string, v float64, closed bool) error {
	if v > 0 && (v < 1 || (closed && v == 1)) {
		return nil
	}
	if closed {
		return Usagef("--%s %v: want a share above 0 and at most 1, like 0.01", name, v)
	}
	return Usagef("--%s %v: want a value strictly between 0 and 1, like 0.1", name, v)
}

// firstError returns the first non-nil error.
func firstError(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
