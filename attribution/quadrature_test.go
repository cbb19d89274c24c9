package attribution

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
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
