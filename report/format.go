package report

import (
	"math"
	"strconv"
	"strings"

	"github.com/lucid-nlp/lucid/audit"
	"github.com/lucid-nlp/lucid/fairness/group"
	fstats "github.com/lucid-nlp/lucid/fairness/stats"
)

// Decimals used for the numbers on a page (see the package documentation).
const (
	digitsRate    = 4
	digitsSeconds = 2
	digitsRPS     = 1
)

// naText is what an undefined number reads as.
const naText = "n/a"

// fmtFloat prints v with d decimals, "n/a" when it is not finite, and
// never "-0.0000".
func fmtFloat(v float64, d int) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return naText
	}
	s := strconv.FormatFloat(v, 'f', d, 64)
	if strings.HasPrefix(s, "-") && strings.Trim(s, "-0.") == "" {
		s = s[1:]
	}
	return s
}

// fmtSigned is fmtFloat with an explicit "+" on positive values.
func fmtSigned(v float64, d int) string {
	s := fmtFloat(v, d)
	if s != naText && !strings.HasPrefix(s, "-") && strings.Trim(s, "0.") != "" {
		s = "+" + s
	}
	return s
}

// Num is one printed number, with the data-key it carries ("" for none).
type Num struct {
	Key  string
	Text string
	NA   bool
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

func num(key string, v float64) Num { return numD(key, v, digitsRate) }

func numD(key string, v float64, d int) Num {
	return Num{Key: key, Text: fmtFloat(v, d), NA: !finite(v)}
}

func signed(key string, v float64) Num {
	return Num{Key: key, Text: fmtSigned(v, digitsRate), NA: !finite(v)}
}

// dash stands for a number that was not measured (report.json has 0).
var dash = Num{Text: "—", NA: true}

func count(key string, n int) Num { return Num{Key: key, Text: strconv.Itoa(n)} }

// MetricV is a value with its interval: "0.1234 [0.1000, 0.1500]", or
// "n/a (reason)".
type MetricV struct {
	Val, Low, High Num
	// Undefined is why there is no value; NoCI is set for a value without
	// an interval.
	Undefined string
	NoCI      bool
}

func metricV(key string, m group.Metric) MetricV {
	v := MetricV{Val: num(key, m.Value), Low: num(key+":low", m.Low), High: num(key+":high", m.High)}
	if key == "" {
		v.Low.Key, v.High.Key = "", ""
	}
	if !finite(m.Value) {
		v.Undefined = m.Undefined
		if v.Undefined == "" {
			v.Undefined = "undefined"
		}
	}
	v.NoCI = !finite(m.Low) || !finite(m.High)
	return v
}

// rateV shows a Wilson rate; one of no rows is n/a, without a data-key
// (report.json has 0 for it).
func rateV(key string, r audit.Rate) MetricV {
	if r.Of == 0 {
		return intervalV("", 0, fstats.Interval{}, "no rows")
	}
	return metricV(key, group.Metric{Value: r.Value, Low: r.Low, High: r.High})
}

// intervalV shows a proportion with its interval, or n/a with the reason
// undefined, without a data-key (report.json has 0 for it).
func intervalV(key string, v float64, ci fstats.Interval, undefined string) MetricV {
	if undefined != "" {
		return metricV("", group.Metric{Value: math.NaN(), Low: math.NaN(), High: math.NaN(), Undefined: undefined})
	}
	return metricV(key, group.Metric{Value: v, Low: ci.Low, High: ci.High})
}

// truncate shortens s to at most n characters, ending it with "…".
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// round1 rounds a pixel coordinate to 0.1.
func round1(v float64) float64 { return math.Round(v*10) / 10 }

// pct prints a proportion as a whole percentage ("95%").
func pct(v float64) string {
	if !finite(v) {
		return naText
	}
	return strconv.FormatFloat(v*100, 'f', -1, 64) + "%"
}

// pNum prints a p-value with two significant digits ("0.031", "3.1e-07",
// "1"), more only where two would round it onto or across α ("0.0497",
// never "0.05"): a p-value's size, not its decimals, is what a reader
// needs, but the printed number must compare with α as the exact one
// does (fstats.FormatP).
func pNum(key string, p float64) Num {
	if !finite(p) {
		return Num{Key: key, Text: naText, NA: true}
	}
	return Num{Key: key, Text: fstats.FormatP(p, fstats.DefaultAlpha)}
}

// secondsNum prints a duration in seconds with digitsSeconds decimals.
func secondsNum(key string, s float64) Num { return numD(key, s, digitsSeconds) }
