// Package audit runs Lucid's offline audit of a text classifier in one
// streaming pass over a labelled file: bias in the data itself, group
// fairness metrics (pairwise differences with Newcombe score intervals
// tested by Fisher's exact test and Holm-corrected; a bootstrap only for
// the max − min disparities, which have no closed form), matched
// comparisons within frames, counterfactual identity-term swaps (the
// worst ones explained), CheckList-style consistency tests, accuracy by
// data slice, faithfulness of each explanation method, the stability of
// explanations across seeds and budgets, per-group thresholds fitted or
// judged, and a user-written test suite. It returns one Report, which the
// report package renders as HTML and which is written as report.json.
//
// Memory stays flat however long the file: rows are read one at a time and
// scored in batches; what is kept is per group, per term pair, or a fixed
// sample of rows (bottom-k by a hash of the text, Sample) for the checks
// that need to re-run the model many times per row (consistency tests,
// explanations).
//
// A multi-label classifier (a sigmoid per label) is audited one label at
// a time over the same single pass, every label's group tests one Holm
// family (multilabel.go; Report.MultiLabel); a
// regression head's groups are compared by their mean score, and its
// counterfactual swaps by the mean score change (heads.go, regcf.go;
// Report.GroupMeans, Report.RegressionCounterfactual).
//
// That state is a State, and it merges: States built from parts of the
// data, on one machine or many (the Beam pipeline in beam/), merge into
// the State of the whole, and Finish gives the same report. Run is one
// State fed batch by batch.
package audit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/lucid-nlp/lucid/attribution"
	"github.com/lucid-nlp/lucid/attribution/faithfulness"
	"github.com/lucid-nlp/lucid/dataset"
	"github.com/lucid-nlp/lucid/engine"
	"github.com/lucid-nlp/lucid/fairness/consistency"
	"github.com/lucid-nlp/lucid/fairness/counterfactual"
	"github.com/lucid-nlp/lucid/fairness/paired"
	"github.com/lucid-nlp/lucid/fairness/pairtext"
	"github.com/lucid-nlp/lucid/fairness/stats"
	"github.com/lucid-nlp/lucid/fairness/suite"
	"github.com/lucid-nlp/lucid/fairness/thresholds"
	"github.com/lucid-nlp/lucid/models"
)

// The checks an audit can run.
const (
	CheckGroups         = "groups"
	CheckCounterfactual = "counterfactual"
	CheckConsistency    = "consistency"
	CheckSlices         = "slices"
	CheckFaithfulness   = "faithfulness"
	CheckStability      = "stability"
	// CheckData scans the data itself for label skew by identity term and
	// group (fairness/databias); alone, it needs no model.
	CheckData = "data"
)

// AllChecks lists every check, in report order.
var AllChecks = []string{CheckData, CheckGroups, CheckCounterfactual, CheckConsistency, CheckSlices, CheckFaithfulness, CheckStability}

// Config says what to audit and how.
type Config struct {
	// Source is the data, read row by row; Name names it in the report and
	// errors (and picks the format by extension when Dataset.Format is Auto).
	Source  io.Reader
	Name    string
	Dataset dataset.Options
	// Positive is the label treated as the favourable outcome (default: a
	// label named "positive", else the last label).
	Positive string
	// Checks to run (default AllChecks). Group metrics need group columns.
	Checks []string
	// Families are the identity-term families (default: the built-ins).
	Families []counterfactual.Family
	Seed     uint64
	// BatchSize is the rows per prediction call (default 256).
	BatchSize int
	// Resamples and MinGroupSize configure the group metrics' bootstrap.
	Resamples    int
	MinGroupSize int
	// ConsistencyRows is the size of the random sample of rows the
	// consistency tests edit (default 1,000); ExplainRows the sample
	// explained for faithfulness and stability (default 16).
	ConsistencyRows int
	ExplainRows     int
	// Methods are compared for faithfulness (default kernelshap, lime,
	// occlusion, and ig when the model has the embedding graphs).
	Methods []attribution.Method
	// Budget is the explanation budget (default 256); WorstPairs the
	// number of counterfactual swaps explained (default 3).
	Budget     int
	WorstPairs int
	// CounterfactualPartners is how many partners in each other group
	// every name of a name family is paired with (0: the default, 5; −1:
	// every name of the group); Seed picks them
	// (counterfactual.Config.Partners).
	CounterfactualPartners int
	// MaxSkippedExamples bounds the malformed rows quoted in the report
	// (default 20); all are counted.
	MaxSkippedExamples int
	// PairCol names the frame column of a matched design (a template id,
	// a counterfactual pair id): groups are then also compared within each
	// frame (fairness/paired). Empty means no matched analysis.
	PairCol string
	// TextPairCol names the second text of sentence pairs (NLI, paraphrase,
	// question and passage): every row is then scored as a pair, with the
	// tokenizer's pair template (the classifier must be a PairClassifier).
	// The checks carry a pair as one string, "text ␞ text_pair" (package
	// fairness/pairtext), which is how the report shows it. PairSide says
	// which text counterfactual swaps and consistency edits change (default
	// both); Symmetric adds the order-swap invariance test (A, B against B,
	// A) for symmetric tasks. Explanations (faithfulness, stability, the
	// worst swaps) explain each pair as a pair; the worst swaps' are
	// reported on the joined pair (joinedResult).
	TextPairCol string
	PairSide    pairtext.Side
	Symmetric   bool
	// Intersections are crosses of group columns ("gender" × "age"), each
	// audited as one more group column whose values are "x | y".
	Intersections [][]string
	// MissingAsGroup makes an empty group value an ordinary group (a
	// reference candidate, part of the pairwise tests); by default it is
	// reported as its own row and left out of the disparities.
	MissingAsGroup bool
	// MaxGroups caps the distinct values kept per group column; the rest
	// are pooled into "other (N groups)" (default group.DefaultMaxGroups).
	MaxGroups int
	// Tolerance is the practical threshold for score and rate differences
	// between groups, in pairs and within frames (default 0.1).
	Tolerance float64
	// MaxSkippedShare: when more than this share of the rows read is
	// skipped as malformed, the audit judges nothing but the data (default
	// 0.01).
	MaxSkippedShare float64
	// Progress, when set, is called after every batch.
	Progress func(Progress)
	// Bytes, when set, reports how many bytes of Source have been read, for
	// progress estimates.
	Bytes func() int64
	// ModelName names the model in the report (default: a
	// *models.Classifier's folder).
	ModelName string
	// Labels name the classes when Run is given no classifier (a
	// data-only audit, ModelFree); a classifier's labels are used otherwise.
	Labels []string
	// FitThresholds, when set, fits group thresholds under this
	// constraint on the labelled rows (Report.ThresholdFit, the content of
	// thresholds.json); Thresholds, when set, applies a fitted file to
	// every row and judges it against the model's own decisions
	// (Report.Thresholds). Not both in one run. ThresholdCol is the group
	// column (default: the file's column when applying, the first group
	// column when fitting).
	FitThresholds thresholds.Constraint
	Thresholds    *thresholds.File
	ThresholdCol  string
	// ScoreCol and PredictionCol, when set, audit outputs given in the
	// data instead of a model's: ScoreCol holds the positive class's
	// probability or score in [0, 1], PredictionCol the predicted label
	// (a name from Labels or a class index). With both, the label is the
	// decision and the score feeds the matched frames and thresholds; a
	// score alone decides two labels (above 0.5: positive); a label
	// alone scores 1 or 0. A cell that is empty, not a number or out of
	// range makes its row malformed. Run is then given no classifier and
	// Labels name the classes; the checks that run the model on new
	// texts are skipped (Report.SkippedChecks), or an error when asked
	// for by name.
	ScoreCol      string
	PredictionCol string
	// Suite, when set, is a user-written test suite (fairness/suite) run
	// through the model after the other checks, with Tolerance as its
	// tolerance and the consistency check's failure-rate rule; its
	// result is Report.Suite. It needs a model.
	Suite *suite.Suite
	// Head is the kind of classifier audited when the classifier does not
	// say (an audit of given outputs, or a model whose config.json lacks
	// problem_type): engine.SingleLabel (the default), MultiLabel or
	// Regression. A classifier that says its head (HeadOf) is audited as
	// that. A multi-label audit runs the checks once per label
	// (multilabel.go, Report.MultiLabel); a regression audit
	// compares group means of the score (Report.GroupMeans) and, with
	// PairCol, paired score differences within frames, and skips the
	// checks defined on decisions (Report.SkippedChecks says why).
	Head engine.Head
	// ScoreTolerance is a regression audit's tolerance in the score's
	// units, for differences of group means and paired score differences
	// (default group.DefaultMeanTolerance, 0.1).
	ScoreTolerance float64
	// Multi-label gold labels come from LabelListCol, one cell listing
	// the row's labels ("toxic|insult" split on LabelSep, default "|", or
	// a JSON list ["toxic", "insult"]; an empty cell or [] is a row with
	// no label), or from LabelCols, one 0/1 column per label named as the
	// label (true/false, yes/no also read; an empty cell leaves that
	// label unlabelled for the row). Without either, Dataset.LabelCol is
	// read as a list column, and with no label column at all the audit
	// is unlabelled.
	LabelListCol string
	LabelSep     string
	LabelCols    []string
	// Threshold decides each label of a multi-label audit: predicted
	// when its probability is at least the threshold (default 0.5);
	// LabelThresholds overrides it per label (as lucid predict
	// --label-thresholds reads them).
	Threshold       float64
	LabelThresholds map[string]float64
	// ThresholdSet makes a Threshold of 0 mean 0 (every label predicted),
	// not the default.
	ThresholdSet bool
	// ScoreCols audit a multi-label classifier's given outputs: one
	// column per label (aligned with Labels) holding that label's
	// probability in [0, 1].
	ScoreCols []string
	// decisionThreshold, set for one label of a multi-label audit of
	// given outputs, decides it: score ≥ threshold is the label.
	decisionThreshold float64
	decisionSet       bool
	// WeightCol names a column of row weights (lucid augment --reweigh
	// writes one) that the data scan (CheckData) sums by group and label
	// over the labelled rows: DataBias.Weighted, the weighted
	// group-by-label table of each group column. It needs the data check
	// and a group column.
	WeightCol string
}

// Progress is the state of a running audit.
type Progress struct {
	Rows, Skipped int
	Elapsed       time.Duration
	Stage         string
}

func (c *Config) defaults(labels []string) error {
	if c.OutputsGiven() {
		checks, _, err := c.outputChecks()
		if err != nil {
			return err
		}
		c.Checks = checks
		if err := c.validateOutputs(labels); err != nil {
			return err
		}
	}
	if len(c.Checks) == 0 {
		c.Checks = AllChecks
	}
	for _, ch := range c.Checks {
		if !slices.Contains(AllChecks, ch) {
			return fmt.Errorf("audit: unknown check %q (want %s)", ch, strings.Join(AllChecks, ", "))
		}
	}
	if c.BatchSize <= 0 {
		c.BatchSize = 256
	}
	if c.ConsistencyRows <= 0 {
		c.ConsistencyRows = 1000
	}
	if c.ExplainRows <= 0 {
		c.ExplainRows = 16
	}
	if c.Budget <= 0 {
		c.Budget = 256
	}
	if c.WorstPairs <= 0 {
		c.WorstPairs = 3
	}
	if c.MaxSkippedExamples <= 0 {
		c.MaxSkippedExamples = 20
	}
	if c.Tolerance == 0 {
		c.Tolerance = paired.DefaultTolerance
	}
	if c.MaxSkippedShare == 0 {
		c.MaxSkippedShare = DefaultMaxSkippedShare
	}
	if c.Head != engine.Regression && !(c.Tolerance > 0 && c.Tolerance < 1) {
		return fmt.Errorf("audit: tolerance %v: want a difference between 0 and 1, like 0.1", c.Tolerance)
	}
	if !(c.MaxSkippedShare > 0 && c.MaxSkippedShare <= 1) {
		return fmt.Errorf("audit: maximum skipped share %v: want a share in (0, 1], like 0.01", c.MaxSkippedShare)
	}
	for _, x := range c.Intersections {
		if len(x) < 2 {
			return fmt.Errorf("audit: an intersection needs two or more group columns, got %q", x)
		}
	}
	if c.Families == nil {
		c.Families = counterfactual.Families()
	}
	if c.WeightCol != "" && (!c.has(CheckData) || len(c.Dataset.GroupCols)+len(c.Intersections) == 0) {
		return fmt.Errorf("audit: the weight column %q weighs the data scan's group-by-label table: run --checks data with a --group-col", c.WeightCol)
	}
	c.Dataset.Labels = labels
	return nil
}

// DefaultMaxSkippedShare is the share of malformed rows above which an
// audit reports the data problem instead of verdicts.
const DefaultMaxSkippedShare = 0.01

func (c *Config) has(check string) bool { return slices.Contains(c.Checks, check) }

// Classifier is what the audit runs: labels and batched predictions.
// *models.Classifier is one; tests use pure-Go models with planted effects.
type Classifier interface {
	Labels() []string
	Predict(ctx context.Context, texts []string) ([]models.Prediction, error)
}

// columnSet maps the columns the audit reads (group columns, the
// intersections' parts, the frame column) to their place in a row's
// Groups, reading each column once.
type columnSet struct {
	names []string
	roles []string // what each column was first asked for, for errors
	index map[string]int
}

func (c *columnSet) add(name, role string) int {
	if i, ok := c.index[name]; ok {
		return i
	}
	if c.index == nil {
		c.index = map[string]int{}
	}
	c.index[name] = len(c.names)
	c.names = append(c.names, name)
	c.roles = append(c.roles, role)
	return len(c.names) - 1
}

// groupColumn is one audited group column: a real one, or an
// intersection whose value joins its parts.
type groupColumn struct {
	name  string
	parts []int // indexes into the row's Groups
}

// value is the row's group in this column; an intersection with a missing
// part is missing.
func (g groupColumn) value(groups []string) string {
	if len(g.parts) == 1 {
		return groups[g.parts[0]]
	}
	vals := make([]string, len(g.parts))
	for i, p := range g.parts {
		if groups[p] == "" {
			return ""
		}
		vals[i] = groups[p]
	}
	return strings.Join(vals, " | ")
}

// classifierAdapter lets the fairness packages score texts through the
// Classifier's batched Predict.
type classifierAdapter struct{ clf Classifier }

func (a classifierAdapter) Labels() []string { return a.clf.Labels() }

// Head passes the classifier's head on to the fairness packages
// (scoring.HeadOf).
func (a classifierAdapter) Head() engine.Head { return HeadOf(a.clf) }

func (a classifierAdapter) Probabilities(ctx context.Context, texts []string) ([][]float64, error) {
	preds, err := a.clf.Predict(ctx, texts)
	if err != nil {
		return nil, err
	}
	out := make([][]float64, len(preds))
	for i, p := range preds {
		if p.Err != nil {
			return nil, fmt.Errorf("audit: scoring %q: %w", abbreviate(p.Text), p.Err)
		}
		out[i] = p.Probabilities
	}
	return out, nil
}

// Run audits clf on the rows of cfg.Source. Explanations (faithfulness,
// stability, the worst counterfactual pairs) go through x, which may be nil
// when no check that explains is asked for.
//
// Run is ReadBatches into one State, then Finish: the same accumulators a
// distributed audit merges.
//
// When ctx is cancelled while the file is read, Run stops reading, computes
// what needs no more model runs from the rows read so far, and returns that
// report marked Partial together with ctx's error, so an interrupted audit
// still leaves its findings.
func Run(ctx context.Context, clf Classifier, x *attribution.Explainer, cfg Config) (*Report, error) {
	start := time.Now()
	head, err := settleHead(clf, cfg)
	if err != nil {
		return nil, err
	}
	if head == engine.MultiLabel || len(cfg.ScoreCols) > 0 {
		return runMultiLabel(ctx, clf, cfg, start)
	}
	if clf == nil && cfg.Suite != nil {
		return nil, fmt.Errorf("audit: the test suite %q runs the model on its texts: give a model (not --checks data alone, --score-col or --prediction-col)", cfg.Suite.Name)
	}
	if clf == nil && head != engine.Regression { // a data-only audit, or of given outputs; NewState would make a merge-only State
		if _, err := auditLabels(nil, cfg); err != nil {
			return nil, err
		}
	}
	st, err := NewState(clf, cfg)
	if err != nil {
		return nil, err
	}
	if x == nil && (st.cfg.has(CheckFaithfulness) || st.cfg.has(CheckStability)) {
		return nil, errors.New("audit: the faithfulness and stability checks need an explainer")
	}
	var timings []Timing
	progress := func(stage string) {
		if cfg.Progress != nil {
			cfg.Progress(Progress{Rows: st.rows, Skipped: st.skipped, Elapsed: time.Since(start), Stage: stage})
		}
	}
	var interrupted error
	readStart := time.Now()
	err = ReadBatches(ctx, cfg.Source, cfg.Name, st.ReaderOptions(), st.cfg.BatchSize, func(b Batch) error {
		if err := st.Add(ctx, b); err != nil {
			return err
		}
		if len(b.Rows) > 0 {
			progress("reading")
		}
		return nil
	})
	if err != nil {
		// A model run or a read that failed because the audit was
		// interrupted is an interruption, not a failure.
		if ctx.Err() == nil {
			return nil, err
		}
		interrupted = ctx.Err()
	}
	timings = append(timings, Timing{Phase: "reading", Seconds: time.Since(readStart).Seconds(), Items: st.rows})
	rep, err := finish(ctx, st, clf, x, interrupted, start, timings)
	if rep != nil {
		progress("done")
	}
	return rep, err
}

// Finish runs the checks that need more than the merged counts (the
// counterfactual, consistency, faithfulness and stability checks re-run
// the model on the samples), judges everything and returns the report.
// clf and x are as for Run; clf may be nil for a data-only audit.
func Finish(ctx context.Context, s *State, clf Classifier, x *attribution.Explainer) (*Report, error) {
	if x == nil && (s.cfg.has(CheckFaithfulness) || s.cfg.has(CheckStability)) {
		return nil, errors.New("audit: the faithfulness and stability checks need an explainer")
	}
	if clf != nil && !slices.Equal(clf.Labels(), s.labels) {
		return nil, fmt.Errorf("audit: the classifier's labels %q are not the State's %q", clf.Labels(), s.labels)
	}
	s.clf = clf
	return finish(ctx, s, clf, x, nil, time.Now(), nil)
}

func finish(ctx context.Context, s *State, clf Classifier, x *attribution.Explainer, interrupted error, start time.Time, timings []Timing) (*Report, error) {
	cfg := s.cfg
	model := cfg.ModelName
	if c, ok := clf.(*models.Classifier); ok && model == "" {
		model = c.Folder.Dir
	}
	rep := &Report{Model: model, Data: cfg.Name, Labels: s.labels, Positive: s.positive, Seed: cfg.Seed,
		GeneratedAt: start.UTC().Format(time.RFC3339), Checks: cfg.Checks, Rule: decisionRule(cfg), Timings: timings,
		Rows: s.rows, Labelled: s.labelled, Skipped: s.skipped, SkippedExamples: s.skippedExamples, SkippedChecks: s.skippedChecks,
		ScoreCol: cfg.ScoreCol, PredictionCol: cfg.PredictionCol, Head: headName(cfg.Head)}
	for _, t := range timings {
		if t.Phase == "reading" && t.Seconds > 0 {
			rep.RowsPerSecond = float64(t.Items) / t.Seconds
		}
	}
	rep.Reconciliation = s.reconciliation
	clock := newClock(rep)
	if interrupted != nil {
		rep.Partial = true
		rep.PartialReason = fmt.Sprintf("interrupted (%v) after %d rows; checks that run the model after reading were not run", interrupted, rep.Rows)
	}
	if rep.Rows == 0 {
		if interrupted != nil {
			// Interrupted before a row was scored: still a report, partial,
			// with the lines read so far reconciled, so that every
			// interrupted run leaves an account of itself.
			rep.Seconds = time.Since(start).Seconds()
			rep.Summary = summarize(rep, cfg)
			return rep, interrupted
		}
		return nil, fmt.Errorf("audit: %s has no readable rows (%d skipped)", cfg.Name, rep.Skipped)
	}
	if s.scan != nil {
		rep.DataBias = s.scan.Result()
		if s.wtab != nil {
			rep.DataBias.Weighted = s.wtab.Result()
		}
	}
	scored := clf != nil || cfg.OutputsGiven()
	if scored && cfg.Head != engine.Regression {
		rep.Prediction = wilsonRate(s.positives, rep.Rows)
	}
	if rep.Labelled > 0 && scored {
		acc := wilsonRate(s.correct, rep.Labelled)
		rep.Accuracy = &acc
	}
	rep.Unlabelled = rep.Rows - rep.Labelled

	clock.start(CheckGroups)
	for i, a := range s.accs {
		gr, err := a.Result(cfg.Seed + uint64(i))
		if err != nil {
			return nil, fmt.Errorf("audit: group metrics for %s: %w", s.gcols[i].name, err)
		}
		rep.Groups = append(rep.Groups, gr)
	}
	for _, m := range s.means {
		rep.GroupMeans = append(rep.GroupMeans, m.Result())
	}
	if s.rcf != nil {
		rep.RegressionCounterfactual = s.rcf.result()
	}
	for _, a := range s.pairs {
		rep.Paired = append(rep.Paired, a.Result())
	}
	if s.thr != nil {
		if err := s.thr.result(rep, cfg, s.positive); err != nil {
			return nil, fmt.Errorf("audit: thresholds on %s: %w", s.thr.column, err)
		}
	}
	clock.stop(0)
	if s.slicer != nil && rep.Labelled > 0 {
		rep.Slices = s.slicer.Result()
	}
	finished := func() (*Report, error) {
		rep.Seconds = time.Since(start).Seconds()
		rep.Summary = summarize(rep, cfg)
		return rep, interrupted
	}
	if interrupted != nil {
		return finished()
	}
	adapter := s.adapter()
	stage := func(name string) {
		if cfg.Progress != nil {
			cfg.Progress(Progress{Rows: s.rows, Skipped: s.skipped, Elapsed: time.Since(start), Stage: name})
		}
	}
	if s.cf != nil {
		stage("counterfactual")
		clock.start(CheckCounterfactual)
		res, err := s.cf.Result(ctx)
		if err != nil {
			return nil, err
		}
		rep.Counterfactual = &Counterfactual{Result: res}
		if x != nil {
			if err := explainWorst(ctx, x, rep.Counterfactual, s.positive, cfg); err != nil {
				return nil, err
			}
		}
		clock.stop(0)
	}
	if cfg.has(CheckConsistency) {
		stage("consistency")
		clock.start(CheckConsistency)
		runner, err := consistency.NewRunner(adapter, consistency.Config{Target: s.positive, Seed: cfg.Seed, BatchSize: cfg.BatchSize, Tolerance: cfg.Tolerance,
			Pairs: cfg.TextPairCol != "", PairSide: cfg.PairSide, Symmetric: cfg.Symmetric})
		if err != nil {
			return nil, err
		}
		items := s.consistencySample.Items()
		for _, t := range items {
			if err := runner.Add(ctx, t); err != nil {
				return nil, err
			}
		}
		res, err := runner.Result(ctx)
		if err != nil {
			return nil, err
		}
		rep.Consistency = &res
		clock.stop(len(items))
	}
	if cfg.Suite != nil && clf != nil {
		stage("suite")
		clock.start("suite")
		res, err := suite.Run(ctx, adapter, cfg.Suite, suite.Config{Seed: cfg.Seed, BatchSize: cfg.BatchSize, Tolerance: cfg.Tolerance})
		if err != nil {
			return nil, fmt.Errorf("audit: %w", err)
		}
		rep.Suite = res
		texts := 0
		for _, t := range res.Tests {
			texts += t.Texts
		}
		clock.stop(texts)
	}
	ex := newExplanations(x)
	ex.pairs = cfg.TextPairCol != ""
	explain := s.explainSample.Items()
	var err error
	if cfg.has(CheckFaithfulness) {
		stage("faithfulness")
		clock.start(CheckFaithfulness)
		if rep.Faithfulness, err = measureFaithfulness(ctx, ex, explain, methodsFor(cfg, clf), cfg); err != nil {
			return nil, err
		}
		clock.stop(len(explain))
	}
	if cfg.has(CheckStability) {
		stage("stability")
		clock.start(CheckStability)
		if rep.Stability, err = stability(ctx, ex, explain, cfg); err != nil {
			return nil, err
		}
		clock.stop(len(explain))
	}
	return finished()
}

func methodsFor(cfg Config, clf Classifier) []attribution.Method {
	if len(cfg.Methods) > 0 {
		return cfg.Methods
	}
	ms := []attribution.Method{attribution.MethodKernelSHAP, attribution.MethodLIME, attribution.MethodOcclusion}
	if c, ok := clf.(*models.Classifier); ok && c.Model.HasEmbeddingGraphs() {
		ms = append(ms, attribution.MethodPath)
	}
	return ms
}

// explainWorst explains both sides of the worst swaps with KernelSHAP on
// the positive label, and lines their words up.
func explainWorst(ctx context.Context, x *attribution.Explainer, cf *Counterfactual, positive string, cfg Config) error {
	for _, ex := range cf.Worst[:min(cfg.WorstPairs, len(cf.Worst))] {
		req := attribution.Request{Method: attribution.MethodKernelSHAP, Budget: cfg.Budget, Target: positive, Seed: cfg.Seed}
		a, b := req, req
		a.Text, b.Text = ex.Original, ex.Swap.Text
		pairs := cfg.TextPairCol != ""
		res, errs := x.ExplainAll(ctx, []attribution.Request{pairRequest(a, pairs), pairRequest(b, pairs)}, 2)
		if err := errors.Join(errs...); err != nil {
			return fmt.Errorf("audit: explaining a counterfactual pair: %w", err)
		}
		if pairs {
			// The swap's spans are the joined pair's: so are the
			// explanations' offsets, for the report to line them up.
			res[0], res[1] = joinedResult(res[0]), joinedResult(res[1])
		}
		es := ExplainedSwap{Example: ex, Original: res[0], Swapped: res[1]}
		if len(res[0].Features) == len(res[1].Features) {
			for i, f := range res[0].Features {
				g := res[1].Features[i]
				es.WordDeltas = append(es.WordDeltas, WordDelta{Original: f.Text, Swapped: g.Text, Before: f.Attribution, After: g.Attribution, Delta: g.Attribution - f.Attribution})
			}
		}
		cf.Explained = append(cf.Explained, es)
	}
	return nil
}

// explanations memoises explanations by request, so the checks that
// explain the same sampled texts with the same settings (faithfulness and
// stability) pay for each explanation once.
type explanations struct {
	x    *attribution.Explainer
	memo map[explanationKey]explained
	// pairs: the texts are sentence pairs joined by pairtext.Join, each
	// explained as a pair (pairRequest).
	pairs bool
}

type explanationKey struct {
	method     attribution.Method
	budget     int
	seed       uint64
	text       string
	target     string
	kernelW    float64
	steps      int
	featureLvl string
}

type explained struct {
	res *attribution.Result
	err error
}

func newExplanations(x *attribution.Explainer) *explanations {
	return &explanations{x: x, memo: map[explanationKey]explained{}}
}

func keyOf(r attribution.Request) explanationKey {
	return explanationKey{r.Method, r.Budget, r.Seed, r.Text, r.Target, r.KernelWidth, r.Steps, fmt.Sprint(r.Level)}
}

// all explains reqs, running only those not explained before, together so
// their rows share batches.
func (e *explanations) all(ctx context.Context, reqs []attribution.Request) ([]*attribution.Result, []error) {
	var todo []attribution.Request
	for _, r := range reqs {
		if _, ok := e.memo[keyOf(r)]; !ok {
			todo = append(todo, r)
		}
	}
	if len(todo) > 0 {
		res, errs := e.x.ExplainAll(ctx, e.pairRequests(todo), 0)
		for i, r := range todo {
			if ctx.Err() != nil && errs[i] != nil {
				continue // not memoised: a cancelled run says nothing
			}
			e.memo[keyOf(r)] = explained{res[i], errs[i]}
		}
	}
	out, errs := make([]*attribution.Result, len(reqs)), make([]error, len(reqs))
	for i, r := range reqs {
		ex, ok := e.memo[keyOf(r)]
		if !ok {
			errs[i] = ctx.Err()
			continue
		}
		out[i], errs[i] = ex.res, ex.err
	}
	return out, errs
}

// measureFaithfulness explains every sampled text with each method and scores the
// explanations' rankings. The texts' faithfulness curves run concurrently
// so their rows share the evaluator's batches.
func measureFaithfulness(ctx context.Context, ex *explanations, texts []string, methods []attribution.Method, cfg Config) ([]MethodFaithfulness, error) {
	var out []MethodFaithfulness
	for _, m := range methods {
		mf := MethodFaithfulness{Method: m}
		reqs := make([]attribution.Request, len(texts))
		for i, t := range texts {
			reqs[i] = attribution.Request{Text: t, Method: m, Budget: cfg.Budget, Seed: cfg.Seed}
		}
		start := time.Now()
		results, errs := ex.all(ctx, reqs)
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		scores := make([]*faithfulness.Result, len(results))
		var wg sync.WaitGroup
		for i, r := range results {
			if errs[i] != nil {
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				f, err := ex.x.Faithfulness(ctx, r, ex.pairRequest(reqs[i]), faithfulness.Options{})
				if err == nil {
					scores[i] = f
				}
			}()
		}
		wg.Wait()
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		wall := time.Since(start).Seconds()
		var evals float64
		var comp []float64
		for i, f := range scores {
			if f == nil {
				mf.Failed++
				continue
			}
			mf.Texts++
			comp = append(comp, f.Comprehensiveness)
			mf.Sufficiency += f.Sufficiency
			mf.AOPCDeletion += f.AOPCDeletion
			mf.AOPCInsertion += f.AOPCInsertion
			evals += float64(results[i].Evaluations)
		}
		if mf.Texts > 0 {
			n := float64(mf.Texts)
			c := stats.PairedSummary(comp, 0.95)
			mf.Comprehensiveness, mf.ComprehensivenessCI = c.Mean, stats.Interval{Low: c.Low, High: c.High}
			mf.Sufficiency /= n
			mf.AOPCDeletion /= n
			mf.AOPCInsertion /= n
			mf.Evaluations = evals / n
			mf.WallSeconds = wall / n
		}
		out = append(out, mf)
	}
	return out, nil
}

// stability explains the sampled texts under pairs of settings and compares
// the attributions' rankings. The first side of each pair is the setting
// faithfulness already explained, so only the second side costs runs.
func stability(ctx context.Context, ex *explanations, texts []string, cfg Config) ([]Stability, error) {
	type setting struct {
		method attribution.Method
		name   string
		a, b   attribution.Request
	}
	ks := attribution.Request{Method: attribution.MethodKernelSHAP, Budget: cfg.Budget, Seed: cfg.Seed}
	ks2 := ks
	ks2.Seed = cfg.Seed + 1
	ksBig := ks
	ksBig.Budget = 4 * cfg.Budget
	lime := attribution.Request{Method: attribution.MethodLIME, Budget: cfg.Budget, Seed: cfg.Seed}
	lime2 := lime
	lime2.Seed = cfg.Seed + 1
	settings := []setting{
		{attribution.MethodKernelSHAP, fmt.Sprintf("seed %d vs %d, budget %d", ks.Seed, ks2.Seed, ks.Budget), ks, ks2},
		{attribution.MethodKernelSHAP, fmt.Sprintf("budget %d vs %d", ks.Budget, ksBig.Budget), ks, ksBig},
		{attribution.MethodLIME, fmt.Sprintf("seed %d vs %d, budget %d", lime.Seed, lime2.Seed, lime.Budget), lime, lime2},
	}
	// Every second side runs at once, so all their rows share batches.
	var reqs []attribution.Request
	for _, s := range settings {
		for _, t := range texts {
			a, b := s.a, s.b
			a.Text, b.Text = t, t
			reqs = append(reqs, a, b)
		}
	}
	results, errs := ex.all(ctx, reqs)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []Stability
	for si, s := range settings {
		st := Stability{Method: s.method, Setting: s.name}
		var rhos, overlaps []float64
		for i := si * 2 * len(texts); i+1 < (si+1)*2*len(texts); i += 2 {
			if errs[i] != nil || errs[i+1] != nil || len(results[i].Features) < 2 {
				continue
			}
			a, b := values(results[i]), values(results[i+1])
			rho := consistency.SpearmanRank(a, b)
			if math.IsNaN(rho) {
				continue // constant attributions: no ranking to compare
			}
			rhos = append(rhos, rho)
			overlaps = append(overlaps, consistency.TopKOverlap(a, b, 3))
		}
		st.Texts = len(rhos)
		if st.Texts > 0 {
			r, o := stats.PairedSummary(rhos, 0.95), stats.PairedSummary(overlaps, 0.95)
			st.Spearman, st.SpearmanCI = r.Mean, stats.Interval{Low: r.Low, High: r.High}
			st.PBelow = oneSidedBelow(rhos, StabilityThreshold)
			st.Verdict = stats.Decide(stats.Evidence{Estimate: st.Spearman, Low: st.SpearmanCI.Low, High: st.SpearmanCI.High,
				P: st.PBelow, Lower: StabilityThreshold, Upper: 1})
			st.TopKOverlap = o.Mean
		}
		out = append(out, st)
	}
	return out, nil
}

// StabilityThreshold is the mean rank correlation between two runs below
// which explanations are judged unstable.
const StabilityThreshold = 0.8

// oneSidedBelow is the one-sided t-test p-value of "the mean of v is below
// level"; 1 (no evidence) with fewer than two values.
func oneSidedBelow(v []float64, level float64) float64 {
	d := make([]float64, len(v))
	for i, x := range v {
		d[i] = x - level
	}
	p := stats.PairedSummary(d, 0.95)
	if math.IsNaN(p.TP) {
		return 1 // one text: no evidence either way
	}
	if p.Mean < 0 {
		return p.TP / 2
	}
	return 1 - p.TP/2
}

func values(r *attribution.Result) []float64 {
	v := make([]float64, len(r.Features))
	for i, f := range r.Features {
		v[i] = f.Attribution
	}
	return v
}

func wilsonRate(k, n int) Rate {
	ci := stats.Wilson(k, n, stats.Z95)
	return Rate{Value: float64(k) / float64(n), Low: ci.Low, High: ci.High, Count: k, Of: n}
}

func abbreviate(s string) string {
	r := []rune(s)
	if len(r) <= 60 {
		return s
	}
	return string(r[:60]) + "…"
}
