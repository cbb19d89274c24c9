package consistency

import (
	"math"

	"github.com/lucid-nlp/lucid/fairness/stats"
)

// Outcome is one edited text judged against its original (Judge).
type Outcome int

const (
	// OutcomePass: the edit moved p(target) as allowed.
	OutcomePass Outcome = Outcome(passed)
	// OutcomeFail: the edit moved p(target) the wrong way by more than
	// the tolerance (or, for invariance, by more than it either way).
	OutcomeFail Outcome = Outcome(failed)
	// OutcomeSaturated: a directional test whose original cannot fail
	// (CheckList's Expect.monotonic returns None); it is neither a pass
	// nor a failure.
	OutcomeSaturated Outcome = Outcome(saturatedOriginal)
)

// Judge applies the consistency check's rule (TestResult) with tolerance
// tol to p(target) before (po) and after (pe) an edit: sign is the
// expected direction, +1 for a rise, −1 for a fall, 0 for invariance.
// badness is how far the move went the wrong way (|Δp| for invariance),
// for ranking failures. It is exported so that user-written suites
// (fairness/suite) judge a case exactly as the built-in tests do.
func Judge(po, pe, sign, tol float64) (o Outcome, badness float64) {
	r, b := judge(po, pe, sign, tol)
	return Outcome(r), b
}

// FailureCount is one test's failures out of the cases it tested.
type FailureCount struct{ Failures, Tested int }

// FailureVerdict is what FailureFamily gives one test.
type FailureVerdict struct {
	// RawP is the one-sided exact binomial p-value of "the failure rate
	// is at most the threshold" (1 with nothing tested).
	RawP float64
	// Evidence is nil when nothing was tested; otherwise the failure rate
	// with its Wilson interval at the level the family's Holm correction
	// gives it, the Holm-adjusted p and the band [0, threshold].
	Evidence *stats.Evidence
	Verdict  stats.Verdict
}

// FailureFamily judges a family of failure rates with the consistency
// check's rule: each rate is tested one-sided against threshold (exact
// binomial), Holm-corrected across the family, and stats.Decide reads
// its Wilson interval drawn at the Holm level, so that FAIL (the interval
// wholly above the threshold) is the corrected test. Tests with nothing
// tested are left out of the family and get INFO.
func FailureFamily(counts []FailureCount, threshold float64) []FailureVerdict {
	out := make([]FailureVerdict, len(counts))
	raw := make([]float64, len(counts))
	members := make([]stats.Member, len(counts))
	for i, c := range counts {
		out[i].RawP = stats.BinomialUpper(c.Failures, c.Tested, threshold)
		raw[i] = math.NaN()
		if c.Tested == 0 {
			continue
		}
		raw[i] = out[i].RawP
		k, n := c.Failures, c.Tested
		members[i] = stats.Member{Interval: func(z float64) stats.Interval { return stats.Wilson(k, n, z) }, Lower: 0, Upper: threshold}
	}
	adj := stats.Holm(raw)
	corrected := stats.HolmFamily(members, stats.DefaultAlpha)
	for i, c := range counts {
		if c.Tested == 0 {
			out[i].Verdict = stats.Verdict{Status: stats.Info, Reason: "nothing tested"}
			continue
		}
		cc := corrected[i]
		out[i].Evidence = &stats.Evidence{
			Estimate: float64(c.Failures) / float64(c.Tested), Low: cc.Interval.Low, High: cc.Interval.High,
			P: adj[i], Lower: 0, Upper: threshold, Confidence: cc.Confidence,
		}
		out[i].Verdict = stats.Decide(*out[i].Evidence)
	}
	return out
}
