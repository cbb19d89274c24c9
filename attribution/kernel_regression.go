package attribution

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
)

// kernelEstimate is KernelSHAP's answer before it is wrapped.
type kernelEstimate struct {
	phi            []float64
	stdErr         []float64
	controlVariate bool
}

// estimateKernel runs the regression on the valued design, with the
// logistic control variate when useCV allows it and it helps.
func estimateKernel(d *kernelDesign, v0, vN float64, v []float64, useCV bool, rng *rand.Rand) (*kernelEstimate, error) {
	reg, err := newKernelRegression(d)
	if err != nil {
		return nil, err
	}
	plain := reg.fit(v, v0, vN)
	best := plain
	cv := false
	if useCV && inUnitInterval(v0, vN, v) {
		if q, ok := fitLogistic(reg.z, d.n, d.weight, v, v0, vN); ok {
			res := make([]float64, len(v))
			for r := range v {
				res[r] = v[r] - q.at(reg.z[r*d.n:(r+1)*d.n])
			}
			adj := reg.fit(res, v0-q.empty(), vN-q.full())
			lofPlain, lofAdj := reg.oddLackOfFit(plain.resid), reg.oddLackOfFit(adj.resid)
			if lofPlain > 1e-24*reg.spread(v) && lofAdj < lofPlain {
				phiQ := q.shapley(rng)
				for i := range adj.phi {
					adj.phi[i] += phiQ[i]
				}
				best, cv = adj, true
			}
		}
	}
	out := &kernelEstimate{phi: best.phi, controlVariate: cv}
	if d.paired && len(d.pairs) > 0 {
		out.stdErr = reg.sandwich(d, best.resid)
	}
	return out, nil
}

func inUnitInterval(v0, vN float64, v []float64) bool {
	if v0 < 0 || v0 > 1 || vN < 0 || vN > 1 {
		return false
	}
	for _, x := range v {
		if x < 0 || x > 1 {
			return false
		}
	}
	return true
}

// kernelRegression is the efficiency-constrained weighted least-squares
// problem on a design: φ_{n−1} is eliminated as Δ − Σ_{i<n−1} φ_i, leaving
// the reduced indicators x_ri = z_ri − z_r,n−1. Its normal matrix depends
// only on the design, so it is factorised once for every fit.
type kernelRegression struct {
	n, rows int
	z       []float64 // rows × n indicators, row-major
	w       []float64
	x       *mat.Dense // rows × (n−1)
	chol    mat.Cholesky
	mate    []int
}

func newKernelRegression(d *kernelDesign) (*kernelRegression, error) {
	n, rows := d.n, len(d.rows)
	if n < 2 {
		return nil, fmt.Errorf("the regression needs at least 2 features, have %d", n)
	}
	reg := &kernelRegression{n: n, rows: rows, w: d.weight, mate: d.mate, z: make([]float64, rows*n)}
	xs := make([]float64, rows*(n-1))
	xws := make([]float64, rows*(n-1))
	for r, c := range d.rows {
		zr := reg.z[r*n : (r+1)*n]
		for i := range n {
			if c.Has(i) {
				zr[i] = 1
			}
		}
		s := math.Sqrt(d.weight[r])
		xr, xwr := xs[r*(n-1):(r+1)*(n-1)], xws[r*(n-1):(r+1)*(n-1)]
		for i := range xr {
			xr[i] = zr[i] - zr[n-1]
			xwr[i] = s * xr[i]
		}
	}
	reg.x = mat.NewDense(rows, n-1, xs)
	xw := mat.NewDense(rows, n-1, xws)
	a := mat.NewSymDense(n-1, nil)
	a.SymOuterK(1, xw.T())
	if !reg.chol.Factorize(a) {
		return nil, fmt.Errorf("the kernel regression's normal matrix (%d rows, %d unknowns) is singular", rows, n-1)
	}
	return reg, nil
}

// kernelFit is one solved regression.
type kernelFit struct {
	phi   []float64
	resid []float64 // y_r − y0 − z_r·φ
}

// fit solves min Σ_r w_r (y_r − y0 − z_r·φ)² subject to Σφ = yN − y0.
func (reg *kernelRegression) fit(y []float64, y0, yN float64) kernelFit {
	n := reg.n
	delta := yN - y0
	t := make([]float64, reg.rows)
	b := mat.NewVecDense(n-1, nil)
	xs := reg.x.RawMatrix().Data
	bs := b.RawVector().Data
	for r := range reg.rows {
		t[r] = y[r] - y0 - reg.z[r*n+n-1]*delta
		wt := reg.w[r] * t[r]
		for i, xi := range xs[r*(n-1) : (r+1)*(n-1)] {
			bs[i] += wt * xi
		}
	}
	var beta mat.VecDense
	// A Condition error still carries the solution; the design is well
	// conditioned by construction (every feature has its own rows).
	_ = reg.chol.SolveVecTo(&beta, b)
	phi := make([]float64, n)
	rest := delta
	for i := range n - 1 {
		phi[i] = beta.AtVec(i)
		rest -= phi[i]
	}
	phi[n-1] = rest
	for r := range reg.rows {
		for i, xi := range xs[r*(n-1) : (r+1)*(n-1)] {
			t[r] -= xi * phi[i]
		}
	}
	return kernelFit{phi: phi, resid: t}
}

// oddLackOfFit is the weighted squared lack of fit of a regression's
// residuals in the part that sampling error comes from. Within a
// complementary pair only the difference of the residuals matters (their
// sum is the game's even part, which cancels); a row without its
// complement counts whole.
func (reg *kernelRegression) oddLackOfFit(e []float64) float64 {
	s := 0.0
	for r, m := range reg.mate {
		switch {
		case m < 0:
			s += reg.w[r] * e[r] * e[r]
		case m > r:
			d := e[r] - e[m]
			s += reg.w[r] * d * d
		}
	}
	return s
}

// spread is Σ w (v − v̄)², the scale lack of fit is judged against.
func (reg *kernelRegression) spread(v []float64) float64 {
	sw, sv := 0.0, 0.0
	for r, x := range v {
		sw += reg.w[r]
		sv += reg.w[r] * x
	}
	mean := sv / sw
	s := 0.0
	for r, x := range v {
		s += reg.w[r] * (x - mean) * (x - mean)
	}
	return s + 1e-300
}

// sandwich returns the design-based standard errors of φ given the
// residuals e of the chosen fit. The reduced coefficients solve
// A β = Σ_r w_r x_r t_r, so β̂ − β ≈ A⁻¹ U with U = Σ_r w_r x_r e_r. The
// sampled rows of a size pair t (weight W_t, m_t pairs drawn without
// replacement from N_t) contribute U_t = (W_t/2)·mean_p h_p, h_p the sum of
// x_r e_r over pair p's two rows, whose variance is
// (W_t/2)²(1 − m_t/N_t)S_t²/m_t with S_t² the sample covariance of h_p.
// Enumerated rows are not random and contribute nothing. Then
// Var(β̂) = A⁻¹ (Σ_t Var U_t) A⁻¹, and φ_{n−1} = Δ − Σβ has variance
// 1ᵀVar(β̂)1.
func (reg *kernelRegression) sandwich(d *kernelDesign, e []float64) []float64 {
	n := reg.n
	p := n - 1
	// Sample covariance of h within each stratum (nil when one pair).
	covs := make([]*mat.SymDense, len(d.strata))
	for k, st := range d.strata {
		m := len(st.pairs)
		if m < 2 {
			continue
		}
		h := mat.NewDense(m, p, nil)
		mean := make([]float64, p)
		for j, pi := range st.pairs {
			for _, r := range d.pairs[pi] {
				for i := range p {
					h.Set(j, i, h.At(j, i)+reg.x.At(r, i)*e[r])
				}
			}
			for i := range p {
				mean[i] += h.At(j, i) / float64(m)
			}
		}
		for j := range m {
			for i := range p {
				h.Set(j, i, h.At(j, i)-mean[i])
			}
		}
		c := mat.NewSymDense(p, nil)
		c.SymOuterK(1/float64(m-1), h.T())
		covs[k] = c
	}
	vu := mat.NewSymDense(p, nil)
	for k, st := range d.strata {
		c := covs[k]
		if c == nil {
			// A lone pair shows no spread: borrow the nearest stratum's.
			for dist := 1; c == nil && dist < len(d.strata); dist++ {
				for _, j := range []int{k - dist, k + dist} {
					if c == nil && j >= 0 && j < len(d.strata) {
						c = covs[j]
					}
				}
			}
			if c == nil {
				return nil
			}
		}
		m := float64(len(st.pairs))
		fpc := math.Max(0, 1-m/st.population)
		vu.AddSym(vu, scaledSym(c, (st.weight/2)*(st.weight/2)*fpc/m))
	}
	// Var(β) = A⁻¹ vu A⁻¹.
	var left mat.Dense
	if err := reg.chol.SolveTo(&left, vu); err != nil {
		if _, ok := err.(mat.Condition); !ok {
			return nil
		}
	}
	var vb mat.Dense
	if err := reg.chol.SolveTo(&vb, left.T()); err != nil {
		if _, ok := err.(mat.Condition); !ok {
			return nil
		}
	}
	se := make([]float64, n)
	total := 0.0
	for i := range p {
		se[i] = math.Sqrt(math.Max(0, vb.At(i, i)))
		for j := range p {
			total += vb.At(i, j)
		}
	}
	se[n-1] = math.Sqrt(math.Max(0, total))
	return se
}

func scaledSym(a *mat.SymDense, s float64) *mat.SymDense {
	var out mat.SymDense
	out.ScaleSym(s, a)
	return &out
}
