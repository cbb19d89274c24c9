package audit

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/lucid-nlp/lucid/dataset"
	"github.com/lucid-nlp/lucid/engine"
	"github.com/lucid-nlp/lucid/fairness/consistency"
	"github.com/lucid-nlp/lucid/fairness/counterfactual"
	"github.com/lucid-nlp/lucid/fairness/databias"
	"github.com/lucid-nlp/lucid/fairness/group"
	"github.com/lucid-nlp/lucid/fairness/paired"
	"github.com/lucid-nlp/lucid/fairness/scoring"
	"github.com/lucid-nlp/lucid/models"
)

// State is the mergeable state of an audit's streaming pass: everything
// the audit learns from reading and scoring rows, before the checks that
// re-run the model on samples (Finish). Two States built from two parts of
// the data merge into the State of the whole, and Finish gives the same
// report however the rows were split, ordered or merged: counts are
// integers, float sums are exact, samples are bottom-k by a hash of the
// text, and ties are broken by content. This is what lets one machine
// (Run) and a Beam pipeline over many machines compute identical figures.
//
// A State is not safe for concurrent use; make one per worker and Merge.
type State struct {
	cfg      Config
	clf      Classifier // nil: merge and encode only, or a data-only audit
	labels   []string
	posIdx   int
	positive string

	// What the reader reads as "group" columns, and how the audited group
	// columns, the frame column and the thresholds column map onto them.
	read    columnSet
	gcols   []groupColumn
	frameAt int
	thrAt   int
	// textPairAt places the second text of sentence pairs (-1: none; pair.go).
	textPairAt int
	// scoreAt and predAt place the given outputs' columns (-1: none).
	scoreAt, predAt int
	skippedChecks   []SkippedCheck

	// columns are the reader's resolved column names, set by the first
	// batch; the accumulators are made then, so the report names columns
	// as the file spells them.
	columns *dataset.Columns
	accs    []*group.Accumulator
	pairs   []*paired.Accumulator
	scan    *databias.Scanner
	thr     *thresholdWork
	cf      *counterfactual.Audit
	slicer  *consistency.SliceAccuracy

	// means compare group means of a regression head's score (accs
	// stay empty then: there are no decisions to rate).
	means []*group.MeanAccumulator
	// rcf is a regression head's counterfactual check (regcf.go).
	rcf *regCounterfactual

	// wtab is the data scan's weighted table (Config.WeightCol), read
	// from the reader's column weightAt (-1: none).
	wtab     *databias.WeightedTable
	weightAt int

	consistencySample, explainSample *Sample

	rows, labelled, skipped, correct, positives int
	skippedExamples                             []SkippedRow
	reconciliation                              *dataset.Reconciliation
	files                                       int

	// goldPos counts the labelled rows whose label is the positive one.
	goldPos int
}

// NewState starts an empty State. clf scores the rows Add is given; it
// may be nil for a data-only audit, or for a State that only merges and
// encodes (then cfg.Labels must name the classifier's labels). cfg.Source
// is not used: rows come through Add.
func NewState(clf Classifier, cfg Config) (*State, error) {
	head, err := settleHead(clf, cfg)
	if err != nil {
		return nil, err
	}
	if head == engine.MultiLabel {
		return nil, errors.New("audit: a multi-label classifier is audited one label at a time by Run, a State per label over one reading of the file, not through one State")
	}
	cfg.Head = head
	labels := cfg.Labels
	if clf != nil {
		labels = clf.Labels()
	} else if head == engine.Regression {
		labels = regressionLabels(labels)
	} else if len(labels) < 2 {
		if _, err := auditLabels(nil, cfg); err != nil {
			return nil, err
		}
	}
	var skippedChecks []SkippedCheck
	if head == engine.Regression {
		if skippedChecks, err = cfg.regressionDefaults(clf != nil); err != nil {
			return nil, err
		}
	} else if cfg.OutputsGiven() {
		_, skippedChecks, _ = cfg.outputChecks() // an error is defaults'
	}
	if err := cfg.defaults(labels); err != nil {
		return nil, err
	}
	cfg.Labels = labels
	posIdx, err := scoring.TargetIndex(labels, cfg.Positive)
	if err != nil {
		return nil, fmt.Errorf("audit: positive label: %w", err)
	}
	s := &State{cfg: cfg, clf: clf, labels: labels, posIdx: posIdx, positive: labels[posIdx], frameAt: -1, thrAt: -1,
		scoreAt: -1, predAt: -1, skippedChecks: skippedChecks}
	for _, c := range cfg.Dataset.GroupCols {
		s.gcols = append(s.gcols, groupColumn{name: c, parts: []int{s.read.add(c, "group")}})
	}
	for _, x := range cfg.Intersections {
		gc := groupColumn{name: strings.Join(x, " × ")}
		for _, c := range x {
			gc.parts = append(gc.parts, s.read.add(c, "--group-cross"))
		}
		s.gcols = append(s.gcols, gc)
	}
	if cfg.PairCol != "" {
		s.frameAt = s.read.add(cfg.PairCol, "--pair-col")
	}
	thrCol, err := cfg.thresholdColumn()
	if err != nil {
		return nil, err
	}
	if thrCol != "" {
		s.thrAt = s.read.add(thrCol, "--threshold-col")
	}
	if cfg.ScoreCol != "" {
		s.scoreAt = s.read.add(cfg.ScoreCol, "--score-col")
	}
	if cfg.PredictionCol != "" {
		s.predAt = s.read.add(cfg.PredictionCol, "--prediction-col")
	}
	s.weightAt = -1
	if cfg.WeightCol != "" {
		s.weightAt = s.read.add(cfg.WeightCol, "--weight-col")
	}
	s.consistencySample = NewSample(cfg.ConsistencyRows, cfg.Seed, 1)
	s.explainSample = NewSample(cfg.ExplainRows, cfg.Seed, 2)
	if err := s.setupPairs(); err != nil {
		return nil, err
	}
	return s, nil
}

// ReaderOptions are the options a reader of the data must use: the
// configured ones, with every column the audit reads as a group column
// (group columns, intersections' parts, the frame and thresholds columns).
func (s *State) ReaderOptions() dataset.Options {
	o := s.cfg.Dataset
	o.GroupCols = slices.Clone(s.read.names)
	o.GroupRoles = slices.Clone(s.read.roles)
	return o
}

// Batch is one unit of work from a reader: rows, the malformed rows met
// on the way, and, on a file's last batch, the file's reconciliation.
type Batch struct {
	// Source names the file the rows come from.
	Source string
	// Columns are the reader's resolved column names.
	Columns dataset.Columns
	Rows    []dataset.Row
	Skipped []SkippedRow
	// Reconciliation is set on a file's last batch only.
	Reconciliation *dataset.Reconciliation
}

// ReadBatches reads r (named name, for errors and the report) in batches
// of size rows and hands each to emit, with the malformed rows met since
// the last one. The file's last batch carries its reconciliation, and is
// sent even when it holds no rows. When ctx is done the rows of the
// unfinished batch are dropped, the last batch (no rows, the skipped rows
// and the reconciliation so far) is still sent, and ctx's error returned.
func ReadBatches(ctx context.Context, r io.Reader, name string, opts dataset.Options, size int, emit func(Batch) error) error {
	rd, err := dataset.NewReader(r, name, opts)
	if err != nil {
		return err
	}
	defer rd.Close()
	cols := rd.Columns()
	var skipped []SkippedRow
	onSkip := func(re *dataset.RowError) {
		skipped = append(skipped, SkippedRow{Source: name, Line: re.Line, Reason: re.Reason})
	}
	readErr := rd.Batches(ctx, size, onSkip, func(rows []dataset.Row) error {
		b := Batch{Source: name, Columns: cols, Rows: slices.Clone(rows), Skipped: skipped}
		skipped = nil
		return emit(b)
	})
	if readErr != nil && ctx.Err() == nil {
		return readErr
	}
	rec := rd.Reconcile()
	if err := emit(Batch{Source: name, Columns: cols, Skipped: skipped, Reconciliation: &rec}); err != nil && readErr == nil {
		return err
	}
	return readErr
}

// init makes the accumulators once the columns' spellings are known.
func (s *State) init(cols dataset.Columns) error {
	if s.columns != nil {
		if !slices.Equal(s.columns.Groups, cols.Groups) || s.columns.Text != cols.Text || s.columns.Label != cols.Label {
			return fmt.Errorf("audit: the inputs' columns differ: text %q, label %q, groups %q in one; text %q, label %q, groups %q in another",
				s.columns.Text, s.columns.Label, s.columns.Groups, cols.Text, cols.Label, cols.Groups)
		}
		return nil
	}
	if len(cols.Groups) != len(s.read.names) {
		return fmt.Errorf("audit: the reader resolved %d group columns, want %d (%q)", len(cols.Groups), len(s.read.names), s.read.names)
	}
	c := cols
	c.Groups = slices.Clone(cols.Groups)
	s.columns = &c
	cfg := s.cfg
	for i := range s.gcols {
		if len(s.gcols[i].parts) == 1 {
			s.gcols[i].name = c.Groups[s.gcols[i].parts[0]]
		}
	}
	// An empty group value is "missing": its own row in the group
	// metrics, left out of the matched pairs unless asked.
	missing := []string{""}
	if cfg.MissingAsGroup {
		missing = nil
	}
	for _, gc := range s.gcols {
		if cfg.has(CheckGroups) && cfg.Head == engine.Regression {
			m, err := group.NewMeanAccumulator(group.MeanOptions{Column: gc.name, Tolerance: cfg.ScoreTolerance, MinGroupSize: cfg.MinGroupSize, MaxGroups: cfg.MaxGroups})
			if err != nil {
				return err
			}
			s.means = append(s.means, m)
		} else if cfg.has(CheckGroups) {
			a, err := group.NewAccumulator(group.Options{Column: gc.name, Positive: s.positive, Resamples: cfg.Resamples, MinGroupSize: cfg.MinGroupSize,
				ParityTolerance: cfg.Tolerance, MissingAsGroup: cfg.MissingAsGroup, MaxGroups: cfg.MaxGroups})
			if err != nil {
				return err
			}
			s.accs = append(s.accs, a)
		}
		if s.frameAt >= 0 {
			a, err := paired.NewAccumulator(paired.Options{Column: gc.name, FrameColumn: cfg.PairCol, Tolerance: cfg.Tolerance, Skip: missing})
			if err != nil {
				return err
			}
			s.pairs = append(s.pairs, a)
		}
	}
	if cfg.has(CheckData) {
		scan, err := newDataScan(cfg, s.labels, s.posIdx, s.gcols)
		if err != nil {
			return err
		}
		s.scan = scan
		if s.weightAt >= 0 {
			names := make([]string, len(s.gcols))
			for i, g := range s.gcols {
				names[i] = g.name
			}
			maxGroups := cfg.MaxGroups
			if maxGroups == 0 {
				maxGroups = databias.DefaultMaxGroups
			}
			if s.wtab, err = databias.NewWeightedTable(c.Groups[s.weightAt], names, s.labels, maxGroups); err != nil {
				return err
			}
		}
	}
	if s.thrAt >= 0 {
		thr, err := newThresholdWork(cfg, s.thrAt, s.positive)
		if err != nil {
			return err
		}
		thr.column = c.Groups[s.thrAt]
		s.thr = thr
	}
	if cfg.has(CheckCounterfactual) && cfg.Head == engine.Regression {
		s.rcf = newRegCounterfactual(cfg.Families, cfg.ScoreTolerance, cfg.Seed)
	} else if cfg.has(CheckCounterfactual) {
		cf, err := counterfactual.NewAudit(s.adapter(), counterfactual.Config{Families: cfg.Families, Target: s.positive, BatchSize: cfg.BatchSize, Tolerance: cfg.Tolerance,
			Partners: cfg.CounterfactualPartners, PartnerSeed: cfg.Seed, Pairs: cfg.TextPairCol != "", PairSide: cfg.PairSide})
		if err != nil {
			return err
		}
		s.cf = cf
	}
	if cfg.has(CheckSlices) {
		s.slicer = consistency.NewSliceAccuracy(consistency.BuiltinSlices)
	}
	return nil
}

// modelChecks reports whether the audit needs a model to score rows
// (every audit but a data-only one).
func (s *State) modelChecks() bool { return !ModelFree(s.cfg.Checks) }

// adapter scores texts for the fairness packages through the classifier;
// a State without one fails clearly if asked to score.
func (s *State) adapter() classifierAdapter {
	if s.clf == nil {
		return classifierAdapter{labelsOnly(s.labels)}
	}
	return classifierAdapter{s.clf}
}

// labelsOnly is the classifier of a State that merges and encodes but does
// not score.
type labelsOnly []string

func (l labelsOnly) Labels() []string { return l }

func (l labelsOnly) Predict(context.Context, []string) ([]models.Prediction, error) {
	return nil, errNoClassifier
}

var errNoClassifier = errors.New("audit: this State was made without a classifier: it merges and encodes, it cannot score rows")

// skip counts one malformed row, keeping the first few (by source and
// line) as examples.
func (s *State) skip(r SkippedRow) {
	s.skipped++
	s.skippedExamples = keepFirstSkipped(append(s.skippedExamples, r), s.cfg.MaxSkippedExamples)
}

// keepFirstSkipped orders skipped rows by source and line and keeps the
// first max: the same examples however the rows were split.
func keepFirstSkipped(rows []SkippedRow, max int) []SkippedRow {
	slices.SortStableFunc(rows, func(a, b SkippedRow) int {
		return cmp.Or(cmp.Compare(a.Source, b.Source), cmp.Compare(a.Line, b.Line), cmp.Compare(a.Reason, b.Reason))
	})
	if len(rows) > max {
		rows = rows[:max]
	}
	return rows
}

// Add scores a batch's rows with the State's classifier and accumulates
// them with its malformed rows and reconciliation. When scoring fails the
// State may hold part of the batch: discard it (a caller that retries
// starts from a fresh State, so no row is counted twice).
func (s *State) Add(ctx context.Context, b Batch) (err error) {
	if err := s.init(b.Columns); err != nil {
		return err
	}
	for _, r := range b.Skipped {
		s.skip(r)
	}
	if b.Reconciliation != nil {
		s.files++
		s.addReconciliation(*b.Reconciliation)
	}
	b = s.joinPairs(b)
	if len(b.Rows) == 0 {
		return nil
	}
	if s.clf == nil && !s.cfg.OutputsGiven() {
		if s.modelChecks() {
			return errNoClassifier
		}
		for _, row := range b.Rows { // data only: no predictions
			s.rows++
			if row.Label >= 0 {
				s.labelled++
			}
			if err := s.scanRow(row); err != nil {
				return err
			}
		}
		return nil
	}
	outs, err := s.outputs(ctx, b)
	if err != nil {
		return err
	}
	var regTexts []string
	var regScores []float64
	if s.rcf != nil {
		defer func() {
			if err == nil {
				err = s.rcf.add(ctx, s.clf, regTexts, regScores)
			}
		}()
	}
	for i, o := range outs {
		row := b.Rows[i]
		if o.malformed != "" {
			s.skip(SkippedRow{Source: b.Source, Line: row.Line, Reason: o.malformed})
			continue
		}
		s.rows++
		if s.cfg.Head == engine.Regression {
			s.addScore(row, o.score)
			regTexts = append(regTexts, row.Text)
			regScores = append(regScores, o.score)
			continue
		}
		yPred := o.label == s.posIdx
		if yPred {
			s.positives++
		}
		labelled := row.Label >= 0
		if labelled {
			s.labelled++
			if row.Label == s.posIdx {
				s.goldPos++
			}
			if o.label == row.Label {
				s.correct++
			}
			if s.slicer != nil {
				s.slicer.Add(row.Text, s.labels[row.Label], s.labels[o.label])
			}
		}
		for g, a := range s.accs {
			v := s.gcols[g].value(row.Groups)
			if labelled {
				a.Add(row.Label == s.posIdx, yPred, v)
			} else {
				a.AddUnlabelled(yPred, v)
			}
		}
		for g, a := range s.pairs {
			a.Add(row.Groups[s.frameAt], s.gcols[g].value(row.Groups), o.score, yPred)
		}
		if s.scan != nil {
			if err := s.scanRow(row); err != nil {
				return err
			}
		}
		if s.thr != nil {
			if err := s.thr.add(row.Groups, row.Text, o.score, yPred, labelled, labelled && row.Label == s.posIdx); err != nil {
				return err
			}
		}
		if s.cf != nil {
			// With --pair-col the frame also breaks each swap direction
			// down by template (counterfactual Result.Strata).
			frame := ""
			if s.frameAt >= 0 {
				frame = row.Groups[s.frameAt]
			}
			if err := s.cf.AddFramed(ctx, row.Text, frame); err != nil {
				return err
			}
		}
		s.consistencySample.Add(row.Text)
		s.explainSample.Add(row.Text)
	}
	if s.cf != nil {
		// A State is complete after every batch, so that it can be merged
		// or encoded at any point.
		return s.cf.Flush(ctx)
	}
	return nil
}

// rowOutput is one row's prediction: the model's, or read from the row's
// columns; malformed says why there is none.
type rowOutput struct {
	output
	malformed string
}

// outputs are the batch's predictions: read from the given outputs'
// columns, or made by the classifier.
func (s *State) outputs(ctx context.Context, b Batch) ([]rowOutput, error) {
	out := make([]rowOutput, len(b.Rows))
	if s.cfg.OutputsGiven() {
		for i, row := range b.Rows {
			out[i].output, out[i].malformed = s.readOutput(row)
		}
		return out, nil
	}
	texts := make([]string, len(b.Rows))
	for i, r := range b.Rows {
		texts[i] = r.Text
	}
	preds, err := s.clf.Predict(ctx, texts)
	if err != nil {
		return nil, err
	}
	if len(preds) != len(texts) {
		return nil, fmt.Errorf("audit: the classifier returned %d predictions for %d texts", len(preds), len(texts))
	}
	for i, p := range preds {
		if p.Err != nil {
			out[i].malformed = p.Err.Error()
			continue
		}
		out[i].output = output{label: p.LabelIndex, score: p.Probabilities[s.posIdx]}
	}
	return out, nil
}

// addReconciliation adds one file's (or another State's) account of lines.
func (s *State) addReconciliation(r dataset.Reconciliation) {
	if s.reconciliation == nil {
		c := r
		s.reconciliation = &c
		return
	}
	s.reconciliation.Add(r)
}

// addScore accumulates one row of a regression audit: its score in each
// group column's means and, with a frame column, the frame's paired
// comparison (whose decision argument is unused by the score tests).
func (s *State) addScore(row dataset.Row, score float64) {
	for g, m := range s.means {
		m.Add(score, s.gcols[g].value(row.Groups))
	}
	for g, a := range s.pairs {
		a.Add(row.Groups[s.frameAt], s.gcols[g].value(row.Groups), score, false)
	}
}
