package group

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/lucid-nlp/lucid/fairness/stats"
	"github.com/lucid-nlp/lucid/internal/gobsnap"
	"gonum.org/v1/gonum/stat/distuv"
)

// DefaultMeanTolerance is the default tolerance of a difference of mean
// scores between groups, in the score's own units: 0.1, the same number
// as the parity tolerance of rates, which fits scores on a 0–1 scale.
// Scores on another scale (a 1–5 rating, an unbounded relevance) need
// their own (MeanOptions.Tolerance, lucid audit --score-tolerance).
const DefaultMeanTolerance = 0.1

// MeanOptions configures a MeanAccumulator: the group comparison of a
// regression head, whose output is a score, not a decision.
type MeanOptions struct {
	// Column names the group column (copied into the report).
	Column string
	// Tolerance T: a difference of group means inside [−T, T] (score
	// units) is too small to matter; default DefaultMeanTolerance.
	Tolerance float64
	// MinGroupSize: groups with fewer rows are left out of the pairwise
	// tests; default DefaultMinGroupSize.
	MinGroupSize int
	// Alpha is the family-wise level of the pairwise tests; default
	// stats.DefaultAlpha.
	Alpha float64
	// MaxPairGroups caps the groups compared to the largest this many;
	// default DefaultMaxPairGroups.
	MaxPairGroups int
	// MaxGroups caps the groups tracked; rows of further groups are
	// pooled into one "other" row that is not compared; default
	// DefaultMaxGroups.
	MaxGroups int
}

func (o MeanOptions) withDefaults() (MeanOptions, error) {
	if o.Tolerance == 0 {
		o.Tolerance = DefaultMeanTolerance
	}
	if !(o.Tolerance > 0) || math.IsInf(o.Tolerance, 0) {
		return o, fmt.Errorf("group: score tolerance %v: want a positive difference in score units, like %v", o.Tolerance, DefaultMeanTolerance)
	}
	if o.MinGroupSize == 0 {
		o.MinGroupSize = DefaultMinGroupSize
	}
	if o.MinGroupSize < 2 {
		return o, fmt.Errorf("group: minimum group size %d: a mean's variance needs 2 or more rows (the default is %d)", o.MinGroupSize, DefaultMinGroupSize)
	}
	err := defaultTestLimits(&o.Alpha, &o.MaxPairGroups, &o.MaxGroups)
	return o, err
}

// MeanAccumulator keeps, per group, the count and the exact sums of a
// score and its square (stats.Moments), so memory is O(groups) and two
// accumulators of parts of the data merge into the one of the whole with
// the same bits. Rows with an empty group value are counted apart
// (MeanReport.Missing) and not compared.
type MeanAccumulator struct {
	opts    MeanOptions
	groups  map[string]*stats.Moments
	other   stats.Moments
	missing stats.Moments
}

// NewMeanAccumulator starts an empty accumulator.
func NewMeanAccumulator(opts MeanOptions) (*MeanAccumulator, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	return &MeanAccumulator{opts: o, groups: map[string]*stats.Moments{}}, nil
}

// Add records one row's score in its group. A non-finite score is the
// caller's to reject: it would make every figure of its group NaN.
func (a *MeanAccumulator) Add(score float64, group string) {
	switch m, ok := a.groups[group]; {
	case isMissing(group):
		a.missing.Add(score)
	case ok:
		m.Add(score)
	case len(a.groups) < a.opts.MaxGroups:
		m = &stats.Moments{}
		m.Add(score)
		a.groups[group] = m
	default:
		a.other.Add(score)
	}
}

// Merge adds b's rows (b must have the same options).
func (a *MeanAccumulator) Merge(b *MeanAccumulator) error {
	if a.opts != b.opts {
		return fmt.Errorf("group: merging mean accumulators with different options: %+v and %+v", a.opts, b.opts)
	}
	for _, g := range slices.Sorted(maps.Keys(b.groups)) {
		m := b.groups[g]
		switch mine, ok := a.groups[g]; {
		case ok:
			mine.Merge(m)
		case len(a.groups) < a.opts.MaxGroups:
			c := &stats.Moments{}
			c.Merge(m)
			a.groups[g] = c
		default:
			a.other.Merge(m)
		}
	}
	a.other.Merge(&b.other)
	a.missing.Merge(&b.missing)
	return nil
}

// meanSnapshot is the gob form of a MeanAccumulator.
type meanSnapshot struct {
	Opts           MeanOptions
	Names          []string
	Groups         []stats.Moments
	Other, Missing stats.Moments
}

// MarshalBinary encodes the accumulator exactly (its sums are exact),
// for a State that is encoded and merged elsewhere.
func (a *MeanAccumulator) MarshalBinary() ([]byte, error) {
	s := meanSnapshot{Opts: a.opts, Other: a.other, Missing: a.missing}
	for _, g := range slices.Sorted(maps.Keys(a.groups)) {
		s.Names = append(s.Names, g)
		s.Groups = append(s.Groups, *a.groups[g])
	}
	return gobsnap.Encode("group", "a mean accumulator", s)
}

// UnmarshalBinary replaces a with what MarshalBinary wrote.
func (a *MeanAccumulator) UnmarshalBinary(data []byte) error {
	var s meanSnapshot
	if err := gobsnap.Decode("group", "a mean accumulator", data, &s); err != nil {
		return err
	}
	if len(s.Names) != len(s.Groups) {
		return fmt.Errorf("group: a mean accumulator's encoding names %d groups for %d summaries", len(s.Names), len(s.Groups))
	}
	a.opts, a.other, a.missing = s.Opts, s.Other, s.Missing
	a.groups = map[string]*stats.Moments{}
	for i, g := range s.Names {
		m := s.Groups[i]
		a.groups[g] = &m
	}
	return nil
}

// MeanGroup is one group's mean score with a 95% t interval.
type MeanGroup struct {
	Group     string  `json:"group"`
	N         int     `json:"n"`
	Mean      float64 `json:"mean"`
	SD        float64 `json:"sd"`
	Low, High float64 // 95% interval of the mean (Student t, n − 1 df)
	// Small is set when the group has fewer than MinGroupSize rows and is
	// not compared.
	Small bool `json:"small,omitempty"`
}

// MeanPair is the difference of two groups' mean scores, A − B (A the
// group with the higher mean), with Welch's interval at the level the
// column's Holm family gives it and Welch's t-test.
type MeanPair struct {
	A, B string
	// Difference is mean(A) − mean(B); Low and High its interval at
	// Confidence; DF the Welch–Satterthwaite degrees of freedom.
	Difference, Low, High, Confidence, DF float64
	// P is Welch's two-sided p-value against no difference, before the
	// correction (the Holm-adjusted one is Evidence.P); PMaterial and
	// PMaterialHolm the materiality test's (stats.OutsideP) before and
	// after Holm.
	P, PMaterial, PMaterialHolm float64
	Evidence                    stats.Evidence
	Verdict                     stats.Verdict
}

// MeanReport compares the groups of one column by their mean score.
type MeanReport struct {
	Column       string
	Tolerance    float64
	Alpha        float64
	MinGroupSize int
	Groups       []MeanGroup
	// Missing holds the rows with no group value (not compared); Other the
	// rows of groups beyond MaxGroups (not compared). Nil when empty.
	Missing, Other *MeanGroup
	// LeftOut names groups not compared, with why.
	LeftOut []string
	Pairs   []MeanPair
	Family  stats.Family
	Verdict stats.Verdict
	Failing []string
}

func meanGroup(name string, m *stats.Moments) MeanGroup {
	g := MeanGroup{Group: name, N: m.N, Mean: m.Mean(), SD: math.Sqrt(m.Variance()), Low: math.NaN(), High: math.NaN()}
	if m.N >= 2 && g.SD > 0 {
		t := -tQuantileLower(float64(m.N-1), (1-DefaultConfidence)/2)
		half := t * g.SD / math.Sqrt(float64(m.N))
		g.Low, g.High = g.Mean-half, g.Mean+half
	}
	return g
}

// Result compares every pair of the largest MaxPairGroups groups with at
// least MinGroupSize rows. Each pair's difference of means gets Welch's
// interval and t-test; the materiality tests of all pairs are one Holm
// family (stats.HolmFamily), each interval is drawn at the level its Holm
// step gives it, and stats.Decide judges it against [−Tolerance,
// Tolerance]: FAIL when the interval lies wholly outside, PASS when wholly
// inside, WARN otherwise.
func (a *MeanAccumulator) Result() *MeanReport {
	r := &MeanReport{Column: a.opts.Column, Tolerance: a.opts.Tolerance, Alpha: a.opts.Alpha, MinGroupSize: a.opts.MinGroupSize}
	names := slices.Sorted(maps.Keys(a.groups))
	for _, g := range names {
		mg := meanGroup(g, a.groups[g])
		mg.Small = mg.N < a.opts.MinGroupSize
		r.Groups = append(r.Groups, mg)
	}
	if a.missing.N > 0 {
		g := meanGroup("(missing)", &a.missing)
		r.Missing = &g
	}
	if a.other.N > 0 {
		g := meanGroup(fmt.Sprintf("other (groups beyond the first %d)", a.opts.MaxGroups), &a.other)
		r.Other = &g
	}
	// The largest eligible groups are compared; ties by name, so the
	// choice does not depend on the order rows arrived in.
	var eligible []int
	for i, g := range r.Groups {
		if g.Small {
			r.LeftOut = append(r.LeftOut, fmt.Sprintf("%q: %d rows, fewer than the minimum %d", g.Group, g.N, a.opts.MinGroupSize))
			continue
		}
		eligible = append(eligible, i)
	}
	slices.SortStableFunc(eligible, func(x, y int) int { return r.Groups[y].N - r.Groups[x].N })
	if len(eligible) > a.opts.MaxPairGroups {
		for _, i := range eligible[a.opts.MaxPairGroups:] {
			r.LeftOut = append(r.LeftOut, fmt.Sprintf("%q: %d rows, beyond the %d largest groups compared", r.Groups[i].Group, r.Groups[i].N, a.opts.MaxPairGroups))
		}
		eligible = eligible[:a.opts.MaxPairGroups]
	}
	slices.Sort(eligible)
	var members []stats.Member
	for x := range eligible {
		for y := x + 1; y < len(eligible); y++ {
			i, j := eligible[x], eligible[y]
			if r.Groups[j].Mean > r.Groups[i].Mean {
				i, j = j, i
			}
			w := stats.NewWelch(a.groups[r.Groups[i].Group], a.groups[r.Groups[j].Group])
			p := MeanPair{A: r.Groups[i].Group, B: r.Groups[j].Group, Difference: w.Difference, DF: w.DF, P: w.P()}
			r.Pairs = append(r.Pairs, p)
			m := stats.Member{Lower: -a.opts.Tolerance, Upper: a.opts.Tolerance}
			if !math.IsNaN(w.SE) && w.SE > 0 {
				m.Interval = w.Interval
			}
			members = append(members, m)
		}
	}
	r.correct(members)
	return r
}

// correct applies the Holm family to the pairs and sets the verdicts.
func (r *MeanReport) correct(members []stats.Member) {
	corrected := stats.HolmFamily(members, r.Alpha)
	raw := make([]float64, len(r.Pairs))
	for i, p := range r.Pairs {
		raw[i] = p.P
		if members[i].Interval == nil {
			raw[i] = math.NaN()
		}
	}
	holm := stats.Holm(raw)
	size := 0
	r.Failing = nil
	for i := range r.Pairs {
		p := &r.Pairs[i]
		c := corrected[i]
		p.PMaterial, p.PMaterialHolm, p.Confidence = c.P, c.PHolm, c.Confidence
		p.Low, p.High = c.Interval.Low, c.Interval.High
		p.Evidence = stats.Evidence{Estimate: p.Difference, Low: p.Low, High: p.High, P: holm[i],
			Lower: -r.Tolerance, Upper: r.Tolerance, Alpha: r.Alpha, Confidence: c.Confidence}
		if members[i].Interval == nil {
			p.Evidence.Confidence = 0
		} else {
			size++
		}
		p.Verdict = stats.Decide(p.Evidence)
		if members[i].Interval == nil {
			p.Verdict.Reason = "no interval: a group's scores are all equal or it has fewer than two rows; " + p.Verdict.Reason
		}
		if p.Verdict.Status == stats.Fail {
			r.Failing = append(r.Failing, fmt.Sprintf("mean score difference %q − %q = %.4g, %s%% interval [%.4g, %.4g] outside the tolerance [%.3g, %.3g], Holm p (materiality)=%s",
				p.A, p.B, p.Difference, strconv.FormatFloat(100*p.Confidence, 'g', 4, 64), p.Low, p.High, -r.Tolerance, r.Tolerance, stats.FormatP(p.PMaterialHolm, r.Alpha)))
		}
	}
	r.Family = stats.Family{Correction: "holm", Alpha: r.Alpha, Size: size,
		Of: fmt.Sprintf("every test that can make %s FAIL: the difference of mean scores of %s, those without an interval left out", columnName(r.Column), plural(len(r.Pairs), "pair"))}
	for i, p := range r.Pairs {
		if members[i].Interval != nil {
			r.Family.Members = append(r.Family.Members, fmt.Sprintf("mean %s vs %s", p.A, p.B))
		}
	}
	r.Verdict = r.verdict()
}

func (r *MeanReport) verdict() stats.Verdict {
	if len(r.Pairs) == 0 {
		return stats.Verdict{Status: stats.Info, Reason: fmt.Sprintf("no pairwise test: %s at least %d rows, two are needed", plural(len(r.Groups)-countSmall(r.Groups), "group has"), r.MinGroupSize)}
	}
	counts := map[stats.Status]int{}
	worst := stats.Info
	for _, p := range r.Pairs {
		counts[p.Verdict.Status]++
		worst = stats.Worse(worst, p.Verdict.Status)
	}
	return stats.Verdict{Status: worst, Reason: fmt.Sprintf("%s, tolerance ±%.3g score units: %d fail, %d warn, %d pass, %d without an interval; %s",
		plural(len(r.Pairs), "pair"), r.Tolerance, counts[stats.Fail], counts[stats.Warn], counts[stats.Pass], counts[stats.Info], r.Family)}
}

func countSmall(gs []MeanGroup) int {
	n := 0
	for _, g := range gs {
		if g.Small {
			n++
		}
	}
	return n
}

// MarshalJSON writes undefined figures (NaN) as null.
func (g MeanGroup) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Group string   `json:"group"`
		N     int      `json:"n"`
		Mean  *float64 `json:"mean"`
		SD    *float64 `json:"sd"`
		Low   *float64 `json:"low"`
		High  *float64 `json:"high"`
		Small bool     `json:"small,omitempty"`
	}{g.Group, g.N, finite(g.Mean), finite(g.SD), finite(g.Low), finite(g.High), g.Small})
}

// MarshalJSON writes undefined figures (NaN) as null.
func (p MeanPair) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		A             string         `json:"a"`
		B             string         `json:"b"`
		Difference    *float64       `json:"difference"`
		Low           *float64       `json:"low"`
		High          *float64       `json:"high"`
		Confidence    *float64       `json:"confidence"`
		DF            *float64       `json:"df"`
		P             *float64       `json:"p"`
		PHolm         *float64       `json:"p_holm"`
		PMaterial     *float64       `json:"p_material"`
		PMaterialHolm *float64       `json:"p_material_holm"`
		Evidence      stats.Evidence `json:"evidence"`
		Verdict       stats.Verdict  `json:"verdict"`
	}{p.A, p.B, finite(p.Difference), finite(p.Low), finite(p.High), finite(p.Confidence), finite(p.DF), finite(p.P), finite(p.Evidence.P),
		finite(p.PMaterial), finite(p.PMaterialHolm), p.Evidence, p.Verdict})
}

// MarshalJSON writes the report with snake_case keys.
func (r *MeanReport) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Kind         string        `json:"kind"`
		Column       string        `json:"column"`
		Tolerance    float64       `json:"tolerance"`
		Alpha        float64       `json:"alpha"`
		MinGroupSize int           `json:"min_group_size"`
		Groups       []MeanGroup   `json:"groups"`
		Missing      *MeanGroup    `json:"missing,omitempty"`
		Other        *MeanGroup    `json:"other,omitempty"`
		LeftOut      []string      `json:"left_out,omitempty"`
		Pairs        []MeanPair    `json:"pairs"`
		Family       stats.Family  `json:"family"`
		Verdict      stats.Verdict `json:"verdict"`
		Failing      []string      `json:"failing,omitempty"`
	}{"mean score (regression)", r.Column, r.Tolerance, r.Alpha, r.MinGroupSize, r.Groups, r.Missing, r.Other, r.LeftOut, r.Pairs, r.Family, r.Verdict, r.Failing})
}

// Describe is the report's verdict in one line, for summaries.
func (r *MeanReport) Describe() string {
	return strings.TrimSpace(fmt.Sprintf("%s: %s", columnName(r.Column), r.Verdict.Reason))
}

// tQuantileLower is Student's t quantile at the lower-tail probability p.
func tQuantileLower(df, p float64) float64 {
	return distuv.StudentsT{Mu: 0, Sigma: 1, Nu: df}.Quantile(p)
}
