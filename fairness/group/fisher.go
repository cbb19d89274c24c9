package group

import "math"

// fisherExact is stats.FisherExact's two-sided p-value for the 2×2 table
// [[a, b], [c, d]], computed by walking the hypergeometric distribution
// from its mode with the ratio of successive terms instead of three
// log-gammas a term. The pairwise tests run it on every pair of up to 20
// groups and four metrics; on groups of 50,000 rows stats.FisherExact took
// about 14 s of a report's time, this a fraction of a second. Its results
// equal stats.FisherExact's (TestFisherMatchesStats), including the same
// relative tolerance for "no more likely than the observed table".
func fisherExact(a, b, c, d int) float64 {
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
	// tolerance stats.FisherExact uses (1e-7 in log).
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

func logChoose(n, k int) float64 {
	a, _ := math.Lgamma(float64(n + 1))
	b, _ := math.Lgamma(float64(k + 1))
	c, _ := math.Lgamma(float64(n - k + 1))
	return a - b - c
}
