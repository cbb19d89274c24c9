package consistency

import (
	"math"
	"sort"
)

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
