package paired

import (
	"container/heap"
	"fmt"
	"slices"

	"github.com/lucid-nlp/lucid/internal/gobsnap"

	"github.com/lucid-nlp/lucid/fairness/stats"
)

// fingerprint identifies the options that must agree for two accumulators
// to merge: every field, defaults filled in.
func (a *Accumulator) fingerprint() string { return fmt.Sprintf("%#v", a.opts) }

// Merge adds b's rows into a; b is left unchanged (a and b may be the
// same accumulator, which doubles every row). The frame sample stays the
// bottom-MaxFrames by key over both, so the result is the single pass's.
// It fails, changing nothing, when b was made with different options.
func (a *Accumulator) Merge(b *Accumulator) error {
	if fa, fb := a.fingerprint(), b.fingerprint(); fa != fb {
		return fmt.Errorf("paired: merging accumulators made with different options: %s vs %s", fb, fa)
	}
	if a == b {
		data, err := b.MarshalBinary()
		if err != nil {
			return err
		}
		b = &Accumulator{opts: a.opts}
		if err := b.UnmarshalBinary(data); err != nil {
			return err
		}
	}
	a.rows += b.rows
	a.dropped += b.dropped
	a.noFrame += b.noFrame
	a.skipped += b.skipped
	if b.cut != nil && (a.cut == nil || b.cut.less(*a.cut)) {
		// A frame b evicted has MaxFrames frames below it in b's rows
		// alone: it and every frame above it are out of the sample.
		cut := *b.cut
		a.cut = &cut
		for len(a.sample) > 0 && !a.sample[0].less(cut) {
			a.evict(heap.Pop(&a.sample).(frameKey))
		}
	}
	names := make([]string, 0, len(b.frames))
	for name := range b.frames {
		names = append(names, name)
	}
	slices.Sort(names) // any eviction below then does not depend on map order
	for _, name := range names {
		bf := b.frames[name]
		f := a.frame(name)
		if f == nil {
			a.dropped += bf.rows
			continue
		}
		f.rows += bf.rows
		for g, bc := range bf.cells {
			c, ok := f.cells[g]
			if !ok {
				c = new(cell)
				f.cells[g] = c
			}
			c.n += bc.n
			c.positive += bc.positive
			c.sum.Merge(&bc.sum)
		}
	}
	return nil
}

// The gob form of an Accumulator's state.
type (
	accumulatorSnapshot struct {
		Fingerprint                     string
		Rows, Dropped, NoFrame, Skipped int
		HasCut                          bool
		Cut                             string // the cut frame's name; its hash is recomputed
		Frames                          []frameSnapshot
	}
	frameSnapshot struct {
		Name     string
		Groups   []string
		N        []int
		Positive []int
		Sum      []stats.ExactSum
	}
)

// MarshalBinary encodes the accumulated frames and counts (and the
// options' fingerprint), for UnmarshalBinary on an accumulator made with
// the same options.
func (a *Accumulator) MarshalBinary() ([]byte, error) {
	snap := accumulatorSnapshot{Fingerprint: a.fingerprint(), Rows: a.rows, Dropped: a.dropped,
		NoFrame: a.noFrame, Skipped: a.skipped}
	if a.cut != nil {
		snap.HasCut, snap.Cut = true, a.cut.name
	}
	names := make([]string, 0, len(a.frames))
	for name := range a.frames {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		f := a.frames[name]
		fs := frameSnapshot{Name: name}
		for g := range f.cells {
			fs.Groups = append(fs.Groups, g)
		}
		slices.Sort(fs.Groups)
		for _, g := range fs.Groups {
			c := f.cells[g]
			fs.N = append(fs.N, c.n)
			fs.Positive = append(fs.Positive, c.positive)
			fs.Sum = append(fs.Sum, c.sum)
		}
		snap.Frames = append(snap.Frames, fs)
	}
	return gobsnap.Encode("paired", "an accumulator", snap)
}

// UnmarshalBinary replaces a's state with what MarshalBinary encoded. a
// must have been made by NewAccumulator with the same options; data
// encoded under other options, or that is not such an encoding, is
// rejected with an error and a is left unchanged.
func (a *Accumulator) UnmarshalBinary(data []byte) error {
	var snap accumulatorSnapshot
	if err := gobsnap.Decode("paired", "an accumulator", data, &snap); err != nil {
		return err
	}
	if fp := a.fingerprint(); snap.Fingerprint != fp {
		return fmt.Errorf("paired: decoding an accumulator encoded with options %s into one with %s", snap.Fingerprint, fp)
	}
	if snap.Rows < 0 || snap.Dropped < 0 || snap.NoFrame < 0 || snap.Skipped < 0 {
		return fmt.Errorf("paired: decoding an accumulator: negative row counts (%d rows, %d dropped, %d without a frame, %d skipped)",
			snap.Rows, snap.Dropped, snap.NoFrame, snap.Skipped)
	}
	if len(snap.Frames) > a.opts.MaxFrames {
		return fmt.Errorf("paired: decoding an accumulator: %d frames, more than the maximum of %d", len(snap.Frames), a.opts.MaxFrames)
	}
	d := &Accumulator{opts: a.opts, frames: make(map[string]*frame, len(snap.Frames)), rows: snap.Rows,
		dropped: snap.Dropped, noFrame: snap.NoFrame, skipped: snap.Skipped}
	if snap.HasCut {
		k := keyOf(snap.Cut)
		d.cut = &k
	}
	counted := snap.Dropped + snap.NoFrame + snap.Skipped
	for _, fs := range snap.Frames {
		k := keyOf(fs.Name)
		_, dup := d.frames[fs.Name]
		switch {
		case fs.Name == "" || dup:
			return fmt.Errorf("paired: decoding an accumulator: frame name %q empty or repeated", fs.Name)
		case d.cut != nil && !k.less(*d.cut):
			return fmt.Errorf("paired: decoding an accumulator: frame %q is at or above the sample's cut", fs.Name)
		case len(fs.N) != len(fs.Groups) || len(fs.Positive) != len(fs.Groups) || len(fs.Sum) != len(fs.Groups):
			return fmt.Errorf("paired: decoding an accumulator: frame %q has %d groups but %d counts, %d positive counts and %d sums",
				fs.Name, len(fs.Groups), len(fs.N), len(fs.Positive), len(fs.Sum))
		}
		f := &frame{key: k, cells: make(map[string]*cell, len(fs.Groups))}
		for i, g := range fs.Groups {
			if _, dup := f.cells[g]; dup || fs.N[i] < 1 || fs.Positive[i] < 0 || fs.Positive[i] > fs.N[i] {
				return fmt.Errorf("paired: decoding an accumulator: frame %q group %q repeated or with impossible counts (%d rows, %d positive)",
					fs.Name, g, fs.N[i], fs.Positive[i])
			}
			f.cells[g] = &cell{n: fs.N[i], positive: fs.Positive[i], sum: fs.Sum[i]}
			f.rows += fs.N[i]
		}
		counted += f.rows
		d.frames[fs.Name] = f
		d.sample = append(d.sample, k)
	}
	if counted != snap.Rows {
		return fmt.Errorf("paired: decoding an accumulator: %d rows, but the frames and counts account for %d", snap.Rows, counted)
	}
	heap.Init(&d.sample)
	*a = *d
	return nil
}
