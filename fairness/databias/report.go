package databias

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"slices"

	"github.com/lucid-nlp/lucid/fairness/stats"
)

// Number is a float64 that report.json writes as null when undefined (NaN
// or ±Inf): a ratio with an empty side, an interval with no rows.
type Number float64

// MarshalJSON writes NaN and ±Inf as null.
func (n Number) MarshalJSON() ([]byte, error) {
	f := float64(n)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return []byte("null"), nil
	}
	return json.Marshal(f)
}

// UnmarshalJSON reads null back as NaN.
func (n *Number) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*n = Number(math.NaN())
		return nil
	}
	var f float64
	err := json.Unmarshal(b, &f)
	*n = Number(f)
	return err
}

// Share is a positive-label share with its Wilson 95% interval: Count
// positive rows of Of labelled ones.
type Share struct {
	Value Number `json:"value"`
	Low   Number `json:"low"`
	High  Number `json:"high"`
	Count int    `json:"count"`
	Of    int    `json:"of"`
}

// Estimate is an effect with its 95% interval.
type Estimate struct {
	Value Number `json:"value"`
	Low   Number `json:"low"`
	High  Number `json:"high"`
}

// Unit is one term, family group or group value compared with the rest of
// the labelled rows.
type Unit struct {
	// Name is the term, the family group or the column value; Group the
	// family group a term belongs to.
	Name  string `json:"name"`
	Group string `json:"group,omitempty"`
	// Rows is the rows it occurs in (labelled or not); Occurrences its
	// mentions (a term twice in a row counts twice; 0 for column values).
	Rows        int `json:"rows"`
	Occurrences int `json:"occurrences,omitempty"`
	// LabelCounts are the labelled rows it occurs in, by class.
	LabelCounts []int `json:"label_counts"`
	// Share is the positive share where it occurs; Elsewhere the share in
	// the other labelled rows (for a column value: the rows with another,
	// non-missing value).
	Share     Share `json:"positive_share"`
	Elsewhere Share `json:"elsewhere_positive_share"`
	// Difference is Share − Elsewhere with Newcombe's interval; Ratio
	// Share / Elsewhere with the Katz log interval.
	Difference Estimate `json:"difference"`
	Ratio      Estimate `json:"ratio"`
	// P is Fisher's exact two-sided p-value; PHolm it Holm-corrected
	// across the list's units (null when the unit was not judged).
	P     Number `json:"p_fisher"`
	PHolm Number `json:"p_holm"`
	// PMI is the smoothed pointwise mutual information with each label,
	// in bits (see the package doc).
	PMI []Number `json:"pmi_bits"`
	// Verdict judges Difference against the tolerance (stats.Decide), by
	// its Newcombe interval at the level the list's Holm family gives it
	// (stated in the reason); info when the unit has fewer than MinCount
	// labelled rows on a side.
	Verdict stats.Verdict `json:"verdict"`
}

// List is the units of one family (its groups, its terms) or one column.
type List struct {
	// Kind is "family" or "column"; Name the family or column.
	Kind string `json:"kind"`
	Name string `json:"name"`
	// Rows is the rows that mention any term of the family (for a column:
	// the rows with a value).
	Rows int `json:"rows"`
	// Groups are a family's groups (any of its terms) or a column's
	// values; Terms a family's terms that occur, most frequent first.
	Groups []Unit `json:"groups"`
	Terms  []Unit `json:"terms,omitempty"`
	// TermsListed is the family's distinct terms; TermsFound those that
	// occur at least once.
	TermsListed int `json:"terms_listed,omitempty"`
	TermsFound  int `json:"terms_found,omitempty"`
	// Missing is a column's rows with no value (never compared); Pooled
	// the rows of the values pooled past the cap, PooledGroups how many
	// values were pooled (never compared).
	Missing      int `json:"missing_rows,omitempty"`
	Pooled       int `json:"pooled_rows,omitempty"`
	PooledGroups int `json:"pooled_groups,omitempty"`
	// Verdict is the worst of the units' verdicts; Failing names the
	// failing units ("group she" or "term she").
	Verdict stats.Verdict `json:"verdict"`
	Failing []string      `json:"failing,omitempty"`
}

// Skewed is a term among the most associated with one label.
type Skewed struct {
	Family string `json:"family"`
	Term   string `json:"term"`
	Group  string `json:"group"`
	// Label is the label it leans to, PMI its smoothed PMI with it (bits),
	// Share the share of its labelled rows with that label.
	Label   string   `json:"label"`
	PMI     Number   `json:"pmi_bits"`
	Share   Share    `json:"label_share"`
	Rows    int      `json:"rows"`
	Samples []Sample `json:"samples"`
}

// Sample is a sentence the term occurs in, cut to MaxSampleRunes.
type Sample struct {
	Text  string `json:"text"`
	Label string `json:"label"`
}

// Report is a data scan's result.
type Report struct {
	// Rows scanned, of which Labelled have a label.
	Rows     int `json:"rows"`
	Labelled int `json:"labelled_rows"`
	// Labels and the favourable one; LabelCounts the labelled rows by
	// class; PositiveShare the share of the favourable label overall.
	Labels        []string `json:"labels"`
	Positive      string   `json:"positive_label"`
	LabelCounts   []int    `json:"label_counts"`
	PositiveShare Share    `json:"positive_share"`
	// Tolerance, MinCount and Smoothing are the settings the verdicts and
	// the PMI used.
	Tolerance float64 `json:"tolerance"`
	MinCount  int     `json:"min_count"`
	Smoothing string  `json:"pmi_smoothing"`
	// Families and Columns hold one List each.
	Families []List `json:"families"`
	Columns  []List `json:"columns,omitempty"`
	// Skewed lists the terms most associated with one label.
	Skewed []Skewed `json:"most_skewed_terms"`
	// Verdict is the worst of the lists'.
	Verdict stats.Verdict `json:"verdict"`

	// Weighted is the weighted group-by-label table (a weight column
	// given: WeightedTable); nil otherwise.
	Weighted *WeightedReport `json:"weighted,omitempty"`
}

// SmoothingText states the PMI smoothing, as the report does.
const SmoothingText = "add-one (Laplace): P(label|unit) = (n(unit,label)+1)/(n(unit)+K), P(label) = (n(label)+1)/(N+K), K labels, N labelled rows; log base 2"

// Result computes the report from the rows added so far. It can be called
// more than once.
func (s *Scanner) Result() *Report {
	o := s.opts
	r := &Report{Rows: s.rows, Labelled: s.labelled, Labels: o.Labels, Positive: o.Labels[o.Positive],
		LabelCounts: slices.Clone(s.labels), Tolerance: o.Tolerance, MinCount: o.MinCount, Smoothing: SmoothingText,
		Families: []List{}, Skewed: []Skewed{}}
	r.PositiveShare = share(s.labels[o.Positive], s.labelled)
	r.Verdict = stats.Verdict{Status: stats.Info, Reason: "nothing judged"}
	type cand struct {
		sk  Skewed
		pmi float64
	}
	var cands []cand
	for _, fa := range s.fams {
		l := List{Kind: "family", Name: fa.f.Name, Rows: fa.rows, TermsListed: fa.nTerms, TermsFound: len(fa.terms)}
		for _, g := range fa.groups {
			c := fa.byGrp[g]
			if c == nil {
				c = &counts{byLabel: make([]int, len(o.Labels))}
			}
			l.Groups = append(l.Groups, s.unit(g, "", *c, s.labels, s.labelled))
		}
		for _, t := range fa.sortedTerms() {
			ta := fa.terms[t]
			u := s.unit(t, ta.group, ta.counts, s.labels, s.labelled)
			l.Terms = append(l.Terms, u)
			n := sum(ta.byLabel)
			if n < o.MinCount {
				continue
			}
			best := 0
			for i := range u.PMI {
				if u.PMI[i] > u.PMI[best] {
					best = i
				}
			}
			sk := Skewed{Family: fa.f.Name, Term: t, Group: ta.group, Label: o.Labels[best], PMI: u.PMI[best],
				Share: share(ta.byLabel[best], n), Rows: ta.rows}
			for _, smp := range ta.samples {
				lab := ""
				if smp.label >= 0 {
					lab = o.Labels[smp.label]
				}
				sk.Samples = append(sk.Samples, Sample{Text: smp.text, Label: lab})
			}
			cands = append(cands, cand{sk, float64(u.PMI[best])})
		}
		s.judge(&l, "group", l.Groups)
		s.judge(&l, "term", l.Terms)
		r.Families = append(r.Families, l)
		r.Verdict = worse(r.Verdict, l.Verdict)
	}
	for _, c := range s.cols {
		l := List{Kind: "column", Name: c.name, Missing: c.missing.rows, Pooled: c.pooled.rows, PooledGroups: c.pooledNames}
		// "Elsewhere" for a value is the other values' rows: missing
		// values are no group to compare with.
		base := slices.Clone(s.labels)
		baseN := s.labelled
		for i, n := range c.missing.byLabel {
			base[i] -= n
			baseN -= n
		}
		names := make([]string, 0, len(c.values))
		for v, x := range c.values {
			names = append(names, v)
			l.Rows += x.rows
		}
		l.Rows += c.pooled.rows
		slices.SortFunc(names, func(a, b string) int {
			return cmp.Or(cmp.Compare(c.values[b].rows, c.values[a].rows), cmp.Compare(a, b))
		})
		if len(names) > o.MaxGroups {
			// Past the cap at the end: pool the smallest too.
			for _, v := range names[o.MaxGroups:] {
				x := c.values[v]
				l.Pooled += x.rows
				l.PooledGroups++
			}
			names = names[:o.MaxGroups]
		}
		for _, v := range names {
			u := s.unit(v, "", *c.values[v], base, baseN)
			u.Occurrences = 0
			l.Groups = append(l.Groups, u)
		}
		s.judge(&l, "value", l.Groups)
		r.Columns = append(r.Columns, l)
		r.Verdict = worse(r.Verdict, l.Verdict)
	}
	slices.SortStableFunc(cands, func(a, b cand) int { return cmp.Compare(b.pmi, a.pmi) })
	for _, c := range cands[:min(len(cands), o.Top)] {
		r.Skewed = append(r.Skewed, c.sk)
	}
	return r
}

// unit compares one unit's labelled rows with the rest of base (the
// labelled rows by class it is part of, baseN of them).
func (s *Scanner) unit(name, group string, c counts, base []int, baseN int) Unit {
	o := s.opts
	if c.byLabel == nil {
		c.byLabel = make([]int, len(o.Labels))
	}
	n1 := sum(c.byLabel)
	k1 := c.byLabel[o.Positive]
	n0 := baseN - n1
	k0 := base[o.Positive] - k1
	u := Unit{Name: name, Group: group, Rows: c.rows, Occurrences: c.occurrences, LabelCounts: slices.Clone(c.byLabel),
		Share: share(k1, n1), Elsewhere: share(k0, n0), P: Number(math.NaN()), PHolm: Number(math.NaN())}
	u.Difference = newcombe(k1, n1, k0, n0)
	u.Ratio = katz(k1, n1, k0, n0)
	if n1 > 0 && n0 > 0 {
		u.P = Number(stats.FisherExact(k1, n1-k1, k0, n0-k0))
	}
	u.PMI = pmi(c.byLabel, s.labels, s.labelled)
	return u
}

// judge Holm-corrects the p-values of the units that have enough rows on
// both sides, gives each unit its verdict, and folds them into l's.
func (s *Scanner) judge(l *List, what string, units []Unit) {
	minCount, tolerance := s.opts.MinCount, s.opts.Tolerance
	var ps []float64
	var at []int
	for i, u := range units {
		if u.Share.Of >= minCount && u.Elsewhere.Of >= minCount {
			ps = append(ps, float64(u.P))
			at = append(at, i)
		}
	}
	adj := stats.Holm(ps)
	// The list's units are one Holm family: each verdict judges the
	// difference's Newcombe interval at the level the correction gives
	// it (stats.HolmFamily), so FAIL is the corrected materiality test;
	// Difference keeps the plain 95% interval to read.
	members := make([]stats.Member, len(at))
	for j, i := range at {
		k1, n1, k0, n0 := units[i].Share.Count, units[i].Share.Of, units[i].Elsewhere.Count, units[i].Elsewhere.Of
		members[j] = stats.Member{Interval: func(z float64) stats.Interval { return stats.NewcombeZ(k1, n1, k0, n0, z) }, Lower: -tolerance, Upper: tolerance}
	}
	corrected := stats.HolmFamily(members, stats.DefaultAlpha)
	judged := map[int]bool{}
	for j, i := range at {
		u := &units[i]
		u.PHolm = Number(adj[j])
		judged[i] = true
		c := corrected[j]
		u.Verdict = stats.Decide(stats.Evidence{Estimate: float64(u.Difference.Value), Low: c.Interval.Low, High: c.Interval.High,
			P: adj[j], Lower: -tolerance, Upper: tolerance, Confidence: c.Confidence})
	}
	for i := range units {
		u := &units[i]
		if !judged[i] {
			u.Verdict = stats.Verdict{Status: stats.Info, Reason: fmt.Sprintf("not judged: %d labelled rows with it and %d elsewhere, fewer than %d on a side", u.Share.Of, u.Elsewhere.Of, minCount)}
		}
		if l.Verdict.Status == "" {
			l.Verdict = stats.Verdict{Status: stats.Info, Reason: "no unit has enough rows to judge"}
		}
		l.Verdict = worse(l.Verdict, u.Verdict)
		if u.Verdict.Status == stats.Fail {
			l.Failing = append(l.Failing, what+" "+u.Name)
		}
	}
	if l.Verdict.Status == "" {
		l.Verdict = stats.Verdict{Status: stats.Info, Reason: "nothing occurs"}
	}
}

// worse keeps the more severe verdict (the first on a tie).
func worse(a, b stats.Verdict) stats.Verdict {
	if b.Status.Severity() > a.Status.Severity() {
		return b
	}
	return a
}

func share(k, n int) Share {
	if n <= 0 {
		nan := Number(math.NaN())
		return Share{Value: nan, Low: nan, High: nan, Count: k, Of: n}
	}
	iv := stats.Wilson(k, n, stats.Z95)
	return Share{Value: Number(float64(k) / float64(n)), Low: Number(iv.Low), High: Number(iv.High), Count: k, Of: n}
}

// newcombe is p1 − p0 with its Newcombe interval (stats.Newcombe), NaN
// when a side has no rows.
func newcombe(k1, n1, k0, n0 int) Estimate {
	if n1 <= 0 || n0 <= 0 {
		nan := Number(math.NaN())
		return Estimate{nan, nan, nan}
	}
	iv := stats.Newcombe(k1, n1, k0, n0)
	return Estimate{Number(float64(k1)/float64(n1) - float64(k0)/float64(n0)), Number(iv.Low), Number(iv.High)}
}

// katz is p1 / p0 with the Katz log interval; when a count is 0 or equals
// its total, 0.5 is added to every cell (Haldane–Anscombe) for both the
// ratio and its interval.
func katz(k1, n1, k0, n0 int) Estimate {
	nan := Number(math.NaN())
	if n1 <= 0 || n0 <= 0 {
		return Estimate{nan, nan, nan}
	}
	a, m, c, l := float64(k1), float64(n1), float64(k0), float64(n0)
	if k1 == 0 || k0 == 0 || k1 == n1 || k0 == n0 {
		a, m, c, l = a+0.5, m+1, c+0.5, l+1
	}
	rr := (a / m) / (c / l)
	se := math.Sqrt(1/a - 1/m + 1/c - 1/l)
	return Estimate{Number(rr), Number(rr * math.Exp(-stats.Z95*se)), Number(rr * math.Exp(stats.Z95*se))}
}

// pmi is the add-one smoothed PMI of a unit with each label, in bits.
func pmi(byLabel, total []int, n int) []Number {
	k := float64(len(total))
	nu := float64(sum(byLabel))
	out := make([]Number, len(total))
	for i := range total {
		pyu := (float64(byLabel[i]) + 1) / (nu + k)
		py := (float64(total[i]) + 1) / (float64(n) + k)
		out[i] = Number(math.Log2(pyu / py))
	}
	return out
}

func sum(v []int) int {
	t := 0
	for _, x := range v {
		t += x
	}
	return t
}
