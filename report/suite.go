package report

import (
	"fmt"
	"math"

	"github.com/lucid-nlp/lucid/fairness/suite"
)

// suiteV is the user-written test suite's section (--suite).
type suiteV struct {
	R                    *suite.Result
	Scale                string
	Tolerance, Threshold Num
	Tests                []suiteTestV
}

type suiteTestV struct {
	Name, Kind, Description, Expect string
	Cases, Possible, Tested         Num
	Saturated, Failures, Texts      Num
	Sampled                         bool
	Rate                            MetricV
	P                               Num
	Bar                             Bar
	Verdict                         verdictV
	Examples                        []suiteExV
	MoreExamples                    int
}

type suiteExV struct {
	// Of is the label whose probability P and EditP are.
	Of, Text, Label, P         string
	Edited, EditedLabel, EditP string
	Delta                      Num
}

var suiteKinds = map[string]string{suite.MFT: "MFT", suite.INV: "INV", suite.DIR: "DIR"}

func buildSuite(r *suite.Result) *suiteV {
	his := []float64{}
	for _, t := range r.Tests {
		his = append(his, t.FailureRate, t.FailureCI.High)
	}
	scale := niceMax(his...)
	v := &suiteV{R: r, Scale: fmtFloat(scale, 1), Tolerance: num("suite-run:tolerance", r.Tolerance),
		Threshold: num("suite-run:fail_rate_threshold", r.FailRateThreshold)}
	for _, t := range r.Tests {
		k := "suite:" + t.Name + ":"
		tv := suiteTestV{Name: t.Name, Kind: suiteKinds[t.Type], Description: t.Description,
			Cases: count(k+"cases", t.Cases), Possible: count("", int(min(t.Possible, math.MaxInt))), Tested: count(k+"tested", t.Tested),
			Saturated: count(k+"saturated", t.Saturated), Failures: count(k+"failures", t.Failures), Texts: count(k+"texts", t.Texts),
			Sampled: t.Sampled, P: dash, Verdict: verdict(k+"verdict", t.Verdict)}
		switch t.Type {
		case suite.MFT:
			tv.Expect = fmt.Sprintf("every text is predicted %q", t.Label)
		case suite.INV:
			tv.Expect = fmt.Sprintf("p(%s) moves by at most τ from the case's reference", t.Label)
		case suite.DIR:
			tv.Expect = fmt.Sprintf("p(%s) goes %s, or moves the wrong way by at most τ", t.Label, t.Direction)
		}
		if t.Evidence != nil {
			tv.P = pNum(k+"p_holm", t.Evidence.P)
		}
		undef := ""
		if t.Tested == 0 {
			undef = "no case tested"
		}
		tv.Rate = intervalV(k+"failure_rate", t.FailureRate, t.FailureCI, undef)
		if t.Tested == 0 {
			tv.Bar = bar(math.NaN(), 0, 0, scale, "bar-"+tv.Verdict.Class)
		} else {
			tv.Bar = bar(t.FailureRate, t.FailureCI.Low, t.FailureCI.High, scale, "bar-"+tv.Verdict.Class)
		}
		for i, e := range t.Examples {
			if i == maxExamples {
				tv.MoreExamples = len(t.Examples) - maxExamples
				break
			}
			ex := suiteExV{Of: t.Label, Text: e.Text, Label: e.Label, P: fmtFloat(probOf(e.Probs, r.Labels, t.Label), digitsRate), Delta: dash}
			if e.Edited != "" || e.EditedProbs != nil {
				ex.Edited, ex.EditedLabel = e.Edited, e.EditedLabel
				ex.EditP, ex.Delta = fmtFloat(probOf(e.EditedProbs, r.Labels, t.Label), digitsRate), signed("", e.Delta)
			}
			tv.Examples = append(tv.Examples, ex)
		}
		v.Tests = append(v.Tests, tv)
	}
	return v
}
