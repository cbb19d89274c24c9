package group

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"

	"github.com/lucid-nlp/lucid/fairness/stats"
)

// Names of the pairwise tests, in the order Pair.Tests lists them; the
// last is DisparateImpact.
const (
	PositiveRate = "positive_rate"
	TPR          = "tpr"
	FPR          = "fpr"
	Precision    = "precision"
)

// Pair is two groups compared: A − B in each rate, and B / A in positive
// rate for disparate impact. A is the reference group when the pair has
// it, else the one with the higher positive rate (the larger group on a
// tie), so a ratio reads like the four-fifths rule's "lower over higher".
type Pair struct {
	A string `json:"a"`
	B string `json:"b"`
	// Tests are, in order, the differences in positive rate, TPR, FPR and
	// precision, then the disparate impact ratio.
	Tests []PairTest `json:"tests"`
	// Verdict is the worst of the tests' verdicts.
	Verdict stats.Verdict `json:"verdict"`
}

// Test returns the pair's test of the named metric (PositiveRate, TPR,
// FPR, Precision or DisparateImpact).
func (p *Pair) Test(metric string) (*PairTest, bool) {
	for i := range p.Tests {
		if p.Tests[i].Metric == metric {
			return &p.Tests[i], true
		}
	}
	return nil, false
}

// PairTest is one metric compared between the two groups of a pair.
type PairTest struct {
	// Metric is PositiveRate, TPR, FPR, Precision or DisparateImpact.
	Metric string
	// Estimate is A − B (B / A for disparate impact) with the percentile
	// bootstrap interval of that difference (ratio), which can include 0
	// (1): each resample's difference of the two groups' resampled rates.
	Estimate Metric
	// Table is the 2×2 table Fisher's exact test used: A's successes and
	// failures, then B's. Successes are the predicted positives among all
	// rows for the positive rate (and disparate impact), the true
	// positives among the labelled positives for TPR, the false positives
	// among the labelled negatives for FPR, and the true positives among
	// the predicted-positive labelled rows for precision.
	Table [4]int
	// P is Fisher's exact two-sided p-value before correction; NaN when
	// the estimate is undefined.
	P float64
	// Evidence is what stats.Decide judged: the estimate and interval, P
	// after Holm's correction across the column's pairs of this metric
	// (disparate impact uses the positive rate's), and the tolerance
	// region: [−T, T] for a difference, [FourFifths, 1/FourFifths] for
	// disparate impact.
	Evidence stats.Evidence
	Verdict  stats.Verdict
}

// pairTestJSON is PairTest on the wire: NaN p-values are null, and the
// evidence is spread into fields a reader can use without Go's types.
type pairTestJSON struct {
	Metric    string        `json:"metric"`
	Estimate  Metric        `json:"estimate"`
	Table     [4]int        `json:"table"`
	P         *float64      `json:"p"`
	PHolm     *float64      `json:"p_holm"`
	Tolerance [2]float64    `json:"tolerance"`
	Alpha     float64       `json:"alpha"`
	Verdict   stats.Verdict `json:"verdict"`
}

// MarshalJSON writes the test with null for NaN.
func (t PairTest) MarshalJSON() ([]byte, error) {
	return json.Marshal(pairTestJSON{
		Metric: t.Metric, Estimate: t.Estimate, Table: t.Table, P: finite(t.P), PHolm: finite(t.Evidence.P),
		Tolerance: [2]float64{t.Evidence.Lower, t.Evidence.Upper}, Alpha: t.Evidence.Alpha, Verdict: t.Verdict,
	})
}

// UnmarshalJSON reads a test back, rebuilding its Evidence.
func (t *PairTest) UnmarshalJSON(b []byte) error {
	var j pairTestJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*t = PairTest{Metric: j.Metric, Estimate: j.Estimate, Table: j.Table, P: orNaN(j.P), Verdict: j.Verdict,
		Evidence: stats.Evidence{
			Estimate: j.Estimate.Value, Low: j.Estimate.Low, High: j.Estimate.High, P: orNaN(j.PHolm),
			Lower: j.Tolerance[0], Upper: j.Tolerance[1], Alpha: j.Alpha,
		}}
	return nil
}

// pairGroups chooses the groups compared pairwise, in report order: the
// comparable groups with at least MinGroupSize rows, the largest
// MaxPairGroups of them, the reference always among them when it is
// eligible. Every other group goes into r.LeftOut with why.
func (r *Report) pairGroups(ref int) []int {
	var eligible []int
	for i, g := range r.Groups {
		switch {
		case !r.comparable(i):
			r.LeftOut = append(r.LeftOut, LeftOut{g.Group, r.whyNotCompared(i)})
		case g.Count < r.MinGroupSize:
			r.LeftOut = append(r.LeftOut, LeftOut{g.Group, fmt.Sprintf("small: %d rows, fewer than the minimum of %d", g.Count, r.MinGroupSize)})
		default:
			eligible = append(eligible, i)
		}
	}
	if len(eligible) <= r.MaxPairGroups {
		r.PairGroups = groupNames(r, eligible)
		return eligible
	}
	// Groups are in size order, so the first are the largest; the
	// reference, if beyond them, takes the last place.
	chosen := eligible[:r.MaxPairGroups:r.MaxPairGroups]
	rest := eligible[r.MaxPairGroups:]
	if ref >= 0 && !contains(chosen, ref) && contains(rest, ref) {
		rest = append([]int{chosen[len(chosen)-1]}, remove(rest, ref)...)
		chosen = append(chosen[:len(chosen)-1], ref)
	}
	for _, i := range rest {
		g := &r.Groups[i]
		r.LeftOut = append(r.LeftOut, LeftOut{g.Group, fmt.Sprintf("beyond the %d largest groups compared pairwise (%d rows)", r.MaxPairGroups, g.Count)})
	}
	r.Warnings = append(r.Warnings, fmt.Sprintf("%s: %d groups are large enough to compare; only the %d largest are compared pairwise (%d pairs per metric), the other %d are listed in left_out",
		columnName(r.Column), len(eligible), r.MaxPairGroups, r.MaxPairGroups*(r.MaxPairGroups-1)/2, len(rest)))
	r.PairGroups = groupNames(r, chosen)
	return chosen
}

func groupNames(r *Report, idx []int) []string {
	out := make([]string, len(idx))
	for j, i := range idx {
		out[j] = r.Groups[i].Group
	}
	return out
}

func contains(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func remove(s []int, v int) []int {
	out := make([]int, 0, len(s))
	for _, x := range s {
		if x != v {
			out = append(out, x)
		}
	}
	return out
}

// successes returns the 2×2 row Fisher's test uses for rate k of a table:
// the successes and failures among the rows the rate is over.
func successes(c *cells, k rate) (int, int) {
	switch k {
	case positiveRate:
		pp := c[tp] + c[fp] + c[up]
		return pp, c.n() - pp
	case tpr:
		return c[tp], c[fn]
	case fpr:
		return c[fp], c[tn]
	case precision:
		return c[tp], c[fp]
	}
	panic(fmt.Sprintf("group: no pairwise test for rate %d", k))
}

// pairwise fills r.Pairs, r.Verdict and r.Failing. groups are the indices
// of the pair groups, reps their resampled spreadRates (aligned).
func (r *Report) pairwise(tables []*cells, ref int, groups []int, reps [][len(spreadRates)][]float64) {
	type side struct{ g, p int } // index in r.Groups, index in groups
	var pairs [][2]side
	for x := range groups {
		for y := x + 1; y < len(groups); y++ {
			a, b := side{groups[x], x}, side{groups[y], y}
			ga, gb := &r.Groups[a.g], &r.Groups[b.g]
			if b.g == ref || (a.g != ref && gb.PositiveRate.Value > ga.PositiveRate.Value) {
				a, b = b, a
			}
			pairs = append(pairs, [2]side{a, b})
		}
	}
	r.Pairs = make([]Pair, len(pairs))
	for n, pr := range pairs {
		r.Pairs[n] = Pair{A: r.Groups[pr[0].g].Group, B: r.Groups[pr[1].g].Group, Tests: make([]PairTest, len(spreadRates)+1)}
	}
	tol := r.ParityTolerance
	for j, k := range spreadRates {
		raw := make([]float64, len(pairs))
		for n, pr := range pairs {
			a, b := pr[0], pr[1]
			t := &r.Pairs[n].Tests[j]
			t.Metric = rateNames[k]
			t.Estimate = r.difference(k, a.g, b.g, reps[a.p][j], reps[b.p][j])
			sa, fa := successes(tables[a.g], k)
			sb, fb := successes(tables[b.g], k)
			t.Table = [4]int{sa, fa, sb, fb}
			t.P = math.NaN()
			if t.Estimate.Defined() {
				t.P = stats.FisherExact(sa, fa, sb, fb)
			}
			raw[n] = t.P
		}
		adjusted := stats.Holm(raw)
		for n := range pairs {
			t := &r.Pairs[n].Tests[j]
			t.Evidence = evidence(t.Estimate, adjusted[n], -tol, tol, r.Alpha)
			t.Verdict = decide(t.Evidence, t.Estimate)
		}
	}
	pr := indexOf(spreadRates[:], positiveRate)
	for n, p := range pairs {
		pt := &r.Pairs[n].Tests[len(spreadRates)]
		rates := &r.Pairs[n].Tests[pr]
		*pt = PairTest{Metric: DisparateImpact, Table: rates.Table, P: rates.P}
		pt.Estimate = r.ratio(p[0].g, p[1].g, reps[p[0].p][pr], reps[p[1].p][pr])
		pt.Evidence = evidence(pt.Estimate, rates.Evidence.P, FourFifths, 1/FourFifths, r.Alpha)
		pt.Verdict = decide(pt.Evidence, pt.Estimate)
	}
	r.verdict()
}

func indexOf(s []rate, k rate) int {
	for i, x := range s {
		if x == k {
			return i
		}
	}
	panic(fmt.Sprintf("group: rate %d not listed", k))
}

// difference is rate k of group a minus group b, with the percentile
// interval of the resampled differences.
func (r *Report) difference(k rate, a, b int, ra, rb []float64) Metric {
	ma, mb := r.Groups[a].metric(k), r.Groups[b].metric(k)
	switch {
	case !ma.Defined():
		return undefined(fmt.Sprintf("%s of %q: %s", rateNames[k], r.Groups[a].Group, ma.Undefined))
	case !mb.Defined():
		return undefined(fmt.Sprintf("%s of %q: %s", rateNames[k], r.Groups[b].Group, mb.Undefined))
	}
	m := point(ma.Value-mb.Value, "")
	d := make([]float64, len(ra))
	for i := range d {
		d[i] = ra[i] - rb[i] // NaN where either is
	}
	m.setInterval(d, r.Confidence)
	return m
}

// ratio is group b's positive rate over group a's, with the percentile
// interval of the resampled ratios.
func (r *Report) ratio(a, b int, ra, rb []float64) Metric {
	ma, mb := r.Groups[a].PositiveRate, r.Groups[b].PositiveRate
	switch {
	case !ma.Defined():
		return undefined(fmt.Sprintf("positive rate of %q: %s", r.Groups[a].Group, ma.Undefined))
	case !mb.Defined():
		return undefined(fmt.Sprintf("positive rate of %q: %s", r.Groups[b].Group, mb.Undefined))
	case ma.Value == 0:
		return undefined(fmt.Sprintf("%q has no predicted positives", r.Groups[a].Group))
	}
	m := point(mb.Value/ma.Value, "")
	q := make([]float64, len(ra))
	for i := range q {
		q[i] = math.NaN()
		if ra[i] > 0 {
			q[i] = rb[i] / ra[i]
		}
	}
	m.setInterval(q, r.Confidence)
	return m
}

func evidence(m Metric, p, lower, upper, alpha float64) stats.Evidence {
	return stats.Evidence{Estimate: m.Value, Low: m.Low, High: m.High, P: p, Lower: lower, Upper: upper, Alpha: alpha}
}

// decide is stats.Decide, with the reason an estimate is undefined.
func decide(e stats.Evidence, m Metric) stats.Verdict {
	v := stats.Decide(e)
	if m.Undefined != "" {
		v.Reason = "no estimate: " + m.Undefined
	}
	return v
}

// verdict sets each pair's verdict, the column's and the failing list.
func (r *Report) verdict() {
	counts := map[stats.Status]int{}
	tests := 0
	worst := stats.Info
	for n := range r.Pairs {
		p := &r.Pairs[n]
		p.Verdict = stats.Verdict{Status: stats.Info, Reason: "no test had an estimate"}
		for _, t := range p.Tests {
			counts[t.Verdict.Status]++
			tests++
			if t.Verdict.Status.Severity() > p.Verdict.Status.Severity() {
				p.Verdict = stats.Verdict{Status: t.Verdict.Status, Reason: t.Metric + ": " + t.Verdict.Reason}
			}
			if t.Verdict.Status == stats.Fail {
				r.Failing = append(r.Failing, describe(p, &t))
			}
		}
		worst = stats.Worse(worst, p.Verdict.Status)
	}
	switch {
	case len(r.Pairs) == 0:
		r.Verdict = stats.Verdict{Status: stats.Info, Reason: fmt.Sprintf("no pairwise test: %d groups have at least %d rows and can be compared, two are needed", len(r.PairGroups), r.MinGroupSize)}
	case worst == stats.Info:
		r.Verdict = stats.Verdict{Status: stats.Info, Reason: fmt.Sprintf("none of the %d pairwise tests had an estimate", tests)}
	default:
		pairs := fmt.Sprintf("%d pairs", len(r.Pairs))
		if len(r.Pairs) == 1 {
			pairs = "1 pair"
		}
		r.Verdict = stats.Verdict{Status: worst, Reason: fmt.Sprintf("%s of %d groups, %d tests: %d fail, %d warn, %d pass, %d without an estimate",
			pairs, len(r.PairGroups), tests, counts[stats.Fail], counts[stats.Warn], counts[stats.Pass], counts[stats.Info])}
	}
}

// describe is one line saying what a failing test found.
func describe(p *Pair, t *PairTest) string {
	what := fmt.Sprintf("%s difference %q − %q", t.Metric, p.A, p.B)
	if t.Metric == DisparateImpact {
		what = fmt.Sprintf("disparate impact %q / %q", p.B, p.A)
	}
	return strings.Join([]string{what, fmt.Sprintf("%.3f [%.3f, %.3f], Holm p=%.2g", t.Estimate.Value, t.Estimate.Low, t.Estimate.High, t.Evidence.P)}, " = ")
}
