package shapley

import (
	"math"
	"math/bits"
	"math/rand/v2"

	"github.com/lucid-nlp/lucid/attribution/wls"
	"gonum.org/v1/gonum/mat"
)

// logisticSurrogate is q(S) = σ(a + Σ_{i∈S} b_i), KernelSHAP's control
// variate for probability-valued games: a classifier's probability is the
// sigmoid of a logit that is, to a first approximation, additive in the
// words, and the sigmoid's curvature is what gives such games the
// higher-order interactions that paired sampling does not cancel.
type logisticSurrogate struct {
	a float64
	b []float64
}

// empty is q(∅).
func (q logisticSurrogate) empty() float64 { return logistic(q.a) }

// full is q(N).
func (q logisticSurrogate) full() float64 {
	eta := q.a
	for _, b := range q.b {
		eta += b
	}
	return logistic(eta)
}

// at is q on the coalition with indicator vector z.
func (q logisticSurrogate) at(z []float64) float64 {
	eta := q.a
	for i, b := range q.b {
		eta += b * z[i]
	}
	return logistic(eta)
}

func logistic(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

// fitLogistic fits q to the valued coalitions (z: rows × n indicators, with
// weights w) and to ∅ and N (at the largest row weight) by weighted least
// squares on the probability scale: a weighted fit of the clamped logits
// (weights w·(v(1−v))², the delta method's) to start, then Gauss–Newton
// steps while they reduce the loss. It reports false when the fit is
// singular or not finite; KernelSHAP then goes without the control variate.
func fitLogistic(z []float64, n int, w, v []float64, v0, vN float64) (logisticSurrogate, bool) {
	rows := len(v)
	m := rows + 2
	x := mat.NewDense(m, n+1, nil)
	y := make([]float64, m)
	ww := make([]float64, m)
	wmax := 0.0
	for r := range rows {
		x.Set(r, 0, 1)
		for i := range n {
			x.Set(r, 1+i, z[r*n+i])
		}
		y[r], ww[r] = v[r], w[r]
		wmax = math.Max(wmax, w[r])
	}
	x.Set(rows, 0, 1)
	y[rows], ww[rows] = v0, wmax
	for i := range n + 1 {
		x.Set(rows+1, i, 1)
	}
	y[rows+1], ww[rows+1] = vN, wmax

	const clamp = 1e-4
	t := make([]float64, m)
	gw := make([]float64, m)
	for r := range m {
		c := math.Min(math.Max(y[r], clamp), 1-clamp)
		t[r] = math.Log(c / (1 - c))
		gw[r] = ww[r] * c * (1 - c) * c * (1 - c)
	}
	beta, err := wls.Solve(x, t, gw, nil)
	if err != nil {
		return logisticSurrogate{}, false
	}
	xs := x.RawMatrix().Data
	linear := func(r int, beta []float64) float64 {
		eta := 0.0
		for j, xj := range xs[r*(n+1) : (r+1)*(n+1)] {
			eta += xj * beta[j]
		}
		return eta
	}
	loss := func(beta []float64) float64 {
		s := 0.0
		for r := range m {
			d := y[r] - logistic(linear(r, beta))
			s += ww[r] * d * d
		}
		return s
	}
	cur := loss(beta)
	const steps = 1
	for range steps {
		for r := range m {
			eta := linear(r, beta)
			s := logistic(eta)
			g := math.Max(s*(1-s), 1e-12)
			t[r] = eta + (y[r]-s)/g
			gw[r] = ww[r] * g * g
		}
		next, err := wls.Solve(x, t, gw, nil)
		if err != nil {
			break
		}
		l := loss(next)
		if !(l < cur) {
			break
		}
		beta, cur = next, l
	}
	for _, b := range beta {
		if math.IsNaN(b) || math.IsInf(b, 0) {
			return logisticSurrogate{}, false
		}
	}
	return logisticSurrogate{a: beta[0], b: beta[1:]}, true
}

// ExactSurrogateFeatures is the most features for which q's Shapley values
// are computed by enumerating its 2^n values (65,536 sigmoids).
const ExactSurrogateFeatures = 16

// surrogatePermutations is how many antithetic permutation pairs estimate
// q's Shapley values beyond ExactSurrogateFeatures features: at 2^18
// sigmoids in all, each φ_i(q) is within about 1e-4 of exact on the
// sentiment-like games of the tests, well below KernelSHAP's own error.
const surrogateSigmoids = 1 << 18

// shapley returns q's Shapley values: exactly by enumeration up to
// ExactSurrogateFeatures, otherwise by antithetic permutation sampling
// (each permutation walked forwards and backwards), which is efficient
// by construction, as the control variate needs.
func (q logisticSurrogate) shapley(rng *rand.Rand) []float64 {
	n := len(q.b)
	if n <= ExactSurrogateFeatures {
		return q.exactShapley()
	}
	phi := make([]float64, n)
	perms := max(1, surrogateSigmoids/(2*n))
	perm := make([]int, n)
	for i := range perm {
		perm[i] = i
	}
	for range perms {
		rng.Shuffle(n, func(i, j int) { perm[i], perm[j] = perm[j], perm[i] })
		eta, prev := q.a, logistic(q.a)
		for _, i := range perm {
			eta += q.b[i]
			cur := logistic(eta)
			phi[i] += cur - prev
			prev = cur
		}
		eta, prev = q.a, logistic(q.a)
		for k := n - 1; k >= 0; k-- {
			i := perm[k]
			eta += q.b[i]
			cur := logistic(eta)
			phi[i] += cur - prev
			prev = cur
		}
	}
	for i := range phi {
		phi[i] /= float64(2 * perms)
	}
	return phi
}

// exactShapley is q's exact Shapley values by enumerating its 2^n values
// (n ≤ ExactSurrogateFeatures), arranged to cost 2^n divisions rather than
// 2^n exponentials and n·2^n differences. With e(M) = exp(−a − Σ_{j∈M} b_j)
// split over the low and high halves of the features, e(M) = e_lo·e_hi and
// q(M) = 1/(1 + e_lo·e_hi). And φ_i = Σ_{S∌i} w_|S| (q(S∪i) − q(S)) =
// Σ_{M∋i} h(M) − Σ_M w_|M| q(M), with h(M) = (w_{|M|−1} + w_|M|) q(M)
// (w_n = 0), the first sum taken for every i at once over the halves of
// the table.
func (q logisticSurrogate) exactShapley() []float64 {
	n := len(q.b)
	lo := n / 2
	hi := n - lo
	elo := make([]float64, 1<<lo)
	ehi := make([]float64, 1<<hi)
	elo[0] = math.Exp(-q.a)
	for m := 1; m < len(elo); m++ {
		elo[m] = elo[m&(m-1)] * math.Exp(-q.b[bits.TrailingZeros64(uint64(m))])
	}
	ehi[0] = 1
	for m := 1; m < len(ehi); m++ {
		ehi[m] = ehi[m&(m-1)] * math.Exp(-q.b[lo+bits.TrailingZeros64(uint64(m))])
	}
	w := shapleyWeights(n) // w[s] for s = 0..n−1
	wAt := func(s int) float64 {
		if s >= n || s < 0 {
			return 0
		}
		return w[s]
	}
	hw := make([]float64, n+1)
	gw := make([]float64, n+1)
	for s := range n + 1 {
		hw[s] = wAt(s-1) + wAt(s)
		gw[s] = wAt(s)
	}
	h := make([]float64, 1<<n)
	g0 := 0.0
	for mh, eh := range ehi {
		sh := bits.OnesCount64(uint64(mh))
		base := mh << lo
		for ml, el := range elo {
			s := sh + bits.OnesCount64(uint64(ml))
			v := 1 / (1 + el*eh)
			h[base+ml] = hw[s] * v
			g0 += gw[s] * v
		}
	}
	phi := make([]float64, n)
	for i := range n {
		step := 1 << i
		sum := 0.0
		for start := step; start < len(h); start += 2 * step {
			for _, v := range h[start : start+step] {
				sum += v
			}
		}
		phi[i] = sum - g0
	}
	return phi
}
