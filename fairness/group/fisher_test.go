package group

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/lucid-nlp/lucid/fairness/stats"
)

func TestFisherMatchesStats(t *testing.T) {
	// Hand cases (R's fisher.test), edges, then random tables of every
	// size up to tens of thousands a cell. Tolerance: 1e-9 absolute and
	// relative, far below any significance level.
	cases := [][4]int{{5, 5, 2, 8}, {3, 1, 1, 3}, {0, 10, 10, 0}, {0, 0, 3, 4}, {1, 0, 0, 1}, {7, 7, 7, 7}}
	rng := rand.New(rand.NewPCG(8, 9))
	for range 400 {
		scale := []int{5, 50, 500, 30000}[rng.IntN(4)]
		cases = append(cases, [4]int{rng.IntN(scale), rng.IntN(scale), rng.IntN(scale), rng.IntN(scale)})
	}
	for range 100 { // near-null tables, where the p-value is large
		n := 100 + rng.IntN(20000)
		k := n/3 + rng.IntN(n/50+1)
		cases = append(cases, [4]int{k, n - k, n / 3, n - n/3})
	}
	for _, c := range cases {
		want := stats.FisherExact(c[0], c[1], c[2], c[3])
		got := fisherExact(c[0], c[1], c[2], c[3])
		assert.InDelta(t, want, got, 1e-9+1e-9*want, "%v", c)
	}
	assert.InDelta(t, 0.3498452012383901, fisherExact(5, 5, 2, 8), 1e-12)
}
