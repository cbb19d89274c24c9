package counterfactual

import (
	"encoding/json"
	"math"

	"gonum.org/v1/gonum/stat/distuv"

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

// Clustered is the analysis of a direction of a name family, with the
// name as the unit of replication: each source name's mean Δp over all its
// swaps in the direction (every text it appears in, every partner), and
// Student's t over those name means (the embedded Paired: N is the number
// of names; Low and High its t interval with N − 1 degrees of freedom, TP
// its t-test of "mean 0", SignP and WilcoxonP over the name means). A
// name's texts and partners are not independent evidence about the model's
// treatment of a group of names, so they are averaged before the test and
// one name with a large effect weighs as one name.
//
// Flip is the same over each name's flip rate: FlipRate the mean of the
// name flip rates, FlipLow and FlipHigh its t interval (clipped to [0,
// 1]), FlipP the one-sided t-test of "mean flip rate ≤ flip tolerance".
type Clustered struct {
	Unit string `json:"unit"`
	stats.Paired
	// Texts and Swaps are the direction's texts and swaps, for the n
	// behind the name means.
	Texts, Swaps                int
	FlipRate, FlipLow, FlipHigh float64
	FlipP                       float64
	// Units are the name means, by name.
	Units []UnitMean
}

// UnitMean is one name's part of a Clustered analysis.
type UnitMean struct {
	Term  string  `json:"term"`
	Swaps int     `json:"swaps"`
	Flips int     `json:"flips"`
	Mean  float64 `json:"mean"`
}

// ClusteredMethod states the test of a name family's direction, for
// report.json and the report.
const ClusteredMethod = "unit = source name: each name's mean Δp over its texts and partners; mean over names with Student's t interval and t-test (df = names − 1), Holm over the family's directions; flip rate likewise over name flip rates, one-sided t against the flip tolerance"

// TextMethod states the test of a term family's direction.
const TextMethod = "unit = text: each text's mean Δp over its swaps in the direction; paired t over texts, Holm over the family's directions; flip rate: Wilson interval and exact one-sided binomial test over swaps"

// MarshalJSON writes a Clustered with null for NaN.
func (c Clustered) MarshalJSON() ([]byte, error) {
	p := c.Paired
	return json.Marshal(map[string]any{
		"unit": c.Unit, "n": p.N, "texts": c.Texts, "swaps": c.Swaps,
		"mean": jsonNum(p.Mean), "low": jsonNum(p.Low), "high": jsonNum(p.High),
		"positive": p.Positive, "negative": p.Negative, "ties": p.Ties,
		"sign_p": jsonNum(p.SignP), "t_p": jsonNum(p.TP), "wilcoxon_p": jsonNum(p.WilcoxonP),
		"flip_rate": jsonNum(c.FlipRate), "flip_low": jsonNum(c.FlipLow), "flip_high": jsonNum(c.FlipHigh), "flip_p": jsonNum(c.FlipP),
		"units": c.Units,
	})
}

// clusteredOf analyses name means (units, sorted by term) at confidence,
// with the flip rates tested against flipTol.
func clusteredOf(units []UnitMean, texts, swaps int, confidence, flipTol float64) Clustered {
	means := make([]float64, len(units))
	rates := make([]float64, len(units))
	for i, u := range units {
		means[i] = u.Mean
		rates[i] = float64(u.Flips) / float64(u.Swaps)
	}
	c := Clustered{Unit: "name", Paired: stats.PairedSummary(means, confidence), Texts: texts, Swaps: swaps, Units: units}
	c.FlipRate, c.FlipLow, c.FlipHigh, c.FlipP = upperT(rates, flipTol, confidence)
	return c
}

// upperT is the mean of v with its two-sided t interval at confidence
// (clipped to [0, 1]: v are rates) and the one-sided t-test p-value of
// "mean ≤ bound". With one value the interval and p are NaN; with values
// that do not vary, p is 0 when the mean exceeds bound and 1 otherwise.
func upperT(v []float64, bound, confidence float64) (mean, low, high, p float64) {
	var sum, sumSq stats.ExactSum
	for _, x := range v {
		sum.Add(x)
		sumSq.Add(x * x)
	}
	mean, low, high = tInterval(len(v), sum.Value(), sumSq.Value(), confidence)
	p = math.NaN()
	if len(v) >= 2 {
		n := float64(len(v))
		sd := math.Sqrt(max(sumSq.Value()-n*mean*mean, 0) / (n - 1))
		switch {
		case sd == 0 && mean > bound:
			p = 0
		case sd == 0:
			p = 1
		default:
			t := (mean - bound) / (sd / math.Sqrt(n))
			p = 1 - distuv.StudentsT{Mu: 0, Sigma: 1, Nu: n - 1}.CDF(t)
		}
		low, high = max(low, 0), min(high, 1)
	}
	return mean, low, high, p
}
