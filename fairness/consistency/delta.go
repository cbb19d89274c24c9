package consistency

import (
	"math"
	"math/rand/v2"

	"github.com/lucid-nlp/lucid/fairness/stats"
	"gonum.org/v1/gonum/stat/distuv"
)

// deltaAcc summarises a stream of signed Δp in bounded memory: exact
// running moments and sign counts, plus a uniform reservoir sample of at
// most deltaSampleCap values for the Wilcoxon test, the one statistic that
// needs the values themselves.
type deltaAcc struct {
	n              int
	mean, m2       float64 // Welford's running mean and sum of squares
	pos, neg, ties int
	sample         []float64
	rng            *rand.Rand
}

func (a *deltaAcc) add(d float64) {
	a.n++
	dm := d - a.mean
	a.mean += dm / float64(a.n)
	a.m2 += dm * (d - a.mean)
	switch {
	case d > stats.TieTolerance:
		a.pos++
	case d < -stats.TieTolerance:
		a.neg++
	default:
		a.ties++
	}
	if len(a.sample) < deltaSampleCap {
		a.sample = append(a.sample, d)
	} else if j := a.rng.IntN(a.n); j < deltaSampleCap {
		a.sample[j] = d // Algorithm R: every value kept with chance cap/n
	}
}

// summary is stats.PairedSummary of every Δp at 95%, nil below two
// values. Up to deltaSampleCap values it is exactly that; beyond, every
// field is still exact (from the running moments and counts) except
// WilcoxonP, which is computed on the uniform sample.
func (a *deltaAcc) summary() *stats.Paired {
	if a.n < 2 {
		return nil
	}
	p := stats.PairedSummary(a.sample, 0.95)
	if a.n <= deltaSampleCap {
		return &p
	}
	n := float64(a.n)
	se := math.Sqrt(a.m2 / (n - 1) / n)
	t := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: n - 1}
	q := t.Quantile(0.975)
	p.N, p.Mean, p.Low, p.High = a.n, a.mean, a.mean-q*se, a.mean+q*se
	p.Positive, p.Negative, p.Ties = a.pos, a.neg, a.ties
	p.SignP = stats.SignTest(a.pos, a.neg)
	switch {
	case se == 0 && a.mean == 0:
		p.TP = 1
	case se == 0:
		p.TP = 0
	default:
		p.TP = 2 * t.CDF(-math.Abs(a.mean/se))
	}
	return &p
}
