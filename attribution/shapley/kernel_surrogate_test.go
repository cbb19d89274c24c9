package shapley

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestLogisticSurrogateExactShapley(t *testing.T) {
	// The split-table enumeration agrees with the plain enumeration of
	// q's 2^n values to rounding, for odd and even n (uneven halves).
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{1, 2, 5, 10, 13, 16} {
		q := logisticSurrogate{a: rng.NormFloat64(), b: make([]float64, n)}
		for i := range q.b {
			q.b[i] = 2 * rng.NormFloat64()
		}
		table := make([]float64, 1<<n)
		for m := range table {
			eta := q.a
			for i := range n {
				if m&(1<<i) != 0 {
					eta += q.b[i]
				}
			}
			table[m] = logistic(eta)
		}
		want := shapleyFromTable(n, table)
		got := q.exactShapley()
		assert.InDeltaSlice(t, want, got, 1e-12, "n = %d", n)
		sum := 0.0
		for _, v := range got {
			sum += v
		}
		assert.InDelta(t, table[len(table)-1]-table[0], sum, 1e-12, "efficiency, n = %d", n)
	}
}
