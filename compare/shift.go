package compare

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/lucid-nlp/lucid/audit"
	"github.com/lucid-nlp/lucid/dataset"
	"github.com/lucid-nlp/lucid/fairness/scoring"
	"github.com/lucid-nlp/lucid/fairness/stats"
)

// confusion counts one set of rows.
type confusion struct {
	rows, predPos     int
	labelled, correct int
	tp, fp, fn, tn    int
}

func (c *confusion) add(pred, label, pos int) {
	c.rows++
	if pred == pos {
		c.predPos++
	}
	if label < 0 {
		return
	}
	c.labelled++
	if pred == label {
		c.correct++
	}
	switch {
	case label == pos && pred == pos:
		c.tp++
	case label == pos:
		c.fn++
	case pred == pos:
		c.fp++
	default:
		c.tn++
	}
}

// fileCounts is one file's counts: overall and by group.
type fileCounts struct {
	all    confusion
	groups []map[string]*confusion
	pooled []int
}

// RunShift compares clf on cfg.Source (A) and cfg.Source2 (B): accuracy,
// positive rate, and every group's accuracy, positive rate, TPR and FPR,
// each as B − A with Newcombe's interval and Fisher's exact test, and
// each group column's positive-rate gap with a parametric bootstrap; all
// p-values Holm-corrected together.
func RunShift(ctx context.Context, clf Classifier, cfg Config) (*Report, error) {
	start := time.Now()
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	if cfg.Source == nil || cfg.Source2 == nil {
		return nil, errors.New("compare: a shift check needs two files")
	}
	labels := clf.Labels()
	posIdx, err := scoring.TargetIndex(labels, cfg.Positive)
	if err != nil {
		return nil, fmt.Errorf("compare: positive label: %w", err)
	}
	rep := &Report{Kind: KindShift, ModelA: cfg.ModelA, DataA: cfg.Name, DataB: cfg.Name2, Labels: labels,
		Positive: labels[posIdx], Seed: cfg.Seed, GeneratedAt: start.UTC().Format(time.RFC3339), Rule: rule(cfg)}
	var files [2]*fileCounts
	for f, src := range []struct {
		r    interface{ Read([]byte) (int, error) }
		name string
	}{{cfg.Source, cfg.Name}, {cfg.Source2, cfg.Name2}} {
		fc := &fileCounts{pooled: make([]int, len(cfg.Dataset.GroupCols))}
		for range cfg.Dataset.GroupCols {
			fc.groups = append(fc.groups, map[string]*confusion{})
		}
		files[f] = fc
		err := batches(ctx, src.r, src.name, cfg, labels, rep, func(rows []dataset.Row) error {
			preds, err := predict(ctx, clf, texts(rows))
			if err != nil {
				return err
			}
			for i, row := range rows {
				if preds[i].Err != nil {
					rep.skip(row.Line, preds[i].Err.Error(), cfg)
					continue
				}
				p := preds[i].LabelIndex
				fc.all.add(p, row.Label, posIdx)
				for g, m := range fc.groups {
					v := groupValue(row.Groups[g])
					c := m[v]
					if c == nil {
						if len(m) >= cfg.MaxGroups {
							fc.pooled[g]++
							v = otherName
							if c = m[v]; c == nil {
								c = &confusion{}
								m[v] = c
							}
						} else {
							c = &confusion{}
							m[v] = c
						}
					}
					c.add(p, row.Label, posIdx)
				}
			}
			return nil
		})
		if interrupted(ctx, err, rep, fc.all.rows) {
			return nil, err // a shift of half a file says nothing
		}
		if err != nil {
			return nil, err
		}
		if fc.all.rows == 0 {
			return nil, fmt.Errorf("compare: %s has no readable rows", src.name)
		}
	}
	s := &Shift{A: summary(cfg.Name, &files[0].all), B: summary(cfg.Name2, &files[1].all)}
	s.Tests = append(s.Tests, rateTests("", "", &files[0].all, &files[1].all, cfg.Tolerance)...)
	rng := rand.New(rand.NewPCG(cfg.Seed, 4))
	for g, col := range cfg.Dataset.GroupCols {
		ma, mb := files[0].groups[g], files[1].groups[g]
		var names []string
		for v := range ma {
			if mb[v] != nil {
				names = append(names, v)
			}
		}
		slices.Sort(names)
		for _, v := range names {
			s.Tests = append(s.Tests, rateTests(col, v, ma[v], mb[v], cfg.Tolerance)...)
		}
		if t, ok := gapTest(col, names, ma, mb, cfg, rng); ok {
			s.Tests = append(s.Tests, t)
		}
	}
	raw := make([]float64, len(s.Tests))
	for i, t := range s.Tests {
		raw[i] = t.RawP
	}
	adj := stats.Holm(raw)
	s.Verdict = stats.Verdict{Status: stats.Info, Reason: "nothing to compare"}
	for i := range s.Tests {
		t := &s.Tests[i]
		if !math.IsNaN(raw[i]) {
			t.Evidence.P = adj[i]
		}
		t.Verdict = stats.Decide(t.Evidence)
		if i == 0 || t.Verdict.Status.Severity() > s.Verdict.Status.Severity() {
			s.Verdict = stats.Verdict{Status: t.Verdict.Status, Reason: testName(t) + ": " + t.Verdict.Reason}
		}
	}
	rep.Shift = s
	rep.Seconds = time.Since(start).Seconds()
	rep.Summary = summarize(rep)
	return rep, nil
}

func summary(name string, c *confusion) DataSummary {
	d := DataSummary{Name: name, Rows: c.rows, Labelled: c.labelled, PositiveRate: rate(c.predPos, c.rows)}
	if c.labelled > 0 {
		a := rate(c.correct, c.labelled)
		d.Accuracy = &a
	}
	return d
}

// Shift metrics.
const (
	MetricAccuracy     = "accuracy"
	MetricPositiveRate = "positive_rate"
	MetricTPR          = "tpr"
	MetricFPR          = "fpr"
	MetricGap          = "positive_rate_gap"
)

// rateTests compares the rates of two sets of rows: those with rows on
// both sides (accuracy, TPR and FPR need labelled rows of the right kind).
func rateTests(col, group string, a, b *confusion, tol float64) []ShiftTest {
	type pick struct {
		metric string
		k, n   func(*confusion) int
	}
	picks := []pick{
		{MetricAccuracy, func(c *confusion) int { return c.correct }, func(c *confusion) int { return c.labelled }},
		{MetricPositiveRate, func(c *confusion) int { return c.predPos }, func(c *confusion) int { return c.rows }},
	}
	if col != "" {
		picks = append(picks,
			pick{MetricTPR, func(c *confusion) int { return c.tp }, func(c *confusion) int { return c.tp + c.fn }},
			pick{MetricFPR, func(c *confusion) int { return c.fp }, func(c *confusion) int { return c.fp + c.tn }})
	}
	var out []ShiftTest
	for _, p := range picks {
		ka, na, kb, nb := p.k(a), p.n(a), p.k(b), p.n(b)
		if na == 0 || nb == 0 {
			continue
		}
		t := ShiftTest{Column: col, Group: group, Metric: p.metric, A: rate(ka, na), B: rate(kb, nb), Test: "fisher_exact"}
		t.Difference = t.B.Value - t.A.Value
		t.CI = stats.Newcombe(kb, nb, ka, na)
		t.RawP = stats.FisherExact(kb, nb-kb, ka, na-ka)
		t.Evidence = stats.Evidence{Estimate: t.Difference, Low: t.CI.Low, High: t.CI.High, P: t.RawP, Lower: -tol, Upper: tol}
		out = append(out, t)
	}
	return out
}

// gapTest compares a column's positive-rate gap (highest group rate minus
// lowest, over the groups with MinGroupSize rows in both files) between
// the files, B − A. Its interval is a parametric bootstrap (each group's
// predicted positives redrawn from a binomial at its observed rate, in
// each file); its p-value the bootstrap's two-sided share of resampled
// differences on the far side of 0.
func gapTest(col string, names []string, ma, mb map[string]*confusion, cfg Config, rng *rand.Rand) (ShiftTest, bool) {
	var keep []string
	for _, v := range names {
		if v != otherName && ma[v].rows >= cfg.MinGroupSize && mb[v].rows >= cfg.MinGroupSize {
			keep = append(keep, v)
		}
	}
	if len(keep) < 2 {
		return ShiftTest{}, false
	}
	gap := func(m map[string]*confusion, draw func(*confusion) float64) float64 {
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, v := range keep {
			r := draw(m[v])
			lo, hi = min(lo, r), max(hi, r)
		}
		return hi - lo
	}
	observed := func(c *confusion) float64 { return float64(c.predPos) / float64(c.rows) }
	src := rand.New(rand.NewPCG(rng.Uint64(), rng.Uint64()))
	resampled := func(c *confusion) float64 {
		p := float64(c.predPos) / float64(c.rows)
		return distuv.Binomial{N: float64(c.rows), P: p, Src: src}.Rand() / float64(c.rows)
	}
	ga, gb := gap(ma, observed), gap(mb, observed)
	d := gb - ga
	reps := make([]float64, cfg.Resamples)
	below, above := 0, 0
	for i := range reps {
		reps[i] = gap(mb, resampled) - gap(ma, resampled)
		if reps[i] <= 0 {
			below++
		}
		if reps[i] >= 0 {
			above++
		}
	}
	slices.Sort(reps)
	ci := stats.Interval{Low: quantile(reps, 0.025), High: quantile(reps, 0.975)}
	p := min(1, 2*float64(min(below, above)+1)/float64(len(reps)+1))
	t := ShiftTest{Column: col, Metric: MetricGap, A: audit.Rate{Value: ga, Low: math.NaN(), High: math.NaN()}, B: audit.Rate{Value: gb, Low: math.NaN(), High: math.NaN()},
		Difference: d, CI: ci, Test: fmt.Sprintf("parametric bootstrap, %d resamples, %d groups", cfg.Resamples, len(keep)), RawP: p}
	// A gap has no Wilson interval of its own: its A and B bounds are its
	// value, so report.json stays finite.
	t.A.Low, t.A.High, t.B.Low, t.B.High = ga, ga, gb, gb
	t.Evidence = stats.Evidence{Estimate: d, Low: ci.Low, High: ci.High, P: p, Lower: -cfg.Tolerance, Upper: cfg.Tolerance}
	return t, true
}

func quantile(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return math.NaN()
	}
	x := p * float64(len(sorted)-1)
	i := int(x)
	if i+1 >= len(sorted) {
		return sorted[len(sorted)-1]
	}
	return sorted[i] + (x-float64(i))*(sorted[i+1]-sorted[i])
}

func testName(t *ShiftTest) string {
	switch {
	case t.Column == "":
		return t.Metric
	case t.Group == "":
		return fmt.Sprintf("%s %s", t.Column, t.Metric)
	}
	return fmt.Sprintf("%s=%s %s", t.Column, t.Group, t.Metric)
}
