package group

import (
	"fmt"
	"math"

	"github.com/lucid-nlp/lucid/fairness/stats"
)

// Labelled is one label's group report, for CorrectAcrossLabels.
type Labelled struct {
	Label  string
	Report *Report
}

// CorrectAcrossLabels makes the pairwise tests of several reports one
// Holm family, for a multi-label classifier audited one label at a time:
// every test that can make the label-by-group verdict FAIL (labels ×
// group columns × pairs × metrics) is corrected together, as one verdict's
// family must be (each report alone corrects only its own column). Each
// test's materiality p-value is recomputed from its table
// (stats.OutsideP over the same Newcombe or MOVER-R interval the column
// used), the family is Holm-adjusted as one, each interval is redrawn at
// the level its Holm step now gives it, and stats.Decide judges it again.
// Every report's Family is set to the joint one, and its Verdict and
// Failing follow its redecided tests. The reports must come from Result
// and not have been corrected before.
func CorrectAcrossLabels(reports []Labelled, alpha float64) stats.Family {
	if alpha == 0 {
		alpha = stats.DefaultAlpha
	}
	type ref struct {
		r     *Report
		label string
		pair  *Pair
		test  *PairTest
	}
	var refs []ref
	var members []stats.Member
	var raw []float64
	columns, labels := map[string]bool{}, map[string]bool{}
	for _, l := range reports {
		r := l.Report
		r.Alpha = alpha
		columns[r.Column], labels[l.Label] = true, true
		for n := range r.Pairs {
			p := &r.Pairs[n]
			for j := range p.Tests {
				t := &p.Tests[j]
				if !t.Estimate.Defined() {
					continue
				}
				sa, fa, sb, fb := t.Table[0], t.Table[1], t.Table[2], t.Table[3]
				m := stats.Member{Lower: t.Evidence.Lower, Upper: t.Evidence.Upper}
				if t.Metric == DisparateImpact {
					m.Interval = func(z float64) stats.Interval { return stats.RatioZ(sb, sb+fb, sa, sa+fa, z) }
				} else {
					m.Interval = func(z float64) stats.Interval { return stats.NewcombeZ(sa, sa+fa, sb, sb+fb, z) }
				}
				refs = append(refs, ref{r, l.Label, p, t})
				members = append(members, m)
				raw = append(raw, t.P)
			}
		}
	}
	corrected := stats.HolmFamily(members, alpha)
	holm := stats.Holm(raw)
	fam := stats.Family{Correction: "holm", Alpha: alpha, Size: len(refs),
		Of: fmt.Sprintf("every test that can make the label-by-group verdict FAIL: %d labels × %d group columns × their pairs × %d metrics (%s and %s), those without an estimate left out",
			len(labels), len(columns), len(spreadRates)+1, joinRates(), DisparateImpact)}
	for i, x := range refs {
		c := corrected[i]
		t := x.test
		t.PMaterial, t.PMaterialHolm, t.Confidence = c.P, c.PHolm, c.Confidence
		t.Estimate.Low, t.Estimate.High = c.Interval.Low, c.Interval.High
		t.Evidence = stats.Evidence{Estimate: t.Estimate.Value, Low: c.Interval.Low, High: c.Interval.High, P: holm[i],
			Lower: t.Evidence.Lower, Upper: t.Evidence.Upper, Alpha: alpha, Confidence: c.Confidence}
		t.Verdict = decide(t.Evidence, t.Estimate)
		fam.Members = append(fam.Members, fmt.Sprintf("%s: %s %s vs %s (%s)", x.label, t.Metric, x.pair.A, x.pair.B, x.r.Column))
	}
	for _, l := range reports {
		r := l.Report
		r.Family = fam
		r.Failing = nil
		for n := range r.Pairs {
			for j := range r.Pairs[n].Tests {
				t := &r.Pairs[n].Tests[j]
				if !t.Estimate.Defined() {
					t.Evidence.Alpha = alpha
					t.Evidence.P = math.NaN()
				}
			}
		}
		r.verdict()
		if len(r.Pairs) > 0 {
			r.Verdict.Reason += fmt.Sprintf(" (label %q)", l.Label)
		}
	}
	return fam
}
