package stats

import (
	"math"
	"math/big"

	"gonum.org/v1/gonum/stat/distuv"
)

// Moments is a mergeable, order-independent summary of a sample of
// scores: its size and the exact sums of the values and of their squares
// (ExactSum), so that the mean and variance are the same bits however the
// values were split, ordered or merged. The zero value is an empty sample.
type Moments struct {
	N       int
	Sum, SQ ExactSum
}

// Add adds one value.
func (m *Moments) Add(x float64) {
	m.N++
	m.Sum.Add(x)
	m.SQ.Add(x * x)
}

// Merge adds o's values.
func (m *Moments) Merge(o *Moments) {
	m.N += o.N
	m.Sum.Merge(&o.Sum)
	m.SQ.Merge(&o.SQ)
}

// Mean is the sample mean (NaN when empty).
func (m *Moments) Mean() float64 {
	if m.N == 0 {
		return math.NaN()
	}
	return m.Sum.Value() / float64(m.N)
}

// Variance is the unbiased sample variance, NaN under two values. The
// centred sum of squares Σx² − (Σx)²/n is formed from the exact sums in
// extended precision and rounded once, so the cancellation a float
// formula suffers when the mean is large beside the spread does not
// happen (up to the rounding of each x² when it was added).
func (m *Moments) Variance() float64 {
	if m.N < 2 || !m.Sum.finite() || !m.SQ.finite() {
		return math.NaN()
	}
	s := m.Sum.exactBig()
	ss := new(big.Float).SetPrec(4400).Mul(s, s)
	ss.Quo(ss, new(big.Float).SetPrec(4400).SetInt64(int64(m.N)))
	c := new(big.Float).SetPrec(4400).Sub(m.SQ.exactBig(), ss)
	v, _ := c.Float64()
	return math.Max(v, 0) / float64(m.N-1)
}

// Welch is the difference of two sample means, mean(A) − mean(B), with
// Welch's unequal-variance standard error and Welch–Satterthwaite degrees
// of freedom.
type Welch struct {
	Difference, SE, DF float64
}

// NewWelch compares sample a with sample b. SE and DF are NaN when either
// sample has fewer than two values.
func NewWelch(a, b *Moments) Welch {
	w := Welch{Difference: a.Mean() - b.Mean(), SE: math.NaN(), DF: math.NaN()}
	va, vb := a.Variance(), b.Variance()
	if math.IsNaN(va) || math.IsNaN(vb) {
		return w
	}
	qa, qb := va/float64(a.N), vb/float64(b.N)
	w.SE = math.Sqrt(qa + qb)
	if qa+qb > 0 {
		w.DF = (qa + qb) * (qa + qb) / (qa*qa/float64(a.N-1) + qb*qb/float64(b.N-1))
	}
	return w
}

// Interval is the difference's two-sided interval at the level the normal
// quantile z stands for (1 − PFromZ(z)), drawn with Student's t at the
// Welch degrees of freedom: the form stats.HolmFamily and OutsideP take.
// With no standard error, or a zero one, the interval is NaN (no
// evidence), never a point.
func (w Welch) Interval(z float64) Interval {
	if math.IsNaN(w.SE) || math.IsNaN(w.DF) || !(w.SE > 0) {
		return Interval{math.NaN(), math.NaN()}
	}
	if z <= 0 {
		return Interval{w.Difference, w.Difference}
	}
	alpha := PFromZ(z)
	// The lower tail's quantile, negated, keeps its precision where
	// 1 − α/2 would round to 1.
	t := -distuv.StudentsT{Mu: 0, Sigma: 1, Nu: w.DF}.Quantile(alpha / 2)
	if math.IsInf(t, 0) || math.IsNaN(t) || alpha == 0 { // α underflowed: the widest interval there is
		return Interval{math.Inf(-1), math.Inf(1)}
	}
	return Interval{w.Difference - t*w.SE, w.Difference + t*w.SE}
}

// P is Welch's two-sided t-test p-value against no difference (NaN
// without a standard error).
func (w Welch) P() float64 {
	if math.IsNaN(w.SE) || math.IsNaN(w.DF) || !(w.SE > 0) {
		return math.NaN()
	}
	t := math.Abs(w.Difference) / w.SE
	return 2 * distuv.StudentsT{Mu: 0, Sigma: 1, Nu: w.DF}.Survival(t)
}
