package shapley

import (
	"context"
	"math"
	"math/bits"
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/lucid-nlp/lucid/attribution/gametest"

	"github.com/lucid-nlp/lucid/perturb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestOddFourierTableMatchesTransform checks the proxy's odd Fourier
// coefficients read off its leaves against the Walsh–Hadamard transform
// of its 2^n values: v̂(T) = 2^{−n} Σ_x v(x) χ_T(x).
func TestOddFourierTableMatchesTransform(t *testing.T) {
	const n = 8
	rng := rand.New(rand.NewPCG(3, 4))
	rows := 200
	z := make([]bool, rows*n)
	y := make([]float64, rows)
	for r := range rows {
		eta := -0.5
		for i := range n {
			z[r*n+i] = rng.IntN(2) == 1
			if z[r*n+i] {
				eta += float64(i%3) - 0.8
			}
		}
		y[r] = 1 / (1 + math.Exp(-eta))
	}
	m := fitBoostedTreesWith(z, n, y, treeConfig{trees: 30, depth: 5, rate: 0.3})
	table := m.oddFourierTable(n)
	require.True(t, table.dense, "8 features use the dense table")
	vals := make([]float64, 1<<n)
	x := make([]bool, n)
	for mask := range vals {
		for i := range n {
			x[i] = mask>>i&1 == 1
		}
		vals[mask] = m.at(x)
	}
	checked := 0
	for T := uint64(1); T < 1<<n; T++ {
		k := bits.OnesCount64(T)
		if k < 3 || k%2 == 0 {
			continue
		}
		want := 0.0
		for mask, v := range vals {
			if bits.OnesCount64(T&^uint64(mask))%2 == 1 { // absent members give −1
				want -= v
			} else {
				want += v
			}
		}
		want /= float64(len(vals))
		assert.InDelta(t, want, table.vals[T], 1e-12, "coefficient of %b", T)
		checked++
	}
	assert.Equal(t, 1<<(n-1)-n, checked)
}

// TestMaskTableDenseAndHashedAgree adds the same values to a dense and a
// hashed table and asks both for their top k, which must be the k keys
// of largest |sum| (ties by key) in the same order.
func TestMaskTableDenseAndHashedAgree(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	const n = 12
	dense := newMaskTable(5000, n)
	hashed := &maskTable{keys: make([]uint64, 1<<14), vals: make([]float64, 1<<14)}
	sums := map[uint64]float64{}
	for range 5000 {
		key := uint64(1 + rng.IntN(1<<n-1))
		v := float64(rng.IntN(7) - 3) // small integers: exact sums and ties
		dense.add(key, v)
		hashed.add(key, v)
		sums[key] += v
	}
	var want []uint64
	for key, s := range sums {
		if s != 0 {
			want = append(want, key)
		}
	}
	sort.Slice(want, func(a, b int) bool {
		sa, sb := math.Abs(sums[want[a]]), math.Abs(sums[want[b]])
		if sa != sb {
			return sa > sb
		}
		return want[a] < want[b]
	})
	for _, k := range []int{0, 1, 10, 100} {
		assert.Equal(t, want[:k], dense.top(k)[:k], "dense top %d", k)
		assert.Equal(t, want[:k], hashed.top(k)[:k], "hashed top %d", k)
	}
	big := newMaskTable(1<<20, 40)
	assert.False(t, big.dense)
	assert.Len(t, big.keys, 1<<21, "a hashed table is sized by its entries")
}

func TestProxyTreesShapleyExact(t *testing.T) {
	// The tree proxy's closed-form Shapley values match enumeration of the
	// proxy itself.
	const n = 8
	g, _ := gametest.Cubic(n, 5)
	z := make([]bool, (1<<n)*n)
	y := make([]float64, 1<<n)
	vals, _ := g.Values(context.Background(), allCoalitions(n))
	for m := range 1 << n {
		for i := range n {
			z[m*n+i] = m&(1<<i) != 0
		}
		y[m] = vals[m]
	}
	f := fitBoostedTrees(z[:200*n], n, y[:200])
	table := make([]float64, 1<<n)
	for m := range table {
		table[m] = f.at(z[m*n : (m+1)*n])
	}
	assert.InDeltaSlice(t, shapleyFromTable(n, table), f.shapley(n), 1e-9)
}

func allCoalitions(n int) []perturb.Coalition {
	cs := make([]perturb.Coalition, 1<<n)
	for m := range cs {
		cs[m] = perturb.CoalitionFromMask(n, uint64(m))
	}
	return cs
}
