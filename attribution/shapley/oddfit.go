package shapley

import (
	"fmt"
	"math"
	"math/bits"

	"github.com/lucid-nlp/lucid/attribution/wls"
)

// proxyOddSupport fits the tree proxy to every valued coalition and returns
// the k odd interactions of order ≥ 3 with the largest |coefficient|.
func proxyOddSupport(d *kernelDesign, v []float64, v0, vN float64, k int) []uint64 {
	return proxyOddSupportWith(d, v, v0, vN, k, xgboostDefaults)
}

// proxyOddSupportWith is proxyOddSupport with a given boosting schedule.
func proxyOddSupportWith(d *kernelDesign, v []float64, v0, vN float64, k int, cfg treeConfig) []uint64 {
	z, y := proxyTrainingSet(d, v, v0, vN)
	return fitBoostedTreesWith(z, d.n, y, cfg).oddFourierTable(d.n).top(k)
}

// proxyTrainingSet is every valued coalition as a proxy's training set:
// z holds the coalitions' membership row by row (len(y) rows of d.n), y
// their values; the design's rows first, then ∅ and N.
func proxyTrainingSet(d *kernelDesign, v []float64, v0, vN float64) (z []bool, y []float64) {
	n, rows := d.n, len(d.rows)+2
	z = make([]bool, rows*n)
	y = make([]float64, rows)
	for r, c := range d.rows {
		for i := range n {
			z[r*n+i] = c.Has(i)
		}
		y[r] = v[r]
	}
	for i := range n {
		z[(rows-1)*n+i] = true
	}
	y[rows-2], y[rows-1] = v0, vN
	return z, y
}

// oddRegression fits the odd part of the sampled pairs on the singletons
// and the given odd interactions (bitmasks) with the design's weights and
// the efficiency constraint, imposed exactly by eliminating the last
// singleton's coefficient, and returns the Shapley values. offset, when not
// nil, is a known odd part per row subtracted first (a control variate);
// its Shapley values are the caller's to add. ridgePerWeight > 0 puts a
// ridge of ridgePerWeight·Σw on each interaction's coefficient (shrinkage
// towards no interaction); otherwise the ridge is a token 1e-9 that only
// keeps a support the sample cannot separate solvable.
func oddRegression(d *kernelDesign, v []float64, v0, vN float64, support []uint64, offset []float64, ridgePerWeight float64) ([]float64, error) {
	f, err := newOddFit(d, v, v0, vN, support, offset, ridgePerWeight)
	if err != nil {
		return nil, err
	}
	return f.phi, nil
}

// oddFit is a solved odd regression, kept for its jackknife.
type oddFit struct {
	n       int
	support []uint64
	cols    int       // unknowns: n − 1 singletons, then the interactions
	x       []float64 // pairs × cols, row-major, the reduced columns χ_c − χ_{n−1}
	y, w    []float64 // per pair: reduced response and weight
	pairRow []int     // the design row of each pair's first member
	ne      wls.NormalEquations
	beta    []float64
	phi     []float64
}

func newOddFit(d *kernelDesign, v []float64, v0, vN float64, support []uint64, offset []float64, ridgePerWeight float64) (*oddFit, error) {
	n := d.n
	p := n + len(support)
	half := (vN - v0) / 2
	// Columns: singletons 0..n−2 then interactions; χ_{n−1} is eliminated
	// with β_{n−1} = half − Σ others, so each row's response becomes
	// y − half·x_{n−1} and each column x_c − x_{n−1}.
	cols := p - 1
	f := &oddFit{n: n, support: support, cols: cols}
	for r, m := range d.mate {
		if m > r {
			f.pairRow = append(f.pairRow, r)
		}
	}
	pairs := len(f.pairRow)
	f.x = make([]float64, pairs*cols)
	f.y = make([]float64, pairs)
	f.w = make([]float64, pairs)
	sign := make([]float64, n)
	f.ne.Reset(cols)
	tw := 0.0
	for k, r := range f.pairRow {
		m := d.mate[r]
		c := d.rows[r]
		var absent uint64 // the support's masks are 64 bits: features past 64 are in none
		for i := range n {
			sign[i] = -1
			if c.Has(i) {
				sign[i] = 1
			} else {
				absent |= 1 << i
			}
		}
		yo := (v[r] - v[m]) / 2
		if offset != nil {
			yo -= offset[k]
		}
		last := sign[n-1]
		f.y[k] = yo - half*last
		f.w[k] = d.weight[r] + d.weight[m]
		tw += f.w[k]
		xk := f.x[k*cols : (k+1)*cols]
		for i := range n - 1 {
			xk[i] = sign[i] - last
		}
		for s, mask := range support {
			// χ_T = Π_{j∈T} x_j is −1 when an odd number of T's members
			// are absent.
			chi := 1.0
			if bits.OnesCount64(mask&absent)%2 == 1 {
				chi = -1
			}
			xk[n-1+s] = chi - last
		}
		f.ne.AddRow(xk, f.w[k], f.y[k])
	}
	ridge := 1e-9
	if ridgePerWeight > 0 {
		ridge = max(ridge, ridgePerWeight*tw)
	}
	for j := n - 1; j < cols; j++ {
		f.ne.A[j*cols+j] += ridge
	}
	beta, ok := f.ne.Solve()
	if !ok {
		return nil, fmt.Errorf("the odd regression with %d pairs and %d unknowns is singular", pairs, cols)
	}
	f.beta = beta
	f.phi = f.shapley(beta, half)
	return f, nil
}

// shapley maps the regression's unknowns to Shapley values: the
// eliminated singleton's coefficient is half − Σβ, and each odd character
// χ_T gives each member 2v̂(T)/|T|. With half = 0 it is the linear part,
// which maps a change of β to the change of φ.
func (f *oddFit) shapley(beta []float64, half float64) []float64 {
	n := f.n
	phi := make([]float64, n)
	rest := half
	for j, b := range beta {
		rest -= b
		if j < n-1 {
			phi[j] = 2 * b
		}
	}
	phi[n-1] = 2 * rest
	for s, mask := range f.support {
		k := float64(popcount(mask))
		c := 2 * beta[n-1+s] / k
		for m := mask; m != 0; m &= m - 1 {
			phi[bitIndex(m)] += c
		}
	}
	return phi
}

// jackknife is the stratified delete-one-pair jackknife standard error of
// the refined φ, the support and ridge held fixed: for each sampled pair k,
// the fit without it is exactly β − A⁻¹x_k w_k e_k/(1 − h_k) (e_k its
// residual, h_k = w_k x_kᵀA⁻¹x_k its leverage; Sherman–Morrison), and
//
//	Var(φ_i) = Σ_h (1 − f_h) m_h/(m_h − 1) Σ_{k∈h} (δ_ik − δ̄_ih)²,
//
// δ_k the change of φ when pair k is dropped, over the (collapsed) strata
// h of m_h pairs with sampling fraction f_h. Dropping a pair without
// reweighting its stratum's others moves each replicate by
// (m_h − 1)/m_h of what the reweighted jackknife moves it, which the
// factor m_h/(m_h − 1) (instead of (m_h − 1)/m_h) restores; the leverage
// correction is what makes it honest with few pairs per unknown, where
// each pair pulls the fit towards itself. It returns nil when fewer than
// two pairs were sampled, with the degrees of freedom Σ_h (m_h − 1).
func (f *oddFit) jackknife(d *kernelDesign) ([]float64, int) {
	groups := collapseStrata(d.strata)
	if groups == nil {
		return nil, 0
	}
	n, cols := f.n, f.cols
	pairOf := make(map[int]int, len(f.pairRow))
	for k, r := range f.pairRow {
		pairOf[r] = k
	}
	// δ_k = c_k·M A⁻¹x_k with M the linear map from β to φ (shapley with
	// half = 0), so G = M A⁻¹ (n × cols, row i = A⁻¹ M_iᵀ, A symmetric)
	// is formed once by n solves, and each pair then costs one forward
	// substitution for its leverage and an n × cols product, instead of
	// two substitutions and a mapping.
	g := make([]float64, n*cols)
	unit := make([]float64, cols)
	for j := range cols {
		unit[j] = 1
		col := f.shapley(unit, 0)
		unit[j] = 0
		for i, v := range col {
			g[i*cols+j] = v
		}
	}
	for i := range n {
		gi := g[i*cols : (i+1)*cols]
		wls.SolveLower(f.ne.L, cols, gi)
		wls.SolveUpperT(f.ne.L, cols, gi)
	}
	variance := make([]float64, n)
	u := make([]float64, cols)
	var delta []float64 // the group's δ_k, n per pair
	mean := make([]float64, n)
	df := 0
	for _, grp := range groups {
		delta = delta[:0]
		clear(mean)
		for _, pi := range grp.pairs {
			k := pairOf[d.pairs[pi][0]]
			xk := f.x[k*cols : (k+1)*cols]
			e := f.y[k]
			for j, xj := range xk {
				e -= xj * f.beta[j]
			}
			copy(u, xk)
			wls.SolveLower(f.ne.L, cols, u)
			h := 0.0
			for _, z := range u {
				h += z * z
			}
			h *= f.w[k]
			c := -f.w[k] * e / math.Max(1-h, 1e-6)
			for i := range n {
				s := 0.0
				for j, gij := range g[i*cols : (i+1)*cols] {
					s += gij * xk[j]
				}
				dk := c * s
				mean[i] += dk / float64(len(grp.pairs))
				delta = append(delta, dk)
			}
		}
		m := float64(len(grp.pairs))
		scale := (1 - grp.fraction) * m / (m - 1)
		for k := range grp.pairs {
			for i := range n {
				dv := delta[k*n+i] - mean[i]
				variance[i] += scale * dv * dv
			}
		}
		df += len(grp.pairs) - 1
	}
	se := make([]float64, n)
	for i := range n {
		se[i] = math.Sqrt(variance[i])
	}
	return se, df
}

// bitIndex is the index of m's lowest set bit (m ≠ 0).
func bitIndex(m uint64) int { return bits.TrailingZeros64(m) }
