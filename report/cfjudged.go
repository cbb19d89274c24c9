package report

import (
	"fmt"

	"github.com/lucid-nlp/lucid/fairness/counterfactual"
	fstats "github.com/lucid-nlp/lucid/fairness/stats"
)

// This file builds the judged part of the counterfactual section: each
// family's verdict, and each direction's (family, from group → to group)
// paired analysis of the signed Δp and its flip rate, with the tests and
// the decision rule's verdict.

// cfFamilyV is one family's verdict row.
type cfFamilyV struct {
	Family string
	Empty  bool
	Texts  Num
	Swaps  Num
	// Signed is the mean signed Δp of the family's worst direction with
	// its interval; Holm its corrected p; Worst names the direction and
	// the test (SignedCheck.Test).
	Signed MetricV
	Holm   Num
	Worst  string
	// Flip is the family's pooled flip rate with its Wilson interval;
	// FlipP the one-sided binomial p of "rate ≤ flip tolerance".
	Flips, FlipSwaps Num
	Flip             MetricV
	FlipP            Num
	Verdict          verdictV
}

// cfDirV is one direction's row. In a name family the figures are over
// names (Clustered): N counts source names, Unit says so with the texts
// and partner names behind them; elsewhere N counts texts.
type cfDirV struct {
	Family, From, To string
	Texts, Swaps     Num
	N                Num
	Unit             string
	// Units are the source names' mean Δp (name families; at most
	// maxUnitsShown, the rest in report.json), so a gap carried by one
	// name shows.
	Units          []cfUnitV
	MoreUnits      int
	Mean           MetricV
	Pos, Neg, Ties Num
	SignP, TP      Num
	WilcoxonP      Num
	WilcoxonN      *Num // set when the Wilcoxon test ran on a sample
	Holm           Num
	Flips          Num
	Flip           MetricV
	FlipP          Num
	Verdict        verdictV
}

// cfUnitV is one source name's mean Δp in a direction.
type cfUnitV struct {
	Term string
	Mean Num
}

// maxUnitsShown bounds the names listed under a direction.
const maxUnitsShown = 20

// cfJudgedV is the judged part of the section; nil when the report has no
// verdicts (written before them).
type cfJudgedV struct {
	Families        []cfFamilyV
	Judged, Settled []cfDirV // fail and warn; pass and info
	Directions      int
	// Tolerance is the signed Δp tolerance (±), FlipTolerance the flip
	// rate's, Alpha the significance level: from the checks themselves.
	Tolerance, FlipTolerance, Alpha Num
	Confidence                      string
	// Strata are the directions' breakdowns by term kind and frame
	// (descriptive): every kind, and of the frames of each direction the
	// lowest and highest mean (the rest, MoreStrata of them, are in
	// report.json).
	Strata     []cfStratumV
	MoreStrata int
	// NameMethod and TextMethod state the unit and test of name families
	// and of families of terms (Result.Design).
	NameMethod, TextMethod string
}

// cfStratumV is one stratum of a direction. Frame names are arbitrary
// text, so the figures carry no report.json key.
type cfStratumV struct {
	Family, From, To, By, Stratum string
	Texts, Swaps, Flips           Num
	Mean                          MetricV
}

// signedMetric is a signed estimate with its interval under key (key:low,
// key:high), n/a with why when the estimate is undefined.
func signedMetric(key, lowKey, highKey string, est, low, high float64, why string) MetricV {
	v := MetricV{Val: signed(key, est), Low: signed(lowKey, low), High: signed(highKey, high), NoCI: !finite(low) || !finite(high)}
	if !finite(est) {
		v.Undefined = why
	}
	return v
}

// flipMetric is a flip rate with its Wilson interval; a rate over no swap
// is not measured (report.json has 0) and reads "n/a" without a key.
func flipMetric(key string, s counterfactual.Stats) MetricV {
	if s.Swaps == 0 {
		return intervalV("", 0, fstats.Interval{}, "no swaps")
	}
	return MetricV{Val: num(key+"flip_rate", s.FlipRate), Low: num(key+"flip_interval:low", s.FlipInterval.Low),
		High: num(key+"flip_interval:high", s.FlipInterval.High), NoCI: !finite(s.FlipInterval.Low) || !finite(s.FlipInterval.High)}
}

// vd is a verdict that may be missing (a report from before verdicts).
func vd(key string, v *fstats.Verdict) verdictV {
	if v == nil {
		return verdict("", fstats.Verdict{})
	}
	return verdict(key, *v)
}

func buildCFJudged(r *counterfactual.Result) *cfJudgedV {
	v := &cfJudgedV{Tolerance: dash, FlipTolerance: dash, Alpha: dash}
	judgedAny := false
	for _, f := range r.Families {
		if f.Verdict != nil || f.SignedCheck != nil {
			judgedAny = true
		}
		k := "cf:" + f.Family + ":"
		fv := cfFamilyV{Family: f.Family, Empty: f.Swaps == 0, Texts: count(k+"texts", f.Texts), Swaps: count(k+"swaps", f.Swaps),
			Flips: count(k+"flips", f.Flips), Flip: flipMetric(k, f), Holm: dash, FlipP: dash, Verdict: vd(k+"verdict", f.Verdict)}
		fv.FlipSwaps = count("", f.Swaps)
		fv.Signed = MetricV{Val: dash, NoCI: true}
		if c := f.SignedCheck; c != nil {
			e := c.Evidence
			ck := k + "signed_check:"
			fv.Signed = signedMetric(ck+"estimate", ck+"low", ck+"high", e.Estimate, e.Low, e.High, "no swaps")
			fv.Holm = pNum(ck+"p", e.P)
			if finite(e.Estimate) { // else Test only says there were no swaps
				fv.Worst = c.Test
			}
			if v.Tolerance == dash {
				v.Tolerance, v.Alpha = num("", e.Upper), pNum("", e.Alpha)
			}
		}
		if c := f.FlipCheck; c != nil {
			if f.Swaps > 0 { // no swaps: report.json's p of 1 tested nothing
				fv.FlipP = pNum(k+"flip_check:p", c.Evidence.P)
			}
			if v.FlipTolerance == dash {
				v.FlipTolerance = num("", c.Evidence.Upper)
			}
		}
		v.Families = append(v.Families, fv)
	}
	if !judgedAny {
		return nil
	}
	var all []cfDirV
	for _, g := range r.Groups {
		k := "cf-dir:" + g.Family + ":" + g.FromGroup + ":" + g.ToGroup + ":"
		d := cfDirV{Family: g.Family, From: g.FromGroup, To: g.ToGroup, Texts: count(k+"texts", g.Texts), Swaps: count(k+"swaps", g.Swaps),
			Flips: count(k+"flips", g.Flips), Flip: flipMetric(k, g), Holm: dash, FlipP: dash, Verdict: vd(k+"verdict", g.Verdict),
			N: dash, Pos: dash, Neg: dash, Ties: dash, SignP: dash, TP: dash, WilcoxonP: dash}
		d.Mean = MetricV{Val: dash, NoCI: true}
		if s := g.Signed; s != nil {
			sk := k + "signed:"
			d.N, d.Pos, d.Neg, d.Ties = count(sk+"n", s.N), count(sk+"positive", s.Positive), count(sk+"negative", s.Negative), count(sk+"ties", s.Ties)
			d.Mean = signedMetric(sk+"mean", sk+"low", sk+"high", s.Mean, s.Low, s.High, "no texts")
			d.SignP, d.TP, d.WilcoxonP = pNum(sk+"sign_p", s.SignP), pNum(sk+"t_p", s.TP), pNum(sk+"wilcoxon_p", s.WilcoxonP)
			if s.Sampled {
				n := count(sk+"wilcoxon_n", s.WilcoxonN)
				d.WilcoxonN = &n
			}
		}
		if c := g.Clustered; c != nil {
			ck := k + "clustered:"
			d.N, d.Pos, d.Neg, d.Ties = count(ck+"n", c.N), count(ck+"positive", c.Positive), count(ck+"negative", c.Negative), count(ck+"ties", c.Ties)
			d.Unit = fmt.Sprintf("names (%d texts, %d partner names)", g.Texts, c.Partners)
			d.Mean = signedMetric(ck+"mean", ck+"low", ck+"high", c.Mean, c.Low, c.High, "no names")
			d.SignP, d.TP, d.WilcoxonP = pNum(ck+"sign_p", c.SignP), pNum(ck+"t_p", c.TP), pNum(ck+"wilcoxon_p", c.WilcoxonP)
			d.WilcoxonN = nil
			for i, u := range c.Units {
				if i == maxUnitsShown {
					d.MoreUnits = len(c.Units) - i
					break
				}
				d.Units = append(d.Units, cfUnitV{Term: u.Term, Mean: signed("", u.Mean)})
			}
			if finite(c.FlipRate) {
				d.Flip = MetricV{Val: num(ck+"flip_rate", c.FlipRate), Low: num(ck+"flip_low", c.FlipLow), High: num(ck+"flip_high", c.FlipHigh),
					NoCI: !finite(c.FlipLow) || !finite(c.FlipHigh)}
			}
		} else if g.Signed != nil {
			d.Unit = "texts"
		}
		if c := g.SignedCheck; c != nil {
			d.Holm = pNum(k+"signed_check:p", c.Evidence.P)
		}
		if c := g.FlipCheck; c != nil && g.Swaps > 0 {
			d.FlipP = pNum(k+"flip_check:p", c.Evidence.P)
		}
		all = append(all, d)
	}
	// Result does not record its confidence level; the audit runs at the
	// package default.
	v.Confidence = pct(counterfactual.DefaultConfidence)
	v.Directions = len(all)
	v.NameMethod, v.TextMethod = r.Design.NameFamilies, r.Design.TermFamilies
	for _, s := range shownStrata(r.Strata) {
		v.Strata = append(v.Strata, cfStratumV{Family: s.Family, From: s.FromGroup, To: s.ToGroup, By: s.By, Stratum: s.Stratum,
			Texts: count("", s.Texts), Swaps: count("", s.Swaps), Flips: count("", s.Flips),
			Mean: signedMetric("", "", "", s.Mean, s.Low, s.High, "no texts")})
	}
	v.MoreStrata = len(r.Strata) - len(v.Strata)
	v.Judged, v.Settled = splitJudged(all, func(d cfDirV) verdictV { return d.Verdict })
	return v
}

// shownStrata are the strata the page shows: every term-kind stratum, and
// for each direction only its frames of lowest and highest mean (a
// template file has hundreds of frames; the extremes show whether they
// pull in opposite directions). The order of r.Strata is kept.
func shownStrata(all []counterfactual.Stratum) []counterfactual.Stratum {
	type dir struct{ fam, from, to string }
	lo, hi := make(map[dir]int), make(map[dir]int)
	for i, s := range all {
		if s.By != counterfactual.ByFrame || !finite(s.Mean) {
			continue
		}
		d := dir{s.Family, s.FromGroup, s.ToGroup}
		if j, ok := lo[d]; !ok || s.Mean < all[j].Mean {
			lo[d] = i
		}
		if j, ok := hi[d]; !ok || s.Mean > all[j].Mean {
			hi[d] = i
		}
	}
	var out []counterfactual.Stratum
	for i, s := range all {
		d := dir{s.Family, s.FromGroup, s.ToGroup}
		if s.By != counterfactual.ByFrame || lo[d] == i || hi[d] == i {
			out = append(out, s)
		}
	}
	return out
}
