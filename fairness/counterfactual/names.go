package counterfactual

import (
	"cmp"
	"encoding/json"
	"math"
	"slices"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/lucid-nlp/lucid/fairness/stats"
)

// This file is the analysis of a name family's directions with the name as
// the unit of replication. A direction's swaps replace source names of one
// group by partner names of another; both sets are samples of the names
// people have, and a text or a partner repeated a hundred times is not a
// hundred independent pieces of evidence. So a direction's Δp are first
// averaged per source name (over every text and partner) and per partner
// name (over every text and source), and the interval is two-way
// cluster-robust over those two sets of names:
//
//	estimate = mean of the source-name means
//	SE²      = s²(source means)/C + s²(partner means)/P
//
// with C source and P partner names, and Student's t with the
// Welch–Satterthwaite degrees of freedom. A planted effect of one name
// then shows as spread between names, not as a shift of the group, and one
// name cannot make the family FAIL; an effect shared by the names of a
// group can.

// Clustered is a name family direction's analysis with names as units
// (see ClusteredMethod). The embedded Paired is over the source-name
// means, with N the number of source names, Mean their mean, and
// Positive, Negative, Ties, SignP and WilcoxonP over them; its Low, High
// and TP are the two-way interval and t-test (NaN, null in JSON, with
// fewer than two source names), widened to the paired t interval and p
// over texts where those are wider. SE and DF are the two-way standard
// error and degrees of freedom.
//
// FlipRate is the mean of the source names' flip rates, FlipLow and
// FlipHigh its two-way interval (clipped to [0, 1]) and FlipP the
// one-sided t-test of "flip rate ≤ flip tolerance", widened to the Wilson
// interval and exact binomial p over swaps where those are wider.
type Clustered struct {
	Unit string
	stats.Paired
	Partners                    int
	SE, DF                      float64
	Texts, Swaps                int
	FlipRate, FlipLow, FlipHigh float64
	FlipP                       float64
	// Units are the source names' means, PartnerUnits the partner
	// names', each sorted by name.
	Units, PartnerUnits []UnitMean
}

// UnitMean is one name's part of a Clustered analysis: its swaps and
// flips, and its mean Δp.
type UnitMean struct {
	Term  string  `json:"term"`
	Swaps int     `json:"swaps"`
	Flips int     `json:"flips"`
	Mean  float64 `json:"mean"`
}

// ClusteredMethod states the test of a name family's direction, for
// report.json, the report and the README.
const ClusteredMethod = "unit = name: Δp averaged per source name (over its texts and partners) and per partner name; estimate = mean of source-name means; two-way cluster-robust SE² = var(source means)/C + var(partner means)/P, Student's t with Welch–Satterthwaite df, widened to the paired t interval over texts (the larger p); flip rate likewise over names, one-sided against the flip tolerance, widened to the Wilson interval and exact binomial test over swaps; one Holm family per family (every direction's signed and flip tests and the pooled flip test)"

// TextMethod states the test of a family of terms' direction.
const TextMethod = "unit = text: each text's mean Δp over its swaps in the direction; paired t over texts; flip rate: one-sided t over the texts' flip rates, widened to the Wilson interval and exact binomial test over swaps (the larger p); one Holm family per family (every direction's signed and flip tests and the pooled flip test)"

// MarshalJSON writes a Clustered with null for NaN.
func (c Clustered) MarshalJSON() ([]byte, error) {
	p := c.Paired
	return json.Marshal(map[string]any{
		"unit": c.Unit, "n": p.N, "partners": c.Partners, "texts": c.Texts, "swaps": c.Swaps,
		"mean": jsonNum(p.Mean), "low": jsonNum(p.Low), "high": jsonNum(p.High), "se": jsonNum(c.SE), "df": jsonNum(c.DF),
		"positive": p.Positive, "negative": p.Negative, "ties": p.Ties,
		"sign_p": jsonNum(p.SignP), "t_p": jsonNum(p.TP), "wilcoxon_p": jsonNum(p.WilcoxonP),
		"flip_rate": jsonNum(c.FlipRate), "flip_low": jsonNum(c.FlipLow), "flip_high": jsonNum(c.FlipHigh), "flip_p": jsonNum(c.FlipP),
		"units": c.Units, "partner_units": c.PartnerUnits,
	})
}

// dirUnits are one direction's names: sources and partners.
type dirUnits struct{ sources, partners []UnitMean }

// nameUnitSet holds each name family direction's names.
type nameUnitSet map[groupKey]*dirUnits

// nameUnits gathers, for every direction of a name family, each source
// name's and each partner name's swaps, flips and mean Δp from the (name
// → partner) rows. The sums are exact, so the means do not depend on the
// order the rows are visited in.
func (a *Audit) nameUnits() nameUnitSet {
	type unitKey struct {
		dir     groupKey
		partner bool
		term    string
	}
	sums := make(map[unitKey]*acc)
	for k, c := range a.pairAcc {
		if !a.nameFam[k.fam] {
			continue
		}
		dir := groupKey{k.fam, c.from, k.to}
		for _, uk := range []unitKey{{dir, false, k.term}, {dir, true, k.repl}} {
			if sums[uk] == nil {
				sums[uk] = &acc{}
			}
			sums[uk].merge(c)
		}
	}
	out := make(nameUnitSet)
	for uk, c := range sums {
		if c.n == 0 {
			continue
		}
		d := out[uk.dir]
		if d == nil {
			d = &dirUnits{}
			out[uk.dir] = d
		}
		u := UnitMean{Term: uk.term, Swaps: c.n, Flips: c.flips, Mean: c.sum.Value() / float64(c.n)}
		if uk.partner {
			d.partners = append(d.partners, u)
		} else {
			d.sources = append(d.sources, u)
		}
	}
	for _, d := range out {
		byTerm := func(x, y UnitMean) int { return cmp.Compare(x.Term, y.Term) }
		slices.SortFunc(d.sources, byTerm)
		slices.SortFunc(d.partners, byTerm)
	}
	return out
}

// pooled is family fi's source names over all their directions, each
// name's swaps and flips summed (for the family's flip check; the means
// are left 0), with no partners.
func (s nameUnitSet) pooled(fi int) *dirUnits {
	by := make(map[string]*UnitMean)
	for k, d := range s {
		if k.fam != fi {
			continue
		}
		for _, u := range d.sources {
			if by[u.Term] == nil {
				by[u.Term] = &UnitMean{Term: u.Term}
			}
			by[u.Term].Swaps += u.Swaps
			by[u.Term].Flips += u.Flips
		}
	}
	out := &dirUnits{}
	for _, u := range by {
		out.sources = append(out.sources, *u)
	}
	slices.SortFunc(out.sources, func(x, y UnitMean) int { return cmp.Compare(x.Term, y.Term) })
	return out
}

// clusteredOf analyses a direction's names at confidence, with the flip
// rates tested against flipTol. d may be nil (no names).
func clusteredOf(d *dirUnits, texts, swaps int, confidence, flipTol float64) Clustered {
	if d == nil {
		d = &dirUnits{}
	}
	means := func(us []UnitMean) []float64 {
		v := make([]float64, len(us))
		for i, u := range us {
			v[i] = u.Mean
		}
		return v
	}
	rates := func(us []UnitMean) []float64 {
		v := make([]float64, len(us))
		for i, u := range us {
			v[i] = float64(u.Flips) / float64(u.Swaps)
		}
		return v
	}
	src := means(d.sources)
	c := Clustered{Unit: "name", Paired: stats.PairedSummary(src, confidence), Partners: len(d.partners),
		Texts: texts, Swaps: swaps, Units: d.sources, PartnerUnits: d.partners}
	tw := twoWay(src, means(d.partners))
	c.SE, c.DF = tw.se, tw.df
	c.Low, c.High = tw.interval(confidence)
	c.TP = tw.pTwoSided()
	fr := twoWay(rates(d.sources), rates(d.partners))
	c.FlipRate, c.FlipP = fr.mean, fr.pAbove(flipTol)
	c.FlipLow, c.FlipHigh = fr.interval(confidence)
	if !math.IsNaN(c.FlipLow) {
		c.FlipLow, c.FlipHigh = max(c.FlipLow, 0), min(c.FlipHigh, 1)
	}
	return c
}

// twoWayEst is a mean over source units with its two-way cluster-robust
// standard error and degrees of freedom.
type twoWayEst struct{ mean, se, df float64 }

// twoWay estimates the mean of src with SE² = s²(src)/C + s²(par)/P; the
// partner term is left out with fewer than two partners. se and df are NaN
// with fewer than two sources, mean with none.
func twoWay(src, par []float64) twoWayEst {
	mean, va := meanVar(src)
	e := twoWayEst{mean: mean, se: math.NaN(), df: math.NaN()}
	if len(src) < 2 {
		return e
	}
	c := float64(len(src))
	a := va / c
	num, den := a, a*a/(c-1)
	if len(par) >= 2 {
		_, vb := meanVar(par)
		p := float64(len(par))
		b := vb / p
		num += b
		den += b * b / (p - 1)
	}
	e.se = math.Sqrt(num)
	if den > 0 {
		e.df = num * num / den
	} else {
		e.df = c - 1
	}
	return e
}

// meanVar is the mean and sample variance of v, summed exactly (NaN where
// undefined).
func meanVar(v []float64) (mean, variance float64) {
	if len(v) == 0 {
		return math.NaN(), math.NaN()
	}
	var s stats.ExactSum
	for _, x := range v {
		s.Add(x)
	}
	mean = s.Value() / float64(len(v))
	if len(v) < 2 {
		return mean, math.NaN()
	}
	var ss stats.ExactSum
	for _, x := range v {
		ss.Add((x - mean) * (x - mean))
	}
	return mean, ss.Value() / float64(len(v)-1)
}

func (e twoWayEst) interval(confidence float64) (low, high float64) {
	if math.IsNaN(e.se) {
		return math.NaN(), math.NaN()
	}
	q := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: e.df}.Quantile(1 - (1-confidence)/2)
	return e.mean - q*e.se, e.mean + q*e.se
}

// pTwoSided is the t-test of "mean 0"; with no spread at all, 1 when the
// mean is within stats.TieTolerance of 0 and 0 otherwise.
func (e twoWayEst) pTwoSided() float64 {
	switch {
	case math.IsNaN(e.se):
		return math.NaN()
	case e.se == 0 && math.Abs(e.mean) <= stats.TieTolerance:
		return 1
	case e.se == 0:
		return 0
	}
	return 2 * distuv.StudentsT{Mu: 0, Sigma: 1, Nu: e.df}.Survival(math.Abs(e.mean)/e.se)
}

// pAbove is the one-sided t-test of "mean ≤ bound".
func (e twoWayEst) pAbove(bound float64) float64 {
	switch {
	case math.IsNaN(e.se):
		return math.NaN()
	case e.se == 0 && e.mean > bound:
		return 0
	case e.se == 0:
		return 1
	}
	return distuv.StudentsT{Mu: 0, Sigma: 1, Nu: e.df}.Survival((e.mean - bound) / e.se)
}

// momentsEst is the mean of n values from their sum and sum of squares,
// with its standard error and n − 1 degrees of freedom (NaN where
// undefined).
func momentsEst(n int, sum, sumSq float64) twoWayEst {
	if n == 0 {
		return twoWayEst{math.NaN(), math.NaN(), math.NaN()}
	}
	fn := float64(n)
	mean := sum / fn
	if n < 2 {
		return twoWayEst{mean, math.NaN(), math.NaN()}
	}
	v := max((sumSq-fn*mean*mean)/(fn-1), 0)
	return twoWayEst{mean, math.Sqrt(v / fn), fn - 1}
}
