package compare

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"time"

	"github.com/lucid-nlp/lucid/attribution"
	"github.com/lucid-nlp/lucid/audit"
	"github.com/lucid-nlp/lucid/dataset"
	"github.com/lucid-nlp/lucid/fairness/consistency"
	"github.com/lucid-nlp/lucid/fairness/scoring"
	"github.com/lucid-nlp/lucid/fairness/stats"
	"github.com/lucid-nlp/lucid/models"
)

// Classifier is what a comparison runs: audit.Classifier, so
// *models.Classifier and the audit's pure-Go test models both fit.
type Classifier = audit.Classifier

// Explainer explains texts; *attribution.Explainer is one.
type Explainer interface {
	ExplainAll(ctx context.Context, reqs []attribution.Request, workers int) ([]*attribution.Result, []error)
}

// Defaults and limits.
const (
	// DefaultFlipTolerance is the share of rows two model versions may
	// label differently before the change counts as material.
	DefaultFlipTolerance = 0.05
	// DefaultTolerance is the practical region for differences in
	// probabilities and rates (CheckList's 0.1, as the audit uses).
	DefaultTolerance = 0.1
	// DefaultTopChanged is how many most-changed rows are kept.
	DefaultTopChanged = 20
	// MaxTopChanged bounds TopChanged: the rows are kept in memory.
	MaxTopChanged = 10_000
	// DefaultExplainRows is the sample whose explanations are compared.
	DefaultExplainRows = 16
	// DefaultMaxGroups caps the distinct values kept per group column.
	DefaultMaxGroups = 1000
	// DefaultResamples is the bootstrap resamples of the gap tests.
	DefaultResamples = 1000
	// ExplanationThreshold is the mean rank correlation below which two
	// models are judged to explain the same texts differently (the
	// audit's stability threshold).
	ExplanationThreshold = audit.StabilityThreshold
	// AccuracyTolerance is the practical region for an accuracy
	// difference (the audit's slice tolerance: 0.05 is already a gap an
	// auditor reports).
	AccuracyTolerance = consistency.SliceGapTolerance
)

// Config says what to compare and how.
type Config struct {
	// Source is the file (for two models) or the first file (for a
	// shift); Name names it. Source2 and Name2 are the second file of a
	// shift.
	Source  io.Reader
	Name    string
	Source2 io.Reader
	Name2   string
	Dataset dataset.Options
	// Positive is the favourable label (default: one named positive,
	// else the last).
	Positive string
	Seed     uint64
	// BatchSize is the rows per prediction call (default 256).
	BatchSize int
	// FlipTolerance is the flip rate judged immaterial (default 0.05);
	// Tolerance the practical region for |Δp| and rate differences
	// (default 0.1).
	FlipTolerance float64
	Tolerance     float64
	// TopChanged is how many most-changed rows to keep (default 20).
	TopChanged int
	// ExplainRows is the sample explained by both models (default 16;
	// negative: none); Budget the KernelSHAP budget (default 256).
	ExplainRows int
	Budget      int
	// MaxGroups caps the distinct values per group column (default
	// 1000); the rest are counted as one "other" group.
	MaxGroups int
	// MinGroupSize: groups with fewer rows in either file are left out of
	// the shift's gap (default 30).
	MinGroupSize int
	// Resamples for the shift's gap bootstrap (default 1000).
	Resamples int
	// MaxSkippedExamples bounds the malformed rows quoted (default 20).
	MaxSkippedExamples int
	// ModelA and ModelB name the models in the report.
	ModelA, ModelB string
}

func (c *Config) defaults() error {
	if c.BatchSize <= 0 {
		c.BatchSize = 256
	}
	if c.FlipTolerance == 0 {
		c.FlipTolerance = DefaultFlipTolerance
	}
	if c.Tolerance == 0 {
		c.Tolerance = DefaultTolerance
	}
	if !(c.FlipTolerance > 0 && c.FlipTolerance < 1) {
		return fmt.Errorf("compare: flip tolerance %v: want a share between 0 and 1, like 0.05", c.FlipTolerance)
	}
	if !(c.Tolerance > 0 && c.Tolerance < 1) {
		return fmt.Errorf("compare: tolerance %v: want a difference between 0 and 1, like 0.1", c.Tolerance)
	}
	if c.TopChanged == 0 {
		c.TopChanged = DefaultTopChanged
	}
	if c.TopChanged < 0 || c.TopChanged > MaxTopChanged {
		return fmt.Errorf("compare: top changed rows %d: want 0 to %d", c.TopChanged, MaxTopChanged)
	}
	if c.ExplainRows == 0 {
		c.ExplainRows = DefaultExplainRows
	}
	if c.Budget <= 0 {
		c.Budget = 256
	}
	if c.MaxGroups <= 0 {
		c.MaxGroups = DefaultMaxGroups
	}
	if c.MinGroupSize <= 0 {
		c.MinGroupSize = 30
	}
	if c.Resamples <= 0 {
		c.Resamples = DefaultResamples
	}
	if c.MaxSkippedExamples <= 0 {
		c.MaxSkippedExamples = 20
	}
	return nil
}

// rule is the decision rule as the report states it.
func rule(cfg Config) audit.Rule {
	return audit.Rule{Text: ruleText, Alpha: stats.DefaultAlpha, Thresholds: map[string]float64{
		"flip_rate":                        cfg.FlipTolerance,
		"probability_difference":           cfg.Tolerance,
		"accuracy_difference":              AccuracyTolerance,
		"shift_rate_difference":            cfg.Tolerance,
		"explanation_rank_correlation_min": ExplanationThreshold,
	}}
}

const ruleText = "Every effect is judged by one rule (fairness/stats.Decide): " + stats.RuleText + " " +
	"Here each effect's interval is its plain 95% one (Holm-corrected p-values are shown beside it where a table holds several tests); " +
	"flip rates and the mean |Δp| have the band [0, tolerance], so FAIL means their interval lies wholly above it."

// batches streams the rows of src in batches of cfg.BatchSize, counting
// malformed rows into rep; fn sees each batch. It returns the file's
// reconciliation and, when ctx was cancelled, ctx's error (the rows read
// until then have been passed to fn).
func batches(ctx context.Context, src io.Reader, name string, cfg Config, labels []string, rep *Report, fn func([]dataset.Row) error) error {
	opts := cfg.Dataset
	opts.Labels = labels
	rd, err := dataset.NewReader(src, name, opts)
	if err != nil {
		return err
	}
	defer rd.Close()
	err = rd.Batches(ctx, cfg.BatchSize, func(re *dataset.RowError) { rep.skip(re.Line, re.Reason, cfg) }, fn)
	if err != nil && ctx.Err() == nil {
		return err
	}
	// Interrupted (err is ctx's): the rows read so far are reconciled, and
	// the caller writes a partial report.
	rep.Reconciliation = append(rep.Reconciliation, rd.Reconcile())
	return err

}

func (r *Report) skip(line int, reason string, cfg Config) {
	r.Skipped++
	if len(r.SkippedExamples) < cfg.MaxSkippedExamples {
		r.SkippedExamples = append(r.SkippedExamples, audit.SkippedRow{Line: line, Reason: reason})
	}
}

func texts(rows []dataset.Row) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = r.Text
	}
	return out
}

func predict(ctx context.Context, clf Classifier, ts []string) ([]models.Prediction, error) {
	preds, err := clf.Predict(ctx, ts)
	if err != nil {
		return nil, err
	}
	if len(preds) != len(ts) {
		return nil, fmt.Errorf("compare: the model returned %d predictions for %d texts", len(preds), len(ts))
	}
	return preds, nil
}

// interrupted marks rep partial when err is ctx's cancellation and says
// whether it was.
func interrupted(ctx context.Context, err error, rep *Report, rows int) bool {
	if err == nil || ctx.Err() == nil || !errors.Is(err, ctx.Err()) {
		return false
	}
	rep.Partial = true
	rep.PartialReason = fmt.Sprintf("interrupted (%v) after %d rows; explanations were not compared", err, rows)
	return true
}

// RunModels compares a and b on the rows of cfg.Source. Explanations are
// compared through xa and xb (KernelSHAP, cfg.Budget) when both are set
// and cfg.ExplainRows > 0. The models must have the same labels.
//
// When ctx is cancelled while the file is read, RunModels returns the report
// of the rows read so far, marked Partial, together with ctx's error.
func RunModels(ctx context.Context, a, b Classifier, xa, xb Explainer, cfg Config) (*Report, error) {
	start := time.Now()
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	if cfg.Source == nil {
		return nil, errors.New("compare: no data to compare the models on")
	}
	labels := a.Labels()
	if !slices.Equal(labels, b.Labels()) {
		return nil, fmt.Errorf("compare: the models' labels differ: %q and %q", labels, b.Labels())
	}
	posIdx, err := scoring.TargetIndex(labels, cfg.Positive)
	if err != nil {
		return nil, fmt.Errorf("compare: positive label: %w", err)
	}
	rep := &Report{Kind: KindModels, ModelA: cfg.ModelA, ModelB: cfg.ModelB, DataA: cfg.Name, Labels: labels,
		Positive: labels[posIdx], Seed: cfg.Seed, GeneratedAt: start.UTC().Format(time.RFC3339), Rule: rule(cfg)}
	m := &Models{}
	slicer := newTally(0)
	var groupCols []string
	var byGroup []*tally
	top := &changedHeap{}
	sample := audit.NewSample(cfg.ExplainRows, cfg.Seed, 3)
	delta := stats.NewPairedStream(0, cfg.Seed)
	absDelta := stats.NewPairedStream(0, cfg.Seed)
	accDiff := stats.NewPairedStream(0, cfg.Seed)
	var correctA, correctB, agree int
	first := true
	err = batches(ctx, cfg.Source, cfg.Name, cfg, labels, rep, func(rows []dataset.Row) error {
		if first {
			first = false
			groupCols = cfg.Dataset.GroupCols
			for range groupCols {
				byGroup = append(byGroup, newTally(cfg.MaxGroups))
			}
		}
		ts := texts(rows)
		pa, err := predict(ctx, a, ts)
		if err != nil {
			return err
		}
		pb, err := predict(ctx, b, ts)
		if err != nil {
			return err
		}
		for i, row := range rows {
			if e := errors.Join(pa[i].Err, pb[i].Err); e != nil {
				rep.skip(row.Line, e.Error(), cfg)
				continue
			}
			m.Rows++
			flip := pa[i].LabelIndex != pb[i].LabelIndex
			if !flip {
				agree++
			} else if pa[i].LabelIndex == posIdx {
				m.PositiveToNegative++
			} else if pb[i].LabelIndex == posIdx {
				m.NegativeToPositive++
			}
			slicer.add(consistency.SliceAll, flip)
			seen := map[string]bool{}
			for _, s := range consistency.BuiltinSlices(row.Text) {
				if !seen[s] {
					seen[s] = true
					slicer.add(s, flip)
				}
			}
			for g, t := range byGroup {
				t.add(groupValue(row.Groups[g]), flip)
			}
			d := pb[i].Probabilities[posIdx] - pa[i].Probabilities[posIdx]
			delta.Add(d)
			absDelta.Add(math.Abs(d))
			if row.Label >= 0 {
				m.Labelled++
				ca, cb := pa[i].LabelIndex == row.Label, pb[i].LabelIndex == row.Label
				correctA += b2i(ca)
				correctB += b2i(cb)
				accDiff.Add(float64(b2i(cb) - b2i(ca)))
			}
			if cfg.TopChanged > 0 && d != 0 {
				cr := ChangedRow{Line: row.Line, Text: row.Text, Groups: row.Groups, LabelA: pa[i].Label, LabelB: pb[i].Label,
					PA: pa[i].Probabilities[posIdx], PB: pb[i].Probabilities[posIdx], Delta: d}
				if row.Label >= 0 {
					cr.Label = labels[row.Label]
				}
				top.offer(cr, cfg.TopChanged)
			}
			sample.Add(row.Text)
		}
		return nil
	})
	stopped := interrupted(ctx, err, rep, m.Rows)
	if err != nil && !stopped {
		return nil, err
	}
	if m.Rows == 0 {
		if stopped {
			return nil, err
		}
		return nil, fmt.Errorf("compare: %s has no rows both models could score (%d skipped)", cfg.Name, rep.Skipped)
	}
	m.Agreement = rate(agree, m.Rows)
	m.Flips = flipCell("all rows", m.Rows-agree, m.Rows, cfg.FlipTolerance)
	m.Flips.Evidence.P = m.Flips.RawP
	m.Flips.Verdict = stats.Decide(m.Flips.Evidence)
	if m.Labelled > 0 {
		ra, rb := rate(correctA, m.Labelled), rate(correctB, m.Labelled)
		m.AccuracyA, m.AccuracyB = &ra, &rb
		s := accDiff.Summary(0.95)
		// McNemar's exact test is the sign test on the discordant rows.
		ev := stats.Evidence{Estimate: s.Mean, Low: s.Low, High: s.High, P: s.SignP, Lower: -AccuracyTolerance, Upper: AccuracyTolerance}
		m.AccuracyDifference = &Paired{Summary: s, Evidence: ev, Verdict: stats.Decide(ev)}
	}
	ds := delta.Summary(0.95)
	ev := stats.Evidence{Estimate: ds.Mean, Low: ds.Low, High: ds.High, P: ds.TP, Lower: -cfg.Tolerance, Upper: cfg.Tolerance}
	m.Delta = Paired{Summary: ds, Evidence: ev, Verdict: stats.Decide(ev)}
	as := absDelta.Summary(0.95)
	aev := stats.Evidence{Estimate: as.Mean, Low: as.Low, High: as.High, P: oneSidedAbove(as, cfg.Tolerance), Lower: 0, Upper: cfg.Tolerance}
	m.AbsDelta = Paired{Summary: as, Evidence: aev, Verdict: stats.Decide(aev)}
	m.BySlice = slicer.cells(cfg.FlipTolerance, []string{consistency.SliceAll})
	for g, t := range byGroup {
		m.ByGroup = append(m.ByGroup, GroupFlips{Column: groupCols[g], Groups: t.cells(cfg.FlipTolerance, nil), Pooled: t.pooled})
	}
	m.Changed = top.sorted()
	rep.Models = m
	if !stopped && xa != nil && xb != nil && len(sample.Items()) > 0 {
		if m.Explanations, err = explanationAgreement(ctx, xa, xb, sample.Items(), rep.Positive, cfg); err != nil {
			if !interrupted(ctx, err, rep, m.Rows) {
				return nil, err
			}
			stopped = true
		}
	}
	rep.Seconds = time.Since(start).Seconds()
	rep.Summary = summarize(rep)
	if stopped {
		return rep, ctx.Err()
	}
	return rep, nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// MissingGroup is how an empty group value is named in the tables.
const MissingGroup = "(missing)"

func groupValue(v string) string {
	if v == "" {
		return MissingGroup
	}
	return v
}

func rate(k, n int) audit.Rate {
	ci := stats.Wilson(k, n, stats.Z95)
	r := audit.Rate{Low: ci.Low, High: ci.High, Count: k, Of: n}
	if n > 0 {
		r.Value = float64(k) / float64(n)
	}
	return r
}

// flipCell is k flips in n rows with the one-sided test against tol; the
// Evidence's P is left for the caller to correct.
func flipCell(name string, k, n int, tol float64) FlipCell {
	ci := stats.Wilson(k, n, stats.Z95)
	c := FlipCell{Name: name, Rows: n, Flips: k, CI: ci, RawP: stats.BinomialUpper(k, n, tol)}
	if n > 0 {
		c.Rate = float64(k) / float64(n)
	}
	c.Evidence = stats.Evidence{Estimate: c.Rate, Low: ci.Low, High: ci.High, P: c.RawP, Lower: 0, Upper: tol}
	return c
}

// oneSidedAbove is the one-sided t-test p-value of "the mean exceeds
// level" from a summary: 1 (no evidence) when there is no t statistic.
func oneSidedAbove(s stats.Paired, level float64) float64 {
	if math.IsNaN(s.Low) || math.IsNaN(s.High) {
		return 1
	}
	se := (s.High - s.Low) / (2 * tQuantile(s.N))
	if se == 0 {
		if s.Mean > level {
			return 0
		}
		return 1
	}
	return tUpper((s.Mean-level)/se, s.N-1)
}

// tally counts rows and flips by name, at most max names (0: no cap), the
// rest pooled into one "other" cell.
type tally struct {
	max    int
	order  []string
	counts map[string]*[2]int // rows, flips
	pooled int
}

func newTally(max int) *tally { return &tally{max: max, counts: map[string]*[2]int{}} }

// otherName is the cell of the values beyond the cap.
const otherName = "other (pooled)"

func (t *tally) add(name string, flip bool) {
	c := t.counts[name]
	if c == nil {
		if t.max > 0 && len(t.order) >= t.max {
			t.pooled++
			name = otherName
			if c = t.counts[name]; c == nil {
				c = &[2]int{}
				t.counts[name] = c
				t.order = append(t.order, name)
			}
		} else {
			c = &[2]int{}
			t.counts[name] = c
			t.order = append(t.order, name)
		}
	}
	c[0]++
	if flip {
		c[1]++
	}
}

// cells judges each name's flip rate, Holm-correcting the one-sided
// p-values across the cells (those named in untested keep theirs raw and
// stay out of the family: the all-rows cell repeats the headline test).
func (t *tally) cells(tol float64, untested []string) []FlipCell {
	names := slices.Clone(t.order)
	slices.SortStableFunc(names, func(a, b string) int {
		if slices.Contains(untested, a) != slices.Contains(untested, b) {
			if slices.Contains(untested, a) {
				return -1
			}
			return 1
		}
		return t.counts[b][0] - t.counts[a][0]
	})
	out := make([]FlipCell, len(names))
	raw := make([]float64, len(names))
	for i, n := range names {
		c := t.counts[n]
		out[i] = flipCell(n, c[1], c[0], tol)
		raw[i] = out[i].RawP
		if slices.Contains(untested, n) {
			raw[i] = math.NaN()
		}
	}
	adj := stats.Holm(raw)
	for i := range out {
		if !math.IsNaN(raw[i]) {
			out[i].Evidence.P = adj[i]
		}
		out[i].Verdict = stats.Decide(out[i].Evidence)
	}
	return out
}

// changedHeap keeps the k rows with the largest |Δp| (a min-heap on |Δp|,
// ties broken towards the earlier line so the result is deterministic).
type changedHeap []ChangedRow

func (h changedHeap) Len() int { return len(h) }
func (h changedHeap) Less(i, j int) bool {
	a, b := math.Abs(h[i].Delta), math.Abs(h[j].Delta)
	if a != b {
		return a < b
	}
	return h[i].Line > h[j].Line
}
func (h changedHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *changedHeap) Push(x any)   { *h = append(*h, x.(ChangedRow)) }
func (h *changedHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

func (h *changedHeap) offer(r ChangedRow, k int) {
	if h.Len() < k {
		heap.Push(h, r)
		return
	}
	min := (*h)[0]
	if math.Abs(r.Delta) > math.Abs(min.Delta) || (math.Abs(r.Delta) == math.Abs(min.Delta) && r.Line < min.Line) {
		(*h)[0] = r
		heap.Fix(h, 0)
	}
}

func (h *changedHeap) sorted() []ChangedRow {
	out := slices.Clone(*h)
	slices.SortFunc(out, func(a, b ChangedRow) int {
		if x, y := math.Abs(a.Delta), math.Abs(b.Delta); x != y {
			if x > y {
				return -1
			}
			return 1
		}
		return a.Line - b.Line
	})
	if out == nil {
		out = []ChangedRow{}
	}
	return out
}
