package databias

import (
	"cmp"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/lucid-nlp/lucid/fairness/counterfactual"
)

// Defaults of Options.
const (
	// DefaultTolerance is the positive-share difference (occurs −
	// elsewhere) within which a skew is too small to matter.
	DefaultTolerance = 0.1
	// DefaultMinCount is the labelled rows a unit needs, on both sides,
	// to be judged and listed among the most skewed terms.
	DefaultMinCount = 30
	// DefaultSamples is the sample sentences kept per term.
	DefaultSamples = 3
	// DefaultTop is the most skewed terms listed.
	DefaultTop = 10
	// DefaultMaxGroups caps the distinct values kept per group column.
	DefaultMaxGroups = 1000
	// MaxSampleRunes is where a sample sentence is cut.
	MaxSampleRunes = 240
	// MaxLabels bounds the label set (the counts are per label).
	MaxLabels = 1000
)

// Options configure a Scanner.
type Options struct {
	// Families are the identity-term families whose terms are counted.
	Families []counterfactual.Family
	// GroupColumns name the group columns, aligned with Add's groups.
	GroupColumns []string
	// Labels name the classes: a row's label is an index into them.
	Labels []string
	// Positive is the index of the favourable label in Labels.
	Positive int
	// Tolerance is the practical threshold on the positive-share
	// difference (default DefaultTolerance), in (0, 1).
	Tolerance float64
	// MinCount, Samples, Top and MaxGroups: see their defaults. MinCount
	// 0 means DefaultMinCount; a negative Samples keeps no samples.
	MinCount  int
	Samples   int
	Top       int
	MaxGroups int
	// Seed drives the sample reservoirs.
	Seed uint64
}

// Scanner accumulates a dataset's label counts by term and group. It is
// not safe for concurrent use.
type Scanner struct {
	opts     Options
	fams     []*familyAcc
	cols     []*columnAcc
	rows     int
	labelled int
	labels   []int // labelled rows by class
	rng      *rand.Rand
}

// counts is one unit's rows: all of them, and the labelled ones by class.
type counts struct {
	rows        int
	occurrences int
	byLabel     []int
}

func (c *counts) add(label, occ, k int) {
	if c.byLabel == nil {
		c.byLabel = make([]int, k)
	}
	c.rows++
	c.occurrences += occ
	if label >= 0 {
		c.byLabel[label]++
	}
}

// sample is one kept sentence.
type sample struct {
	text  string
	label int
}

type termAcc struct {
	group string
	counts
	seen    int
	samples []sample
}

type familyAcc struct {
	f      counterfactual.Family
	groups []string // in the family's order
	terms  map[string]*termAcc
	byGrp  map[string]*counts
	rows   int // rows mentioning any term
	nTerms int // distinct terms the family lists
}

// NewScanner checks opts and returns an empty Scanner.
func NewScanner(opts Options) (*Scanner, error) {
	if len(opts.Labels) < 2 {
		return nil, fmt.Errorf("databias: need at least two labels, got %q", opts.Labels)
	}
	if len(opts.Labels) > MaxLabels {
		return nil, fmt.Errorf("databias: %d labels, more than the %d a scan keeps counts for", len(opts.Labels), MaxLabels)
	}
	if opts.Positive < 0 || opts.Positive >= len(opts.Labels) {
		return nil, fmt.Errorf("databias: positive label index %d is not one of the %d labels", opts.Positive, len(opts.Labels))
	}
	if opts.Tolerance == 0 {
		opts.Tolerance = DefaultTolerance
	}
	if !(opts.Tolerance > 0 && opts.Tolerance < 1) {
		return nil, fmt.Errorf("databias: tolerance %v: want a difference between 0 and 1, like 0.1", opts.Tolerance)
	}
	if opts.MinCount == 0 {
		opts.MinCount = DefaultMinCount
	}
	if opts.MinCount < 1 {
		return nil, fmt.Errorf("databias: minimum count %d: want at least 1", opts.MinCount)
	}
	if opts.Samples == 0 {
		opts.Samples = DefaultSamples
	}
	opts.Samples = max(opts.Samples, 0)
	if opts.Top <= 0 {
		opts.Top = DefaultTop
	}
	if opts.MaxGroups == 0 {
		opts.MaxGroups = DefaultMaxGroups
	}
	if opts.MaxGroups < 2 {
		return nil, fmt.Errorf("databias: maximum groups %d: want at least 2", opts.MaxGroups)
	}
	if len(opts.Families) == 0 && len(opts.GroupColumns) == 0 {
		return nil, errors.New("databias: nothing to scan: no identity-term family and no group column")
	}
	s := &Scanner{opts: opts, labels: make([]int, len(opts.Labels)), rng: rand.New(rand.NewPCG(opts.Seed, 0xda7a))}
	for _, f := range opts.Families {
		if err := f.Validate(); err != nil {
			return nil, fmt.Errorf("databias: family %q: %w", f.Name, err)
		}
		fa := &familyAcc{f: f, terms: map[string]*termAcc{}, byGrp: map[string]*counts{}}
		seen := map[string]bool{}
		for _, g := range f.Groups {
			fa.groups = append(fa.groups, g.Name)
			for _, t := range g.Terms {
				if t = strings.ToLower(strings.Join(strings.Fields(t), " ")); t != "" && !seen[t] {
					seen[t] = true
				}
			}
		}
		fa.nTerms = len(seen)
		s.fams = append(s.fams, fa)
	}
	for _, c := range opts.GroupColumns {
		s.cols = append(s.cols, newColumnAcc(c, opts.MaxGroups))
	}
	return s, nil
}

// Add counts one row. label is the row's class index, or -1 when the row
// is unlabelled (it is then counted in the occurrences only); groups are
// the row's values in Options.GroupColumns, "" for a missing value.
func (s *Scanner) Add(text string, label int, groups []string) error {
	if label >= len(s.opts.Labels) || label < -1 {
		return fmt.Errorf("databias: label index %d is not one of the %d labels", label, len(s.opts.Labels))
	}
	if len(groups) != len(s.cols) {
		return fmt.Errorf("databias: %d group values for %d group columns", len(groups), len(s.cols))
	}
	k := len(s.opts.Labels)
	s.rows++
	if label >= 0 {
		s.labelled++
		s.labels[label]++
	}
	for _, fa := range s.fams {
		ms := counterfactual.Mentions(text, fa.f)
		if len(ms) == 0 {
			continue
		}
		fa.rows++
		occ := map[string]int{}
		grpOcc := map[string]int{}
		for _, m := range ms {
			if occ[m.Term] == 0 {
				if _, ok := fa.terms[m.Term]; !ok {
					fa.terms[m.Term] = &termAcc{group: m.Group}
				}
			}
			occ[m.Term]++
			grpOcc[m.Group]++
		}
		for term, n := range occ {
			t := fa.terms[term]
			t.add(label, n, k)
			s.keep(t, text, label)
		}
		for g, n := range grpOcc {
			c := fa.byGrp[g]
			if c == nil {
				c = &counts{}
				fa.byGrp[g] = c
			}
			c.add(label, n, k)
		}
	}
	for i, c := range s.cols {
		c.add(groups[i], label, k)
	}
	return nil
}

// keep offers a row to a term's reservoir of sample sentences.
func (s *Scanner) keep(t *termAcc, text string, label int) {
	if s.opts.Samples == 0 {
		return
	}
	t.seen++
	if len(t.samples) < s.opts.Samples {
		t.samples = append(t.samples, sample{cut(text), label})
		return
	}
	if j := s.rng.IntN(t.seen); j < s.opts.Samples {
		t.samples[j] = sample{cut(text), label}
	}
}

// cut shortens a sample to MaxSampleRunes, so a long text cannot make the
// reservoir large; strings.Clone detaches it from the row's buffer.
func cut(s string) string {
	if utf8.RuneCountInString(s) <= MaxSampleRunes {
		return strings.Clone(s)
	}
	n := 0
	for i := range s {
		if n == MaxSampleRunes {
			return strings.Clone(s[:i]) + "…"
		}
		n++
	}
	return strings.Clone(s)
}

// Rows is the number of rows added so far.
func (s *Scanner) Rows() int { return s.rows }

// sortedTerms returns a family's terms, most frequent first.
func (fa *familyAcc) sortedTerms() []string {
	out := make([]string, 0, len(fa.terms))
	for t := range fa.terms {
		out = append(out, t)
	}
	slices.SortFunc(out, func(a, b string) int {
		return cmp.Or(cmp.Compare(fa.terms[b].rows, fa.terms[a].rows), cmp.Compare(a, b))
	})
	return out
}
