package group

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
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
	// Estimate is A − B (B / A for disparate impact) with its interval at
	// Confidence, the level the column's Holm family gives this test:
	// Newcombe's hybrid score interval for a difference, MOVER-R with
	// Wilson limits for the ratio. Both hold their coverage for small
	// groups and for rates of 0 or 1, and neither has zero width.
	Estimate Metric
	// Table is the 2×2 table the test used: A's successes and failures,
	// then B's. Successes are the predicted positives among all rows for
	// the positive rate (and disparate impact), the true positives among
	// the labelled positives for TPR, the false positives among the
	// labelled negatives for FPR, and the true positives among the
	// predicted-positive labelled rows for precision.
	Table [4]int
	// P is Fisher's exact two-sided p-value against no difference, before
	// correction; NaN when the estimate is undefined.
	P float64
	// PMaterial is the p-value of the materiality test, H0: the effect
	// lies inside the tolerance band, before correction (stats.OutsideP
	// over this test's interval); PMaterialHolm is it Holm-adjusted over
	// the column's family. The test FAILs when PMaterialHolm < α, which
	// is exactly when Estimate's interval lies outside the band. NaN when
	// the estimate is undefined.
	PMaterial, PMaterialHolm float64
	// Confidence is the level of Estimate's interval (1 − the level
	// stats.HolmLevels gives this test); 0 when the estimate is undefined.
	Confidence float64
	// Evidence is what stats.Decide judged: the estimate and corrected
	// interval, P Holm-adjusted over the column's family (it only names
	// the kind of WARN), and the tolerance band: [−T, T] for a
	// difference, [FourFifths, 1/FourFifths] for disparate impact.
	Evidence stats.Evidence
	Verdict  stats.Verdict
}

// pairTestJSON is PairTest on the wire: NaN p-values are null, and the
// evidence is spread into fields a reader can use without Go's types.
type pairTestJSON struct {
	Metric        string        `json:"metric"`
	Estimate      Metric        `json:"estimate"`
	Confidence    float64       `json:"confidence"`
	Table         [4]int        `json:"table"`
	P             *float64      `json:"p"`
	PHolm         *float64      `json:"p_holm"`
	PMaterial     *float64      `json:"p_material"`
	PMaterialHolm *float64      `json:"p_material_holm"`
	Tolerance     [2]float64    `json:"tolerance"`
	Alpha         float64       `json:"alpha"`
	Verdict       stats.Verdict `json:"verdict"`
}

// MarshalJSON writes the test with null for NaN.
func (t PairTest) MarshalJSON() ([]byte, error) {
	return json.Marshal(pairTestJSON{
		Metric: t.Metric, Estimate: t.Estimate, Confidence: t.Confidence, Table: t.Table, P: finite(t.P), PHolm: finite(t.Evidence.P),
		PMaterial: finite(t.PMaterial), PMaterialHolm: finite(t.PMaterialHolm),
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
		PMaterial: orNaN(j.PMaterial), PMaterialHolm: orNaN(j.PMaterialHolm), Confidence: j.Confidence,
		Evidence: stats.Evidence{
			Estimate: j.Estimate.Value, Low: j.Estimate.Low, High: j.Estimate.High, P: orNaN(j.PHolm),
			Lower: j.Tolerance[0], Upper: j.Tolerance[1], Alpha: j.Alpha, Confidence: j.Confidence,
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

// pairwise fills r.Pairs, r.Family, r.Verdict and r.Failing. groups
// are the indices of the pair groups.
//
// Every test that can make the column FAIL (each pair's four rate
// differences and its disparate impact) is one Holm family: the
// materiality p-values (stats.OutsideP over each test's score interval)
// are Holm-adjusted together, and each interval is drawn at the level
// stats.HolmLevels gives its test, so that "the interval lies outside the
// band" and "Holm rejects" are the same statement.
func (r *Report) pairwise(tables []*cells, ref int, groups []int) {
	var pairs [][2]int // indices in r.Groups
	for x := range groups {
		for y := x + 1; y < len(groups); y++ {
			a, b := groups[x], groups[y]
			ga, gb := &r.Groups[a], &r.Groups[b]
			if b == ref || (a != ref && gb.PositiveRate.Value > ga.PositiveRate.Value) {
				a, b = b, a
			}
			pairs = append(pairs, [2]int{a, b})
		}
	}
	r.Pairs = make([]Pair, len(pairs))
	tol := r.ParityTolerance
	// intervals[n][j] draws test j of pair n at a normal quantile; nil
	// where the estimate is undefined.
	intervals := make([][]func(z float64) stats.Interval, len(pairs))
	var ptests []*PairTest
	var pIntervals []func(z float64) stats.Interval
	for n, pr := range pairs {
		a, b := pr[0], pr[1]
		r.Pairs[n] = Pair{A: r.Groups[a].Group, B: r.Groups[b].Group, Tests: make([]PairTest, len(spreadRates)+1)}
		intervals[n] = make([]func(z float64) stats.Interval, len(spreadRates)+1)
		for j, k := range spreadRates {
			t := &r.Pairs[n].Tests[j]
			t.Metric = rateNames[k]
			sa, fa := successes(tables[a], k)
			sb, fb := successes(tables[b], k)
			t.Table = [4]int{sa, fa, sb, fb}
			t.Estimate = r.difference(k, a, b)
			t.Evidence = stats.Evidence{Lower: -tol, Upper: tol}
			if t.Estimate.Defined() {
				t.P = stats.FisherExact(sa, fa, sb, fb)
				intervals[n][j] = func(z float64) stats.Interval { return stats.NewcombeZ(sa, sa+fa, sb, sb+fb, z) }
			}
		}
		rates := &r.Pairs[n].Tests[indexOf(spreadRates[:], positiveRate)]
		pt := &r.Pairs[n].Tests[len(spreadRates)]
		*pt = PairTest{Metric: DisparateImpact, Table: rates.Table, P: rates.P, Estimate: r.ratio(a, b),
			Evidence: stats.Evidence{Lower: FourFifths, Upper: 1 / FourFifths}}
		if pt.Estimate.Defined() {
			sa, fa, sb, fb := pt.Table[0], pt.Table[1], pt.Table[2], pt.Table[3]
			intervals[n][len(spreadRates)] = func(z float64) stats.Interval { return stats.RatioZ(sb, sb+fb, sa, sa+fa, z) }
		}
		for j := range r.Pairs[n].Tests {
			t := &r.Pairs[n].Tests[j]
			t.PMaterial, t.PMaterialHolm = math.NaN(), math.NaN()
			if !t.Estimate.Defined() {
				t.P = math.NaN()
				continue
			}
			ptests = append(ptests, t)
			pIntervals = append(pIntervals, intervals[n][j])
		}
	}
	raw, mat := make([]float64, len(ptests)), make([]float64, len(ptests))
	for i, t := range ptests {
		raw[i] = t.P
		t.PMaterial = stats.OutsideP(pIntervals[i], t.Evidence.Lower, t.Evidence.Upper)
		mat[i] = t.PMaterial
	}
	holm, matHolm, levels := stats.Holm(raw), stats.Holm(mat), stats.HolmLevels(mat, r.Alpha)
	for i, t := range ptests {
		t.PMaterialHolm = matHolm[i]
		t.Confidence = 1 - levels[i]
		iv := pIntervals[i](stats.ZFor(t.Confidence))
		t.Estimate.Low, t.Estimate.High = iv.Low, iv.High
		t.Evidence = stats.Evidence{Estimate: t.Estimate.Value, Low: iv.Low, High: iv.High, P: holm[i],
			Lower: t.Evidence.Lower, Upper: t.Evidence.Upper, Alpha: r.Alpha, Confidence: t.Confidence}
	}
	r.Family = r.family(len(ptests))
	for n := range r.Pairs {
		for j := range r.Pairs[n].Tests {
			t := &r.Pairs[n].Tests[j]
			if !t.Estimate.Defined() {
				t.Evidence = stats.Evidence{Estimate: math.NaN(), Low: math.NaN(), High: math.NaN(), P: math.NaN(),
					Lower: t.Evidence.Lower, Upper: t.Evidence.Upper, Alpha: r.Alpha}
			}
			t.Verdict = decide(t.Evidence, t.Estimate)
		}
	}
	r.verdict()
}

// family states the column's Holm family: its size and members, one per
// defined test, as "metric A vs B".
func (r *Report) family(size int) stats.Family {
	f := stats.Family{Correction: "holm", Alpha: r.Alpha, Size: size,
		Of: fmt.Sprintf("every test that can make %s FAIL: %s × %d metrics (%s and %s), those without an estimate left out",
			columnName(r.Column), plural(len(r.Pairs), "pair"), len(spreadRates)+1, joinRates(), DisparateImpact)}
	for _, p := range r.Pairs {
		for _, t := range p.Tests {
			if t.Estimate.Defined() {
				f.Members = append(f.Members, fmt.Sprintf("%s %s vs %s", t.Metric, p.A, p.B))
			}
		}
	}
	return f
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

func joinRates() string {
	names := make([]string, len(spreadRates))
	for i, k := range spreadRates {
		names[i] = rateNames[k]
	}
	return strings.Join(names, ", ")
}

func indexOf(s []rate, k rate) int {
	for i, x := range s {
		if x == k {
			return i
		}
	}
	panic(fmt.Sprintf("group: rate %d not listed", k))
}

// difference is rate k of group a minus group b, its interval still to
// be set at the family's level.
func (r *Report) difference(k rate, a, b int) Metric {
	ma, mb := r.Groups[a].metric(k), r.Groups[b].metric(k)
	switch {
	case !ma.Defined():
		return undefined(fmt.Sprintf("%s of %q: %s", rateNames[k], r.Groups[a].Group, ma.Undefined))
	case !mb.Defined():
		return undefined(fmt.Sprintf("%s of %q: %s", rateNames[k], r.Groups[b].Group, mb.Undefined))
	}
	return point(ma.Value-mb.Value, "")
}

// ratio is group b's positive rate over group a's, its interval still to
// be set at the family's level.
func (r *Report) ratio(a, b int) Metric {
	ma, mb := r.Groups[a].PositiveRate, r.Groups[b].PositiveRate
	switch {
	case !ma.Defined():
		return undefined(fmt.Sprintf("positive rate of %q: %s", r.Groups[a].Group, ma.Undefined))
	case !mb.Defined():
		return undefined(fmt.Sprintf("positive rate of %q: %s", r.Groups[b].Group, mb.Undefined))
	case ma.Value == 0:
		return undefined(fmt.Sprintf("%q has no predicted positives", r.Groups[a].Group))
	}
	return point(mb.Value/ma.Value, "")
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
		r.Verdict = stats.Verdict{Status: worst, Reason: fmt.Sprintf("%s of %d groups, %d tests: %d fail, %d warn, %d pass, %d without an estimate; %s",
			pairs, len(r.PairGroups), tests, counts[stats.Fail], counts[stats.Warn], counts[stats.Pass], counts[stats.Info], r.Family)}
	}
}

// describe is one line saying what a failing test found.
func describe(p *Pair, t *PairTest) string {
	what := fmt.Sprintf("%s difference %q − %q", t.Metric, p.A, p.B)
	if t.Metric == DisparateImpact {
		what = fmt.Sprintf("disparate impact %q / %q", p.B, p.A)
	}
	return strings.Join([]string{what, fmt.Sprintf("%.3f, %s%% interval [%.3f, %.3f] outside the tolerance [%.3g, %.3g], Holm p (materiality)=%s",
		t.Estimate.Value, strconv.FormatFloat(100*t.Confidence, 'g', 4, 64), t.Estimate.Low, t.Estimate.High, t.Evidence.Lower, t.Evidence.Upper,
		stats.FormatP(t.PMaterialHolm, t.Evidence.Alpha))}, " = ")
}
