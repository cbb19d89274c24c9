package stats

import "math"

// Interval is a confidence interval [Low, High].
type Interval struct {
	Low  float64 `json:"low"`
	High float64 `json:"high"`
}

// Contains reports whether v lies in the closed interval.
func (iv Interval) Contains(v float64) bool { return iv.Low <= v && v <= iv.High }

// Z95 is the standard normal quantile for a two-sided 95% interval.
const Z95 = 1.959963984540054

// Wilson returns the Wilson score interval for k successes in n trials at
// normal quantile z (Z95 for 95%). It stays inside [0, 1] and is honest for
// the small counts and rates near 0 or 1 that audits produce, where the
// normal ("Wald") interval is not. With n = 0 nothing is known: [0, 1].
func Wilson(k, n int, z float64) Interval {
	if n <= 0 {
		return Interval{0, 1}
	}
	nf := float64(n)
	p := float64(k) / nf
	z2 := z * z
	denom := 1 + z2/nf
	center := (p + z2/(2*nf)) / denom
	half := z / denom * math.Sqrt(p*(1-p)/nf+z2/(4*nf*nf))
	iv := Interval{max(0, center-half), min(1, center+half)}
	// At k = 0 and k = n the bound is exactly 0 or 1; rounding would leave
	// it a hair off and the interval not quite containing k/n.
	if k <= 0 {
		iv.Low = 0
	}
	if k >= n {
		iv.High = 1
	}
	return iv
}

// ZFor returns the two-sided normal quantile for a confidence level
// (0.95 → 1.96).
func ZFor(confidence float64) float64 {
	return math.Sqrt2 * math.Erfinv(confidence)
}

// Newcombe is the 95% interval of k1/n1 − k2/n2 by Newcombe's hybrid
// score method (1998, method 10), built from the two Wilson intervals: it
// stays within [−1, 1] and keeps its coverage at small counts and rates
// near 0 or 1, where the Wald interval does not. Both n must be positive.
func Newcombe(k1, n1, k2, n2 int) Interval {
	p1, p2 := float64(k1)/float64(n1), float64(k2)/float64(n2)
	w1, w2 := Wilson(k1, n1, Z95), Wilson(k2, n2, Z95)
	d := p1 - p2
	return Interval{
		Low:  d - math.Sqrt((p1-w1.Low)*(p1-w1.Low)+(w2.High-p2)*(w2.High-p2)),
		High: d + math.Sqrt((w1.High-p1)*(w1.High-p1)+(p2-w2.Low)*(p2-w2.Low)),
	}
}
