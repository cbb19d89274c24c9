// Package mergetest is the shared step of the mergeability property tests
// of Lucid's audit accumulators: parts of one stream are merged in a random
// tree, each part going through its binary encoding on the way, as parts
// built on different workers would.
package mergetest

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// Mergeable is an accumulator that merges with its own kind and encodes.
type Mergeable[T any] interface {
	Merge(T) error
	MarshalBinary() ([]byte, error)
	UnmarshalBinary([]byte) error
}

// Merge merges parts into one and returns it: while more than one is left,
// a random part j is encoded, decoded into fresh() and merged into another
// random part i. parts itself is not modified (its elements are).
func Merge[T Mergeable[T]](t testing.TB, rng *rand.Rand, parts []T, fresh func() T) T {
	t.Helper()
	require.NotEmpty(t, parts)
	parts = slices.Clone(parts)
	for len(parts) > 1 {
		i, j := rng.IntN(len(parts)), rng.IntN(len(parts)-1)
		if j >= i {
			j++
		}
		data, err := parts[j].MarshalBinary()
		require.NoError(t, err)
		f := fresh()
		require.NoError(t, f.UnmarshalBinary(data))
		require.NoError(t, parts[i].Merge(f))
		parts = slices.Delete(parts, j, j+1)
	}
	return parts[0]
}
