package group

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/fairness/stats"
)

func TestPairwiseHandComputed(t *testing.T) {
	// tA and tB (see TestHandComputed): A is the reference (higher positive
	// rate), so differences are A − B and the ratio B / A. The Fisher
	// p-values are R's fisher.test on the same 2×2 tables (computed from
	// the hypergeometric distribution with exact binomial coefficients).
	a, err := NewAccumulator(Options{Resamples: 400, MinGroupSize: 5})
	require.NoError(t, err)
	fill(a, "A", tA)
	fill(a, "B", tB)
	r, err := a.Result(5)
	require.NoError(t, err)
	require.Len(t, r.Pairs, 1)
	p := r.Pairs[0]
	assert.Equal(t, "A", p.A)
	assert.Equal(t, "B", p.B)
	assert.Equal(t, []string{"A", "B"}, r.PairGroups)
	assert.Empty(t, r.LeftOut)
	want := []struct {
		metric string
		est    float64
		table  [4]int
		p      float64
	}{
		{PositiveRate, 0.5 - 0.2, [4]int{5, 5, 2, 8}, 0.3498452012383901},
		{TPR, 0.75 - 0.25, [4]int{3, 1, 1, 3}, 0.4857142857142857},
		{FPR, 2.0/6 - 1.0/6, [4]int{2, 4, 1, 5}, 1},
		{Precision, 0.6 - 0.5, [4]int{3, 2, 1, 1}, 1},
		{DisparateImpact, 0.2 / 0.5, [4]int{5, 5, 2, 8}, 0.3498452012383901},
	}
	require.Len(t, p.Tests, len(want))
	// The family is the pair's five tests: Holm over all of them.
	raw := make([]float64, len(p.Tests))
	for i, tt := range p.Tests {
		raw[i] = tt.P
	}
	holm := stats.Holm(raw)
	assert.Equal(t, 5, r.Family.Size)
	assert.Equal(t, []string{"positive_rate A vs B", "tpr A vs B", "fpr A vs B", "precision A vs B", "disparate_impact A vs B"}, r.Family.Members)
	for i, w := range want {
		tt := p.Tests[i]
		assert.Equal(t, w.metric, tt.Metric)
		assert.InDelta(t, w.est, tt.Estimate.Value, tol, w.metric)
		assert.Equal(t, w.table, tt.Table, w.metric)
		assert.InDelta(t, w.p, tt.P, 1e-9, w.metric)
		assert.InDelta(t, holm[i], tt.Evidence.P, 1e-15, "Holm over the pair's five tests")
		assert.Less(t, tt.Estimate.Low, tt.Estimate.High, w.metric)
		assert.True(t, tt.Estimate.Low <= tt.Estimate.Value && tt.Estimate.Value <= tt.Estimate.High, w.metric)
		// Nothing is rejected, so every interval is at 1 − α/5.
		assert.InDelta(t, 0.99, tt.Confidence, 1e-12, w.metric)
		assert.Equal(t, stats.Decide(tt.Evidence), tt.Verdict, w.metric)
		assert.Equal(t, tt.Estimate.Value, tt.Evidence.Estimate)
	}
	pt, _ := p.Test(PositiveRate)
	assert.Equal(t, [2]float64{-0.1, 0.1}, [2]float64{pt.Evidence.Lower, pt.Evidence.Upper})
	di, _ := p.Test(DisparateImpact)
	assert.Equal(t, [2]float64{0.8, 1.25}, [2]float64{di.Evidence.Lower, di.Evidence.Upper})
	// 10 rows a group: large differences, nothing shown either way.
	assert.Equal(t, stats.Warn, pt.Verdict.Status)
	assert.Contains(t, pt.Verdict.Reason, "inconclusive")
	// Newcombe's 99% interval of 5/10 − 2/10, by hand from the two
	// Wilson intervals at z = 2.5758: [0.18423, 0.81577] and [0.04013,
	// 0.59918]; d − √((0.5−0.18423)² + (0.59918−0.2)²) = −0.20898,
	// d + √((0.81577−0.5)² + (0.2−0.04013)²) = 0.65394.
	assert.InDelta(t, -0.20898, pt.Estimate.Low, 1e-5)
	assert.InDelta(t, 0.65394, pt.Estimate.High, 1e-5)
	assert.Equal(t, stats.Warn, r.Verdict.Status)
	assert.Empty(t, r.Failing)
	// The interval of a signed difference is not folded at 0: TPR's
	// (3/4 − 1/4 on 4 positives each) reaches below it.
	tp, _ := p.Test(TPR)
	assert.Less(t, tp.Estimate.Low, 0.0)
}

// sim draws a group's rows: n labelled rows, half truly positive, with the
// given TPR and FPR.
func sim(a *Accumulator, rng *rand.Rand, group string, n int, tprV, fprV float64) {
	for i := range n {
		y := i%2 == 0
		p := fprV
		if y {
			p = tprV
		}
		a.Add(y, rng.Float64() < p, group)
	}
}

func TestPairwiseFindsAPlantedBiasThatPooledSummariesMiss(t *testing.T) {
	// Two groups with equal positive rates (so demographic parity and the
	// four-fifths rule see nothing) but TPR 0.90 vs 0.60 and FPR 0.10 vs
	// 0.40: a real bias in who is found.
	rng := rand.New(rand.NewPCG(1, 2))
	a, err := NewAccumulator(Options{Resamples: 300})
	require.NoError(t, err)
	sim(a, rng, "A", 1000, 0.9, 0.1)
	sim(a, rng, "B", 1000, 0.6, 0.4)
	r, err := a.Result(1)
	require.NoError(t, err)
	g, _ := r.Disparity(DisparateImpact)
	assert.Greater(t, g.Metric.Value, FourFifths, "the four-fifths rule passes")
	assert.Equal(t, stats.Fail, r.Verdict.Status, r.Verdict.Reason)
	joined := strings.Join(r.Failing, "\n")
	assert.Contains(t, joined, "tpr difference")
	assert.Contains(t, joined, "fpr difference")
	assert.NotContains(t, joined, "positive_rate")
	// The reference (the higher sampled positive rate) is A; either way
	// the signed interval lies on the planted side of 0, near 0.3.
	tp, _ := r.Pairs[0].Test(TPR)
	sign := 1.0
	if r.Pairs[0].A == "B" {
		sign = -1
	}
	assert.InDelta(t, 0.3, sign*tp.Estimate.Value, 0.06)
	assert.Greater(t, min(sign*tp.Estimate.Low, sign*tp.Estimate.High), 0.2)
}

func TestPairwiseHolmAndOrientation(t *testing.T) {
	a, err := NewAccumulator(Options{Resamples: 200, Reference: "mid"})
	require.NoError(t, err)
	fill(a, "hi", tbl{up: 60, un: 40, tp: 20, fn: 5, fp: 5, tn: 20})
	fill(a, "mid", tbl{up: 45, un: 55, tp: 15, fn: 10, fp: 5, tn: 20})
	fill(a, "lo", tbl{up: 30, un: 70, tp: 10, fn: 15, fp: 5, tn: 20})
	r, err := a.Result(2)
	require.NoError(t, err)
	require.Len(t, r.Pairs, 3)
	got := map[string]bool{}
	for _, p := range r.Pairs {
		got[p.A+">"+p.B] = true
	}
	// The reference is A whenever it is in the pair; otherwise A has the
	// higher positive rate.
	assert.Equal(t, map[string]bool{"mid>hi": true, "mid>lo": true, "hi>lo": true}, got)
	// One family: every pair × every metric, disparate impact included,
	// Holm-corrected together (3 pairs × 5 tests = 15).
	var raw, mat []float64
	for _, p := range r.Pairs {
		for j, name := range []string{PositiveRate, TPR, FPR, Precision, DisparateImpact} {
			assert.Equal(t, name, p.Tests[j].Metric)
			raw = append(raw, p.Tests[j].P)
			mat = append(mat, p.Tests[j].PMaterial)
		}
	}
	assert.Equal(t, 15, r.Family.Size)
	assert.Len(t, r.Family.Members, 15)
	adj, adjMat, levels := stats.Holm(raw), stats.Holm(mat), stats.HolmLevels(mat, r.Alpha)
	i := 0
	for _, p := range r.Pairs {
		for _, tt := range p.Tests {
			assert.InDelta(t, adj[i], tt.Evidence.P, 1e-15, "%s %s vs %s", tt.Metric, p.A, p.B)
			assert.InDelta(t, adjMat[i], tt.PMaterialHolm, 1e-15)
			assert.InDelta(t, 1-levels[i], tt.Confidence, 1e-15)
			assert.GreaterOrEqual(t, tt.Evidence.P, tt.P)
			// Interval and corrected test agree.
			outside := tt.Estimate.Low > tt.Evidence.Upper || tt.Estimate.High < tt.Evidence.Lower
			assert.Equal(t, tt.PMaterialHolm < r.Alpha, outside, "%s %s vs %s", tt.Metric, p.A, p.B)
			assert.Equal(t, outside, tt.Verdict.Status == stats.Fail)
			i++
		}
	}
	for _, p := range r.Pairs {
		di, _ := p.Test(DisparateImpact)
		pr, _ := p.Test(PositiveRate)
		assert.Equal(t, pr.P, di.P, "disparate impact's Fisher test is the positive rate's")
		ga, _ := r.Group(p.A)
		gb, _ := r.Group(p.B)
		assert.InDelta(t, gb.PositiveRate.Value/ga.PositiveRate.Value, di.Estimate.Value, tol)
		assert.InDelta(t, ga.PositiveRate.Value-gb.PositiveRate.Value, pr.Estimate.Value, tol)
	}
}

func TestDisparateImpactJudgedByItsInterval(t *testing.T) {
	// A ratio of 0.78 on 100 rows a group is below four-fifths on its
	// point estimate, but neither significant nor shown: WARN, not FAIL.
	a, err := NewAccumulator(Options{Resamples: 300})
	require.NoError(t, err)
	fill(a, "ref", tbl{up: 50, un: 50})
	fill(a, "other", tbl{up: 39, un: 61})
	r, err := a.Result(1)
	require.NoError(t, err)
	di, _ := r.Pairs[0].Test(DisparateImpact)
	assert.InDelta(t, 0.78, di.Estimate.Value, tol)
	assert.Less(t, di.Estimate.Low, FourFifths)
	assert.Greater(t, di.Estimate.High, FourFifths)
	assert.Equal(t, stats.Warn, di.Verdict.Status, di.Verdict.Reason)
	assert.NotEqual(t, stats.Fail, r.Verdict.Status)
	g, _ := r.Group("other")
	assert.True(t, g.BelowFourFifths, "the descriptive flag still reads the point estimate")

	// The same ratio on 20 times the rows is shown: FAIL.
	a, err = NewAccumulator(Options{Resamples: 300})
	require.NoError(t, err)
	fill(a, "ref", tbl{up: 2000, un: 2000})
	fill(a, "other", tbl{up: 1560, un: 2440})
	r, err = a.Result(1)
	require.NoError(t, err)
	di, _ = r.Pairs[0].Test(DisparateImpact)
	// Significant, but its corrected interval [0.737, 0.825] still
	// reaches into [0.8, 1.25]: a ratio of 0.78 is not shown below
	// four-fifths.
	assert.Equal(t, stats.Warn, di.Verdict.Status, di.Verdict.Reason)
	assert.Contains(t, di.Verdict.Reason, "significant but not shown material")
	assert.Less(t, di.Estimate.Low, FourFifths)
	assert.Greater(t, di.Estimate.High, FourFifths)

	// A ratio of 0.70 on as many rows is shown: FAIL.
	a, err = NewAccumulator(Options{Resamples: 300})
	require.NoError(t, err)
	fill(a, "ref", tbl{up: 2000, un: 2000})
	fill(a, "other", tbl{up: 1400, un: 2600})
	r, err = a.Result(1)
	require.NoError(t, err)
	di, _ = r.Pairs[0].Test(DisparateImpact)
	assert.Equal(t, stats.Fail, di.Verdict.Status, di.Verdict.Reason)
	assert.Less(t, di.Estimate.High, FourFifths)
	assert.Equal(t, stats.Fail, r.Verdict.Status)
	assert.Contains(t, strings.Join(r.Failing, "\n"), `disparate impact "other" / "ref" = 0.700`)
}

func TestMissingGroup(t *testing.T) {
	build := func(asGroup bool, ref string) (*Report, error) {
		a, err := NewAccumulator(Options{Resamples: 100, MinGroupSize: 10, MissingAsGroup: asGroup, Reference: ref})
		require.NoError(t, err)
		fill(a, "A", tbl{up: 30, un: 20})
		fill(a, "B", tbl{up: 20, un: 30})
		fill(a, "", tbl{up: 20, un: 0}) // the highest positive rate
		fill(a, " \t", tbl{up: 9, un: 1})
		return a.Result(1)
	}
	r, err := build(false, "")
	require.NoError(t, err)
	m, ok := r.Group(MissingGroup)
	require.True(t, ok)
	assert.True(t, m.Missing)
	assert.Equal(t, 30, m.Count, "empty and whitespace values are one row")
	assert.Equal(t, MissingGroup, r.Groups[len(r.Groups)-1].Group, "listed last")
	assert.Equal(t, "A", r.Reference, "never the reference")
	assert.False(t, m.BelowFourFifths)
	d, _ := r.Disparity(DemographicParityDifference)
	assert.InDelta(t, 0.6-0.4, d.Metric.Value, tol, "measured without the missing row")
	assert.Contains(t, d.Excluded, `"(missing)": missing group value (compared only with --missing-group as-group)`)
	assert.Equal(t, []string{"A", "B"}, r.PairGroups)
	assert.Contains(t, r.LeftOut, LeftOut{MissingGroup, "missing group value (compared only with --missing-group as-group)"})
	assert.Equal(t, 130, r.Rows, "its rows still count")

	_, err = build(false, MissingGroup)
	assert.ErrorContains(t, err, `reference group "(missing)" of group column cannot be the reference: missing group value`)

	r, err = build(true, "")
	require.NoError(t, err)
	assert.Equal(t, MissingGroup, r.Reference, "as a group it can be")
	assert.ElementsMatch(t, []string{"A", "B", MissingGroup}, r.PairGroups)
	assert.Len(t, r.Pairs, 3)
	d, _ = r.Disparity(DemographicParityDifference)
	assert.InDelta(t, 29.0/30-0.4, d.Metric.Value, tol)
}

func TestHighCardinalityPoolsTheSmallestGroups(t *testing.T) {
	// Five groups of 40..80 rows and four of 10; at most 3 groups.
	a, err := NewAccumulator(Options{Resamples: 50, MaxGroups: 3, Column: "city"})
	require.NoError(t, err)
	for i, n := range []int{80, 70, 60, 50, 40} {
		fill(a, fmt.Sprintf("g%d", i), tbl{up: n / 2, un: n - n/2})
	}
	for i := range 4 {
		fill(a, fmt.Sprintf("tiny%d", i), tbl{up: 5, un: 5})
	}
	assert.Equal(t, 340, a.Rows())
	r, err := a.Result(1)
	require.NoError(t, err)
	require.Len(t, r.Groups, 4)
	assert.Equal(t, []string{"g0", "g1", "g2", "other (6 groups)"}, groupNames(r, []int{0, 1, 2, 3}))
	o := r.Groups[3]
	assert.Equal(t, 6, o.PooledGroups)
	assert.Equal(t, 50+40+40, o.Count)
	assert.Equal(t, 340, r.Rows)
	require.Len(t, r.Warnings, 1)
	assert.Contains(t, r.Warnings[0], `"city" has more than 3 distinct values: the 3 largest groups with at least 30 rows are reported by name and the other 6 groups (130 rows) are pooled`)
	assert.Contains(t, r.LeftOut, LeftOut{"other (6 groups)", "pools 6 groups beyond the maximum of 3"})
	assert.Len(t, r.Pairs, 3)
}

func TestStreamingPoolingIsBounded(t *testing.T) {
	// MaxGroups 2: at most 20 groups are tracked. Two large groups come
	// first, then 500 one-row IDs interleaved with more of the large ones.
	a, err := NewAccumulator(Options{Resamples: 50, MaxGroups: 2, MinGroupSize: 5})
	require.NoError(t, err)
	for range 10 {
		a.AddUnlabelled(true, "big")
		a.AddUnlabelled(false, "big2")
	}
	for i := range 500 {
		a.AddUnlabelled(i%3 == 0, fmt.Sprintf("id-%d", i))
		a.AddUnlabelled(true, "big")
		a.AddUnlabelled(false, "big2")
		assert.LessOrEqual(t, len(a.groups), trackedFactor*2, "row %d", i)
	}
	assert.Equal(t, 1520, a.Rows())
	r, err := a.Result(1)
	require.NoError(t, err)
	require.Len(t, r.Groups, 3)
	assert.Equal(t, "big", r.Groups[0].Group)
	assert.Equal(t, 510, r.Groups[0].Count, "a kept group's count is exact")
	assert.Equal(t, 510, r.Groups[1].Count)
	o := r.Groups[2]
	assert.True(t, strings.HasPrefix(o.Group, "other (about "), o.Group)
	assert.InDelta(t, 500, o.PooledGroups, 5, "the Bloom filter's count of pooled names")
	assert.Equal(t, 500, o.Count)
	assert.Contains(t, r.Warnings[0], "only approximately the largest")
}

func TestFiftyThousandIDsGiveASmallReport(t *testing.T) {
	if testing.Short() {
		t.Skip("1M rows")
	}
	// An ID-like column: 1,000,000 rows, 50,000 distinct values of 20 rows.
	a, err := NewAccumulator(Options{Resamples: 200, Column: "user_id"})
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range 1_000_000 {
		a.Add(rng.IntN(2) == 0, rng.IntN(3) == 0, fmt.Sprintf("user-%05d", i%50_000))
	}
	assert.LessOrEqual(t, len(a.groups), trackedFactor*DefaultMaxGroups)
	r, err := a.Result(1)
	require.NoError(t, err)
	b, err := json.Marshal(r)
	require.NoError(t, err)
	t.Logf("report: %d bytes, %d group rows, %q", len(b), len(r.Groups), r.Groups[len(r.Groups)-1].Group)
	assert.Less(t, len(b), 1<<20)
	require.Len(t, r.Groups, 1, "every ID has 20 rows, fewer than 30: all pooled")
	assert.InDelta(t, 50_000, r.Groups[0].PooledGroups, 500)
	assert.Equal(t, 1_000_000, r.Groups[0].Count)
	assert.Equal(t, stats.Info, r.Verdict.Status)
}

func TestPairGroupsCapped(t *testing.T) {
	a, err := NewAccumulator(Options{Resamples: 50, MaxPairGroups: 3, Reference: "e"})
	require.NoError(t, err)
	for i, g := range []string{"a", "b", "c", "d", "e"} {
		n := 100 - 10*i
		fill(a, g, tbl{up: n / 2, un: n - n/2})
	}
	fill(a, "small", tbl{up: 3, un: 3})
	r, err := a.Result(1)
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "b", "e"}, r.PairGroups, "the largest, with the reference kept in")
	assert.Len(t, r.Pairs, 3)
	assert.Equal(t, []LeftOut{
		{"small", "small: 6 rows, fewer than the minimum of 30"},
		{"c", "beyond the 3 largest groups compared pairwise (80 rows)"},
		{"d", "beyond the 3 largest groups compared pairwise (70 rows)"},
	}, r.LeftOut)
	assert.Contains(t, strings.Join(r.Warnings, "\n"), "5 groups are large enough to compare; only the 3 largest are compared pairwise")
}

func TestPairJSONRoundTrip(t *testing.T) {
	a, err := NewAccumulator(Options{Resamples: 50, MinGroupSize: 5})
	require.NoError(t, err)
	fill(a, "A", tA)
	fill(a, "D", tD) // no positive labels: TPR undefined, P NaN
	r, err := a.Result(1)
	require.NoError(t, err)
	b, err := json.Marshal(r)
	require.NoError(t, err)
	assert.Contains(t, string(b), `"metric":"tpr","estimate":{"value":null,"low":null,"high":null,"resamples":0,"undefined":"tpr of \"D\": no positive labels"},"confidence":0,"table":[3,1,0,0],"p":null,"p_holm":null,"p_material":null,"p_material_holm":null,"tolerance":[-0.1,0.1],"alpha":0.05,"verdict":{"status":"info","reason":"no estimate: tpr of \"D\": no positive labels"}`)
	var back Report
	require.NoError(t, json.Unmarshal(b, &back))
	require.Len(t, back.Pairs, 1)
	for i, tt := range r.Pairs[0].Tests {
		got := back.Pairs[0].Tests[i]
		assert.Equal(t, tt.Verdict, got.Verdict)
		assert.Equal(t, stats.Decide(tt.Evidence), stats.Decide(got.Evidence), tt.Metric)
		assert.Equal(t, math.IsNaN(tt.P), math.IsNaN(got.P))
	}
	assert.Equal(t, r.Verdict, back.Verdict)
}

func TestOnlyMissingRows(t *testing.T) {
	a, err := NewAccumulator(Options{Resamples: 50})
	require.NoError(t, err)
	fill(a, "", tbl{up: 40, un: 40})
	r, err := a.Result(1)
	require.NoError(t, err)
	require.Len(t, r.Groups, 1)
	assert.True(t, r.Groups[0].Missing)
	assert.Equal(t, "", r.Reference)
	assert.Empty(t, r.Pairs)
	assert.Equal(t, stats.Info, r.Verdict.Status)
	assert.Contains(t, r.Verdict.Reason, "0 groups have at least 30 rows")
	d, _ := r.Disparity(DisparateImpact)
	assert.Equal(t, "no reference group: no group that can be compared has rows", d.Metric.Undefined)
}

// A group with no errors gets an interval with width, never a PASS on
// "data enough to say so": the case, FPR 0/20 against 3/60, had a
// zero-width bootstrap interval for group A and a PASS while Fisher's p
// was 0.57; A's FPR alone has a Wilson upper bound of 0.16.
func TestZeroErrorsGroupIsNotEquivalenceShown(t *testing.T) {
	a, err := NewAccumulator(Options{Resamples: 100, MinGroupSize: 20, Reference: "A"})
	require.NoError(t, err)
	fill(a, "A", tbl{tp: 20, fn: 0, fp: 0, tn: 20})
	fill(a, "B", tbl{tp: 55, fn: 5, fp: 3, tn: 57})
	r, err := a.Result(1)
	require.NoError(t, err)
	ga, _ := r.Group("A")
	assert.Equal(t, 0.0, ga.FPR.Value)
	assert.InDelta(t, 0.161, ga.FPR.High, 0.001, "Wilson upper bound of 0/20")
	f, ok := r.Pairs[0].Test(FPR)
	require.True(t, ok)
	assert.InDelta(t, -0.05, f.Estimate.Value, 1e-12)
	assert.Greater(t, f.Estimate.High-f.Estimate.Low, 0.1, "not zero width")
	assert.Less(t, f.Estimate.Low, -0.1, "reaches beyond the tolerance")
	assert.Equal(t, stats.Warn, f.Verdict.Status, f.Verdict.Reason)
	assert.Contains(t, f.Verdict.Reason, "inconclusive")
}

// The descriptive disparities are over the groups compared: a small group
// with an extreme rate is left out of max − min (and says why), as README
// says, instead of setting the spread.
func TestDisparitiesOverComparedGroupsOnly(t *testing.T) {
	a, err := NewAccumulator(Options{Resamples: 50})
	require.NoError(t, err)
	fill(a, "A", tbl{up: 50, un: 50})
	fill(a, "B", tbl{up: 40, un: 60})
	fill(a, "tiny", tbl{up: 10, un: 0}) // positive rate 1, 10 rows
	r, err := a.Result(1)
	require.NoError(t, err)
	assert.Equal(t, []string{"A", "B"}, r.PairGroups)
	d, ok := r.Disparity(DemographicParityDifference)
	require.True(t, ok)
	assert.InDelta(t, 0.1, d.Metric.Value, tol, "0.5 − 0.4, not 1 − 0.4")
	assert.Equal(t, []string{`"tiny": small: 10 rows, fewer than the minimum of 30`}, d.Excluded)
	di, _ := r.Disparity(DisparateImpact)
	assert.InDelta(t, 0.8, di.Metric.Value, tol)
}
