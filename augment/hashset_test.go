package augment

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestHashSet(t *testing.T) {
	var s hashSet
	rng := rand.New(rand.NewPCG(1, 2))
	want := map[uint64]bool{}
	for range 50_000 {
		h := 2 + rng.Uint64()%40_000 // many repeats (0 and 1 are tested below)
		assert.Equal(t, !want[h], s.add(h), "hash %d", h)
		want[h] = true
	}
	assert.Equal(t, len(want), s.len())
	assert.LessOrEqual(t, 4*s.len(), 3*len(s.slots), "at most 3/4 full")
	// Zero and one are the same slot: the documented merge.
	var z hashSet
	assert.True(t, z.add(0))
	assert.False(t, z.add(1))
}
