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
// score method (1998, method 10); NewcombeZ at any normal quantile.
func Newcombe(k1, n1, k2, n2 int) Interval { return NewcombeZ(k1, n1, k2, n2, Z95) }

// NewcombeZ is the interval of k1/n1 − k2/n2 at normal quantile z by
// Newcombe's hybrid score method (1998, method 10), built from the two
// Wilson intervals: it stays within [−1, 1] and keeps its coverage at
// small counts and rates at 0 or 1, where the Wald interval and the
// percentile bootstrap (zero width when a group has no errors) do not.
// Both n must be positive.
func NewcombeZ(k1, n1, k2, n2 int, z float64) Interval {
	p1, p2 := float64(k1)/float64(n1), float64(k2)/float64(n2)
	w1, w2 := Wilson(k1, n1, z), Wilson(k2, n2, z)
	d := p1 - p2
	return Interval{
		Low:  max(-1, d-math.Sqrt((p1-w1.Low)*(p1-w1.Low)+(w2.High-p2)*(w2.High-p2))),
		High: min(1, d+math.Sqrt((w1.High-p1)*(w1.High-p1)+(p2-w2.Low)*(p2-w2.Low))),
	}
}

// RatioZ is the interval of (k1/n1) / (k2/n2) at normal quantile z by
// MOVER-R with Wilson limits (Donner and Zou 2012; Fagerland, Lydersen
// and Laake 2015 recommend it for the ratio of two proportions): it is
// built on the ratio scale, so it is asymmetric like the ratio, and it
// is defined when k1 is 0 ([0, U]). k2 must be positive. Where the
// method's formula has no real solution (both rates near 0 at small n)
// the bound is the widest one, 0 or +Inf.
func RatioZ(k1, n1, k2, n2 int, z float64) Interval {
	p1, p2 := float64(k1)/float64(n1), float64(k2)/float64(n2)
	w1, w2 := Wilson(k1, n1, z), Wilson(k2, n2, z)
	l1, u1, l2, u2 := w1.Low, w1.High, w2.Low, w2.High
	pp := p1 * p2
	iv := Interval{Low: 0, High: math.Inf(1)}
	// At z = 0 the discriminant is 0 in exact arithmetic; rounding can
	// leave it a hair below, which is not "no solution".
	slack := -1e-12 * pp * pp
	if den, disc := u2*(2*p2-u2), pp*pp-l1*u2*(2*p1-l1)*(2*p2-u2); den > 0 && disc >= slack {
		iv.Low = max(0, (pp-math.Sqrt(max(0, disc)))/den)
	}
	if den, disc := l2*(2*p2-l2), pp*pp-u1*l2*(2*p1-u1)*(2*p2-l2); den > 0 && disc >= slack {
		iv.High = (pp + math.Sqrt(max(0, disc))) / den
	}
	r := p1 / p2
	// Rounding must not leave the point estimate outside its interval.
	iv.Low, iv.High = min(iv.Low, r), max(iv.High, r)
	return iv
}

// PFromZ is the two-sided level α of the normal quantile z: the interval
// built at z is the 1 − α interval.
func PFromZ(z float64) float64 { return math.Erfc(z / math.Sqrt2) }

// OutsideP inverts an interval family into the p-value of the test "the
// effect lies outside [lower, upper]": the smallest two-sided level α at
// which the 1 − α interval iv(z) lies wholly outside the band (1 when
// even the point estimate, z = 0, does not). iv must widen as z grows,
// as every interval here does. The test rejects at α exactly when the
// 1 − α interval lies outside the band, so test and interval agree by
// construction; as a one-sided test against the nearer band edge its
// size is α/2, conservative.
func OutsideP(iv func(z float64) Interval, lower, upper float64) float64 {
	outside := func(z float64) bool {
		v := iv(z)
		return v.Low > upper || v.High < lower
	}
	if !outside(0) {
		return 1
	}
	const zMax = 38.0 // PFromZ(38) underflows to 0
	if outside(zMax) {
		return 0
	}
	lo, hi := 0.0, zMax
	for range 100 {
		mid := (lo + hi) / 2
		if outside(mid) {
			lo = mid
		} else {
			hi = mid
		}
		if hi-lo < 1e-10 {
			break
		}
	}
	return PFromZ(hi)
}

// HolmLevels returns, for Holm's step-down procedure at level alpha over
// the p-values p, the two-sided level each test's interval must have so
// that the interval and the corrected test agree (Strassburger and Bretz
// 2008): a hypothesis rejected at step k (of m) gets α/(m − k + 1); every
// hypothesis not rejected gets α/(m − r), r the number rejected (α/m when
// none is). A p-value from OutsideP is then below its level exactly when
// Holm rejects it, so the interval at 1 − level lies outside the band
// exactly for the tests Holm rejects. NaN p-values are left out of the
// family and get NaN.
func HolmLevels(p []float64, alpha float64) []float64 {
	adj := Holm(p)
	m, r := 0, 0
	for i, v := range p {
		if math.IsNaN(v) {
			continue
		}
		m++
		if adj[i] < alpha {
			r++
		}
	}
	out := make([]float64, len(p))
	for i, v := range p {
		switch {
		case math.IsNaN(v):
			out[i] = math.NaN()
		case adj[i] < alpha:
			// Rejected: its step is its rank among the p-values (ties
			// share the most favourable, as Holm's adjusted p does).
			below := 0
			for _, w := range p {
				if !math.IsNaN(w) && w < v {
					below++
				}
			}
			out[i] = alpha / float64(m-below)
		default:
			out[i] = alpha / float64(m-r)
		}
	}
	return out
}

// Member is one test of a family for HolmFamily: its interval at any
// normal quantile (nil when the test has no estimate, which leaves it out
// of the family) and its tolerance band.
type Member struct {
	Interval     func(z float64) Interval
	Lower, Upper float64
}

// Corrected is what HolmFamily gives one member: the materiality p-value
// before and after Holm's correction (NaN for a member left out), the
// confidence level its interval gets, and the interval at that level.
type Corrected struct {
	P, PHolm   float64
	Confidence float64
	Interval   Interval
}

// HolmFamily corrects a family as one: each member's materiality p-value
// (OutsideP over its interval) is Holm-adjusted with the others, and its
// interval is drawn at the level HolmLevels gives it, so that "the
// interval lies wholly outside the band" (stats.Decide's FAIL) happens
// exactly when Holm rejects "the effect lies inside the band" at alpha.
// Members without an interval get NaN throughout.
func HolmFamily(ms []Member, alpha float64) []Corrected {
	out := make([]Corrected, len(ms))
	p := make([]float64, len(ms))
	for i, m := range ms {
		p[i] = math.NaN()
		if m.Interval != nil {
			p[i] = OutsideP(m.Interval, m.Lower, m.Upper)
		}
	}
	adj, levels := Holm(p), HolmLevels(p, alpha)
	for i, m := range ms {
		nan := math.NaN()
		out[i] = Corrected{P: p[i], PHolm: adj[i], Confidence: nan, Interval: Interval{nan, nan}}
		if m.Interval != nil {
			out[i].Confidence = 1 - levels[i]
			out[i].Interval = m.Interval(ZFor(out[i].Confidence))
		}
	}
	return out
}
