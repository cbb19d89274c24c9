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

// evidence is a check's estimate, interval (at level conf) and raw p.
type evidence struct{ est, low, high, p, conf float64 }

// flipEvidence is a flip rate's evidence: the clustered interval [low,
// high] (at level conf) and one-sided p widened to the Wilson interval at
// the same level and the exact binomial p of k flips in n swaps. With no
// swaps there is nothing to judge.
func (th thresholds) flipEvidence(est, low, high, p float64, k, n int, conf float64) evidence {
	if n == 0 {
		return evidence{math.NaN(), math.NaN(), math.NaN(), math.NaN(), conf}
	}
	w := stats.Wilson(k, n, stats.ZFor(conf))
	low, high = max(min(low, w.Low), 0), min(max(high, w.High), 1)
	return evidence{est, low, high, max(p, stats.BinomialUpper(k, n, th.flipTol)), conf}
}

// check is a verdict on e against [lower, upper] with the corrected p.
// stats.Decide judges the interval, so e's interval must already be drawn
// at the family's corrected level (familyLevel).
func (th thresholds) check(e evidence, adj, lower, upper float64, test string) Check {
	ev := stats.Evidence{Estimate: e.est, Low: e.low, High: e.high, P: adj, Lower: lower, Upper: upper, Alpha: th.alpha, Confidence: e.conf}
	return Check{Evidence: ev, PRaw: e.p, Test: test, Verdict: stats.Decide(ev)}
}

// familyLevel is the confidence at which a family's m tests draw the
// intervals stats.Decide judges: the Bonferroni level 1 − α/m, so that
// "some interval wholly outside its band" happens to a family with no
// material effect at most α of the time (conservative beside Holm's
// adjusted p, which the report shows).
func (th thresholds) familyLevel(m int) float64 {
	if m < 1 {
		m = 1
	}
	return 1 - th.alpha/float64(m)
}
