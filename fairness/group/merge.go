package group

import (
	"fmt"
	"math/bits"
	"slices"

	"github.com/lucid-nlp/lucid/internal/gobsnap"
)

// Merging and encoding. An Accumulator is a table of counts per group, so
// accumulators fed any partition of a row stream merge into the one a
// single pass would have built, and Result (bootstrap seeded per group
// name, from counts alone) is byte-identical, as long as nothing was
// pooled: at most 10 × MaxGroups distinct values over the whole stream.
// Once some part pooled groups while streaming, Merge follows the
// streaming rule: the pooled tables add up, the Bloom filters of pooled
// names are OR-ed, and a group pooled in either part is pooled in the
// merge (its rows in the other part join the pooled table too), so every
// group reported by name still has its exact table; which groups are kept
// and the pooled count are then approximate, as for one stream.

// fingerprint identifies the options that must agree for two accumulators
// to merge: every field, with defaults filled (%#v prints floats so that
// they round-trip, and the declared groups in order).
func (a *Accumulator) fingerprint() string { return fmt.Sprintf("%#v", a.opts) }

// Merge adds b's rows into a; b is left unchanged (a and b may be the
// same accumulator, which doubles every count). It fails, changing
// nothing, when b was made with different options.
func (a *Accumulator) Merge(b *Accumulator) error {
	if fa, fb := a.fingerprint(), b.fingerprint(); fa != fb {
		return fmt.Errorf("group: merging accumulators made with different options: %s vs %s", fb, fa)
	}
	if b.missing != nil {
		missing := *b.missing // a copy: b may be a
		if a.missing == nil {
			a.missing = new(cells)
		}
		a.missing.add(&missing)
	}
	other := b.other
	a.other.add(&other)
	if b.pooled != nil {
		if a.pooled == nil {
			a.pooled = newBloom()
		}
		a.pooled.or(b.pooled)
		// A group b pooled is pooled here too, as one stream would have it.
		for _, g := range sortedNames(a.groups) {
			if !a.declared[g] && b.pooled.has(g) {
				a.other.add(a.groups[g])
				delete(a.groups, g)
			}
		}
	}
	// Names in order, so that any pooling this triggers does not depend
	// on map order; counts copied first, since b may be a.
	names := sortedNames(b.groups)
	counts := make([]cells, len(names))
	for i, g := range names {
		counts[i] = *b.groups[g]
	}
	for i, g := range names {
		a.table(g).add(&counts[i])
	}
	return nil
}

// sortedNames is the keys of m in increasing order.
func sortedNames(m map[string]*cells) []string {
	names := make([]string, 0, len(m))
	for g := range m {
		names = append(names, g)
	}
	slices.Sort(names)
	return names
}

// or adds every name in o to b.
func (b *bloom) or(o *bloom) {
	b.set = 0
	for i, w := range o.words {
		b.words[i] |= w
		b.set += bits.OnesCount64(b.words[i])
	}
}

// accumulatorSnapshot is the gob form of an Accumulator's state.
type accumulatorSnapshot struct {
	Fingerprint string
	Names       []string
	Cells       [][nCells]int
	HasMissing  bool
	Missing     [nCells]int
	Other       [nCells]int
	Pooled      []uint64 // the Bloom filter's words; nil when nothing was pooled
}

// MarshalBinary encodes the accumulated counts (and the options'
// fingerprint), for UnmarshalBinary on an accumulator made with the same
// options. The encoding is small unless groups were pooled, when the
// 512 KiB filter of pooled names goes with it.
func (a *Accumulator) MarshalBinary() ([]byte, error) {
	snap := accumulatorSnapshot{Fingerprint: a.fingerprint(), Names: sortedNames(a.groups), Other: a.other}
	snap.Cells = make([][nCells]int, len(snap.Names))
	for i, g := range snap.Names {
		snap.Cells[i] = *a.groups[g]
	}
	if a.missing != nil {
		snap.HasMissing, snap.Missing = true, *a.missing
	}
	if a.pooled != nil {
		snap.Pooled = a.pooled.words
	}
	return gobsnap.Encode("group", "an accumulator", snap)
}

// UnmarshalBinary replaces a's counts with those MarshalBinary encoded. a
// must have been made by NewAccumulator with the same options; data
// encoded under other options, or that is not such an encoding, is
// rejected with an error and a is left unchanged.
func (a *Accumulator) UnmarshalBinary(data []byte) error {
	var snap accumulatorSnapshot
	if err := gobsnap.Decode("group", "an accumulator", data, &snap); err != nil {
		return err
	}
	if fp := a.fingerprint(); snap.Fingerprint != fp {
		return fmt.Errorf("group: decoding an accumulator encoded with options %s into one with %s", snap.Fingerprint, fp)
	}
	if len(snap.Names) != len(snap.Cells) {
		return fmt.Errorf("group: decoding an accumulator: %d group names but %d tables", len(snap.Names), len(snap.Cells))
	}
	if snap.Pooled != nil && len(snap.Pooled) != bloomBits/64 {
		return fmt.Errorf("group: decoding an accumulator: a pooled-name filter of %d words, want %d", len(snap.Pooled), bloomBits/64)
	}
	check := func(what string, c *[nCells]int) error {
		for _, v := range c {
			if v < 0 {
				return fmt.Errorf("group: decoding an accumulator: %s has a negative count %d", what, v)
			}
		}
		return nil
	}
	groups := make(map[string]*cells, len(snap.Names))
	for i, g := range snap.Names {
		if _, dup := groups[g]; dup || isMissing(g) {
			return fmt.Errorf("group: decoding an accumulator: group name %q repeated or empty", g)
		}
		if err := check(fmt.Sprintf("group %q", g), &snap.Cells[i]); err != nil {
			return err
		}
		c := cells(snap.Cells[i])
		groups[g] = &c
	}
	for g := range a.declared {
		if _, ok := groups[g]; !ok {
			return fmt.Errorf("group: decoding an accumulator: declared group %q is absent", g)
		}
	}
	if err := check("the pooled table", &snap.Other); err != nil {
		return err
	}
	if err := check("the missing row", &snap.Missing); err != nil {
		return err
	}
	a.groups, a.other, a.missing, a.pooled = groups, snap.Other, nil, nil
	if snap.HasMissing {
		m := cells(snap.Missing)
		a.missing = &m
	}
	if snap.Pooled != nil {
		a.pooled = newBloom()
		a.pooled.or(&bloom{words: snap.Pooled})
	}
	return nil
}
