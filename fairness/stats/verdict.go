package stats

import (
	"fmt"
	"math"
	"strconv"
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
// interval, the p-value of its test against no effect (already corrected
// for multiple comparisons where the check runs several), and the region
// of effects that are immaterial.
type Evidence struct {
	// Estimate is the effect's point estimate; Low and High its interval,
	// at the level the family's correction gives this test (Confidence):
	// the interval is the materiality test, so it must be the corrected
	// one.
	Estimate, Low, High float64
	// P is the test's p-value against "no effect", corrected where several
	// tests share a family. NaN means no test was possible. It only names
	// the kind of WARN ("significant but not shown material" or
	// "inconclusive"); it never makes a FAIL or a PASS.
	P float64
	// Tolerance is the practical region [Lower, Upper]: an effect inside
	// it is too small to matter (e.g. [−0.1, 0.1] for a parity
	// difference, [0.8, 1.25] for disparate impact, [0, 0.1] for a flip
	// rate). For a ratio, the interval and the band are compared on the
	// log scale, which for "inside" and "outside" is the same comparison.
	Lower, Upper float64
	// Alpha is the significance level (DefaultAlpha when 0).
	Alpha float64
	// Confidence is the level of [Low, High] (e.g. 0.99 for a test in a
	// Holm family of five at α = 0.05); 0 when the caller did not say. It
	// is written into the reason so a reader knows which interval was
	// compared with the band.
	Confidence float64
}

// Verdict is a status with the reason the rule gave it.
type Verdict struct {
	Status Status `json:"status"`
	Reason string `json:"reason"`
}

// RuleText states Decide's rule in words, for README, report.json and
// --help to quote.
const RuleText = "FAIL when materiality is shown: the one-sided test of H0 \"the effect lies inside the tolerance band\" rejects after the family's Holm correction, " +
	"i.e. the effect's corrected interval lies wholly outside the band. " +
	"PASS when equivalence is shown (TOST): the corrected interval, of non-zero width, lies wholly inside the band. " +
	"Otherwise WARN, saying which: \"significant but not shown material\" (the test against no effect rejects, but the interval reaches into the band) or \"inconclusive\" (it does not, and the interval reaches outside the band). " +
	"Ratios (disparate impact) are judged on the log scale against [0.8, 1.25]. " +
	"The family is every test that can make the verdict FAIL (for a group column: all pairs × all metrics, disparate impact included); its size and members are stated beside the verdict."

// Decide is Lucid's one decision rule (README, "How a verdict is earned";
// RuleText). [Low, High] must be the corrected interval of the effect, so
// that "the interval lies wholly outside [Lower, Upper]" is the one-sided
// test of H0: Lower ≤ effect ≤ Upper at the corrected level:
//
//   - FAIL: the interval lies wholly outside the tolerance band (a
//     material effect, shown).
//   - PASS: the interval lies wholly inside the band (equivalence shown,
//     TOST).
//   - WARN, "inconclusive", whatever the interval's place, when it has
//     zero width: a zero-width interval is never evidence.
//   - WARN, "significant but not shown material": P < α against no
//     effect, but the interval reaches into the band.
//   - WARN, "inconclusive": otherwise; the interval straddles a band edge,
//     or there is no interval.
//   - INFO: no estimate (NaN), nothing to judge.
//
// Because a clean effect (inside the band) lies outside its own interval
// at most α of the time, a check whose interval holds its coverage is
// FAILed at most α of the time when the true effect is anywhere inside
// the band, at its edge included.
func Decide(e Evidence) Verdict {
	alpha := e.Alpha
	if alpha == 0 {
		alpha = DefaultAlpha
	}
	if math.IsNaN(e.Estimate) {
		return Verdict{Info, "no estimate"}
	}
	region := fmt.Sprintf("[%.3g, %.3g]", e.Lower, e.Upper)
	iv := ivString(e.Low, e.High)
	if e.Confidence > 0 {
		iv = fmt.Sprintf("the %s%% interval %s", trimFloat(100*e.Confidence), iv)
	} else {
		iv = "the interval " + iv
	}
	noInterval := math.IsNaN(e.Low) || math.IsNaN(e.High)
	significant := e.P < alpha // false for NaN
	sig := "not significant against no effect (p=" + FormatP(e.P, alpha) + ")"
	if significant {
		sig = "significant against no effect (p=" + FormatP(e.P, alpha) + " < " + trimFloat(alpha) + ")"
	}
	switch {
	case noInterval:
		return Verdict{Warn, fmt.Sprintf("inconclusive: %.3g has no interval (too few values), so neither materiality nor equivalence can be shown; %s", e.Estimate, sig)}
	case !(e.High > e.Low):
		return Verdict{Warn, fmt.Sprintf("inconclusive: %s of %.3g has zero width, which is not evidence either way", iv, e.Estimate)}
	case e.Low > e.Upper || e.High < e.Lower:
		return Verdict{Fail, fmt.Sprintf("material: %s of %.3g lies wholly outside the tolerance %s", iv, e.Estimate, region)}
	case e.Low >= e.Lower && e.High <= e.Upper:
		return Verdict{Pass, fmt.Sprintf("equivalent: %s of %.3g lies wholly inside the tolerance %s", iv, e.Estimate, region)}
	case significant:
		return Verdict{Warn, fmt.Sprintf("significant but not shown material: %s, but %s of %.3g reaches into the tolerance %s", sig, iv, e.Estimate, region)}
	}
	return Verdict{Warn, fmt.Sprintf("inconclusive: %s, and %s of %.3g reaches outside the tolerance %s", sig, iv, e.Estimate, region)}
}

// ivString writes an interval, "n/a" when a bound is undefined (one
// value: no interval).
func ivString(low, high float64) string {
	if math.IsNaN(low) || math.IsNaN(high) {
		return "n/a (too few values for an interval)"
	}
	return fmt.Sprintf("[%.3g, %.3g]", low, high)
}

// FormatP writes a p-value with enough significant digits that the
// printed number compares with alpha the way the exact one does:
// 0.0497 is never printed "0.05" beside "< 0.05". Two significant digits
// suffice unless rounding would land on or across alpha; then more are
// used (up to 17, the exact float). NaN is "n/a".
func FormatP(p, alpha float64) string {
	if math.IsNaN(p) {
		return "n/a"
	}
	for prec := 2; prec < 17; prec++ {
		s := strconv.FormatFloat(p, 'g', prec, 64)
		r, _ := strconv.ParseFloat(s, 64)
		if (r < alpha) == (p < alpha) && (r == alpha) == (p == alpha) {
			return s
		}
	}
	return strconv.FormatFloat(p, 'g', -1, 64)
}

// trimFloat writes v with up to 4 significant digits and no trailing
// zeros (99.5, 95, 0.05).
func trimFloat(v float64) string { return strconv.FormatFloat(v, 'g', 4, 64) }

// Family is a set of tests corrected together: every test that can make
// one verdict FAIL. Reports state it beside the verdict.
type Family struct {
	// Of says what the family is, in words.
	Of string `json:"of"`
	// Size is the number of tests corrected together (those with an
	// estimate); Members names each.
	Size    int      `json:"size"`
	Members []string `json:"members,omitempty"`
	// Correction is "holm"; Alpha the family-wise level.
	Correction string  `json:"correction"`
	Alpha      float64 `json:"alpha"`
}

// String is the family in one line, for a verdict's reason.
func (f Family) String() string {
	if f.Size == 0 {
		return "no test in the family"
	}
	tests := "tests"
	if f.Size == 1 {
		tests = "test"
	}
	return fmt.Sprintf("one %s family of %d %s at α = %s (%s)", cases(f.Correction), f.Size, tests, trimFloat(f.Alpha), f.Of)
}

func cases(s string) string {
	if s == "holm" {
		return "Holm"
	}
	return s
}
