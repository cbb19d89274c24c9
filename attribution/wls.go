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
	raw := x.RawMatrix()
	var ne normalEquations
	ne.reset(p)
	for r := range rows {
		ne.addRow(raw.Data[r*raw.Stride:r*raw.Stride+p], w[r], y[r])
	}
	for j, l := range ridge {
		ne.a[j*p+j] += l
	}
	beta, ok := ne.solve()
	if !ok {
		return nil, fmt.Errorf("weighted least squares with %d rows and %d unknowns is singular", rows, p)
	}
	return beta, nil
}

// normalEquations accumulates A = Σ w x xᵀ and b = Σ w y x for a weighted
// least-squares problem of p unknowns and solves A β = b by a Cholesky
// factorisation of its own: gonum's also estimates the condition number,
// which cost more than the factorisation itself in KernelSHAP's jackknife.
type normalEquations struct {
	p int
	a []float64 // p × p, row-major; only the upper triangle is accumulated
	b []float64
	l []float64 // the Cholesky factor, lower triangle, after factor
}

func (ne *normalEquations) reset(p int) {
	ne.p = p
	ne.a = resize(ne.a, p*p)
	ne.b = resize(ne.b, p)
	clear(ne.a)
	clear(ne.b)
}

func resize(s []float64, n int) []float64 {
	if cap(s) < n {
		return make([]float64, n)
	}
	return s[:n]
}

// addRow adds w·x xᵀ to A and w·y·x to b.
func (ne *normalEquations) addRow(x []float64, w, y float64) {
	p := ne.p
	for i, xi := range x {
		if xi == 0 {
			continue
		}
		wxi := w * xi
		ne.b[i] += wxi * y
		row := ne.a[i*p : (i+1)*p]
		for k := i; k < p; k++ {
			row[k] += wxi * x[k]
		}
	}
}

// factor computes the lower Cholesky factor of A (upper triangle read) into
// ne.l; false when A is not positive definite to working precision.
func (ne *normalEquations) factor() bool {
	p := ne.p
	ne.l = resize(ne.l, p*p)
	return choleskyLower(ne.l, ne.a, p)
}

// choleskyLower writes the lower Cholesky factor of the symmetric matrix a
// (upper triangle read, p × p row-major) into l.
func choleskyLower(l, a []float64, p int) bool {
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

// solveLower solves L z = b in place (forward substitution).
func solveLower(l []float64, p int, b []float64) {
	for i := range p {
		s := b[i]
		for k, v := range l[i*p : i*p+i] {
			s -= v * b[k]
		}
		b[i] = s / l[i*p+i]
	}
}

// solveUpperT solves Lᵀ x = z in place (back substitution).
func solveUpperT(l []float64, p int, z []float64) {
	for i := p - 1; i >= 0; i-- {
		s := z[i]
		for k := i + 1; k < p; k++ {
			s -= l[k*p+i] * z[k]
		}
		z[i] = s / l[i*p+i]
	}
}

// solve factors A and returns A⁻¹b (a new slice); false when A is singular.
func (ne *normalEquations) solve() ([]float64, bool) {
	if !ne.factor() {
		return nil, false
	}
	beta := append([]float64(nil), ne.b...)
	solveLower(ne.l, ne.p, beta)
	solveUpperT(ne.l, ne.p, beta)
	for _, v := range beta {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, false
		}
	}
	return beta, true
}

// SolveWLS is solveWLS for the published baselines in bench/baselines
// (KAddSHAP's 2-additive fit): the β minimising Σ_r w_r (y_r − x_r·β)² +
// Σ_j ridge_j β_j² (ridge may be nil), by the normal equations and a
// Cholesky factorisation.
func SolveWLS(x *mat.Dense, y, w, ridge []float64) ([]float64, error) {
	return solveWLS(x, y, w, ridge)
}
