package path

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestQuadratureIntegratesPolynomials(t *testing.T) {
	for _, steps := range []int{1, 2, 3, 8, 16, 33} {
		a, w := GaussLegendre.Nodes(steps)
		// exact for degree 2n-1: ∫_0^1 x^d dx = 1/(d+1)
		for d := 0; d <= 2*steps-1; d++ {
			var s float64
			for i := range a {
				s += w[i] * math.Pow(a[i], float64(d))
			}
			assert.InDelta(t, 1/float64(d+1), s, 1e-12, "steps %d degree %d", steps, d)
		}
	}
	a, w := RiemannMidpoint.Nodes(4)
	assert.Equal(t, []float64{0.125, 0.375, 0.625, 0.875}, a)
	assert.InDeltaSlice(t, []float64{0.25, 0.25, 0.25, 0.25}, w, 0)
}

func TestGaussLegendreAtMaxSteps(t *testing.T) {
	// At MaxSteps the nodes are strictly increasing inside (0, 1),
	// symmetric, the weights positive and summing to 1, and smooth
	// integrands come out to rounding: ∫_0^1 e^x = e − 1 and
	// ∫_0^1 cos(40x) = sin(40)/40, within 1e-12.
	a, w := GaussLegendre.Nodes(MaxSteps)
	require.Len(t, a, MaxSteps)
	sum, ex, cs := 0.0, 0.0, 0.0
	for i := range a {
		assert.True(t, a[i] > 0 && a[i] < 1)
		if i > 0 {
			assert.Greater(t, a[i], a[i-1])
		}
		assert.InDelta(t, 1, a[i]+a[len(a)-1-i], 1e-15)
		assert.Greater(t, w[i], 0.0)
		sum += w[i]
		ex += w[i] * math.Exp(a[i])
		cs += w[i] * math.Cos(40*a[i])
	}
	assert.InDelta(t, 1, sum, 1e-12)
	assert.InDelta(t, math.E-1, ex, 1e-12)
	assert.InDelta(t, math.Sin(40)/40, cs, 1e-12)
	a, w = GaussLegendre.Nodes(0)
	assert.Empty(t, a)
	assert.Empty(t, w)
}
