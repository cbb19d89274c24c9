package group

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/fairness/stats"
)

// The decision rule checked by simulation, as the Guide's "Statistics"
// asks: synthetic predictions streamed straight into the accumulator (no
// model), seeded, at least 200 datasets a claim. Each test logs its rate
// with the rate's 95% Wilson interval (go test -v -run Simulated
// ./fairness/group/).
//
// The assertions are on the observed rate of the seeded run, which is
// deterministic, so they cannot flake; each bound is far enough from
// what a correct rule gives that a regression (a family corrected per
// metric, FAIL on a point estimate, a zero-width interval) crosses it.

// simResamples is the bootstrap size of the simulations. The verdict and
// every interval it uses are closed-form; only the descriptive
// disparities resample.
const simResamples = 20

// groupSpec is one simulated group: its rows, label base rate, TPR and
// FPR.
type groupSpec struct {
	n                int
	base, tprV, fprV float64
}

// draw streams one group's rows: each labelled positive with probability
// base and predicted positive with probability tprV (true positives) or
// fprV (true negatives).
func draw(a *Accumulator, rng *rand.Rand, name string, g groupSpec) {
	for range g.n {
		y := rng.Float64() < g.base
		p := g.fprV
		if y {
			p = g.tprV
		}
		a.Add(y, rng.Float64() < p, name)
	}
}

// simulate runs sims datasets, spec(rng) giving each dataset's groups,
// and returns the reports.
func simulate(t *testing.T, sims int, seed uint64, spec func(rng *rand.Rand) []groupSpec) ([]*Report, [][]groupSpec) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 99))
	out := make([]*Report, sims)
	specs := make([][]groupSpec, sims)
	for s := range sims {
		a, err := NewAccumulator(Options{Resamples: simResamples, MinGroupSize: 20})
		require.NoError(t, err)
		specs[s] = spec(rng)
		for g, gs := range specs[s] {
			draw(a, rng, fmt.Sprintf("g%d", g), gs)
		}
		r, err := a.Result(uint64(s))
		require.NoError(t, err)
		out[s] = r
	}
	return out, specs
}

// rate is k of n with its 95% Wilson interval, for the log.
func share(k, n int) string {
	iv := stats.Wilson(k, n, stats.Z95)
	return fmt.Sprintf("%d/%d = %.3f, 95%% Wilson [%.3f, %.3f]", k, n, float64(k)/float64(n), iv.Low, iv.High)
}

func failed(rs []*Report) int {
	k := 0
	for _, r := range rs {
		if r.Verdict.Status == stats.Fail {
			k++
		}
	}
	return k
}

// Clean data is FAILed at most α of the time: two and six groups of
// 100–1,000 rows each, at ordinary rates and at rates so near 0 and 1
// that small groups often have no false positives or no misses.
func TestSimulatedNoGapFailsAtMostAlpha(t *testing.T) {
	const sims = 300
	for _, tc := range []struct {
		name             string
		groups           int
		base, tprV, fprV float64
	}{
		{"two groups, TPR 0.8 FPR 0.1", 2, 0.5, 0.8, 0.1},
		{"six groups, TPR 0.8 FPR 0.1", 6, 0.5, 0.8, 0.1},
		{"two groups, TPR 0.995 FPR 0.005", 2, 0.3, 0.995, 0.005},
		{"six groups, TPR 0.995 FPR 0.005", 6, 0.3, 0.995, 0.005},
	} {
		rs, _ := simulate(t, sims, 2, func(rng *rand.Rand) []groupSpec {
			gs := make([]groupSpec, tc.groups)
			for i := range gs {
				gs[i] = groupSpec{100 + rng.IntN(901), tc.base, tc.tprV, tc.fprV}
			}
			return gs
		})
		k := failed(rs)
		t.Logf("%s, no gap, 100–1,000 rows a group: FAIL rate %s (family of %d tests in the first dataset)", tc.name, share(k, sims), rs[0].Family.Size)
		assert.LessOrEqual(t, float64(k)/sims, stats.DefaultAlpha, tc.name)
	}
}

// A true gap of 0.09, inside the 0.1 tolerance, in positive rate, TPR and
// FPR at once (disparate impact 0.82, inside [0.8, 1.25]), with 500 rows
// a group: FAILed at most α of the time. The rule this replaced FAILed it
// 19.5% of the time, and 47% at exactly 0.10, the band's edge, which
// must be held to α too.
func TestSimulatedGapInsideToleranceFailsAtMostAlpha(t *testing.T) {
	const sims = 400
	for _, tc := range []struct {
		gap  float64
		a, b groupSpec
	}{
		{0.09, groupSpec{500, 0.5, 0.80, 0.20}, groupSpec{500, 0.5, 0.71, 0.11}},
		{0.10, groupSpec{500, 0.5, 0.80, 0.20}, groupSpec{500, 0.5, 0.70, 0.10}},
	} {
		rs, _ := simulate(t, sims, 3, func(*rand.Rand) []groupSpec { return []groupSpec{tc.a, tc.b} })
		k := failed(rs)
		t.Logf("true gap %.2f, tolerance 0.1, 500 rows a group: FAIL rate %s", tc.gap, share(k, sims))
		assert.LessOrEqual(t, float64(k)/sims, stats.DefaultAlpha, "gap %v", tc.gap)
	}
}

// A gap of 0.25 (positive rate, TPR and FPR) with 500 rows a group is
// found: FAILed at least 90% of the time. Gaps of 0.15 and 0.20 are
// logged to show the power curve between the tolerance and 0.25.
func TestSimulatedMaterialGapIsFound(t *testing.T) {
	const sims = 400
	for _, tc := range []struct {
		gap  float64
		a, b groupSpec
	}{
		{0.15, groupSpec{500, 0.5, 0.80, 0.30}, groupSpec{500, 0.5, 0.65, 0.15}},
		{0.20, groupSpec{500, 0.5, 0.80, 0.30}, groupSpec{500, 0.5, 0.60, 0.10}},
		{0.25, groupSpec{500, 0.5, 0.85, 0.35}, groupSpec{500, 0.5, 0.60, 0.10}},
	} {
		rs, _ := simulate(t, sims, 4, func(*rand.Rand) []groupSpec { return []groupSpec{tc.a, tc.b} })
		k := failed(rs)
		t.Logf("gap %.2f, tolerance 0.1, 500 rows a group: FAIL rate (power) %s", tc.gap, share(k, sims))
		if tc.gap == 0.25 {
			assert.GreaterOrEqual(t, float64(k)/sims, 0.90)
		}
		for _, r := range rs[:5] {
			if r.Verdict.Status == stats.Fail {
				assert.NotEmpty(t, r.Failing)
			}
		}
	}
}

// The intervals hold their coverage, groups with no positives (or no
// negatives) included: each group's 95% rate intervals (Wilson), the
// pairwise differences' 95% Newcombe interval (the pair test's
// construction for a family of one), and the reported pair intervals at
// their corrected level. Groups of 20–200 rows, the two groups of a
// dataset at different true rates.
//
// Newcombe's interval is conservative where a rate is within a few
// events of 0 or 1 (coverage 0.97–0.98 there; Newcombe 1998), so the
// pooled coverage of the differences is asserted in [0.93, 0.98], the
// groups' Wilson intervals in [0.93, 0.97].
func TestSimulatedIntervalsCover(t *testing.T) {
	const sims = 300
	type tally struct{ in, n int }
	var groupCov, pairCov95, pairCovStated tally
	statedMin := 1.0
	for ci, tc := range []struct {
		name string
		a, b groupSpec
	}{
		{"ordinary rates", groupSpec{0, 0.5, 0.8, 0.1}, groupSpec{0, 0.5, 0.7, 0.2}},
		{"FPR 0.01 vs 0.04 (often no false positives)", groupSpec{0, 0.3, 0.9, 0.01}, groupSpec{0, 0.3, 0.8, 0.04}},
		{"TPR 0.995 vs 0.95 (often every positive found)", groupSpec{0, 0.3, 0.995, 0.2}, groupSpec{0, 0.3, 0.95, 0.1}},
	} {
		var g, p95 tally
		rs, specs := simulate(t, sims, 10+uint64(ci), func(rng *rand.Rand) []groupSpec {
			a, b := tc.a, tc.b
			a.n, b.n = 20+rng.IntN(181), 20+rng.IntN(181)
			return []groupSpec{a, b}
		})
		for s, r := range rs {
			truth := map[string]groupSpec{"g0": specs[s][0], "g1": specs[s][1]}
			trueRate := func(g groupSpec, k rate) float64 {
				switch k {
				case tpr:
					return g.tprV
				case fpr:
					return g.fprV
				}
				return g.base*g.tprV + (1-g.base)*g.fprV // positive rate
			}
			for _, gs := range r.Groups {
				for _, k := range []rate{positiveRate, tpr, fpr} {
					m := gs.metric(k)
					if !m.Defined() {
						continue
					}
					g.n++
					if v := trueRate(truth[gs.Group], k); m.Low <= v && v <= m.High {
						g.in++
					}
				}
			}
			for _, p := range r.Pairs {
				for _, k := range []rate{positiveRate, tpr, fpr} {
					tt, _ := p.Test(rateNames[k])
					if !tt.Estimate.Defined() {
						continue
					}
					d := trueRate(truth[p.A], k) - trueRate(truth[p.B], k)
					iv := stats.NewcombeZ(tt.Table[0], tt.Table[0]+tt.Table[1], tt.Table[2], tt.Table[2]+tt.Table[3], stats.Z95)
					p95.n++
					if iv.Contains(d) {
						p95.in++
					}
					pairCovStated.n++
					if tt.Estimate.Low <= d && d <= tt.Estimate.High {
						pairCovStated.in++
					}
					statedMin = min(statedMin, tt.Confidence)
				}
			}
		}
		t.Logf("%s: groups' 95%% Wilson intervals cover %s; differences' 95%% Newcombe intervals cover %s", tc.name, share(g.in, g.n), share(p95.in, p95.n))
		groupCov.in, groupCov.n = groupCov.in+g.in, groupCov.n+g.n
		pairCov95.in, pairCov95.n = pairCov95.in+p95.in, pairCov95.n+p95.n
	}
	t.Logf("pooled: groups' 95%% rate intervals (Wilson) cover %s", share(groupCov.in, groupCov.n))
	t.Logf("pooled: pairwise differences' 95%% Newcombe intervals cover %s", share(pairCov95.in, pairCov95.n))
	t.Logf("reported pair intervals (stated level ≥ %.4f) cover %s", statedMin, share(pairCovStated.in, pairCovStated.n))
	gs, ps := float64(groupCov.in)/float64(groupCov.n), float64(pairCov95.in)/float64(pairCov95.n)
	assert.GreaterOrEqual(t, gs, 0.93, "group rates")
	assert.LessOrEqual(t, gs, 0.97, "group rates")
	assert.GreaterOrEqual(t, ps, 0.93, "pair differences at 95%")
	assert.LessOrEqual(t, ps, 0.98, "pair differences at 95%")
	assert.GreaterOrEqual(t, float64(pairCovStated.in)/float64(pairCovStated.n), statedMin-0.02, "reported intervals cover at their stated level")
}
