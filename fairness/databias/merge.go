package databias

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/lucid-nlp/lucid/internal/gobsnap"
)

// snapshotVersion is written first in every encoded Scanner, so a later
// layout can refuse (or convert) an older one.
const snapshotVersion = 1

// fingerprintOf identifies a Scanner's options, defaults filled in: two
// Scanners merge only when every option, the families' terms included,
// is the same.
func fingerprintOf(o Options) string {
	type fam struct {
		Name   string
		Groups any
	}
	fams := make([]fam, len(o.Families))
	for i, f := range o.Families {
		fams[i] = fam{f.Name, f.Groups}
	}
	b, err := json.Marshal(struct {
		Families                       []fam
		GroupColumns, Labels           []string
		Positive                       int
		Tolerance                      float64
		MinCount, Samples, Top, MaxGrp int
		Seed                           uint64
	}{fams, o.GroupColumns, o.Labels, o.Positive, o.Tolerance, o.MinCount, o.Samples, o.Top, o.MaxGroups, o.Seed})
	if err != nil {
		// Only strings, numbers and slices of them: cannot fail.
		panic(fmt.Sprintf("databias: fingerprint of the options: %v", err))
	}
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// Merge adds b's rows into s, as if s had scanned them too; b is left
// unchanged. It fails when b was made with different Options (families,
// columns, labels, thresholds, sample count or seed). See Scanner for
// what is exact.
func (s *Scanner) Merge(b *Scanner) error {
	if b == nil {
		return errors.New("databias: merge of a nil Scanner")
	}
	if b == s {
		return errors.New("databias: a Scanner cannot be merged into itself (its rows would count twice)")
	}
	if b.fingerprint != s.fingerprint {
		return fmt.Errorf("databias: cannot merge scanners made with different options (fingerprints %.12s and %.12s)", s.fingerprint, b.fingerprint)
	}
	k := len(s.opts.Labels)
	s.rows += b.rows
	s.labelled += b.labelled
	for i, n := range b.labels {
		s.labels[i] += n
	}
	for i, fb := range b.fams {
		fa := s.fams[i]
		fa.rows += fb.rows
		for _, term := range slices.Sorted(maps.Keys(fb.terms)) {
			tb := fb.terms[term]
			ta := fa.terms[term]
			if ta == nil {
				ta = &termAcc{group: tb.group}
				fa.terms[term] = ta
			}
			ta.counts.merge(tb.counts, k)
			for _, x := range tb.samples {
				ta.keep(x, s.opts.Samples)
			}
		}
		for g, cb := range fb.byGrp {
			ca := fa.byGrp[g]
			if ca == nil {
				ca = &counts{}
				fa.byGrp[g] = ca
			}
			ca.merge(*cb, k)
		}
	}
	for i, cb := range b.cols {
		s.cols[i].merge(cb, k)
	}
	return nil
}

// merge adds o's rows into c.
func (c *counts) merge(o counts, k int) {
	if c.byLabel == nil {
		c.byLabel = make([]int, k)
	}
	c.rows += o.rows
	c.occurrences += o.occurrences
	for i, n := range o.byLabel {
		c.byLabel[i] += n
	}
}

// merge adds o's values into c: a value c already pooled goes to the pool,
// as its rows would have in one pass; the pools and their filters join.
// The cap is applied once, after the whole merge, so the result does not
// depend on map order.
func (c *columnAcc) merge(o *columnAcc, k int) {
	c.missing.merge(o.missing, k)
	c.pooled.merge(o.pooled, k)
	for v, x := range o.values {
		if y, ok := c.values[v]; ok {
			y.merge(*x, k)
			continue
		}
		if c.pooledNames > 0 && c.folded.has(v) {
			c.pooled.merge(*x, k)
			continue
		}
		y := &counts{}
		y.merge(*x, k)
		c.values[v] = y
	}
	if o.pooledNames > 0 {
		c.pooledNames += o.pooledNames
		if c.folded == nil {
			c.folded = make(bloom, bloomBits/64)
		}
		for i, w := range o.folded {
			c.folded[i] |= w
		}
	}
	if len(c.values) > 10*c.max {
		c.fold()
	}
}

// The encoded form: exported-field snapshots for encoding/gob, every map
// written as a slice sorted by key, so equal state encodes to equal bytes.
type (
	scannerSnapshot struct {
		Version        int
		Fingerprint    string
		Rows, Labelled int
		Labels         []int
		Families       []familySnapshot
		Columns        []columnSnapshot
	}
	countsSnapshot struct {
		Rows, Occurrences int
		ByLabel           []int
	}
	familySnapshot struct {
		Rows   int
		Terms  []termSnapshot
		Groups []namedCounts
	}
	termSnapshot struct {
		Term, Group string
		Counts      countsSnapshot
		Samples     []sampleSnapshot
	}
	sampleSnapshot struct {
		Text  string
		Label int
	}
	namedCounts struct {
		Name   string
		Counts countsSnapshot
	}
	columnSnapshot struct {
		Values          []namedCounts
		Missing, Pooled countsSnapshot
		PooledNames     int
		Folded          []uint64
	}
)

func (c counts) snapshot() countsSnapshot {
	return countsSnapshot{c.rows, c.occurrences, slices.Clone(c.byLabel)}
}

// MarshalBinary encodes the Scanner's accumulated state (not its Options:
// UnmarshalBinary needs a Scanner made with the same ones).
func (s *Scanner) MarshalBinary() ([]byte, error) {
	snap := scannerSnapshot{Version: snapshotVersion, Fingerprint: s.fingerprint, Rows: s.rows, Labelled: s.labelled, Labels: slices.Clone(s.labels)}
	for _, fa := range s.fams {
		fs := familySnapshot{Rows: fa.rows}
		for _, term := range slices.Sorted(maps.Keys(fa.terms)) {
			t := fa.terms[term]
			ts := termSnapshot{Term: term, Group: t.group, Counts: t.counts.snapshot()}
			for _, x := range t.samples {
				ts.Samples = append(ts.Samples, sampleSnapshot{x.text, x.label})
			}
			fs.Terms = append(fs.Terms, ts)
		}
		for _, g := range slices.Sorted(maps.Keys(fa.byGrp)) {
			fs.Groups = append(fs.Groups, namedCounts{g, fa.byGrp[g].snapshot()})
		}
		snap.Families = append(snap.Families, fs)
	}
	for _, c := range s.cols {
		cs := columnSnapshot{Missing: c.missing.snapshot(), Pooled: c.pooled.snapshot(), PooledNames: c.pooledNames, Folded: c.folded}
		for _, v := range slices.Sorted(maps.Keys(c.values)) {
			cs.Values = append(cs.Values, namedCounts{v, c.values[v].snapshot()})
		}
		snap.Columns = append(snap.Columns, cs)
	}
	return gobsnap.Encode("databias", "the scanner", snap)
}

// UnmarshalBinary replaces the Scanner's state with data from
// MarshalBinary. The Scanner must have been made by NewScanner with the
// same Options as the encoded one; data from other options, another
// version or not from MarshalBinary at all is refused with an error, and
// the Scanner is then left as it was.
func (s *Scanner) UnmarshalBinary(data []byte) error {
	var snap scannerSnapshot
	if err := gobsnap.Decode("databias", "a scanner", data, &snap); err != nil {
		return err
	}
	if snap.Version != snapshotVersion {
		return fmt.Errorf("databias: encoded scanner has version %d, this build reads version %d", snap.Version, snapshotVersion)
	}
	if snap.Fingerprint != s.fingerprint {
		return fmt.Errorf("databias: encoded scanner was made with different options (fingerprint %.12s, this scanner's %.12s)", snap.Fingerprint, s.fingerprint)
	}
	k := len(s.opts.Labels)
	bad := func(format string, args ...any) error {
		return fmt.Errorf("databias: corrupt encoded scanner: "+format, args...)
	}
	if snap.Rows < 0 || snap.Labelled < 0 || snap.Labelled > snap.Rows {
		return bad("%d rows, %d labelled", snap.Rows, snap.Labelled)
	}
	if len(snap.Labels) != k || slices.Min(append([]int{0}, snap.Labels...)) < 0 {
		return bad("label counts %v for %d labels", snap.Labels, k)
	}
	if len(snap.Families) != len(s.fams) || len(snap.Columns) != len(s.cols) {
		return bad("%d families and %d columns, want %d and %d", len(snap.Families), len(snap.Columns), len(s.fams), len(s.cols))
	}
	restore := func(c countsSnapshot) (counts, error) {
		if c.Rows < 0 || c.Occurrences < 0 || (len(c.ByLabel) != 0 && len(c.ByLabel) != k) || slices.Min(append([]int{0}, c.ByLabel...)) < 0 {
			return counts{}, bad("counts with %d rows, %d occurrences and %d label counts", c.Rows, c.Occurrences, len(c.ByLabel))
		}
		return counts{rows: c.Rows, occurrences: c.Occurrences, byLabel: c.ByLabel}, nil
	}
	fams := make([]*familyAcc, len(s.fams))
	for i, fs := range snap.Families {
		old := s.fams[i]
		fa := &familyAcc{f: old.f, groups: old.groups, nTerms: old.nTerms, rows: fs.Rows, terms: map[string]*termAcc{}, byGrp: map[string]*counts{}}
		for _, ts := range fs.Terms {
			if ts.Term == "" || fa.terms[ts.Term] != nil {
				return bad("family %q: empty or repeated term %q", old.f.Name, ts.Term)
			}
			c, err := restore(ts.Counts)
			if err != nil {
				return err
			}
			if len(ts.Samples) > s.opts.Samples {
				return bad("term %q keeps %d samples, more than %d", ts.Term, len(ts.Samples), s.opts.Samples)
			}
			t := &termAcc{group: ts.Group, counts: c}
			for _, x := range ts.Samples {
				if x.Label < -1 || x.Label >= k {
					return bad("term %q: sample label %d", ts.Term, x.Label)
				}
				t.keep(sample{sampleHash(s.opts.Seed, x.Text), x.Text, x.Label}, s.opts.Samples)
			}
			fa.terms[ts.Term] = t
		}
		for _, g := range fs.Groups {
			if !slices.Contains(fa.groups, g.Name) || fa.byGrp[g.Name] != nil {
				return bad("family %q: unknown or repeated group %q", old.f.Name, g.Name)
			}
			c, err := restore(g.Counts)
			if err != nil {
				return err
			}
			fa.byGrp[g.Name] = &c
		}
		fams[i] = fa
	}
	cols := make([]*columnAcc, len(s.cols))
	for i, cs := range snap.Columns {
		old := s.cols[i]
		c := newColumnAcc(old.name, old.max)
		var err error
		if c.missing, err = restore(cs.Missing); err != nil {
			return err
		}
		if c.pooled, err = restore(cs.Pooled); err != nil {
			return err
		}
		if cs.PooledNames < 0 || (len(cs.Folded) != 0 && len(cs.Folded) != bloomBits/64) {
			return bad("column %q: %d pooled values, a filter of %d words", old.name, cs.PooledNames, len(cs.Folded))
		}
		c.pooledNames = cs.PooledNames
		if len(cs.Folded) > 0 {
			c.folded = cs.Folded
		}
		for _, v := range cs.Values {
			if v.Name == "" || c.values[v.Name] != nil {
				return bad("column %q: empty or repeated value %q", old.name, v.Name)
			}
			x, err := restore(v.Counts)
			if err != nil {
				return err
			}
			c.values[v.Name] = &x
		}
		cols[i] = c
	}
	s.rows, s.labelled, s.labels = snap.Rows, snap.Labelled, snap.Labels
	s.fams, s.cols = fams, cols
	return nil
}
