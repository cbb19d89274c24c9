package attribution

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// solveWLS returns the β minimising Σ_r w_r (y_r − x_r·β)² + Σ_j ridge_j β_j²
// (ridge may be nil), through the normal equations and a Cholesky
// factorisation. The designs here are small (a few hundred columns at most)
// and well conditioned, so the normal equations cost one pass over the rows
// and lose nothing measurable against a QR factorisation.
func solveWLS(x *mat.Dense, y, w, ridge []float64) ([]float64, error) {
	rows, p := x.Dims()
	if p == 0 {
		return nil, nil
	}
	xw := mat.DenseCopyOf(x)
	raw := xw.RawMatrix()
	yw := make([]float64, rows)
	for r := range rows {
		s := math.Sqrt(w[r])
		row := raw.Data[r*raw.Stride : r*raw.Stride+p]
		for j := range row {
			row[j] *= s
		}
		yw[r] = s * y[r]
	}
	a := mat.NewSymDense(p, nil)
	a.SymOuterK(1, xw.T())
	for j, l := range ridge {
		a.SetSym(j, j, a.At(j, j)+l)
	}
	var b mat.VecDense
	b.MulVec(xw.T(), mat.NewVecDense(rows, yw))
	var chol mat.Cholesky
	if !chol.Factorize(a) {
		return nil, fmt.Errorf("weighted least squares with %d rows and %d unknowns is singular", rows, p)
	}
	var beta mat.VecDense
	if err := chol.SolveVecTo(&beta, &b); err != nil {
		return nil, fmt.Errorf("weighted least squares with %d rows and %d unknowns: %w", rows, p, err)
	}
	return beta.RawVector().Data, nil
}
