package group

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// tol is the tolerance for hand-computed values: they are ratios of small
// integers, so only float rounding separates them.
const tol = 1e-12

// tbl is a group's confusion table, plus unlabelled predicted positives and
// negatives.
type tbl struct{ tp, fp, fn, tn, up, un int }

func fill(a *Accumulator, group string, t tbl) {
	for range t.tp {
		a.Add(true, true, group)
	}
	for range t.fp {
		a.Add(false, true, group)
	}
	for range t.fn {
		a.Add(true, false, group)
	}
	for range t.tn {
		a.Add(false, false, group)
	}
	for range t.up {
		a.AddUnlabelled(true, group)
	}
	for range t.un {
		a.AddUnlabelled(false, group)
	}
}

func metrics(g *GroupStats) map[string]Metric {
	m := map[string]Metric{"disparate_impact": g.DisparateImpact}
	for k := range nRates {
		m[rateNames[k]] = *g.metric(k)
	}
	return m
}

// check compares a metric with a value, or with an undefined reason (a
// string the reason must contain).
func check(t *testing.T, what string, m Metric, want any) {
	t.Helper()
	switch w := want.(type) {
	case float64:
		if assert.True(t, m.Defined(), "%s: undefined (%s), want %v", what, m.Undefined, w) {
			assert.InDelta(t, w, m.Value, tol, what)
			if m.Resamples > 0 {
				assert.LessOrEqual(t, m.Low, m.High, "%s interval", what)
			}
		}
	case string:
		assert.False(t, m.Defined(), "%s: got %v, want undefined", what, m.Value)
		assert.True(t, math.IsNaN(m.Value) && math.IsNaN(m.Low) && math.IsNaN(m.High), "%s: NaN value and interval", what)
		assert.Contains(t, m.Undefined, w, what)
	}
}

// The tables behind the hand-computed cases:
//
//	A: TP 3, FP 2, FN 1, TN 4 — accuracy 7/10, positive rate 5/10, TPR 3/4,
//	   FPR 2/6, FNR 1/4, precision 3/5, base rate 4/10
//	B: TP 1, FP 1, FN 3, TN 5 — accuracy 6/10, positive rate 2/10, TPR 1/4,
//	   FPR 1/6, FNR 3/4, precision 1/2, base rate 4/10
//	D: FP 1, TN 9 (no positive labels) — accuracy 9/10, positive rate 1/10,
//	   FPR 1/10, precision 0/1, base rate 0
var (
	tA = tbl{tp: 3, fp: 2, fn: 1, tn: 4}
	tB = tbl{tp: 1, fp: 1, fn: 3, tn: 5}
	tD = tbl{fp: 1, tn: 9}
)

func TestHandComputed(t *testing.T) {
	tests := []struct {
		name     string
		tables   map[string]tbl
		declared []string
		groups   map[string]map[string]any // group → metric → value or reason
		overall  map[string]any
		disp     map[string]any
		ref      string
		below    []string // groups below the four-fifths rule
		excluded map[string][]string
	}{
		{
			name:   "two groups",
			tables: map[string]tbl{"A": tA, "B": tB},
			groups: map[string]map[string]any{
				"A": {"accuracy": 0.7, "positive_rate": 0.5, "tpr": 0.75, "fpr": 2.0 / 6, "fnr": 0.25, "precision": 0.6, "base_rate": 0.4, "disparate_impact": 1.0},
				"B": {"accuracy": 0.6, "positive_rate": 0.2, "tpr": 0.25, "fpr": 1.0 / 6, "fnr": 0.75, "precision": 0.5, "base_rate": 0.4, "disparate_impact": 0.4},
			},
			// TP 4, FP 3, FN 4, TN 9
			overall: map[string]any{"accuracy": 13.0 / 20, "positive_rate": 7.0 / 20, "tpr": 0.5, "fpr": 3.0 / 12, "fnr": 0.5, "precision": 4.0 / 7, "base_rate": 0.4, "disparate_impact": "not a group"},
			disp: map[string]any{
				DemographicParityDifference: 0.3,      // 0.5 − 0.2
				DemographicParityRatio:      0.4,      // 0.2 / 0.5
				DisparateImpact:             0.4,      // B vs A, the highest rate
				EqualOpportunityDifference:  0.5,      // 0.75 − 0.25
				EqualizedOddsDifference:     0.5,      // max(0.5, 2/6 − 1/6)
				PredictiveParityDifference:  0.6 - .5, // 0.6 − 0.5
			},
			ref:   "A",
			below: []string{"B"},
		},
		{
			name:     "an empty group and a group with no positives",
			tables:   map[string]tbl{"A": tA, "D": tD},
			declared: []string{"C"},
			groups: map[string]map[string]any{
				"A": {"positive_rate": 0.5, "tpr": 0.75, "precision": 0.6, "disparate_impact": 1.0},
				"C": {"accuracy": "empty group", "positive_rate": "empty group", "tpr": "empty group", "fpr": "empty group", "fnr": "empty group", "precision": "empty group", "base_rate": "empty group", "disparate_impact": "empty group"},
				"D": {"accuracy": 0.9, "positive_rate": 0.1, "tpr": "no positive labels", "fpr": 0.1, "fnr": "no positive labels", "precision": 0.0, "base_rate": 0.0, "disparate_impact": 0.2},
			},
			disp: map[string]any{
				DemographicParityDifference: 0.4, // 0.5 − 0.1
				DemographicParityRatio:      0.2,
				DisparateImpact:             0.2,
				EqualOpportunityDifference:  "needs tpr for two groups, has it for 1",
				EqualizedOddsDifference:     "tpr difference: needs tpr for two groups",
				PredictiveParityDifference:  0.6, // 0.6 − 0
			},
			ref:   "A",
			below: []string{"D"},
			excluded: map[string][]string{
				DemographicParityDifference: {`"C": empty group`},
				EqualOpportunityDifference:  {`"D": no positive labels`, `"C": empty group`},
				EqualizedOddsDifference:     {`"D": no positive labels`, `"C": empty group`},
				DisparateImpact:             {`"C": empty group`},
				PredictiveParityDifference:  {`"C": empty group`},
				DemographicParityRatio:      {`"C": empty group`},
			},
		},
		{
			name:   "single class: no positive labels anywhere",
			tables: map[string]tbl{"A": {fp: 2, tn: 8}, "B": {fp: 5, tn: 5}},
			groups: map[string]map[string]any{
				"A": {"accuracy": 0.8, "positive_rate": 0.2, "tpr": "no positive labels", "fpr": 0.2, "precision": 0.0, "base_rate": 0.0, "disparate_impact": 0.4},
				"B": {"accuracy": 0.5, "positive_rate": 0.5, "tpr": "no positive labels", "fpr": 0.5, "precision": 0.0, "disparate_impact": 1.0},
			},
			disp: map[string]any{
				DemographicParityDifference: 0.3,
				DemographicParityRatio:      0.4,
				DisparateImpact:             0.4,
				EqualOpportunityDifference:  "no positive labels in the data (a single class)",
				EqualizedOddsDifference:     "tpr difference: no positive labels in the data (a single class)",
				PredictiveParityDifference:  0.0,
			},
			ref:   "B",
			below: []string{"A"},
		},
		{
			name:   "no labels: only positive-rate measures",
			tables: map[string]tbl{"A": {up: 5, un: 5}, "B": {up: 2, un: 8}},
			groups: map[string]map[string]any{
				"A": {"accuracy": "no labels", "positive_rate": 0.5, "tpr": "no labels", "fpr": "no labels", "fnr": "no labels", "precision": "no labels", "base_rate": "no labels"},
				"B": {"positive_rate": 0.2, "disparate_impact": 0.4},
			},
			overall: map[string]any{"positive_rate": 7.0 / 20, "accuracy": "no labels"},
			disp: map[string]any{
				DemographicParityDifference: 0.3,
				DemographicParityRatio:      0.4,
				DisparateImpact:             0.4,
				EqualOpportunityDifference:  "no labels",
				EqualizedOddsDifference:     "tpr difference: no labels",
				PredictiveParityDifference:  "no labels",
			},
			ref:   "A",
			below: []string{"B"},
		},
		{
			name:   "no predicted positives at all",
			tables: map[string]tbl{"A": {fn: 3, tn: 7}, "B": {fn: 1, tn: 9}},
			groups: map[string]map[string]any{
				"A": {"positive_rate": 0.0, "tpr": 0.0, "precision": whyNoPredictions, "disparate_impact": `reference group "A" has no predicted positives`},
			},
			disp: map[string]any{
				DemographicParityDifference: 0.0,
				DemographicParityRatio:      "no group has predicted positives",
				DisparateImpact:             "has no predicted positives",
				EqualOpportunityDifference:  0.0,
				EqualizedOddsDifference:     0.0,
				PredictiveParityDifference:  "no predicted positives among the labelled rows",
			},
			ref: "A", // a tie at 0 goes to the larger group, then the first name
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, err := NewAccumulator(Options{Groups: tc.declared, Resamples: 200})
			require.NoError(t, err)
			for g, tb := range tc.tables {
				fill(a, g, tb)
			}
			r, err := a.Result(1)
			require.NoError(t, err)
			for name, want := range tc.groups {
				g, ok := r.Group(name)
				require.True(t, ok, name)
				got := metrics(g)
				for m, w := range want {
					check(t, name+" "+m, got[m], w)
				}
			}
			for m, w := range tc.overall {
				check(t, "overall "+m, metrics(&r.Overall)[m], w)
			}
			require.Len(t, r.Disparities, 6)
			for name, w := range tc.disp {
				d, ok := r.Disparity(name)
				require.True(t, ok, name)
				check(t, name, d.Metric, w)
				if want, ok := tc.excluded[name]; ok || d.Metric.Defined() {
					assert.Equal(t, want, d.Excluded, name+" excluded")
				}
			}
			assert.Equal(t, tc.ref, r.Reference)
			assert.Equal(t, "highest positive rate (every group is small)", r.ReferenceRule)
			var below []string
			for _, g := range r.Groups {
				if g.BelowFourFifths {
					below = append(below, g.Group)
				}
			}
			assert.Equal(t, tc.below, below)
			// Every interval of a rate lies in [0, 1] and counts at most
			// the resamples drawn.
			for _, g := range append(r.Groups, r.Overall) {
				for k := range nRates {
					m := g.metric(k)
					assert.LessOrEqual(t, m.Resamples, 200)
					if m.Resamples > 0 {
						assert.True(t, m.Low >= 0 && m.High <= 1, "%s %s [%v, %v]", g.Group, rateNames[k], m.Low, m.High)
					}
				}
			}
		})
	}
}

func TestMaxMinGroups(t *testing.T) {
	a, err := NewAccumulator(Options{Resamples: 100})
	require.NoError(t, err)
	fill(a, "A", tA)
	fill(a, "B", tB)
	r, err := a.Result(3)
	require.NoError(t, err)
	for _, tc := range []struct{ name, max, min string }{
		{DemographicParityDifference, "A", "B"},
		{DisparateImpact, "A", "B"},
		{EqualizedOddsDifference, "A", "B"},
	} {
		d, _ := r.Disparity(tc.name)
		assert.Equal(t, tc.max, d.MaxGroup, tc.name)
		assert.Equal(t, tc.min, d.MinGroup, tc.name)
	}
}

func TestFourFifths(t *testing.T) {
	// The reference "ref" predicts 50 of 100 positive; "other" predicts k
	// of 100, so its ratio is k/50. The rule flags ratios strictly below 0.8.
	tests := []struct {
		k     int
		ratio float64
		below bool
	}{
		{41, 0.82, false},
		{40, 0.80, false},
		{39, 0.78, true},
		{10, 0.20, true},
	}
	for _, tc := range tests {
		a, err := NewAccumulator(Options{Resamples: 100})
		require.NoError(t, err)
		fill(a, "ref", tbl{up: 50, un: 50})
		fill(a, "other", tbl{up: tc.k, un: 100 - tc.k})
		r, err := a.Result(7)
		require.NoError(t, err)
		g, _ := r.Group("other")
		assert.InDelta(t, tc.ratio, g.DisparateImpact.Value, tol, "k=%d", tc.k)
		assert.Equal(t, tc.below, g.BelowFourFifths, "k=%d", tc.k)
		d, _ := r.Disparity(DisparateImpact)
		flagged := len(d.Flags) > 0 && strings.Contains(strings.Join(d.Flags, ";"), "four-fifths")
		assert.Equal(t, tc.below, flagged, "k=%d: %v", tc.k, d.Flags)
	}

	// A given reference is used even when another group is favoured.
	a, err := NewAccumulator(Options{Reference: "low", Resamples: 100})
	require.NoError(t, err)
	fill(a, "high", tbl{up: 50, un: 50})
	fill(a, "low", tbl{up: 25, un: 75})
	r, err := a.Result(7)
	require.NoError(t, err)
	assert.Equal(t, "low", r.Reference)
	assert.Equal(t, "given", r.ReferenceRule)
	g, _ := r.Group("high")
	assert.InDelta(t, 2.0, g.DisparateImpact.Value, tol)
	assert.False(t, g.BelowFourFifths)

	_, err = mustAcc(t, Options{Reference: "nobody"}, "a", "b").Result(1)
	assert.ErrorContains(t, err, `reference group "nobody" is not among the groups of group column: "a", "b"`)
}

func mustAcc(t *testing.T, o Options, groups ...string) *Accumulator {
	t.Helper()
	a, err := NewAccumulator(o)
	require.NoError(t, err)
	for _, g := range groups {
		fill(a, g, tA)
	}
	return a
}

func TestFlags(t *testing.T) {
	a, err := NewAccumulator(Options{Resamples: 300, MinGroupSize: 20})
	require.NoError(t, err)
	fill(a, "big", tbl{tp: 40, fp: 10, fn: 10, tn: 40}) // 100 rows
	fill(a, "tiny", tbl{tp: 2, fp: 1, fn: 1, tn: 1})    // 5 rows: TPR from 3 positives
	r, err := a.Result(11)
	require.NoError(t, err)

	// "tiny" has the higher positive rate (3/5 against 1/2) but is passed
	// over as the reference because it is small.
	assert.Equal(t, "big", r.Reference)
	assert.Equal(t, "highest positive rate among groups of at least 20 rows", r.ReferenceRule)

	big, _ := r.Group("big")
	assert.False(t, big.Small)
	assert.Empty(t, big.Flags)

	tiny, _ := r.Group("tiny")
	assert.True(t, tiny.Small)
	require.NotEmpty(t, tiny.Flags)
	assert.Equal(t, "5 rows, fewer than the minimum of 20", tiny.Flags[0])
	assert.Contains(t, strings.Join(tiny.Flags, "\n"), "tpr: 95% interval [")
	assert.Greater(t, tiny.TPR.Width(), 0.5, "three positives leave TPR wide open")

	d, _ := r.Disparity(EqualOpportunityDifference)
	assert.Contains(t, d.Flags, `rests on small groups: "tiny" (5 rows)`)

	// Every flag of a width names an interval wider than MaxCIWidth.
	for _, g := range r.Groups {
		for k := range nRates {
			m := g.metric(k)
			assert.Equal(t, m.Width() > 0.5, strings.Contains(strings.Join(g.Flags, "\n"), rateNames[k]+": "), "%s %s", g.Group, rateNames[k])
		}
	}
}

func TestDeterminism(t *testing.T) {
	rows := func(order []string) *Accumulator {
		a, err := NewAccumulator(Options{Resamples: 300})
		require.NoError(t, err)
		for _, g := range order {
			fill(a, g, map[string]tbl{"A": tA, "B": tB, "D": tD}[g])
		}
		return a
	}
	encode := func(a *Accumulator, seed uint64) string {
		r, err := a.Result(seed)
		require.NoError(t, err)
		b, err := json.Marshal(r)
		require.NoError(t, err)
		return string(b)
	}
	first := encode(rows([]string{"A", "B", "D"}), 42)
	assert.Equal(t, first, encode(rows([]string{"A", "B", "D"}), 42), "same rows, same seed")
	assert.Equal(t, first, encode(rows([]string{"D", "B", "A"}), 42), "row order does not matter")
	assert.NotEqual(t, first, encode(rows([]string{"A", "B", "D"}), 43), "another seed, other intervals")

	// A group's intervals come from its own stream: adding a group leaves
	// them alone.
	r1, err := rows([]string{"A", "B"}).Result(42)
	require.NoError(t, err)
	r2, err := rows([]string{"A", "B", "D"}).Result(42)
	require.NoError(t, err)
	g1, _ := r1.Group("B")
	g2, _ := r2.Group("B")
	assert.Equal(t, g1.TPR, g2.TPR)
}

func TestJSON(t *testing.T) {
	a, err := NewAccumulator(Options{Groups: []string{"empty"}, Resamples: 50})
	require.NoError(t, err)
	fill(a, "A", tA)
	fill(a, "D", tD)
	r, err := a.Result(1)
	require.NoError(t, err)
	b, err := json.Marshal(r)
	require.NoError(t, err, "NaN must not break encoding")
	assert.Contains(t, string(b), `"tpr":{"value":null,"low":null,"high":null,"resamples":0,"undefined":"no positive labels"}`)

	var back Report
	require.NoError(t, json.Unmarshal(b, &back))
	g, ok := back.Group("empty")
	require.True(t, ok)
	assert.True(t, math.IsNaN(g.Accuracy.Value))
	assert.Equal(t, "empty group", g.Accuracy.Undefined)
	orig, _ := r.Group("A")
	got, _ := back.Group("A")
	assert.Equal(t, orig.TPR, got.TPR, "defined metrics survive the round trip")

	inf, err := json.Marshal(Metric{Value: math.Inf(1), Low: 1, High: math.Inf(-1)})
	require.NoError(t, err)
	assert.JSONEq(t, `{"value":null,"low":1,"high":null,"resamples":0}`, string(inf))
}

func TestOptionsAndErrors(t *testing.T) {
	tests := []struct {
		opts   Options
		errHas string
	}{
		{Options{Confidence: 1.5}, "confidence 1.5"},
		{Options{Confidence: -0.1}, "confidence -0.1"},
		{Options{Confidence: math.NaN()}, "confidence NaN"},
		{Options{Resamples: -5}, "resamples -5"},
		{Options{MinGroupSize: -1}, "minimum group size -1"},
		{Options{MaxCIWidth: -0.5}, "maximum interval width -0.5"},
		{Options{MaxCIWidth: math.Inf(1)}, "maximum interval width +Inf"},
		{Options{ParityTolerance: 1.5}, "parity tolerance 1.5"},
		{Options{ParityTolerance: -0.1}, "parity tolerance -0.1"},
		{Options{Alpha: 2}, "significance level 2"},
		{Options{MaxPairGroups: 1}, "maximum pairwise groups 1: want 2 or more"},
		{Options{MaxGroups: -3}, "maximum groups -3: want 1 or more"},
	}
	for _, tc := range tests {
		_, err := NewAccumulator(tc.opts)
		assert.ErrorContains(t, err, tc.errHas)
	}

	a, err := NewAccumulator(Options{Column: "gender"})
	require.NoError(t, err)
	_, err = a.Result(1)
	assert.ErrorContains(t, err, `"gender": no rows were added`)

	fill(a, "x", tbl{tp: 1})
	r, err := a.Result(1)
	require.NoError(t, err)
	assert.Equal(t, DefaultResamples, r.Resamples)
	assert.Equal(t, DefaultConfidence, r.Confidence)
	assert.Equal(t, DefaultMinGroupSize, r.MinGroupSize)
	assert.Equal(t, DefaultParityTolerance, r.ParityTolerance)
	assert.Equal(t, 0.05, r.Alpha)
	assert.Equal(t, DefaultMaxPairGroups, r.MaxPairGroups)
	assert.Equal(t, DefaultMaxGroups, r.MaxGroups)
	assert.False(t, r.MissingAsGroup)
	assert.Equal(t, DefaultMaxCIWidth, r.MaxCIWidth)
	d, _ := r.Disparity(DemographicParityDifference)
	assert.Contains(t, d.Metric.Undefined, "needs positive_rate for two groups, has it for 1")
	assert.Equal(t, 1, a.Rows())
}

// TestResample checks the multinomial draw against its moments: each cell's
// mean is n·p and variance n·p(1−p), within 5 standard errors over 20,000
// draws, and the draw always has n rows with empty cells staying empty.
func TestResample(t *testing.T) {
	tests := []cells{
		{30, 20, 10, 40, 0, 0},      // n = 100: binomials by the rejection method
		{3, 0, 1, 2, 0, 4},          // n = 10: by direct simulation
		{0, 0, 0, 0, 700, 300},      // unlabelled only
		{5000, 1, 0, 0, 0, 994_999}, // a rare cell in a million rows
	}
	const draws = 20_000
	for _, c := range tests {
		s := newSampler(5, "g")
		n := float64(c.n())
		var sum, sumSq [nCells]float64
		var d cells
		for range draws {
			s.resample(&c, &d)
			require.Equal(t, c.n(), d.n())
			for i := range nCells {
				if c[i] == 0 {
					require.Zero(t, d[i])
				}
				sum[i] += float64(d[i])
				sumSq[i] += float64(d[i]) * float64(d[i])
			}
		}
		for i := range nCells {
			p := float64(c[i]) / n
			mean := sum[i] / draws
			variance := sumSq[i]/draws - mean*mean
			wantVar := n * p * (1 - p)
			assert.InDelta(t, n*p, mean, 5*math.Sqrt(wantVar/draws)+1e-9, "cells %v: cell %d mean", c, i)
			// The sample variance's standard error is about var·sqrt(2/draws).
			assert.InDelta(t, wantVar, variance, 5*wantVar*math.Sqrt(2.0/draws)+1e-9, "cells %v: cell %d variance", c, i)
		}
	}
}

// TestCoverage draws 300 datasets of 200 rows per group from known rates
// and checks how often the 95% bootstrap interval holds the true value, for
// the demographic parity difference and a group's TPR. A correct interval
// covers about 95% of the time; the test accepts 0.88 to 0.99 (with 300
// datasets the binomial standard error of a 0.95 rate is 0.013).
func TestCoverage(t *testing.T) {
	if testing.Short() {
		t.Skip("300 bootstrap reports")
	}
	type truth struct{ base, tpr, fpr float64 }
	groups := map[string]truth{"A": {0.4, 0.8, 0.2}, "B": {0.3, 0.6, 0.1}}
	pr := func(g truth) float64 { return g.base*g.tpr + (1-g.base)*g.fpr }
	trueDPD := pr(groups["A"]) - pr(groups["B"]) // 0.44 − 0.25
	const datasets, rows = 300, 200

	var dpdIn, tprIn int
	for ds := range datasets {
		rng := rand.New(rand.NewPCG(2024, uint64(ds)))
		a, err := NewAccumulator(Options{Resamples: 400})
		require.NoError(t, err)
		for _, name := range []string{"A", "B"} {
			g := groups[name]
			for range rows {
				y := rng.Float64() < g.base
				p := g.fpr
				if y {
					p = g.tpr
				}
				a.Add(y, rng.Float64() < p, name)
			}
		}
		r, err := a.Result(uint64(ds))
		require.NoError(t, err)
		d, _ := r.Disparity(DemographicParityDifference)
		if d.Metric.Low <= trueDPD && trueDPD <= d.Metric.High {
			dpdIn++
		}
		gA, _ := r.Group("A")
		if gA.TPR.Low <= groups["A"].tpr && groups["A"].tpr <= gA.TPR.High {
			tprIn++
		}
	}
	for name, in := range map[string]int{"demographic parity difference": dpdIn, "TPR of A": tprIn} {
		rate := float64(in) / datasets
		t.Logf("%s: coverage %.3f", name, rate)
		assert.GreaterOrEqual(t, rate, 0.88, name)
		assert.LessOrEqual(t, rate, 0.99, name)
	}
}

// TestMemoryFlat adds a million rows and checks the accumulator and its
// report need no memory for them: the heap grows by well under a megabyte
// (rows kept would cost tens of megabytes).
func TestMemoryFlat(t *testing.T) {
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	a, err := NewAccumulator(Options{Resamples: 200})
	require.NoError(t, err)
	names := []string{"a", "b", "c"}
	for i := range 1_000_000 {
		a.Add(i%3 == 0, i%5 == 0, names[i%3])
	}
	r, err := a.Result(1)
	require.NoError(t, err)
	runtime.GC()
	runtime.ReadMemStats(&ms)
	grew := int64(ms.HeapAlloc) - int64(base)
	assert.Less(t, grew, int64(1<<20), "heap grew by %d bytes", grew)
	assert.Equal(t, 1_000_000, r.Rows)
	runtime.KeepAlive(r)
}
