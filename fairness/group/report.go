package group

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/lucid-nlp/lucid/fairness/stats"
)

// Names of the disparities, in the order Report.Disparities lists them.
const (
	DemographicParityDifference = "demographic_parity_difference"
	DemographicParityRatio      = "demographic_parity_ratio"
	DisparateImpact             = "disparate_impact"
	EqualOpportunityDifference  = "equal_opportunity_difference"
	EqualizedOddsDifference     = "equalized_odds_difference"
	PredictiveParityDifference  = "predictive_parity_difference"
)

// FourFifths is the four-fifths rule's threshold: a group whose positive
// rate is below 0.8 of the reference group's is flagged.
const FourFifths = 0.8

// GroupStats is one group's counts and metrics.
type GroupStats struct {
	Group string `json:"group"`
	// Count is the group's rows; Labelled those with a true label.
	Count    int `json:"count"`
	Labelled int `json:"labelled"`
	// TP, FP, FN and TN are the labelled rows' confusion table.
	TP int `json:"tp"`
	FP int `json:"fp"`
	FN int `json:"fn"`
	TN int `json:"tn"`
	// PredictedPositive counts every row predicted positive, labelled or not.
	PredictedPositive int `json:"predicted_positive"`

	Accuracy     Metric `json:"accuracy"`
	PositiveRate Metric `json:"positive_rate"`
	TPR          Metric `json:"tpr"`
	FPR          Metric `json:"fpr"`
	FNR          Metric `json:"fnr"`
	Precision    Metric `json:"precision"`
	BaseRate     Metric `json:"base_rate"`
	// DisparateImpact is the group's positive rate over the reference
	// group's (1 for the reference itself).
	DisparateImpact Metric `json:"disparate_impact"`
	// BelowFourFifths is set when DisparateImpact is below FourFifths.
	BelowFourFifths bool `json:"below_four_fifths"`

	// Small is set for a group with fewer than Options.MinGroupSize rows.
	Small bool `json:"small"`
	// Missing marks the MissingGroup row: the rows whose group value is
	// empty or only whitespace.
	Missing bool `json:"missing,omitempty"`
	// PooledGroups is, for the "other (N groups)" row, how many groups it
	// pools (an estimate when Report.Warnings says so); 0 for any other row.
	PooledGroups int `json:"pooled_groups,omitempty"`
	// Flags say why this group's numbers deserve caution (small, or an
	// interval wider than Options.MaxCIWidth); empty when none.
	Flags []string `json:"flags,omitempty"`
}

func (g *GroupStats) metric(k rate) *Metric {
	switch k {
	case accuracy:
		return &g.Accuracy
	case positiveRate:
		return &g.PositiveRate
	case tpr:
		return &g.TPR
	case fpr:
		return &g.FPR
	case fnr:
		return &g.FNR
	case precision:
		return &g.Precision
	case baseRate:
		return &g.BaseRate
	}
	panic(fmt.Sprintf("group: unknown rate %d", k))
}

// Disparity is one across-group measure.
type Disparity struct {
	Name   string `json:"name"`
	Metric Metric `json:"metric"`
	// MaxGroup and MinGroup are the groups with the highest and lowest
	// underlying rate in the point estimate (for disparate_impact, the
	// reference and the group with the lowest ratio; for equalized odds,
	// those of the larger of its two differences).
	MaxGroup string `json:"max_group,omitempty"`
	MinGroup string `json:"min_group,omitempty"`
	// Excluded lists, as `"group": reason`, the groups left out because
	// the underlying metric is undefined for them.
	Excluded []string `json:"excluded,omitempty"`
	// Flags say why the value deserves caution; empty when none.
	Flags []string `json:"flags,omitempty"`
}

// Report is the fairness report for one group column.
type Report struct {
	Column   string `json:"column,omitempty"`
	Positive string `json:"positive,omitempty"`
	// Rows counts every row added; Labelled those with a true label.
	Rows     int `json:"rows"`
	Labelled int `json:"labelled"`
	// Reference is the group disparate impact is measured against, ""
	// when no group that can be compared has rows (only missing or pooled
	// rows, or empty declared groups); ReferenceRule says how it was chosen
	// ("given", or the highest positive rate among the groups that are not
	// small, or among all groups when all are small).
	Reference     string  `json:"reference"`
	ReferenceRule string  `json:"reference_rule"`
	Confidence    float64 `json:"confidence"`
	Resamples     int     `json:"resamples"`
	Seed          uint64  `json:"seed"`
	MinGroupSize  int     `json:"min_group_size"`
	MaxCIWidth    float64 `json:"max_ci_width"`
	// Overall is every row together, for comparison (its DisparateImpact
	// is undefined).
	Overall GroupStats `json:"overall"`
	// Groups are ordered by size, largest first, then by name; the pooled
	// "other" row and the MissingGroup row, when present, come last.
	Groups []GroupStats `json:"groups"`
	// Disparities are fairlearn-style max − min summaries over the groups
	// compared pairwise (PairGroups; over every comparable group, flagged,
	// when fewer than two are): descriptive figures, not the verdict.
	Disparities []Disparity `json:"disparities"`

	// ParityTolerance, Alpha, MaxPairGroups, MaxGroups and MissingAsGroup
	// are the options the pairwise tests and the pooling ran with.
	ParityTolerance float64 `json:"parity_tolerance"`
	Alpha           float64 `json:"alpha"`
	MaxPairGroups   int     `json:"max_pair_groups"`
	MaxGroups       int     `json:"max_groups"`
	MissingAsGroup  bool    `json:"missing_as_group"`
	// PairGroups are the groups compared pairwise, in report order;
	// LeftOut the groups that were not, each with why.
	PairGroups []string  `json:"pair_groups"`
	LeftOut    []LeftOut `json:"left_out,omitempty"`
	// Pairs holds every pair of PairGroups with its tests.
	Pairs []Pair `json:"pairs"`
	// Family is the Holm family the verdict was corrected over: every
	// pairwise test with an estimate (all pairs × the four rate
	// differences and disparate impact).
	Family stats.Family `json:"family"`
	// Verdict is the column's: the worst verdict over the pairwise tests
	// (rates and disparate impact), INFO when no pair could be tested.
	Verdict stats.Verdict `json:"verdict"`
	// Failing describes each failing pairwise test, one line each.
	Failing []string `json:"failing,omitempty"`
	// Warnings say what the reader must know to read the report (groups
	// pooled above MaxGroups, pairs capped, a name clash); empty if none.
	Warnings []string `json:"warnings,omitempty"`
}

// LeftOut is a group left out of the pairwise tests, and why.
type LeftOut struct {
	Group  string `json:"group"`
	Reason string `json:"reason"`
}

// Group returns the named group's stats.
func (r *Report) Group(name string) (*GroupStats, bool) {
	for i := range r.Groups {
		if r.Groups[i].Group == name {
			return &r.Groups[i], true
		}
	}
	return nil, false
}

// Disparity returns the named disparity (one of the Disparity* constants).
func (r *Report) Disparity(name string) (*Disparity, bool) {
	for i := range r.Disparities {
		if r.Disparities[i].Name == name {
			return &r.Disparities[i], true
		}
	}
	return nil, false
}

// Result computes the report from the rows added so far, with bootstrap
// intervals drawn from seed: the same rows and seed give the same report.
// It fails only when there are no rows at all, or Options.Reference names
// a group that is not there (or the missing or pooled row).
func (a *Accumulator) Result(seed uint64) (*Report, error) {
	o := a.opts
	if len(a.groups) == 0 && a.missing == nil && a.other.n() == 0 {
		return nil, fmt.Errorf("group: %s: no rows were added", columnName(o.Column))
	}
	r := &Report{
		Column: o.Column, Positive: o.Positive, Confidence: o.Confidence, Resamples: o.Resamples,
		Seed: seed, MinGroupSize: o.MinGroupSize, MaxCIWidth: o.MaxCIWidth,
		ParityTolerance: o.ParityTolerance, Alpha: o.Alpha, MaxPairGroups: o.MaxPairGroups,
		MaxGroups: o.MaxGroups, MissingAsGroup: o.MissingAsGroup,
	}
	var tables []*cells
	var total cells
	push := func(g GroupStats, c *cells) {
		tables = append(tables, c)
		total.add(c)
		r.Groups = append(r.Groups, g)
	}
	kept, other, pooled := a.keep()
	for _, name := range kept {
		push(newStats(name, a.groups[name]), a.groups[name])
	}
	if pooled > 0 {
		name := fmt.Sprintf("other (%d groups)", pooled)
		if a.pooled != nil {
			name = fmt.Sprintf("other (about %d groups)", pooled)
		}
		g := newStats(name, other)
		g.PooledGroups = pooled
		push(g, other)
		r.warnPooled(a, len(kept), pooled, other.n())
	}
	if a.missing != nil {
		g := newStats(MissingGroup, a.missing)
		g.Missing = true
		push(g, a.missing)
		if _, clash := a.groups[MissingGroup]; clash {
			r.Warnings = append(r.Warnings, fmt.Sprintf("a group is literally named %q, like the row of missing group values; the two rows are different", MissingGroup))
		}
	}
	r.Overall = newStats("", &total)
	r.Overall.DisparateImpact = undefined("not a group")
	r.Rows, r.Labelled = total.n(), total.labelled()

	ref, err := r.pickReference(o.Reference)
	if err != nil {
		return nil, err
	}
	r.setImpact(ref)
	pairGroups := r.pairGroups(ref)
	bs := r.bootstrap(tables, ref, pairGroups, seed)
	r.scoreIntervals(tables, &total, ref)
	// Groups are flagged first: a disparity resting on a small group says so.
	for i := range r.Groups {
		r.flagGroup(&r.Groups[i])
	}
	r.flagGroup(&r.Overall)
	r.disparities(&total, ref, bs)
	r.pairwise(tables, ref, pairGroups)
	return r, nil
}

// keep chooses the groups reported by name, largest first, and pools the
// rest with the rows pooled while streaming: it returns the kept names,
// the pooled table and how many groups it pools. Nothing is pooled when
// there are at most MaxGroups groups. Above the cap, the largest MaxGroups
// groups with at least MinGroupSize rows are kept (and every declared
// group): a smaller group would be left out of the comparisons anyway, and
// an ID-like column would otherwise fill the report with a thousand rows
// of a handful each. The accumulator is left as it was.
func (a *Accumulator) keep() ([]string, *cells, int) {
	o := a.opts
	names := make([]string, 0, len(a.groups))
	for g := range a.groups {
		names = append(names, g)
	}
	slices.SortFunc(names, func(x, y string) int {
		return cmp.Or(cmp.Compare(a.groups[y].n(), a.groups[x].n()), strings.Compare(x, y))
	})
	other := a.other
	pooled := 0
	if a.pooled != nil {
		pooled = max(1, a.pooled.count())
	}
	if a.pooled == nil && len(names) <= o.MaxGroups {
		return names, &other, 0
	}
	kept := names[:0:0]
	for _, g := range names {
		if a.declared[g] || (len(kept) < o.MaxGroups && a.groups[g].n() >= o.MinGroupSize) {
			kept = append(kept, g)
			continue
		}
		other.add(a.groups[g])
		pooled++
	}
	return kept, &other, pooled
}

// warnPooled says that groups were pooled, how many, and how exactly.
func (r *Report) warnPooled(a *Accumulator, kept, pooled, rows int) {
	w := fmt.Sprintf("%s has more than %d distinct values: the %d largest groups with at least %d rows are reported by name and the other %d groups (%d rows) are pooled into one row, which is left out of the comparisons",
		columnName(r.Column), r.MaxGroups, kept, r.MinGroupSize, pooled, rows)
	if a.pooled != nil {
		w += fmt.Sprintf("; more than %d distinct values streamed in, so the smallest were pooled on the way: the kept groups' counts are exact but they are only approximately the largest, and the number pooled is an estimate", trackedFactor*r.MaxGroups)
	}
	r.Warnings = append(r.Warnings, w)
}

// comparable reports whether group i takes part in the comparisons: the
// pooled row never does, the missing row only with MissingAsGroup.
func (r *Report) comparable(i int) bool {
	g := &r.Groups[i]
	return g.PooledGroups == 0 && (!g.Missing || r.MissingAsGroup)
}

// whyNotCompared says why group i is not comparable, "" if it is.
func (r *Report) whyNotCompared(i int) string {
	switch g := &r.Groups[i]; {
	case g.PooledGroups > 0:
		return fmt.Sprintf("pools %d groups beyond the maximum of %d", g.PooledGroups, r.MaxGroups)
	case g.Missing && !r.MissingAsGroup:
		return "missing group value (compared only with --missing-group as-group)"
	}
	return ""
}

// whyLeftOut says why group i is not among the groups compared pairwise
// (and so not in the disparities), "" if it is among them.
func (r *Report) whyLeftOut(i int) string {
	if len(r.PairGroups) < 2 {
		return r.whyNotCompared(i)
	}
	for _, l := range r.LeftOut {
		if l.Group == r.Groups[i].Group {
			return l.Reason
		}
	}
	return ""
}

func columnName(c string) string {
	if c == "" {
		return "group column"
	}
	return strconv.Quote(c)
}

func newStats(name string, c *cells) GroupStats {
	g := GroupStats{
		Group: name, Count: c.n(), Labelled: c.labelled(),
		TP: c[tp], FP: c[fp], FN: c[fn], TN: c[tn], PredictedPositive: c[tp] + c[fp] + c[up],
	}
	for k := range nRates {
		*g.metric(k) = point(c.rate(k))
	}
	return g
}

// pickReference returns the index of the reference group, or -1 when every
// group is empty: the given one, else the group with the highest positive
// rate among those that are not small.
func (r *Report) pickReference(name string) (int, error) {
	if name != "" {
		r.ReferenceRule = "given"
		for i, g := range r.Groups {
			if g.Group == name {
				if why := r.whyNotCompared(i); why != "" {
					return -1, fmt.Errorf("group: reference group %q of %s cannot be the reference: %s", name, columnName(r.Column), why)
				}
				r.Reference = name
				return i, nil
			}
		}
		var have []string
		for i, g := range r.Groups {
			if r.comparable(i) {
				have = append(have, strconv.Quote(g.Group))
			}
		}
		return -1, fmt.Errorf("group: reference group %q is not among the groups of %s: %s", name, columnName(r.Column), strings.Join(have, ", "))
	}
	// A group of three rows that happens to predict all positive would make
	// a noisy yardstick, so small groups are passed over unless every group
	// is small.
	r.ReferenceRule = fmt.Sprintf("highest positive rate among groups of at least %d rows", r.MinGroupSize)
	best := r.highestRate(r.MinGroupSize)
	if best < 0 {
		r.ReferenceRule = "highest positive rate (every group is small)"
		best = r.highestRate(0)
	}
	if best >= 0 {
		r.Reference = r.Groups[best].Group
	}
	return best, nil
}

// highestRate is the index of the group with the highest positive rate
// among those with at least minRows rows, -1 if none has a rate. A tie goes
// to the larger group, the first in report order.
func (r *Report) highestRate(minRows int) int {
	best := -1
	for i, g := range r.Groups {
		if r.comparable(i) && g.Count >= minRows && g.PositiveRate.Defined() && (best < 0 || g.PositiveRate.Value > r.Groups[best].PositiveRate.Value) {
			best = i
		}
	}
	return best
}

// setImpact sets each group's disparate impact point estimate.
func (r *Report) setImpact(ref int) {
	for i := range r.Groups {
		g := &r.Groups[i]
		switch {
		case ref < 0:
			g.DisparateImpact = undefined("no reference group: no group that can be compared has rows")
		case !g.PositiveRate.Defined():
			g.DisparateImpact = undefined(g.PositiveRate.Undefined)
		case !r.Groups[ref].PositiveRate.Defined():
			g.DisparateImpact = undefined(fmt.Sprintf("the reference group %q is empty", r.Reference))
		case r.Groups[ref].PositiveRate.Value == 0:
			g.DisparateImpact = undefined(fmt.Sprintf("the reference group %q has no predicted positives", r.Reference))
		default:
			g.DisparateImpact = point(g.PositiveRate.Value/r.Groups[ref].PositiveRate.Value, "")
			// The missing and pooled rows get a ratio to read, but no flag:
			// they are not compared.
			g.BelowFourFifths = r.comparable(i) && g.DisparateImpact.Value < FourFifths
		}
	}
}

// spreadRates are the rates whose across-group max and min disparities use.
var spreadRates = [...]rate{positiveRate, tpr, fpr, precision}

// extremes tracks, per resample, the max and min of one rate over the
// groups whose point estimate of it is defined.
type extremes struct {
	in     []bool    // per group: defined in the point estimate
	hi, lo []float64 // per resample
	bad    []bool    // per resample: undefined for some group in
}

func newExtremes(groups, resamples int) *extremes {
	e := &extremes{in: make([]bool, groups), hi: make([]float64, resamples), lo: make([]float64, resamples), bad: make([]bool, resamples)}
	for b := range resamples {
		e.hi[b], e.lo[b] = math.Inf(-1), math.Inf(1)
	}
	return e
}

func (e *extremes) update(b int, v float64) {
	if math.IsNaN(v) {
		e.bad[b] = true
		return
	}
	e.hi[b], e.lo[b] = max(e.hi[b], v), min(e.lo[b], v)
}

// boot holds what the disparities need from the resamples.
type boot struct {
	spread [len(spreadRates)]*extremes // aligned with spreadRates
	impact *extremes                   // disparate impact over the non-reference groups
}

// of returns the extremes of rate k, one of spreadRates.
func (bs *boot) of(k rate) *extremes {
	return bs.spread[slices.Index(spreadRates[:], k)]
}

// bootstrap resamples every group, sets the group and overall intervals and
// returns the per-resample extremes for the disparities. Memory is
// O(groups + resamples): one group's resamples at a time. The
// disparities' extremes are over the groups compared pairwise
// (pairGroups), as README says, or over every comparable group when
// fewer than two are compared; the pairwise tests have closed-form
// intervals and use no resamples.
func (r *Report) bootstrap(tables []*cells, ref int, pairGroups []int, seed uint64) *boot {
	nb := r.Resamples
	bs := &boot{impact: newExtremes(len(tables), nb)}
	// The disparities are over the groups compared pairwise; when fewer
	// than two are (every group small), over every comparable group, so
	// the descriptive figures still exist, flagged as resting on small
	// groups.
	compared := make([]bool, len(tables))
	for _, i := range pairGroups {
		compared[i] = true
	}
	if len(pairGroups) < 2 {
		for i := range compared {
			compared[i] = r.comparable(i)
		}
	}
	for j, k := range spreadRates {
		bs.spread[j] = newExtremes(len(tables), nb)
		for i := range r.Groups {
			bs.spread[j].in[i] = compared[i] && r.Groups[i].metric(k).Defined()
		}
	}
	for i := range r.Groups {
		bs.impact.in[i] = i != ref && compared[i] && r.Groups[i].DisparateImpact.Defined()
	}

	var reps [nRates][]float64
	for k := range reps {
		reps[k] = make([]float64, nb)
	}
	impact := make([]float64, nb)
	refRate := make([]float64, nb)
	totals := make([]cells, nb)
	// The reference goes first so that its resampled positive rates are
	// there to divide by.
	order := make([]int, 0, len(tables))
	if ref >= 0 {
		order = append(order, ref)
	}
	for i := range tables {
		if i != ref {
			order = append(order, i)
		}
	}
	for _, i := range order {
		c, g := tables[i], &r.Groups[i]
		if c.n() == 0 {
			continue
		}
		s := newSampler(seed, g.Group)
		var d cells
		for b := range nb {
			s.resample(c, &d)
			totals[b].add(&d)
			for k := range nRates {
				reps[k][b], _ = d.rate(k)
			}
			for j, k := range spreadRates {
				if bs.spread[j].in[i] {
					bs.spread[j].update(b, reps[k][b])
				}
			}
			if g.DisparateImpact.Defined() {
				pr := reps[positiveRate][b]
				if i == ref {
					refRate[b] = pr
				}
				impact[b] = math.NaN()
				if refRate[b] > 0 {
					impact[b] = pr / refRate[b]
				}
				if bs.impact.in[i] {
					bs.impact.update(b, impact[b])
				}
			}
		}
	}
	return bs
}

// scoreIntervals sets every group's (and the overall) rate intervals at
// the report's confidence: Wilson's score interval for a rate, MOVER-R
// for disparate impact against the reference. Both hold their coverage
// at small counts and at 0 or all positives, where the percentile
// bootstrap gives a zero-width interval (0 of 20 errors: [0, 0], not [0,
// 0.16]). The reference's own ratio is 1 by definition.
func (r *Report) scoreIntervals(tables []*cells, total *cells, ref int) {
	z := stats.ZFor(r.Confidence)
	set := func(m *Metric, iv stats.Interval) {
		if m.Defined() {
			m.Low, m.High = iv.Low, iv.High
		}
	}
	wilson := func(g *GroupStats, c *cells) {
		for k := range nRates {
			s, n := c.count(k)
			set(g.metric(k), stats.Wilson(s, n, z))
		}
	}
	for i, c := range tables {
		g := &r.Groups[i]
		wilson(g, c)
		if ref >= 0 && g.DisparateImpact.Defined() {
			if i == ref {
				set(&g.DisparateImpact, stats.Interval{Low: 1, High: 1})
				continue
			}
			s, n := c.count(positiveRate)
			sr, nr := tables[ref].count(positiveRate)
			set(&g.DisparateImpact, stats.RatioZ(s, n, sr, nr, z))
		}
	}
	wilson(&r.Overall, total)
}

// disparities fills r.Disparities from the point estimates and the
// resamples' extremes.
func (r *Report) disparities(total *cells, ref int, bs *boot) {
	diff := func(hi, lo float64) float64 { return hi - lo }
	ratio := func(hi, lo float64) float64 {
		if hi == 0 {
			return math.NaN()
		}
		return lo / hi
	}
	dpd, _ := r.between(DemographicParityDifference, positiveRate, bs.of(positiveRate), total, diff)
	dpr, _ := r.between(DemographicParityRatio, positiveRate, bs.of(positiveRate), total, ratio)
	eod, tprReps := r.between(EqualOpportunityDifference, tpr, bs.of(tpr), total, diff)
	// The FPR difference is not reported on its own (fairlearn has no name
	// for it); it is half of equalized odds.
	fprD, fprReps := r.between("fpr_difference", fpr, bs.of(fpr), total, diff)
	ppd, _ := r.between(PredictiveParityDifference, precision, bs.of(precision), total, diff)
	in := slices.Clone(bs.of(tpr).in)
	for i, ok := range bs.of(fpr).in {
		in[i] = in[i] || ok
	}
	r.Disparities = []Disparity{dpd, dpr, r.impact(ref, bs.impact), eod, r.odds(eod, fprD, tprReps, fprReps, in), ppd}
}

// between computes f(max, min) of rate k over the groups where it is
// defined, with its interval; it also returns the per-resample values (NaN
// where undefined) for measures built on it.
func (r *Report) between(name string, k rate, e *extremes, total *cells, f func(hi, lo float64) float64) (Disparity, []float64) {
	d := Disparity{Name: name}
	reps := make([]float64, r.Resamples)
	for b := range reps {
		reps[b] = math.NaN()
	}
	hi, lo, n := -1, -1, 0
	for i := range r.Groups {
		m := r.Groups[i].metric(k)
		if !e.in[i] {
			d.Excluded = append(d.Excluded, excluded(r.Groups[i].Group, cmp.Or(r.whyLeftOut(i), m.Undefined)))
			continue
		}
		n++
		if hi < 0 || m.Value > r.Groups[hi].metric(k).Value {
			hi = i
		}
		if lo < 0 || m.Value < r.Groups[lo].metric(k).Value {
			lo = i
		}
	}
	if n < 2 {
		d.Metric = undefined(tooFew(k, total, n))
		return d, reps
	}
	d.MaxGroup, d.MinGroup = r.Groups[hi].Group, r.Groups[lo].Group
	v := f(r.Groups[hi].metric(k).Value, r.Groups[lo].metric(k).Value)
	if math.IsNaN(v) {
		// Only the ratio can fail here: no group predicts positives.
		d.Metric = undefined("no group has predicted positives")
		return d, reps
	}
	d.Metric = point(v, "")
	for b := range reps {
		if !e.bad[b] {
			reps[b] = f(e.hi[b], e.lo[b])
		}
	}
	d.Metric.setInterval(reps, r.Confidence)
	r.flagDisparity(&d, e.in)
	return d, reps
}

// excluded names a group left out of a disparity. Names are quoted because
// a blank group value (a missing cell) is a group too.
func excluded(group, reason string) string { return fmt.Sprintf("%q: %s", group, reason) }

// tooFew says why a rate cannot be compared across groups: n groups have
// it. The data-wide causes come first because they are the useful ones: a
// single-class dataset says so rather than "needs two groups".
func tooFew(k rate, total *cells, n int) string {
	switch {
	case total.n() == 0:
		return "no rows"
	case k != positiveRate && total.labelled() == 0:
		return whyNoLabels
	case k == tpr && total[tp]+total[fn] == 0:
		return "no positive labels in the data (a single class)"
	case k == fpr && total[fp]+total[tn] == 0:
		return "no negative labels in the data (a single class)"
	case k == precision && total[tp]+total[fp] == 0:
		return "no predicted positives among the labelled rows"
	}
	return fmt.Sprintf("needs %s for two groups, has it for %d", rateNames[k], n)
}

// impact is the lowest disparate impact over the groups other than the
// reference.
func (r *Report) impact(ref int, e *extremes) Disparity {
	d := Disparity{Name: DisparateImpact}
	if ref < 0 {
		d.Metric = undefined("no reference group: no group that can be compared has rows")
		return d
	}
	d.MaxGroup = r.Reference
	if m := r.Groups[ref].DisparateImpact; !m.Defined() {
		d.Metric = undefined(m.Undefined)
		return d
	}
	lo := -1
	var below []string
	for i := range r.Groups {
		g := &r.Groups[i]
		if i == ref {
			continue
		}
		if !e.in[i] {
			d.Excluded = append(d.Excluded, excluded(g.Group, cmp.Or(r.whyLeftOut(i), g.DisparateImpact.Undefined)))
			continue
		}
		if lo < 0 || g.DisparateImpact.Value < r.Groups[lo].DisparateImpact.Value {
			lo = i
		}
		if g.BelowFourFifths {
			below = append(below, fmt.Sprintf("%q %.2f", g.Group, g.DisparateImpact.Value))
		}
	}
	if lo < 0 {
		d.Metric = undefined(fmt.Sprintf("needs a group besides the reference %q", r.Reference))
		return d
	}
	d.MinGroup = r.Groups[lo].Group
	d.Metric = point(r.Groups[lo].DisparateImpact.Value, "")
	reps := make([]float64, r.Resamples)
	for b := range reps {
		reps[b] = math.NaN()
		if !e.bad[b] {
			reps[b] = e.lo[b]
		}
	}
	d.Metric.setInterval(reps, r.Confidence)
	if len(below) > 0 {
		d.Flags = append(d.Flags, fmt.Sprintf("below the four-fifths rule (%.1f of %q): %s", FourFifths, r.Reference, strings.Join(below, ", ")))
	}
	in := slices.Clone(e.in)
	in[ref] = true
	r.flagDisparity(&d, in)
	return d
}

// odds is fairlearn's equalized odds difference: the larger of the TPR and
// FPR differences, resample by resample for the interval. in marks the
// groups either difference uses.
func (r *Report) odds(tprD, fprD Disparity, tprReps, fprReps []float64, in []bool) Disparity {
	d := Disparity{Name: EqualizedOddsDifference}
	for _, x := range append(slices.Clone(tprD.Excluded), fprD.Excluded...) {
		if !slices.Contains(d.Excluded, x) {
			d.Excluded = append(d.Excluded, x)
		}
	}
	switch {
	case !tprD.Metric.Defined():
		d.Metric = undefined("tpr difference: " + tprD.Metric.Undefined)
		return d
	case !fprD.Metric.Defined():
		d.Metric = undefined("fpr difference: " + fprD.Metric.Undefined)
		return d
	}
	larger := tprD
	if fprD.Metric.Value > tprD.Metric.Value {
		larger = fprD
	}
	d.MaxGroup, d.MinGroup = larger.MaxGroup, larger.MinGroup
	d.Metric = point(larger.Metric.Value, "")
	reps := make([]float64, len(tprReps))
	for b := range reps {
		reps[b] = max(tprReps[b], fprReps[b]) // NaN if either is
	}
	d.Metric.setInterval(reps, r.Confidence)
	r.flagDisparity(&d, in)
	return d
}

// flagGroup sets Small and the flags of one group (or the overall row).
func (r *Report) flagGroup(g *GroupStats) {
	if g.Count < r.MinGroupSize {
		g.Small = true
		g.Flags = append(g.Flags, fmt.Sprintf("%d rows, fewer than the minimum of %d", g.Count, r.MinGroupSize))
	}
	for k := range nRates {
		if f := r.widthFlag(rateNames[k], *g.metric(k)); f != "" {
			g.Flags = append(g.Flags, f)
		}
	}
	if f := r.widthFlag("disparate_impact", g.DisparateImpact); f != "" {
		g.Flags = append(g.Flags, f)
	}
}

// flagDisparity flags a wide interval and a value resting on small groups.
func (r *Report) flagDisparity(d *Disparity, in []bool) {
	if f := r.widthFlag("", d.Metric); f != "" {
		d.Flags = append(d.Flags, f)
	}
	var small []string
	for i, ok := range in {
		if g := &r.Groups[i]; ok && g.Small {
			small = append(small, fmt.Sprintf("%q (%d rows)", g.Group, g.Count))
		}
	}
	if len(small) > 0 {
		d.Flags = append(d.Flags, "rests on small groups: "+strings.Join(small, ", "))
	}
}

// widthFlag says when m's interval is wider than MaxCIWidth, else "".
func (r *Report) widthFlag(name string, m Metric) string {
	if !(m.Width() > r.MaxCIWidth) { // false for NaN
		return ""
	}
	if name != "" {
		name += ": "
	}
	return fmt.Sprintf("%s%.4g%% interval [%.2f, %.2f] is wider than %g", name, r.Confidence*100, m.Low, m.High, r.MaxCIWidth)
}
