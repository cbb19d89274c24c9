package thresholds

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	"github.com/lucid-nlp/lucid/internal/gobsnap"

	"github.com/lucid-nlp/lucid/fairness/group"
)

// Merging and encoding. Scores and Comparison are counts (score
// histograms, confusion tables, group accumulators), so they merge
// exactly, with one exception each that is inherently order-dependent:
// Scores fits the first MaxGroups groups it sees, and both name only the
// first 20 groups beyond that (or without a rule). Which groups those are
// depends on arrival order, so Merge refuses, with an error saying so,
// whenever the merged state would depend on it: some part already went
// beyond the cap, or the parts together have more groups than it.

// errOrderDependent says why a merge was refused.
func errOrderDependent(what string, limit int) error {
	return fmt.Errorf("thresholds: cannot merge: %s beyond the first %d, and which groups those are depends on the order rows arrived in; fit on one stream, or on fewer groups", what, limit)
}

// Merge adds o's rows into s; o is left unchanged (s and o may be the
// same, which doubles every row). It fails, changing nothing, when the
// merge would depend on row order: when either has rows of groups beyond
// MaxGroups, or the two together have more than MaxGroups groups.
func (s *Scores) Merge(o *Scores) error {
	if s.beyondRows > 0 || o.beyondRows > 0 {
		return errOrderDependent("groups", MaxGroups)
	}
	union := len(s.groups)
	for g := range o.groups {
		if _, ok := s.groups[g]; !ok {
			union++
		}
	}
	if union > MaxGroups {
		return errOrderDependent(fmt.Sprintf("%d groups together, more than can be fitted; the rows of groups", union), MaxGroups)
	}
	s.missing += o.missing
	s.unlabelled += o.unlabelled
	for _, g := range slices.Sorted(maps.Keys(o.groups)) {
		add := *o.groups[g] // a copy: o may be s
		h, ok := s.groups[g]
		if !ok {
			h = new(histogram)
			s.groups[g] = h
		}
		h.add(&add)
	}
	return nil
}

func (h *histogram) add(o *histogram) {
	for i := range h.pos {
		h.pos[i] += o.pos[i]
		h.neg[i] += o.neg[i]
	}
	h.tp += o.tp
	h.fp += o.fp
	h.fn += o.fn
	h.tn += o.tn
}

// scoresSnapshot is the gob form of Scores; histograms are stored sparse
// (bin, count) since most of a group's 4,000 bins are empty.
type scoresSnapshot struct {
	Missing, Unlabelled, BeyondRows int
	BeyondNames                     []string
	BeyondCounts                    []int
	Groups                          []histogramSnapshot
}

type histogramSnapshot struct {
	Name           string
	PosBins        []int32
	PosCounts      []int64
	NegBins        []int32
	NegCounts      []int64
	TP, FP, FN, TN int
}

// MarshalBinary encodes the accumulated histograms and counts.
func (s *Scores) MarshalBinary() ([]byte, error) {
	snap := scoresSnapshot{Missing: s.missing, Unlabelled: s.unlabelled, BeyondRows: s.beyondRows}
	for _, g := range slices.Sorted(maps.Keys(s.beyond)) {
		snap.BeyondNames = append(snap.BeyondNames, g)
		snap.BeyondCounts = append(snap.BeyondCounts, s.beyond[g])
	}
	for _, g := range slices.Sorted(maps.Keys(s.groups)) {
		h := s.groups[g]
		hs := histogramSnapshot{Name: g, TP: h.tp, FP: h.fp, FN: h.fn, TN: h.tn}
		for b := range NumBins {
			if h.pos[b] != 0 {
				hs.PosBins, hs.PosCounts = append(hs.PosBins, int32(b)), append(hs.PosCounts, h.pos[b])
			}
			if h.neg[b] != 0 {
				hs.NegBins, hs.NegCounts = append(hs.NegBins, int32(b)), append(hs.NegCounts, h.neg[b])
			}
		}
		snap.Groups = append(snap.Groups, hs)
	}
	return gobsnap.Encode("thresholds", "scores", snap)
}

// UnmarshalBinary replaces s's state with what MarshalBinary encoded,
// rejecting data that is not a consistent encoding (s is then unchanged).
func (s *Scores) UnmarshalBinary(data []byte) error {
	var snap scoresSnapshot
	if err := gobsnap.Decode("thresholds", "scores", data, &snap); err != nil {
		return err
	}
	fail := func(format string, args ...any) error {
		return fmt.Errorf("thresholds: decoding scores: "+format, args...)
	}
	if snap.Missing < 0 || snap.Unlabelled < 0 || snap.BeyondRows < 0 {
		return fail("negative counts (%d missing, %d unlabelled, %d beyond)", snap.Missing, snap.Unlabelled, snap.BeyondRows)
	}
	if len(snap.Groups) > MaxGroups || len(snap.BeyondNames) > maxBeyondNames || len(snap.BeyondNames) != len(snap.BeyondCounts) {
		return fail("%d groups (at most %d), %d names beyond with %d counts (at most %d)",
			len(snap.Groups), MaxGroups, len(snap.BeyondNames), len(snap.BeyondCounts), maxBeyondNames)
	}
	d := &Scores{groups: make(map[string]*histogram, len(snap.Groups)), beyond: map[string]int{},
		missing: snap.Missing, unlabelled: snap.Unlabelled, beyondRows: snap.BeyondRows}
	named := 0
	for i, g := range snap.BeyondNames {
		if _, dup := d.beyond[g]; dup || snap.BeyondCounts[i] < 1 {
			return fail("group %q beyond the cap repeated or with %d rows", g, snap.BeyondCounts[i])
		}
		d.beyond[g] = snap.BeyondCounts[i]
		named += snap.BeyondCounts[i]
	}
	if named > snap.BeyondRows {
		return fail("%d rows named beyond the cap, more than the %d counted", named, snap.BeyondRows)
	}
	for _, hs := range snap.Groups {
		if _, dup := d.groups[hs.Name]; dup || hs.Name == "" {
			return fail("group %q repeated or empty", hs.Name)
		}
		h := &histogram{tp: hs.TP, fp: hs.FP, fn: hs.FN, tn: hs.TN}
		fill := func(bins []int32, counts []int64, into *[NumBins]int64) (int64, error) {
			if len(bins) != len(counts) {
				return 0, fail("group %q: %d bins but %d counts", hs.Name, len(bins), len(counts))
			}
			var total int64
			for i, b := range bins {
				if b < 0 || b >= NumBins || counts[i] < 1 {
					return 0, fail("group %q: bin %d with count %d", hs.Name, b, counts[i])
				}
				into[b] += counts[i]
				total += counts[i]
			}
			return total, nil
		}
		pos, err := fill(hs.PosBins, hs.PosCounts, &h.pos)
		if err != nil {
			return err
		}
		neg, err := fill(hs.NegBins, hs.NegCounts, &h.neg)
		if err != nil {
			return err
		}
		if h.tp < 0 || h.fp < 0 || h.fn < 0 || h.tn < 0 || pos != int64(h.tp+h.fn) || neg != int64(h.fp+h.tn) {
			return fail("group %q: histograms of %d positives and %d negatives for the table tp %d fp %d fn %d tn %d",
				hs.Name, pos, neg, h.tp, h.fp, h.fn, h.tn)
		}
		d.groups[hs.Name] = h
	}
	*s = *d
	return nil
}

// fingerprint identifies what must agree for two comparisons to merge:
// the thresholds file and the interval level (the group accumulators
// check their own options).
func (c *Comparison) fingerprint() (string, error) {
	f, err := json.Marshal(c.file)
	if err != nil {
		return "", fmt.Errorf("thresholds: fingerprinting a comparison's file: %w", err)
	}
	return fmt.Sprintf("%s|%v", f, c.confidence), nil
}

// Merge adds o's rows into c; o is left unchanged (c and o may be the
// same). It fails, changing nothing, when the two judge different files or
// were made with different group options, and when the merge would depend
// on row order: more than 20 distinct groups without a rule, whose names
// are kept only for the first 20 seen.
func (c *Comparison) Merge(o *Comparison) error {
	fc, err := c.fingerprint()
	if err != nil {
		return err
	}
	fo, err := o.fingerprint()
	if err != nil {
		return err
	}
	if fc != fo {
		return fmt.Errorf("thresholds: merging comparisons of different thresholds files or confidence levels")
	}
	named := func(x *Comparison) int {
		n := 0
		for _, k := range x.unfitted {
			n += k
		}
		return n
	}
	union := maps.Clone(c.unfitted)
	for g, k := range o.unfitted {
		union[g] += k
	}
	if named(c) != c.unfittedRows || named(o) != o.unfittedRows || len(union) > maxBeyondNames {
		return errOrderDependent("groups without a rule are named only", maxBeyondNames)
	}
	// Both group merges are checked before either is applied.
	before, after, err := c.cloneGroups()
	if err != nil {
		return err
	}
	if err := before.Merge(o.before); err != nil {
		return err
	}
	if err := after.Merge(o.after); err != nil {
		return err
	}
	c.before, c.after, c.unfitted = before, after, union
	c.rows += o.rows
	c.labelled += o.labelled
	c.fitted += o.fitted
	c.randomized += o.randomized
	c.change += o.change
	c.unfittedRows += o.unfittedRows
	c.rightRight += o.rightRight
	c.rightWrong += o.rightWrong
	c.wrongRight += o.wrongRight
	c.wrongWrong += o.wrongWrong
	c.posBefore += o.posBefore
	c.posAfter += o.posAfter
	return nil
}

// cloneGroups copies the two group accumulators (through their encoding),
// so that a merge failing half-way leaves c unchanged.
func (c *Comparison) cloneGroups() (before, after *group.Accumulator, err error) {
	clone := func(a *group.Accumulator) (*group.Accumulator, error) {
		data, err := a.MarshalBinary()
		if err != nil {
			return nil, err
		}
		out, err := group.NewAccumulator(c.groupOpts)
		if err != nil {
			return nil, err
		}
		return out, out.UnmarshalBinary(data)
	}
	if before, err = clone(c.before); err != nil {
		return nil, nil, err
	}
	if after, err = clone(c.after); err != nil {
		return nil, nil, err
	}
	return before, after, nil
}

// comparisonSnapshot is the gob form of a Comparison's state.
type comparisonSnapshot struct {
	Fingerprint                                    string
	Before, After                                  []byte
	Rows, Labelled, Fitted, Randomized, Change     int
	UnfittedNames                                  []string
	UnfittedCounts                                 []int
	UnfittedRows                                   int
	RightRight, RightWrong, WrongRight, WrongWrong int
	PosBefore, PosAfter                            int
}

// MarshalBinary encodes the comparison's counts and both group
// accumulators, with a fingerprint of the file and options.
func (c *Comparison) MarshalBinary() ([]byte, error) {
	fp, err := c.fingerprint()
	if err != nil {
		return nil, err
	}
	snap := comparisonSnapshot{Fingerprint: fp, Rows: c.rows, Labelled: c.labelled, Fitted: c.fitted,
		Randomized: c.randomized, Change: c.change, UnfittedRows: c.unfittedRows,
		RightRight: c.rightRight, RightWrong: c.rightWrong, WrongRight: c.wrongRight, WrongWrong: c.wrongWrong,
		PosBefore: c.posBefore, PosAfter: c.posAfter}
	if snap.Before, err = c.before.MarshalBinary(); err != nil {
		return nil, err
	}
	if snap.After, err = c.after.MarshalBinary(); err != nil {
		return nil, err
	}
	for _, g := range slices.Sorted(maps.Keys(c.unfitted)) {
		snap.UnfittedNames = append(snap.UnfittedNames, g)
		snap.UnfittedCounts = append(snap.UnfittedCounts, c.unfitted[g])
	}
	return gobsnap.Encode("thresholds", "a comparison", snap)
}

// UnmarshalBinary replaces c's state with what MarshalBinary encoded. c
// must have been made by NewComparison with the same file and options;
// data encoded otherwise, or that is not such an encoding, is rejected
// with an error and c is left unchanged.
func (c *Comparison) UnmarshalBinary(data []byte) error {
	var snap comparisonSnapshot
	if err := gobsnap.Decode("thresholds", "a comparison", data, &snap); err != nil {
		return err
	}
	fp, err := c.fingerprint()
	if err != nil {
		return err
	}
	if snap.Fingerprint != fp {
		return fmt.Errorf("thresholds: decoding a comparison encoded for another thresholds file or confidence level")
	}
	counts := []int{snap.Rows, snap.Labelled, snap.Fitted, snap.Randomized, snap.Change, snap.UnfittedRows,
		snap.RightRight, snap.RightWrong, snap.WrongRight, snap.WrongWrong, snap.PosBefore, snap.PosAfter}
	for _, n := range counts {
		if n < 0 {
			return fmt.Errorf("thresholds: decoding a comparison: a negative count %d", n)
		}
	}
	if snap.Fitted+snap.UnfittedRows != snap.Rows || snap.RightRight+snap.RightWrong+snap.WrongRight+snap.WrongWrong != snap.Labelled ||
		snap.Labelled > snap.Rows || len(snap.UnfittedNames) != len(snap.UnfittedCounts) || len(snap.UnfittedNames) > maxBeyondNames {
		return fmt.Errorf("thresholds: decoding a comparison: inconsistent counts (%d rows, %d fitted, %d unfitted, %d labelled)",
			snap.Rows, snap.Fitted, snap.UnfittedRows, snap.Labelled)
	}
	unfitted := make(map[string]int, len(snap.UnfittedNames))
	for i, g := range snap.UnfittedNames {
		if _, dup := unfitted[g]; dup || snap.UnfittedCounts[i] < 1 {
			return fmt.Errorf("thresholds: decoding a comparison: unfitted group %q repeated or with %d rows", g, snap.UnfittedCounts[i])
		}
		unfitted[g] = snap.UnfittedCounts[i]
	}
	before, err := group.NewAccumulator(c.groupOpts)
	if err != nil {
		return err
	}
	if err := before.UnmarshalBinary(snap.Before); err != nil {
		return err
	}
	after, err := group.NewAccumulator(c.groupOpts)
	if err != nil {
		return err
	}
	if err := after.UnmarshalBinary(snap.After); err != nil {
		return err
	}
	c.before, c.after, c.unfitted = before, after, unfitted
	c.rows, c.labelled, c.fitted, c.randomized, c.change = snap.Rows, snap.Labelled, snap.Fitted, snap.Randomized, snap.Change
	c.unfittedRows = snap.UnfittedRows
	c.rightRight, c.rightWrong, c.wrongRight, c.wrongWrong = snap.RightRight, snap.RightWrong, snap.WrongRight, snap.WrongWrong
	c.posBefore, c.posAfter = snap.PosBefore, snap.PosAfter
	return nil
}
