package stats

import (
	"math"
)

// logChoose is log(n choose k).
func logChoose(n, k int) float64 {
	a, _ := math.Lgamma(float64(n + 1))
	b, _ := math.Lgamma(float64(k + 1))
	c, _ := math.Lgamma(float64(n - k + 1))
	return a - b - c
}

// binomPMF is P(X = k) for X ~ Binomial(n, p).
func binomPMF(k, n int, p float64) float64 {
	switch {
	case p == 0:
		if k == 0 {
			return 1
		}
		return 0
	case p == 1:
		if k == n {
			return 1
		}
		return 0
	}
	return math.Exp(logChoose(n, k) + float64(k)*math.Log(p) + float64(n-k)*math.Log1p(-p))
}

// BinomialUpper is the one-sided exact p-value P(X ≥ k) for X ~
// Binomial(n, p0): the evidence that a rate of k in n exceeds p0. It is 1
// for k ≤ 0 and for n ≤ 0.
func BinomialUpper(k, n int, p0 float64) float64 {
	if n <= 0 || k <= 0 {
		return 1
	}
	if k > n {
		return 0
	}
	// Sum the shorter tail for accuracy.
	if float64(k) > float64(n)*p0 {
		s := 0.0
		for i := k; i <= n; i++ {
			s += binomPMF(i, n, p0)
		}
		return min(1, s)
	}
	s := 0.0
	for i := 0; i < k; i++ {
		s += binomPMF(i, n, p0)
	}
	return min(1, max(0, 1-s))
}

// SignTest is the two-sided exact sign test: the p-value of pos positive
// and neg negative differences under the hypothesis that either sign is
// equally likely (ties are left out beforehand, as the test requires).
func SignTest(pos, neg int) float64 {
	n := pos + neg
	if n == 0 {
		return 1
	}
	k := min(pos, neg)
	s := 0.0
	for i := 0; i <= k; i++ {
		s += binomPMF(i, n, 0.5)
	}
	return min(1, 2*s)
}

// FisherExact is the two-sided p-value of Fisher's exact test for the 2×2
// table [[a, b], [c, d]] (group 1: a successes, b failures; group 2: c
// successes, d failures): the probability, with the margins fixed, of a
// table no more likely than the one observed (with R's relative tolerance
// for ties). It is exact at every sample size. The hypergeometric terms
// are walked outwards from the mode by the ratio of successive terms, not
// by three log-gammas a term, and the walk stops once the tail cannot move
// the sum by 1e-10: pairwise group tests run it on tables of tens of
// thousands of rows many times over.
func FisherExact(a, b, c, d int) float64 {
	r1, c1, n := a+b, a+c, a+b+c+d
	if n == 0 || r1 == 0 || r1 == n || c1 == 0 || c1 == n {
		return 1
	}
	lo, hi := max(0, c1-(n-r1)), min(r1, c1)
	logp := func(x int) float64 {
		return logChoose(c1, x) + logChoose(n-c1, r1-x) - logChoose(n, r1)
	}
	mode := min(hi, max(lo, int(float64(r1+1)*float64(c1+1)/float64(n+2))))
	lmode := logp(mode)
	// Terms are relative to the mode's, which is the largest, so none
	// overflows; obs is the observed table's on that scale, with the
	// tolerance R's fisher.test uses (1e-7 in log).
	const relTol = 1e-7
	obs := math.Exp(logp(a) - lmode + relTol)
	// Below this share of the sum the remaining tail (decreasing terms,
	// at most n of them) cannot move the result by 1e-10.
	const negligible = 1e-17
	sum := 0.0
	if 1 <= obs {
		sum = 1
	}
	rest := float64(n - c1 - r1) // n − c1 − r1, so the ratios read as in the formula
	w := 1.0
	for x := mode; x < hi; x++ { // term x+1 from term x
		w *= float64(c1-x) * float64(r1-x) / (float64(x+1) * (rest + float64(x+1)))
		if w <= obs {
			sum += w
		}
		if w < negligible*sum {
			break
		}
	}
	w = 1
	for x := mode; x > lo; x-- { // term x−1 from term x
		w *= float64(x) * (rest + float64(x)) / (float64(c1-x+1) * float64(r1-x+1))
		if w <= obs {
			sum += w
		}
		if w < negligible*sum {
			break
		}
	}
	return min(1, sum*math.Exp(lmode))
}
