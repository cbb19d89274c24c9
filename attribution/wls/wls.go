// Package wls solves the weighted least-squares problems of the
// regression estimators (KernelSHAP and its refinement, LIME's fit, the
// published baselines in bench/baselines) through the normal equations and
// a Cholesky factorisation of its own. The designs are small (a few hundred
// columns at most) and well conditioned, so the normal equations cost one
// pass over the rows and lose nothing measurable against a QR
// factorisation; NormalEquations is exported so an estimator can add and
// remove rows (a jackknife) without refactoring from scratch.
package wls

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// Solve returns the β minimising Σ_r w_r (y_r − x_r·β)² + Σ_j ridge_j β_j²
// (ridge may be nil), through the normal equations and a Cholesky
// factorisation.
func Solve(x *mat.Dense, y, w, ridge []float64) ([]float64, error) {
	rows, p := x.Dims()
	if p == 0 {
		return nil, nil
	}
	raw := x.RawMatrix()
	var ne NormalEquations
	ne.Reset(p)
	for r := range rows {
		ne.AddRow(raw.Data[r*raw.Stride:r*raw.Stride+p], w[r], y[r])
	}
	for j, l := range ridge {
		ne.A[j*p+j] += l
	}
	beta, ok := ne.Solve()
	if !ok {
		return nil, fmt.Errorf("weighted least squares with %d rows and %d unknowns is singular", rows, p)
	}
	return beta, nil
}

// NormalEquations accumulates A = Σ w x xᵀ and b = Σ w y x for a weighted
// least-squares problem of p unknowns and solves A β = b by a Cholesky
// factorisation of its own: gonum's also estimates the condition number,
// which cost more than the factorisation itself in KernelSHAP's jackknife.
type NormalEquations struct {
	p int
	A []float64 // p × p, row-major; only the upper triangle is accumulated
	B []float64
	L []float64 // the Cholesky factor, lower triangle, after Solve
}

// Reset empties the equations for p unknowns, keeping their storage.
func (ne *NormalEquations) Reset(p int) {
	ne.p = p
	ne.A = resize(ne.A, p*p)
	ne.B = resize(ne.B, p)
	clear(ne.A)
	clear(ne.B)
}

func resize(s []float64, n int) []float64 {
	if cap(s) < n {
		return make([]float64, n)
	}
	return s[:n]
}

// AddRow adds w·x xᵀ to A and w·y·x to b.
func (ne *NormalEquations) AddRow(x []float64, w, y float64) {
	p := ne.p
	for i, xi := range x {
		if xi == 0 {
			continue
		}
		wxi := w * xi
		ne.B[i] += wxi * y
		row := ne.A[i*p : (i+1)*p]
		for k := i; k < p; k++ {
			row[k] += wxi * x[k]
		}
	}
}

// factor computes the lower Cholesky factor of A (upper triangle read) into
// ne.L; false when A is not positive definite to working precision.
func (ne *NormalEquations) factor() bool {
	p := ne.p
	ne.L = resize(ne.L, p*p)
	return CholeskyLower(ne.L, ne.A, p)
}

// CholeskyLower writes the lower Cholesky factor of the symmetric matrix a
// (upper triangle read, p × p row-major) into l.
func CholeskyLower(l, a []float64, p int) bool {
	clear(l)
	for j := range p {
		lj := l[j*p : j*p+j]
		d := a[j*p+j]
		for _, v := range lj {
			d -= v * v
		}
		if !(d > 0) || math.IsInf(d, 0) {
			return false
		}
		d = math.Sqrt(d)
		l[j*p+j] = d
		for i := j + 1; i < p; i++ {
			li := l[i*p : i*p+j]
			s := a[j*p+i]
			for k, v := range li {
				s -= v * lj[k]
			}
			l[i*p+j] = s / d
		}
	}
	return true
}

// SolveLower solves L z = b in place (forward substitution).
func SolveLower(l []float64, p int, b []float64) {
	for i := range p {
		s := b[i]
		for k, v := range l[i*p : i*p+i] {
			s -= v * b[k]
		}
		b[i] = s / l[i*p+i]
	}
}

// SolveUpperT solves Lᵀ x = z in place (back substitution).
func SolveUpperT(l []float64, p int, z []float64) {
	for i := p - 1; i >= 0; i-- {
		s := z[i]
		for k := i + 1; k < p; k++ {
			s -= l[k*p+i] * z[k]
		}
		z[i] = s / l[i*p+i]
	}
}

// Solve factors A and returns A⁻¹b (a new slice); false when A is singular.
func (ne *NormalEquations) Solve() ([]float64, bool) {
	if !ne.factor() {
		return nil, false
	}
	beta := append([]float64(nil), ne.B...)
	SolveLower(ne.L, ne.p, beta)
	SolveUpperT(ne.L, ne.p, beta)
	for _, v := range beta {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, false
		}
	}
	return beta, true
}
