package consistency

import (
	"fmt"
	"reflect"
	"sort"

	"github.com/lucid-nlp/lucid/internal/gobsnap"
)

// Merge adds o's counts into s; o is left unchanged (s and o may be the
// same, which doubles every count). It fails when the two were made with
// different slice functions, as far as Go can tell: two closures of the
// same function literal look alike.
func (s *SliceAccuracy) Merge(o *SliceAccuracy) error {
	if p, q := reflect.ValueOf(s.slices).Pointer(), reflect.ValueOf(o.slices).Pointer(); p != q {
		return fmt.Errorf("consistency: merging slice accuracies made with different slice functions")
	}
	names := make([]string, 0, len(o.by))
	counts := make([]tally, 0, len(o.by))
	for name, t := range o.by {
		names = append(names, name)
		counts = append(counts, *t) // copied first: o may be s
	}
	all := o.all
	s.all.n += all.n
	s.all.correct += all.correct
	for i, name := range names {
		t := s.by[name]
		if t == nil {
			t = &tally{}
			s.by[name] = t
		}
		t.n += counts[i].n
		t.correct += counts[i].correct
	}
	return nil
}

// sliceSnapshot is the gob form of a SliceAccuracy's counts.
type sliceSnapshot struct {
	N, Correct   int
	Names        []string
	SliceN       []int
	SliceCorrect []int
}

// MarshalBinary encodes the counts (not the slice function).
func (s *SliceAccuracy) MarshalBinary() ([]byte, error) {
	snap := sliceSnapshot{N: s.all.n, Correct: s.all.correct}
	for name := range s.by {
		snap.Names = append(snap.Names, name)
	}
	sort.Strings(snap.Names)
	for _, name := range snap.Names {
		snap.SliceN = append(snap.SliceN, s.by[name].n)
		snap.SliceCorrect = append(snap.SliceCorrect, s.by[name].correct)
	}
	return gobsnap.Encode("consistency", "a slice accuracy", snap)
}

// UnmarshalBinary replaces s's counts with those MarshalBinary encoded,
// keeping s's slice function (which must be the encoder's). Data that is
// not such an encoding is rejected with an error and s is left unchanged.
func (s *SliceAccuracy) UnmarshalBinary(data []byte) error {
	var snap sliceSnapshot
	if err := gobsnap.Decode("consistency", "a slice accuracy", data, &snap); err != nil {
		return err
	}
	bad := func(what string, n, correct int) error {
		return fmt.Errorf("consistency: decoding a slice accuracy: %s has %d correct of %d texts", what, correct, n)
	}
	if snap.N < 0 || snap.Correct < 0 || snap.Correct > snap.N {
		return bad("the whole", snap.N, snap.Correct)
	}
	if len(snap.SliceN) != len(snap.Names) || len(snap.SliceCorrect) != len(snap.Names) {
		return fmt.Errorf("consistency: decoding a slice accuracy: %d slice names, %d counts, %d correct counts",
			len(snap.Names), len(snap.SliceN), len(snap.SliceCorrect))
	}
	by := make(map[string]*tally, len(snap.Names))
	for i, name := range snap.Names {
		n, c := snap.SliceN[i], snap.SliceCorrect[i]
		if _, dup := by[name]; dup || name == SliceAll {
			return fmt.Errorf("consistency: decoding a slice accuracy: slice %q repeated or reserved", name)
		}
		if n < 0 || c < 0 || c > n || n > snap.N || c > snap.Correct {
			return bad(fmt.Sprintf("slice %q", name), n, c)
		}
		by[name] = &tally{n: n, correct: c}
	}
	s.all, s.by = tally{n: snap.N, correct: snap.Correct}, by
	return nil
}
