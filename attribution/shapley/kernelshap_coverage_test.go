package shapley

import (
	"context"
	"fmt"
	"math"
	"testing"

	"github.com/lucid-nlp/lucid/attribution/gametest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/perturb"
)

// cachedGame is a game given by its full table of 2^n values, indexed by
// bitmask: built once, it makes thousands of KernelSHAP runs cheap.
type cachedGame struct {
	n int
	v []float64
}

func newCachedGame(g gametest.Func) cachedGame {
	v := make([]float64, 1<<g.N)
	for m := range v {
		v[m] = g.F(perturb.CoalitionFromMask(g.N, uint64(m)))
	}
	return cachedGame{n: g.N, v: v}
}

func (g cachedGame) NumFeatures() int { return g.n }

func (g cachedGame) Values(ctx context.Context, cs []perturb.Coalition) ([]float64, error) {
	out := make([]float64, len(cs))
	for k, c := range cs {
		m := 0
		for i := range g.n {
			if c.Has(i) {
				m |= 1 << i
			}
		}
		out[k] = g.v[m]
	}
	return out, nil
}

func TestKernelSHAPCoverage(t *testing.T) {
	// The 95% intervals φ ± 1.96·StdErr cover the exact Shapley values
	// 93–97% of the time wherever KernelSHAP reports its standard errors
	// as calibrated, over 200 seeds per budget on cached 10-, 12- and
	// 16-feature games (sentiment-like and probit, which has three-way
	// terms outside the control variate's family). Each cell pools 200·n
	// intervals: the binomial standard error of a 95% coverage is about
	// 0.004–0.005 if they were independent; the features of one run are
	// correlated, so the simulation's own error is larger (at most
	// 0.015, the standard error over 200 independent runs), and the band
	// is the issue's [0.93, 0.97]. Where the standard errors are marked
	// uncalibrated, the test only logs the coverage.
	if testing.Short() {
		t.Skip("coverage simulation: 2,600 KernelSHAP runs")
	}
	ctx := context.Background()
	const seeds = 200
	games := []struct {
		name string
		g    cachedGame
	}{
		{"sentiment n=10", newCachedGame(gametest.Sentiment(10, 101))},
		{"sentiment n=12", newCachedGame(gametest.Sentiment(12, 102))},
		{"probit n=16", newCachedGame(gametest.Probit(16, 103))},
	}
	calibratedCells := 0
	for _, gc := range games {
		exact := shapleyFromTable(gc.g.n, gc.g.v)
		line := gc.name + ":"
		for _, b := range []int{64, 128, 256, 512, 1024} {
			if b >= 1<<gc.g.n {
				continue // exact: no standard errors
			}
			covered, total := 0, 0
			calibrated := -1.0
			for s := range seeds {
				a, err := KernelSHAP(ctx, gc.g, KernelSHAPOptions{Budget: b, Seed: uint64(s)})
				require.NoError(t, err)
				require.NotNil(t, a.StdErr, "%s budget %d", gc.name, b)
				c := a.Diagnostics[DiagStdErrCalibrated]
				if calibrated < 0 {
					calibrated = c
				}
				require.Equal(t, calibrated, c, "the flag depends on n and the budget only")
				for i, v := range a.Values {
					total++
					if math.Abs(v-exact[i]) <= 1.96*a.StdErr[i] {
						covered++
					}
				}
			}
			cov := float64(covered) / float64(total)
			mark := ""
			if calibrated == 1 {
				calibratedCells++
				assert.GreaterOrEqual(t, cov, 0.93, "%s budget %d: coverage of calibrated intervals", gc.name, b)
				assert.LessOrEqual(t, cov, 0.97, "%s budget %d: coverage of calibrated intervals", gc.name, b)
			} else {
				mark = " (uncalibrated)"
			}
			line += fmt.Sprintf("  %d: %.3f%s", b, cov, mark)
		}
		t.Log(line)
	}
	assert.GreaterOrEqual(t, calibratedCells, 10, "most cells are calibrated")
}

func TestKernelSHAPStdErrMarkedUncalibrated(t *testing.T) {
	// At 64 evaluations on 16 features (15 sampled pairs) the intervals
	// cover about 88%: the result says so, and the explainer's threshold
	// agrees with the flag on both sides of it.
	ctx := context.Background()
	g := newCachedGame(gametest.Sentiment(16, 7))
	a, err := KernelSHAP(ctx, g, KernelSHAPOptions{Budget: 64, Seed: 1})
	require.NoError(t, err)
	require.NotNil(t, a.StdErr)
	assert.Equal(t, 0.0, a.Diagnostics[DiagStdErrCalibrated])
	assert.Equal(t, 15.0, a.Diagnostics[DiagSampledPairs])
	b := CalibratedKernelSHAPBudget(16)
	assert.Equal(t, 114, b, "2.5·16 = 40 sampled pairs: 32 rows for sizes 1 and 15, then 80")
	for _, budget := range []int{b - 1, b} {
		a, err := KernelSHAP(ctx, g, KernelSHAPOptions{Budget: budget, Seed: 1})
		require.NoError(t, err)
		want := 0.0
		if budget == b {
			want = 1
		}
		assert.Equal(t, want, a.Diagnostics[DiagStdErrCalibrated], "budget %d", budget)
		assert.Greater(t, a.Diagnostics[DiagStdErrDF], 0.0)
	}
	assert.Equal(t, 0, CalibratedKernelSHAPBudget(4), "4 features: exact before calibrated")
}
