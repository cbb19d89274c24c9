package stats

import (
	"math"
	"slices"
	"sort"

	"gonum.org/v1/gonum/stat/distuv"
)

// Paired summarises matched differences d_i = A_i − B_i (one per frame:
// a template, a counterfactual pair): their mean with a t interval, how
// many frames favour each side, and three tests of "no difference".
type Paired struct {
	N    int     `json:"n"`
	Mean float64 `json:"mean"`
	// Low and High bound the mean at the requested confidence (Student's
	// t); NaN with fewer than two differences.
	Low  float64 `json:"low"`
	High float64 `json:"high"`
	// Positive, Negative and Ties count the frames where A > B, A < B and
	// A = B (|d| ≤ TieTolerance).
	Positive int `json:"positive"`
	Negative int `json:"negative"`
	Ties     int `json:"ties"`
	// SignP is the exact two-sided sign test, TP the paired t-test and
	// WilcoxonP the Wilcoxon signed-rank test (exact up to 50 non-zero
	// differences, normal with tie correction above).
	SignP     float64 `json:"sign_p"`
	TP        float64 `json:"t_p"`
	WilcoxonP float64 `json:"wilcoxon_p"`
}

// TieTolerance is the |difference| at or below which a matched pair counts
// as a tie: scores that agree to float32 precision are not evidence.
const TieTolerance = 1e-6

// PairedSummary computes the paired statistics of d at a confidence level
// (0.95 for 95% intervals).
func PairedSummary(d []float64, confidence float64) Paired {
	s := NewPairedStream(len(d), 0)
	for _, v := range d {
		s.Add(v)
	}
	return s.Summary(confidence)
}

// wilcoxonExactMax is the most non-zero differences for which the
// signed-rank distribution is enumerated exactly.
const wilcoxonExactMax = 50

// Wilcoxon is the two-sided p-value of the Wilcoxon signed-rank test of
// "the differences are symmetric about 0". Differences within TieTolerance
// of 0 are dropped (Wilcoxon's convention); tied |d| share their mid-rank.
// Up to 50 remaining differences the null distribution is enumerated
// exactly (over doubled mid-ranks, so ties stay exact); above, the normal
// approximation with the tie-corrected variance and a continuity
// correction.
func Wilcoxon(d []float64) float64 {
	abs := make([]float64, 0, len(d))
	sign := make([]bool, 0, len(d))
	for _, v := range d {
		if math.Abs(v) > TieTolerance {
			abs = append(abs, math.Abs(v))
			sign = append(sign, v > 0)
		}
	}
	n := len(abs)
	if n == 0 {
		return 1
	}
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(i, j int) bool { return abs[idx[i]] < abs[idx[j]] })
	r2 := make([]int, n) // doubled mid-ranks: integers even with ties
	var tieTerm float64
	for i := 0; i < n; {
		j := i
		for j+1 < n && abs[idx[j+1]] == abs[idx[i]] {
			j++
		}
		t := float64(j - i + 1)
		tieTerm += t*t*t - t
		for k := i; k <= j; k++ {
			r2[idx[k]] = i + j + 2 // 2 × mean of ranks i+1..j+1
		}
		i = j + 1
	}
	w2 := 0 // doubled W+
	total2 := 0
	for i, r := range r2 {
		total2 += r
		if sign[i] {
			w2 += r
		}
	}
	if n <= wilcoxonExactMax {
		// dist[s] = number of sign patterns with doubled W+ = s.
		dist := make([]float64, total2+1)
		dist[0] = 1
		for _, r := range r2 {
			for s := total2; s >= r; s-- {
				dist[s] += dist[s-r]
			}
		}
		all := math.Pow(2, float64(n))
		lo, hi := min(w2, total2-w2), max(w2, total2-w2)
		tail := 0.0
		for s := 0; s <= lo; s++ {
			tail += dist[s]
		}
		for s := hi; s <= total2; s++ {
			tail += dist[s]
		}
		if lo == hi {
			tail = all // W+ at the centre: no evidence either way
		}
		return min(1, tail/all)
	}
	nf := float64(n)
	mean := nf * (nf + 1) / 4
	sd := math.Sqrt(nf*(nf+1)*(2*nf+1)/24 - tieTerm/48)
	if sd == 0 {
		return 1
	}
	z := (math.Abs(float64(w2)/2-mean) - 0.5) / sd
	if z < 0 {
		return 1
	}
	return min(1, 2*distuv.UnitNormal.CDF(-z))
}

// Holm adjusts p-values for a family of tests (Holm 1979): step-down
// Bonferroni, which controls the family-wise error rate with no assumption
// about how the tests depend on each other. NaN p-values are left NaN and
// not counted in the family.
func Holm(p []float64) []float64 {
	out := make([]float64, len(p))
	idx := make([]int, 0, len(p))
	for i, v := range p {
		out[i] = v
		if !math.IsNaN(v) {
			idx = append(idx, i)
		}
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		switch {
		case p[a] < p[b]:
			return -1
		case p[a] > p[b]:
			return 1
		}
		return 0
	})
	m := len(idx)
	running := 0.0
	for rank, i := range idx {
		adj := min(1, float64(m-rank)*p[i])
		running = max(running, adj) // adjusted p-values never decrease
		out[i] = running
	}
	return out
}
