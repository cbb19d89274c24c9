package group

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/fairness/stats"
)

// simResamples is the bootstrap size of the simulations: 200 instead of
// the default 1000, to keep them fast. The verdict's test (Fisher) does not
// depend on it; the intervals are a little noisier.
const simResamples = 200

// simulate runs sims datasets of groups with n labelled rows each (half
// truly positive, FPR 0.1), group g having TPR tprs[g], and returns the
// reports.
func simulate(t *testing.T, sims, n int, tprs []float64, seed uint64) []*Report {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 99))
	out := make([]*Report, sims)
	for s := range sims {
		a, err := NewAccumulator(Options{Resamples: simResamples})
		require.NoError(t, err)
		for g, v := range tprs {
			sim(a, rng, fmt.Sprintf("g%d", g), n, v, 0.1)
		}
		r, err := a.Result(uint64(s))
		require.NoError(t, err)
		out[s] = r
	}
	return out
}

func failShare(rs []*Report) (int, stats.Interval) {
	k := 0
	for _, r := range rs {
		if r.Verdict.Status == stats.Fail {
			k++
		}
	}
	return k, stats.Wilson(k, len(rs), stats.Z95)
}

func TestSimulatedTPRGap(t *testing.T) {
	// Two groups of 500 labelled rows (250 positives each), TPR 0.80 vs
	// 0.65: a planted gap of 0.15, beyond the 0.1 tolerance.
	const sims = 400
	rs := simulate(t, sims, 500, []float64{0.80, 0.65}, 1)
	k, iv := failShare(rs)
	power := float64(k) / sims
	t.Logf("power (FAIL share, gap 0.15, 250 positives a group): %d/%d = %.3f, 95%% Wilson [%.3f, %.3f]", k, sims, power, iv.Low, iv.High)
	assert.Greater(t, power, 0.75)

	// Coverage of the bootstrap interval of the signed TPR difference.
	covered := 0
	for _, r := range rs {
		tp, ok := r.Pairs[0].Test(TPR)
		require.True(t, ok)
		truth := 0.15
		if r.Pairs[0].A == "g1" {
			truth = -0.15
		}
		if tp.Estimate.Low <= truth && truth <= tp.Estimate.High {
			covered++
		}
	}
	civ := stats.Wilson(covered, sims, stats.Z95)
	t.Logf("coverage of the 95%% interval of the TPR difference: %d/%d = %.3f, Wilson [%.3f, %.3f]", covered, sims, float64(covered)/sims, civ.Low, civ.High)
	assert.InDelta(t, 0.95, float64(covered)/sims, 0.03)
}

func TestSimulatedNoGapIsRarelyFailed(t *testing.T) {
	const sims = 400
	for _, tc := range []struct {
		name string
		tprs []float64
	}{
		{"two groups", []float64{0.8, 0.8}},
		{"six groups", []float64{0.8, 0.8, 0.8, 0.8, 0.8, 0.8}},
	} {
		rs := simulate(t, sims, 500, tc.tprs, 2)
		k, iv := failShare(rs)
		t.Logf("%s, no gap: FAIL share %d/%d = %.3f, 95%% Wilson [%.3f, %.3f]", tc.name, k, sims, float64(k)/sims, iv.Low, iv.High)
		assert.LessOrEqual(t, float64(k)/sims, stats.DefaultAlpha, tc.name)
	}
}
