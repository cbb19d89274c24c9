package consistency

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestSpearmanRank(t *testing.T) {
	// Ties: a = [1, 2, 2, 3] ranks [1, 2.5, 2.5, 4]; b = [1, 3, 2, 4] ranks
	// [1, 3, 2, 4]. Deviations from the mean rank 2.5: a [-1.5, 0, 0, 1.5],
	// b [-1.5, 0.5, -0.5, 1.5]. Σab = 4.5, Σa² = 4.5, Σb² = 5:
	// ρ = 4.5 / √22.5 = √0.9 = 0.948683.
	//
	// No ties: rank differences of [1..5] and [2, 1, 4, 3, 5] are
	// [-1, 1, -1, 1, 0], Σd² = 4: ρ = 1 − 6·4 / (5·24) = 0.8.
	const tol = 1e-12
	cases := []struct {
		name string
		a, b []float64
		want float64
	}{
		{"ties averaged", []float64{1, 2, 2, 3}, []float64{1, 3, 2, 4}, math.Sqrt(0.9)},
		{"no ties", []float64{1, 2, 3, 4, 5}, []float64{2, 1, 4, 3, 5}, 0.8},
		{"monotone, not linear", []float64{0.1, 0.2, 0.3}, []float64{1, 10, 1000}, 1},
		{"reversed", []float64{3, -1, 2}, []float64{-3, 1, -2}, -1},
		{"ties on both sides", []float64{5, 5, 1, 1}, []float64{2, 2, 0, 0}, 1},
	}
	for _, c := range cases {
		assert.InDelta(t, c.want, SpearmanRank(c.a, c.b), tol, c.name)
		assert.InDelta(t, c.want, SpearmanRank(c.b, c.a), tol, c.name+" (symmetric)")
	}
	for name, ab := range map[string][2][]float64{
		"length":   {{1, 2}, {1, 2, 3}},
		"too few":  {{1}, {1}},
		"constant": {{1, 1, 1}, {1, 2, 3}},
		"NaN":      {{1, math.NaN(), 3}, {1, 2, 3}},
	} {
		assert.True(t, math.IsNaN(SpearmanRank(ab[0], ab[1])), name)
	}
}

func TestTopKOverlap(t *testing.T) {
	a := []float64{0.9, -0.8, 0.1, 0.05}
	b := []float64{0.1, -0.7, 0.95, 0}
	cases := []struct {
		name string
		a, b []float64
		k    int
		want float64
	}{
		// Top 2 by |value|: a {0, 1}, b {2, 1}.
		{"half shared", a, b, 2, 0.5},
		{"top 1 differs", a, b, 1, 0},
		{"top 3", a, b, 3, 1}, // a {0, 1, 2}, b {2, 1, 0}
		{"k cut to length", a, b, 10, 1},
		{"sign ignored", []float64{-3, 1, 2}, []float64{3, -1, 2}, 2, 1},
		// Equal |value|s go by index: a's top 1 is index 0, b's index 1.
		{"ties by index", []float64{1, 1, 0}, []float64{0, 1, 1}, 1, 0},
	}
	for _, c := range cases {
		assert.InDelta(t, c.want, TopKOverlap(c.a, c.b, c.k), 1e-15, c.name)
	}
	assert.True(t, math.IsNaN(TopKOverlap(a, b, 0)))
	assert.True(t, math.IsNaN(TopKOverlap(a, b[:3], 2)))
	assert.True(t, math.IsNaN(TopKOverlap(nil, nil, 1)))
}
