package attribution

import (
	"context"
	"fmt"
	"math"
	"sort"

	"gonum.org/v1/gonum/mat"
)

// OddInteractionFactor is OddSHAP's budget per regression term: the odd
// regression has Budget/OddInteractionFactor unknowns, the n singletons
// first (the paper's and shapiq's η = 10).
const OddInteractionFactor = 10

// OddSHAP is the estimator of Fumagalli, Butler, Kang, Ramchandran and
// Witter, "An Odd Estimator for Shapley Values" (ICML 2026, arXiv
// 2602.01399). With x_j = +1 for a present feature and −1 for an absent
// one, write v in the Fourier basis, v(x) = Σ_T v̂(T) χ_T(x),
// χ_T = Π_{j∈T} x_j. The Shapley value depends only on the odd part:
//
//	φ_i = Σ_{T ∋ i, |T| odd} 2 v̂(T)/|T|,
//
// (χ_T gives each member (1 − (−1)^|T|)/|T|), and a complementary pair
// gives that part directly, v_odd(S) = (v(S) − v(N∖S))/2 = Σ_{|T| odd}
// v̂(T) χ_T(S). OddSHAP samples pairs, regresses v_odd on the odd
// characters of a sparse support — every singleton plus the odd
// interactions of order ≥ 3 with the largest Fourier coefficients in a
// proxy fitted to the samples — by the Shapley kernel's weighted least
// squares (rows weighted by w(S)/π(S)) subject to Σ_T v̂(T) = (v(N) −
// v(∅))/2 (v_odd at N; efficiency), and reads φ off the coefficients.
//
// Choices where the paper leaves room: the proxy is boostedTrees (squared
// loss, XGBoost's defaults; the paper uses LightGBM of depth 10), whose
// Fourier coefficients are exact from its leaves; the support has
// Budget/OddInteractionFactor terms; pairs are spread over sizes by their
// leverage (LeverageMass), without replacement; below 10(n+1) coalitions,
// where the paper falls back to the proxy's TreeSHAP values, this keeps the
// singleton-only odd regression (which is LeverageSHAP's estimate), a
// stronger fallback. It returns ExactShapley's values when 2^n fits the
// budget.
func OddSHAP(ctx context.Context, g Game, opts BaselineOptions) (*Attribution, error) {
	const name = "OddSHAP"
	s, exact, err := sampleBaseline(ctx, g, opts, name, LeverageMass, 0x6f64647368617021, 64)
	if exact != nil || err != nil {
		return exact, err
	}
	n, d, v0, vN, v := s.n, s.d, s.v0, s.vN, s.v
	extra := opts.Budget/OddInteractionFactor - n
	var support []uint64
	if extra > 0 {
		support = proxyOddSupport(d, v, v0, vN, extra)
	}
	phi, err := oddRegression(d, v, v0, vN, support, nil, 0)
	if err != nil {
		return nil, fmt.Errorf("attribution: %s: %w", name, err)
	}
	return &Attribution{Values: phi, Base: v0, Full: vN, Evaluations: 2 + len(d.rows),
		Diagnostics: map[string]float64{DiagEfficiencyGap: efficiencyGap(phi, v0, vN), DiagExact: 0, DiagOddInteractions: float64(len(support))}}, nil
}

// proxyOddSupport fits the tree proxy to every valued coalition and returns
// the k odd interactions of order ≥ 3 with the largest |coefficient|.
func proxyOddSupport(d *kernelDesign, v []float64, v0, vN float64, k int) []uint64 {
	return proxyOddSupportWith(d, v, v0, vN, k, xgboostDefaults)
}

// proxyOddSupportWith is proxyOddSupport with a given boosting schedule.
func proxyOddSupportWith(d *kernelDesign, v []float64, v0, vN float64, k int, cfg treeConfig) []uint64 {
	z, y := proxyTrainingSet(d, v, v0, vN)
	coef := fitBoostedTreesWith(z, d.n, y, cfg).oddFourier()
	return topInteractions(coef, k)
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

// topInteractions returns up to k masks with the largest |coef|, ties by
// mask so the result is deterministic.
func topInteractions(coef map[uint64]float64, k int) []uint64 {
	masks := make([]uint64, 0, len(coef))
	for m, c := range coef {
		if c != 0 {
			masks = append(masks, m)
		}
	}
	sort.Slice(masks, func(a, b int) bool {
		ca, cb := math.Abs(coef[masks[a]]), math.Abs(coef[masks[b]])
		if ca != cb {
			return ca > cb
		}
		return masks[a] < masks[b]
	})
	if len(masks) > k {
		masks = masks[:k]
	}
	return masks
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
	n := d.n
	p := n + len(support)
	half := (vN - v0) / 2
	var pairRows [][2]int
	for r, m := range d.mate {
		if m > r {
			pairRows = append(pairRows, [2]int{r, m})
		}
	}
	// Columns: singletons 0..n−2 then interactions; χ_{n−1} is eliminated
	// with β_{n−1} = half − Σ others, so each row's response becomes
	// y − half·x_{n−1} and each column x_c − x_{n−1}.
	cols := p - 1
	x := mat.NewDense(len(pairRows), cols, nil)
	y := make([]float64, len(pairRows))
	w := make([]float64, len(pairRows))
	sign := make([]float64, n)
	for k, pr := range pairRows {
		c := d.rows[pr[0]]
		for i := range n {
			sign[i] = -1
			if c.Has(i) {
				sign[i] = 1
			}
		}
		yo := (v[pr[0]] - v[pr[1]]) / 2
		if offset != nil {
			yo -= offset[k]
		}
		last := sign[n-1]
		y[k] = yo - half*last
		w[k] = d.weight[pr[0]] + d.weight[pr[1]]
		for i := range n - 1 {
			x.Set(k, i, sign[i]-last)
		}
		for s, mask := range support {
			chi := 1.0
			for m := mask; m != 0; m &= m - 1 {
				chi *= sign[bitIndex(m)]
			}
			x.Set(k, n-1+s, chi-last)
		}
	}
	ridge := make([]float64, cols)
	for j := n - 1; j < cols; j++ {
		ridge[j] = 1e-9
	}
	if ridgePerWeight > 0 {
		tw := 0.0
		for _, x := range w {
			tw += x
		}
		for j := n - 1; j < cols; j++ {
			ridge[j] = max(ridge[j], ridgePerWeight*tw)
		}
	}
	beta, err := solveWLS(x, y, w, ridge)
	if err != nil {
		return nil, err
	}
	coef := make([]float64, p)
	rest := half
	for j := range cols {
		idx := j
		if j >= n-1 {
			idx = j + 1
		}
		coef[idx] = beta[j]
		rest -= beta[j]
	}
	coef[n-1] = rest
	phi := make([]float64, n)
	for i := range n {
		phi[i] = 2 * coef[i]
	}
	for s, mask := range support {
		k := float64(popcount(mask))
		for m := mask; m != 0; m &= m - 1 {
			phi[bitIndex(m)] += 2 * coef[n+s] / k
		}
	}
	return phi, nil
}

func bitIndex(m uint64) int {
	i := 0
	for m&1 == 0 {
		m >>= 1
		i++
	}
	return i
}
