package thresholds

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/lucid-nlp/lucid/fairness/group"
	"github.com/lucid-nlp/lucid/fairness/stats"
)

// Comparison judges a thresholds file on labelled rows it was not fitted
// on: each row's model decision and adjusted decision go into two group
// accumulators, so before and after get the group metrics' intervals,
// pairwise tests and verdicts, and the accuracy change is a paired
// difference over the same rows. Memory is O(groups). Not safe for
// concurrent use.
//
// Comparisons merge (Merge, MarshalBinary, UnmarshalBinary) exactly, to
// the single pass's Evaluation byte for byte, except when more than 20
// groups have no rule (only the first 20 seen are named, an
// order-dependent choice): Merge then refuses with an error. The group
// reports merge as group.Accumulator does.
type Comparison struct {
	file          *File
	before, after *group.Accumulator
	groupOpts     group.Options // what before and after were made with, for decoding
	confidence    float64

	rows, labelled             int
	fitted, randomized, change int
	unfitted                   map[string]int // rows of groups without a rule, first maxBeyondNames
	unfittedRows               int
	// Labelled rows by (model right, adjusted right).
	rightRight, rightWrong, wrongRight, wrongWrong int
	posBefore, posAfter                            int
}

// NewComparison starts a comparison of f's rules against the model's own
// decisions; opts configures both group reports (its Column defaults to
// f.Column).
func NewComparison(f *File, opts group.Options) (*Comparison, error) {
	if f.byGroup == nil {
		if err := f.Validate(); err != nil {
			return nil, err
		}
	}
	if opts.Column == "" {
		opts.Column = f.Column
	}
	if opts.Positive == "" {
		opts.Positive = f.Positive
	}
	before, err := group.NewAccumulator(opts)
	if err != nil {
		return nil, err
	}
	after, err := group.NewAccumulator(opts)
	if err != nil {
		return nil, err
	}
	conf := opts.Confidence
	if conf == 0 {
		conf = group.DefaultConfidence
	}
	return &Comparison{file: f, before: before, after: after, groupOpts: opts, confidence: conf, unfitted: map[string]int{}}, nil
}

// Add counts one row: its group, its text, the positive-class score and
// the model's decision; labelled says whether it has a true label and
// positive whether that label is the positive one. It returns the adjusted
// decision.
func (c *Comparison) Add(groupValue, text string, score float64, modelPositive, labelled, positive bool) Decision {
	d := c.file.Decide(groupValue, text, score, modelPositive)
	c.rows++
	switch {
	case d.Fitted:
		c.fitted++
	default:
		c.unfittedRows++
		if _, named := c.unfitted[groupValue]; named || len(c.unfitted) < maxBeyondNames {
			if !named {
				groupValue = strings.Clone(groupValue)
			}
			c.unfitted[groupValue]++
		}
	}
	if d.Randomized {
		c.randomized++
	}
	if d.Positive != modelPositive {
		c.change++
	}
	if modelPositive {
		c.posBefore++
	}
	if d.Positive {
		c.posAfter++
	}
	if !labelled {
		c.before.AddUnlabelled(modelPositive, groupValue)
		c.after.AddUnlabelled(d.Positive, groupValue)
		return d
	}
	c.labelled++
	c.before.Add(positive, modelPositive, groupValue)
	c.after.Add(positive, d.Positive, groupValue)
	rb, ra := modelPositive == positive, d.Positive == positive
	switch {
	case rb && ra:
		c.rightRight++
	case rb:
		c.rightWrong++
	case ra:
		c.wrongRight++
	default:
		c.wrongWrong++
	}
	return d
}

// Evaluation is what a thresholds file did on held-out rows.
type Evaluation struct {
	Column     string     `json:"column"`
	Constraint Constraint `json:"constraint"`
	Seed       uint64     `json:"seed"`
	// Rows compared, Labelled of them; FittedRows had a rule for their
	// group (the others kept the model's decision, by group in
	// UnfittedGroups, the first 20 named); RandomizedRows were decided by a
	// draw; ChangedRows got a decision other than the model's.
	Rows           int        `json:"rows"`
	Labelled       int        `json:"labelled"`
	FittedRows     int        `json:"fitted_rows"`
	UnfittedRows   int        `json:"unfitted_rows"`
	UnfittedGroups []Unfitted `json:"unfitted_groups,omitempty"`
	RandomizedRows int        `json:"randomized_rows"`
	ChangedRows    int        `json:"changed_rows"`
	// Positive rates over all rows, before (the model) and after (the
	// rules), with Wilson intervals.
	PositiveRateBefore Proportion `json:"positive_rate_before"`
	PositiveRateAfter  Proportion `json:"positive_rate_after"`
	// Accuracy over the labelled rows before and after, and the paired
	// change; nil without labelled rows.
	AccuracyBefore *Proportion   `json:"accuracy_before,omitempty"`
	AccuracyAfter  *Proportion   `json:"accuracy_after,omitempty"`
	AccuracyChange *PairedChange `json:"accuracy_change,omitempty"`
	// Tests are, for the constraint's metrics, every pair's test before
	// and after; VerdictBefore and VerdictAfter the worst of them (the
	// constraint's metrics only).
	Tests         []ConstraintTest `json:"tests"`
	VerdictBefore stats.Verdict    `json:"verdict_before"`
	VerdictAfter  stats.Verdict    `json:"verdict_after"`
	// ColumnBefore and ColumnAfter judge every metric, not only the
	// constraint's: the Before and After reports' column verdicts (all
	// pairs × all metrics, one Holm family each). Rules that close one gap
	// can open another; Worsened lists each pair test whose verdict is
	// more severe after than before, as "metric A − B: before → after".
	ColumnBefore stats.Verdict `json:"column_verdict_before"`
	ColumnAfter  stats.Verdict `json:"column_verdict_after"`
	Worsened     []string      `json:"worsened,omitempty"`
	// Before and After are the full group reports.
	Before *group.Report `json:"before"`
	After  *group.Report `json:"after"`
}

// Proportion is k of n with a Wilson interval.
type Proportion struct {
	Value float64 `json:"value"`
	Low   float64 `json:"low"`
	High  float64 `json:"high"`
	Count int     `json:"count"`
	Of    int     `json:"of"`
}

func proportion(k, n int, z float64) Proportion {
	iv := stats.Wilson(k, n, z)
	return Proportion{Value: float64(k) / float64(n), Low: iv.Low, High: iv.High, Count: k, Of: n}
}

// PairedChange is after − before in accuracy over the same rows: Gained
// rows became right, Lost rows became wrong. The interval is Agresti and
// Min's (2005) for a difference of paired proportions (the Wald interval
// with half a row added to each cell of the 2×2 table); P is the exact
// McNemar test (a sign test on Gained vs Lost).
type PairedChange struct {
	Value  float64 `json:"value"`
	Low    float64 `json:"low"`
	High   float64 `json:"high"`
	P      float64 `json:"p"`
	Gained int     `json:"gained"`
	Lost   int     `json:"lost"`
	N      int     `json:"n"`
}

func pairedChange(gained, lost, n int, z float64) PairedChange {
	nn := float64(n) + 2
	g, l := float64(gained)+0.5, float64(lost)+0.5
	d := (g - l) / nn
	se := math.Sqrt(g+l-(g-l)*(g-l)/nn) / nn
	return PairedChange{
		Value: float64(gained-lost) / float64(n), Low: math.Max(-1, d-z*se), High: math.Min(1, d+z*se),
		P: stats.SignTest(gained, lost), Gained: gained, Lost: lost, N: n,
	}
}

// ConstraintTest is one pair's test of one of the constraint's metrics
// before and after. The pair's order (A − B) is chosen by each report
// (the reference, else the higher positive rate), so it may differ.
type ConstraintTest struct {
	Metric string    `json:"metric"`
	Before *PairSide `json:"before"`
	After  *PairSide `json:"after"`
}

// PairSide is one report's test of a pair.
type PairSide struct {
	A    string         `json:"a"`
	B    string         `json:"b"`
	Test group.PairTest `json:"test"`
}

// Result computes the evaluation, with bootstrap intervals drawn from
// seed (the same seed for both reports).
func (c *Comparison) Result(seed uint64) (*Evaluation, error) {
	if c.rows == 0 {
		return nil, fmt.Errorf("thresholds: column %q: no rows to compare", c.file.Column)
	}
	before, err := c.before.Result(seed)
	if err != nil {
		return nil, err
	}
	after, err := c.after.Result(seed)
	if err != nil {
		return nil, err
	}
	z := stats.ZFor(c.confidence)
	e := &Evaluation{
		Column: c.file.Column, Constraint: c.file.Constraint, Seed: c.file.Seed,
		Rows: c.rows, Labelled: c.labelled, FittedRows: c.fitted, UnfittedRows: c.unfittedRows,
		RandomizedRows: c.randomized, ChangedRows: c.change,
		PositiveRateBefore: proportion(c.posBefore, c.rows, z), PositiveRateAfter: proportion(c.posAfter, c.rows, z),
		Before: before, After: after,
	}
	for _, g := range slices.Sorted(maps.Keys(c.unfitted)) {
		e.UnfittedGroups = append(e.UnfittedGroups, Unfitted{Group: g, Rows: c.unfitted[g], Reason: "no rule in the thresholds file: the model's decision"})
	}
	if c.labelled > 0 {
		b := proportion(c.rightRight+c.rightWrong, c.labelled, z)
		a := proportion(c.rightRight+c.wrongRight, c.labelled, z)
		ch := pairedChange(c.wrongRight, c.rightWrong, c.labelled, z)
		e.AccuracyBefore, e.AccuracyAfter, e.AccuracyChange = &b, &a, &ch
	}
	e.VerdictBefore = stats.Verdict{Status: stats.Info, Reason: "no pair could be tested"}
	e.VerdictAfter = e.VerdictBefore
	for _, m := range c.file.Constraint.Metrics() {
		for i := range before.Pairs {
			p := &before.Pairs[i]
			t, ok := p.Test(m)
			if !ok {
				continue
			}
			ct := ConstraintTest{Metric: m, Before: &PairSide{A: p.A, B: p.B, Test: *t}}
			e.VerdictBefore = worse(e.VerdictBefore, t.Verdict, m, p.A, p.B)
			if q := findPair(after, p.A, p.B); q != nil {
				if u, ok := q.Test(m); ok {
					ct.After = &PairSide{A: q.A, B: q.B, Test: *u}
					e.VerdictAfter = worse(e.VerdictAfter, u.Verdict, m, q.A, q.B)
				}
			}
			e.Tests = append(e.Tests, ct)
		}
	}
	e.ColumnBefore, e.ColumnAfter = before.Verdict, after.Verdict
	for i := range after.Pairs {
		q := &after.Pairs[i]
		p := findPair(before, q.A, q.B)
		for _, u := range q.Tests {
			was := stats.Info
			if p != nil {
				if t, ok := p.Test(u.Metric); ok {
					was = t.Verdict.Status
				}
			}
			if u.Verdict.Status.Severity() > was.Severity() && u.Verdict.Status.Severity() >= stats.Warn.Severity() {
				e.Worsened = append(e.Worsened, fmt.Sprintf("%s %s − %s: %s → %s (%.3f after)", u.Metric, q.A, q.B, was, u.Verdict.Status, u.Estimate.Value))
			}
		}
	}
	return e, nil
}

// worse keeps the more severe verdict, its reason naming the test.
func worse(cur, v stats.Verdict, metric, a, b string) stats.Verdict {
	if v.Status.Severity() > cur.Status.Severity() || cur.Reason == "no pair could be tested" && v.Status != stats.Info {
		return stats.Verdict{Status: v.Status, Reason: fmt.Sprintf("%s %q − %q: %s", metric, a, b, v.Reason)}
	}
	return cur
}

func findPair(r *group.Report, a, b string) *group.Pair {
	for i := range r.Pairs {
		p := &r.Pairs[i]
		if (p.A == a && p.B == b) || (p.A == b && p.B == a) {
			return p
		}
	}
	return nil
}
