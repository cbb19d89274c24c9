package counterfactual

import (
	"encoding/json"
	"math"

	"github.com/lucid-nlp/lucid/fairness/stats"
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
// differences of a bottom-k sample keyed by a hash of the original text,
// uniform over distinct texts and the same whatever their order (all of
// them while N ≤ Config.ReservoirSize, so Sampled is false). Low, High and TP are NaN (null in
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

// signedOf is one direction's paired analysis from its stream.
func signedOf(s *stats.PairedStream, confidence float64) Signed {
	return Signed{Paired: s.Summary(confidence), WilcoxonN: s.Kept(), Sampled: s.N() > s.Kept()}
}

// thresholds are an audit's decision settings.
type thresholds struct {
	tol, flipTol, conf, alpha float64
}

// signedCheck judges a direction's mean signed Δp: estimate and t interval
// from p (over texts, or over name means), P its t-test's p adjusted by
// Holm (adj), tolerance [−tol, tol].
func (th thresholds) signedCheck(p stats.Paired, adj float64, test string) Check {
	e := stats.Evidence{Estimate: p.Mean, Low: p.Low, High: p.High, P: adj, Lower: -th.tol, Upper: th.tol, Alpha: th.alpha}
	return Check{Evidence: e, PRaw: p.TP, Test: test, Verdict: stats.Decide(e)}
}

// clusteredFlipCheck judges a name family direction's mean name flip rate
// against [0, flipTol] with its t interval and one-sided t-test (p
// adjusted to adj).
func (th thresholds) clusteredFlipCheck(c Clustered, adj float64, test string) Check {
	e := stats.Evidence{Estimate: c.FlipRate, Low: c.FlipLow, High: c.FlipHigh, P: adj, Lower: 0, Upper: th.flipTol, Alpha: th.alpha}
	return Check{Evidence: e, PRaw: c.FlipP, Test: test, Verdict: stats.Decide(e)}
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
