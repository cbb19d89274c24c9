package databias

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
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
	// Seed keys the sample sentences: a term keeps the Samples distinct
	// sentences whose hash of (text, Seed) is smallest.
	Seed uint64
}

// Scanner accumulates a dataset's label counts by term and group. It is
// not safe for concurrent use.
//
// A Scanner is mergeable (Merge, MarshalBinary, UnmarshalBinary): counts
// are integers and each term's sample sentences are a bottom-k sketch
// keyed by a hash of (text, Seed), so for any split of the rows into
// parts, scanned in any order and merged in any order, Result is the same
// as one pass over all the rows. The one exception is the group-column
// cap: once a column sees more than 10 × MaxGroups distinct values in one
// part (or in a merge), its smallest values so far are pooled, and which
// values get pooled, and so the named values and the pooled counts,
// depends on the split. Below that the columns are exact too (the cap
// applied in Result is a function of the final counts).
type Scanner struct {
	opts     Options
	fams     []*familyAcc
	cols     []*columnAcc
	rows     int
	labelled int
	labels   []int // labelled rows by class
	// fingerprint identifies the options (see fingerprintOf): Merge and
	// UnmarshalBinary refuse state from a Scanner set up differently.
	fingerprint string
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

// sample is one kept sentence; hash is sampleHash of its (cut) text.
type sample struct {
	hash  uint64
	text  string
	label int
}

// compare orders samples by hash, then by content, so which ones a term
// keeps never depends on the order rows arrive in.
func (x sample) compare(y sample) int {
	return cmp.Or(cmp.Compare(x.hash, y.hash), cmp.Compare(x.text, y.text), cmp.Compare(x.label, y.label))
}

type termAcc struct {
	group string
	counts
	// samples are the distinct (text, label) rows with the smallest
	// sample keys, at most Options.Samples, in key order (a bottom-k
	// sketch: mergeable, and uniform over distinct texts).
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
	s := &Scanner{opts: opts, labels: make([]int, len(opts.Labels)), fingerprint: fingerprintOf(opts)}
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
		var smp *sample // the row as a sample, made once for all its terms
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
			if s.opts.Samples > 0 {
				if smp == nil {
					c := cut(text)
					smp = &sample{hash: sampleHash(s.opts.Seed, c), text: c, label: label}
				}
				t.keep(*smp, s.opts.Samples)
			}
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

// keep offers a row to a term's bottom-k sample: it is kept when its key
// is among the k smallest of the distinct rows seen, so the kept set is a
// function of the set of rows, whatever their order or partition.
func (t *termAcc) keep(x sample, k int) {
	if len(t.samples) == k && x.compare(t.samples[k-1]) >= 0 {
		return
	}
	i, found := slices.BinarySearchFunc(t.samples, x, sample.compare)
	if found {
		return // the same sentence with the same label: one is enough
	}
	t.samples = slices.Insert(t.samples, i, x)
	if len(t.samples) > k {
		t.samples = t.samples[:k]
	}
}

// sampleHash is the sample key of a text under a seed: FNV-1a 64 of the
// seed and the text, finished with the SplitMix64 mixer so nearby texts
// get unrelated keys.
func sampleHash(seed uint64, text string) uint64 {
	h := fnv.New64a()
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], seed)
	h.Write(b[:])
	h.Write([]byte(text))
	z := h.Sum64()
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// cut shortens a sample to MaxSampleRunes, so a long text cannot make the
// sample large; strings.Clone detaches it from the row's buffer.
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
