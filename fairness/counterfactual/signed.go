package counterfactual

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/lucid-nlp/lucid/fairness/stats"
	"gonum.org/v1/gonum/stat/distuv"
)

// The thresholds of the verdicts, used where Config leaves them 0.
const (
	// DefaultTolerance bounds an immaterial mean signed Δp: [−0.1, 0.1],
	// CheckList's invariance tolerance (Ribeiro et al. 2020).
	DefaultTolerance = 0.1
	// DefaultFlipTolerance is the flip rate at or below which swaps are
	// judged harmless: 5% of swaps changing the predicted label.
	DefaultFlipTolerance = 0.05
	// DefaultConfidence is the level of every interval.
	DefaultConfidence = 0.95
	// DefaultReservoirSize is how many per-text differences each
	// direction keeps for the Wilcoxon test.
	DefaultReservoirSize = 10000
)

// Signed is the paired analysis of one direction (family, from group → to
// group). Its unit is the text: each text with at least one swap in the
// direction gives one difference, the mean Δp over its swaps there, so a
// text that mentions two terms is not counted twice. N, Mean, the t
// interval (Low, High), TP (paired t), and Positive/Negative/Ties with
// SignP (exact sign test) use every text; WilcoxonP uses the WilcoxonN
// differences of a uniform reservoir sample (all of them while N ≤ the
// reservoir size, so Sampled is false). Low, High and TP are NaN (null in
// JSON) below two texts, Mean below one.
type Signed struct {
	stats.Paired
	WilcoxonN int  `json:"wilcoxon_n"`
	Sampled   bool `json:"sampled"`
}

// Check is a verdict-ready record: the evidence one effect gives and the
// verdict stats.Decide draws from it. Test names the test behind P and the
// correction applied; PRaw is P before the correction.
type Check struct {
	Evidence stats.Evidence
	PRaw     float64
	Test     string
	Verdict  stats.Verdict
}

// MarshalJSON writes a Check with lower-case keys and null for NaN.
func (c Check) MarshalJSON() ([]byte, error) {
	e := c.Evidence
	return json.Marshal(map[string]any{
		"estimate": jsonNum(e.Estimate), "low": jsonNum(e.Low), "high": jsonNum(e.High),
		"p": jsonNum(e.P), "p_raw": jsonNum(c.PRaw), "test": c.Test,
		"lower": e.Lower, "upper": e.Upper, "alpha": e.Alpha,
		"status": c.Verdict.Status, "reason": c.Verdict.Reason,
	})
}

// MarshalJSON writes a Signed with null for NaN.
func (s Signed) MarshalJSON() ([]byte, error) {
	p := s.Paired
	return json.Marshal(map[string]any{
		"n": p.N, "mean": jsonNum(p.Mean), "low": jsonNum(p.Low), "high": jsonNum(p.High),
		"positive": p.Positive, "negative": p.Negative, "ties": p.Ties,
		"sign_p": jsonNum(p.SignP), "t_p": jsonNum(p.TP), "wilcoxon_p": jsonNum(p.WilcoxonP),
		"wilcoxon_n": s.WilcoxonN, "sampled": s.Sampled,
	})
}

func jsonNum(v float64) any {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return v
}

// signedAcc accumulates one direction's per-text differences: counts and
// Welford sums for the mean, t and sign tests, and a uniform reservoir
// (Vitter's algorithm R) for the Wilcoxon test, so memory stays bounded
// however many texts stream in.
type signedAcc struct {
	n              int
	mean, m2       float64
	pos, neg, ties int
	res            []float64
	cap            int
	rng            *rand.Rand
}

func newSignedAcc(capacity int, seed uint64) *signedAcc {
	return &signedAcc{cap: capacity, rng: rand.New(rand.NewPCG(0x5eed, seed))}
}

func (c *signedAcc) add(d float64) {
	c.n++
	delta := d - c.mean
	c.mean += delta / float64(c.n)
	c.m2 += delta * (d - c.mean)
	switch {
	case d > stats.TieTolerance:
		c.pos++
	case d < -stats.TieTolerance:
		c.neg++
	default:
		c.ties++
	}
	if len(c.res) < c.cap {
		c.res = append(c.res, d)
		return
	}
	if j := c.rng.IntN(c.n); j < c.cap {
		c.res[j] = d
	}
}

// summary computes the paired statistics as stats.PairedSummary would on
// every difference, but from the sufficient statistics (Wilcoxon from the
// reservoir).
func (c *signedAcc) summary(confidence float64) Signed {
	p := stats.Paired{N: c.n, Mean: math.NaN(), Low: math.NaN(), High: math.NaN(), SignP: 1, TP: math.NaN(), WilcoxonP: 1,
		Positive: c.pos, Negative: c.neg, Ties: c.ties}
	s := Signed{WilcoxonN: len(c.res), Sampled: c.n > len(c.res)}
	if c.n == 0 {
		s.Paired = p
		return s
	}
	p.Mean = c.mean
	p.SignP = stats.SignTest(c.pos, c.neg)
	p.WilcoxonP = stats.Wilcoxon(c.res)
	if c.n >= 2 {
		n := float64(c.n)
		se := math.Sqrt(max(0, c.m2) / (n - 1) / n)
		t := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: n - 1}
		q := t.Quantile(1 - (1-confidence)/2)
		p.Low, p.High = p.Mean-q*se, p.Mean+q*se
		switch {
		case se == 0 && p.Mean == 0:
			p.TP = 1
		case se == 0:
			p.TP = 0
		default:
			p.TP = 2 * t.CDF(-math.Abs(p.Mean/se))
		}
	}
	s.Paired = p
	return s
}

// thresholds are an audit's decision settings.
type thresholds struct {
	tol, flipTol, conf, alpha float64
}

// signedCheck judges a direction's mean signed Δp: estimate and t interval
// from s, P the paired t-test's p adjusted by Holm (adj), tolerance
// [−tol, tol].
func (th thresholds) signedCheck(s Signed, adj float64, m int) Check {
	e := stats.Evidence{Estimate: s.Mean, Low: s.Low, High: s.High, P: adj, Lower: -th.tol, Upper: th.tol, Alpha: th.alpha}
	return Check{Evidence: e, PRaw: s.TP, Test: fmt.Sprintf("paired t over %d texts, Holm over %d directions", s.N, m), Verdict: stats.Decide(e)}
}

// flipCheck judges a flip rate of k in n swaps: Wilson interval, exact
// one-sided binomial test of "rate ≤ flipTol" (p adjusted to adj),
// tolerance [0, flipTol].
func (th thresholds) flipCheck(k, n int, raw, adj float64, test string) Check {
	est := math.NaN()
	if n > 0 {
		est = float64(k) / float64(n)
	}
	iv := stats.Wilson(k, n, stats.ZFor(th.conf))
	e := stats.Evidence{Estimate: est, Low: iv.Low, High: iv.High, P: adj, Lower: 0, Upper: th.flipTol, Alpha: th.alpha}
	return Check{Evidence: e, PRaw: raw, Test: test, Verdict: stats.Decide(e)}
}
