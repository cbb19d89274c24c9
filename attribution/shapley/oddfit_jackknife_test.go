package shapley

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/lucid-nlp/lucid/attribution/gametest"
	"github.com/lucid-nlp/lucid/attribution/wls"

	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/perturb"
)

// TestOddFitJackknifeMatchesRefits checks the refined estimate's
// jackknife, computed by Sherman–Morrison through G = M A⁻¹, against
// refitting the odd regression without each sampled pair: the same normal
// equations (ridge included) less that pair's row, solved afresh, and the
// variance formula of oddFit.jackknife applied to those refits.
func TestOddFitJackknifeMatchesRefits(t *testing.T) {
	const n, budget = 12, 300
	g := gametest.Sentiment(n, 4)
	rng := rand.New(rand.NewPCG(9, 10))
	d, err := planKernelDesign(context.Background(), n, budget, rng)
	require.NoError(t, err)
	v := make([]float64, len(d.rows))
	for r, c := range d.rows {
		v[r] = g.F(c)
	}
	v0, vN := g.F(perturb.NewCoalition(n)), g.F(perturb.FullCoalition(n))
	support := []uint64{0b111, 0b1110000, 0b10101010000, 0b11111}
	f, err := newOddFit(d, v, v0, vN, support, nil, 6.0/budget)
	require.NoError(t, err)
	se, df := f.jackknife(d)
	require.Len(t, se, n)

	cols := f.cols
	half := (vN - v0) / 2
	pairOf := map[int]int{}
	for k, r := range f.pairRow {
		pairOf[r] = k
	}
	want := make([]float64, n)
	wantDF := 0
	for _, grp := range collapseStrata(d.strata) {
		deltas := make([][]float64, 0, len(grp.pairs))
		mean := make([]float64, n)
		for _, pi := range grp.pairs {
			k := pairOf[d.pairs[pi][0]]
			xk := f.x[k*cols : (k+1)*cols]
			var ne wls.NormalEquations
			ne.Reset(cols)
			copy(ne.A, f.ne.A)
			copy(ne.B, f.ne.B)
			ne.AddRow(xk, -f.w[k], f.y[k]) // remove pair k
			beta, ok := ne.Solve()
			require.True(t, ok)
			phi := f.shapley(beta, half)
			dk := make([]float64, n)
			for i := range n {
				dk[i] = phi[i] - f.phi[i]
				mean[i] += dk[i] / float64(len(grp.pairs))
			}
			deltas = append(deltas, dk)
		}
		m := float64(len(grp.pairs))
		scale := (1 - grp.fraction) * m / (m - 1)
		for _, dk := range deltas {
			for i := range n {
				want[i] += scale * (dk[i] - mean[i]) * (dk[i] - mean[i])
			}
		}
		wantDF += len(grp.pairs) - 1
	}
	require.Equal(t, wantDF, df)
	for i := range n {
		want[i] = math.Sqrt(want[i])
		require.InDelta(t, want[i], se[i], 1e-9*want[i]+1e-15, "feature %d", i)
		require.Greater(t, se[i], 0.0, "feature %d has spread", i)
	}
}
