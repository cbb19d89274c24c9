package wls

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"
)

// A weighted fit of y = 1 + 2x on four points, by hand: with weights
// (1, 1, 2, 2) and exact data the fit is exact; a ridge on the slope pulls
// it to the closed-form (XᵀWX + Λ)⁻¹XᵀWy.
func TestSolveAgainstTheNormalEquationsByHand(t *testing.T) {
	x := mat.NewDense(4, 2, []float64{1, 0, 1, 1, 1, 2, 1, 3})
	y := []float64{1, 3, 5, 7}
	w := []float64{1, 1, 2, 2}
	beta, err := Solve(x, y, w, nil)
	require.NoError(t, err)
	assert.InDeltaSlice(t, []float64{1, 2}, beta, 1e-12)

	// XᵀWX = [[6, 11], [11, 27]], XᵀWy = [28, 65]; ridge 1 on the slope:
	// [[6, 11], [11, 28]] β = [28, 65] → β = (28·28 − 11·65, 6·65 − 11·28) / 47.
	beta, err = Solve(x, y, w, []float64{0, 1})
	require.NoError(t, err)
	assert.InDeltaSlice(t, []float64{(28*28 - 11*65) / 47.0, (6*65 - 11*28) / 47.0}, beta, 1e-12)
}

func TestSolveRefusesASingularDesign(t *testing.T) {
	// Two equal columns: XᵀWX is singular.
	x := mat.NewDense(3, 2, []float64{1, 1, 2, 2, 3, 3})
	_, err := Solve(x, []float64{1, 2, 3}, []float64{1, 1, 1}, nil)
	assert.ErrorContains(t, err, "singular")
}

// Removing a row from the normal equations (a negative weight, as the
// jackknife does) gives the fit without that row.
func TestNormalEquationsAddAndRemoveRows(t *testing.T) {
	rows := [][]float64{{1, 0}, {1, 1}, {1, 2}, {1, 4}}
	y := []float64{0.5, 1.4, 2.6, 4.1}
	var all, three NormalEquations
	all.Reset(2)
	three.Reset(2)
	for i, r := range rows {
		all.AddRow(r, 1, y[i])
		if i != 3 {
			three.AddRow(r, 1, y[i])
		}
	}
	all.AddRow(rows[3], -1, y[3])
	got, ok := all.Solve()
	require.True(t, ok)
	want, ok := three.Solve()
	require.True(t, ok)
	assert.InDeltaSlice(t, want, got, 1e-12)
}
