package stats

import (
	"fmt"
	"math"
)

// Status is a check's verdict.
type Status string

// The verdicts, in increasing severity. Info marks a figure that is
// reported but not judged (no rule applies, or no data to judge).
const (
	Info Status = "info"
	Pass Status = "pass"
	Warn Status = "warn"
	Fail Status = "fail"
)

// Severity orders statuses: info < pass < warn < fail.
func (s Status) Severity() int {
	switch s {
	case Pass:
		return 1
	case Warn:
		return 2
	case Fail:
		return 3
	}
	return 0
}

// Worse returns the more severe of a and b.
func Worse(a, b Status) Status {
	if b.Severity() > a.Severity() {
		return b
	}
	return a
}

// DefaultAlpha is the significance level of every verdict's test, after
// the multiple-comparison correction.
const DefaultAlpha = 0.05

// Evidence is what one check knows about one effect: its size with an
// interval, the p-value of its test (already corrected for multiple
// comparisons where the check runs several), and the region of effects
// that are immaterial.
type Evidence struct {
	// Estimate is the effect's point estimate; Low and High its interval.
	Estimate, Low, High float64
	// P is the test's p-value, corrected where several tests share a
	// family. NaN means no test was possible.
	P float64
	// Tolerance is the practical region [Lower, Upper]: an effect inside
	// it is too small to matter (e.g. [−0.1, 0.1] for a parity
	// difference, [0.8, 1.25] for disparate impact, [0, 0.1] for a flip
	// rate).
	Lower, Upper float64
	// Alpha is the significance level (DefaultAlpha when 0).
	Alpha float64
}

// Verdict is a status with the reason the rule gave it.
type Verdict struct {
	Status Status `json:"status"`
	Reason string `json:"reason"`
}

// Decide is Lucid's one decision rule (README, "How a verdict is earned"):
//
//   - FAIL: the effect is significant (P < α) and its estimate lies outside
//     the tolerance region: a material effect, shown.
//   - WARN, "significant but small": significant, estimate inside the region.
//   - WARN, "large but underpowered": the estimate is outside the region but
//     not significant.
//   - WARN, "inconclusive": neither, but the interval reaches outside the
//     region, so a material effect is not ruled out.
//   - PASS: not significant and the whole interval inside the region: no
//     material effect, and the data are enough to say so.
//   - INFO: no estimate (NaN), nothing to judge.
//
// For a difference the test's null is "no difference", so a clean check
// is FAILed at most α of the time. For a rate whose ideal is 0 (a flip or
// failure rate) the caller tests "rate ≤ tolerance" one-sided
// (BinomialUpper), so a FAIL means the rate is shown to exceed the
// tolerance.
func Decide(e Evidence) Verdict {
	alpha := e.Alpha
	if alpha == 0 {
		alpha = DefaultAlpha
	}
	if math.IsNaN(e.Estimate) {
		return Verdict{Info, "no estimate"}
	}
	outside := e.Estimate < e.Lower || e.Estimate > e.Upper
	significant := e.P < alpha // false for NaN
	reaches := math.IsNaN(e.Low) || math.IsNaN(e.High) || e.Low < e.Lower || e.High > e.Upper
	region := fmt.Sprintf("[%.3g, %.3g]", e.Lower, e.Upper)
	switch {
	case significant && outside:
		return Verdict{Fail, fmt.Sprintf("significant (p=%.2g < %.2g) and %.3g is outside the tolerance %s", e.P, alpha, e.Estimate, region)}
	case significant:
		return Verdict{Warn, fmt.Sprintf("significant but small: p=%.2g < %.2g, %.3g is inside the tolerance %s", e.P, alpha, e.Estimate, region)}
	case outside:
		return Verdict{Warn, fmt.Sprintf("large but underpowered: %.3g is outside the tolerance %s but p=%s ≥ %.2g", e.Estimate, region, pString(e.P), alpha)}
	case reaches:
		return Verdict{Warn, fmt.Sprintf("inconclusive: not significant (p=%s), but the interval %s reaches outside the tolerance %s", pString(e.P), ivString(e.Low, e.High), region)}
	}
	return Verdict{Pass, fmt.Sprintf("not significant (p=%s) and the interval [%.3g, %.3g] lies inside the tolerance %s", pString(e.P), e.Low, e.High, region)}
}

// ivString writes an interval, "n/a" when a bound is undefined (one
// value: no interval).
func ivString(low, high float64) string {
	if math.IsNaN(low) || math.IsNaN(high) {
		return "n/a (too few values for an interval)"
	}
	return fmt.Sprintf("[%.3g, %.3g]", low, high)
}

func pString(p float64) string {
	if math.IsNaN(p) {
		return "n/a"
	}
	return fmt.Sprintf("%.2g", p)
}
