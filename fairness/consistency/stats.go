package consistency

import (
	"math"
	"sort"
)

// Interval is a confidence interval [Low, High].
type Interval struct {
	Low  float64 `json:"low"`
	High float64 `json:"high"`
}

// Z95 is the standard normal quantile for a two-sided 95% interval.
const Z95 = 1.959963984540054

// Wilson returns the Wilson score interval for k successes in n trials at
// normal quantile z (Z95 for 95%). It is used rather than the normal
// ("Wald") interval because it stays inside [0, 1] and is honest for the
// small counts and rates near 0 or 1 that test slices produce. With n = 0
// nothing is known and the interval is [0, 1].
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

// SpearmanRank returns Spearman's rank correlation of a and b: the
// Pearson correlation of their ranks, tied values sharing the mean of
// their ranks. It is NaN when the lengths differ, there are fewer than two
// values, a value is NaN, or either vector is constant (no ranking to
// compare).
func SpearmanRank(a, b []float64) float64 {
	if len(a) != len(b) || len(a) < 2 {
		return math.NaN()
	}
	ra, rb := ranks(a), ranks(b)
	if ra == nil || rb == nil {
		return math.NaN()
	}
	mean := float64(len(a)+1) / 2 // ranks 1..n average to this, ties or not
	var cov, va, vb float64
	for i := range ra {
		da, db := ra[i]-mean, rb[i]-mean
		cov += da * db
		va += da * da
		vb += db * db
	}
	if va == 0 || vb == 0 {
		return math.NaN()
	}
	return cov / math.Sqrt(va*vb)
}

// ranks returns the 1-based ranks of v, ties averaged; nil if v has a NaN.
func ranks(v []float64) []float64 {
	idx := make([]int, len(v))
	for i := range idx {
		if math.IsNaN(v[i]) {
			return nil
		}
		idx[i] = i
	}
	sort.SliceStable(idx, func(i, j int) bool { return v[idx[i]] < v[idx[j]] })
	r := make([]float64, len(v))
	for i := 0; i < len(idx); {
		j := i
		for j+1 < len(idx) && v[idx[j+1]] == v[idx[i]] {
			j++
		}
		avg := float64(i+j)/2 + 1 // positions i..j hold ranks i+1..j+1
		for k := i; k <= j; k++ {
			r[idx[k]] = avg
		}
		i = j + 1
	}
	return r
}

// TopKOverlap returns the share of the k features with the largest |value|
// in a that are also among the k largest in b: 1 when both explanations
// pick the same top k, 0 when they share none. Equal |value|s are ordered
// by index, so the result is deterministic. k larger than the vectors is
// cut to their length. It is NaN when the lengths differ, they are empty,
// or k < 1.
func TopKOverlap(a, b []float64, k int) float64 {
	if len(a) != len(b) || len(a) == 0 || k < 1 {
		return math.NaN()
	}
	k = min(k, len(a))
	ta, tb := topK(a, k), topK(b, k)
	in := make(map[int]bool, k)
	for _, i := range ta {
		in[i] = true
	}
	shared := 0
	for _, i := range tb {
		if in[i] {
			shared++
		}
	}
	return float64(shared) / float64(k)
}

func topK(v []float64, k int) []int {
	idx := make([]int, len(v))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(i, j int) bool { return math.Abs(v[idx[i]]) > math.Abs(v[idx[j]]) })
	return idx[:k]
}
