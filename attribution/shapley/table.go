package shapley

import (
	"context"
	"fmt"

	"github.com/lucid-nlp/lucid/perturb"
)

// Table is a game valued on every coalition: Values[m] is v of the
// coalition whose bitmask is m (feature i present when bit i is set), so
// len(Values) = 2^n. It is what estimators are benchmarked on: one model
// pass over all 2^n coalitions, then any number of estimators, budgets and
// seeds against exact Shapley values, without the model.
type Table struct {
	N      int
	Values []float64
}

// NewTable checks that values holds 2^n values and wraps them.
func NewTable(n int, values []float64) (*Table, error) {
	if n < 1 || n > MaxTableFeatures {
		return nil, fmt.Errorf("attribution: a table needs 1 to %d features, have %d", MaxTableFeatures, n)
	}
	if len(values) != 1<<n {
		return nil, fmt.Errorf("attribution: a table over %d features needs 2^%d = %d values, have %d", n, n, 1<<n, len(values))
	}
	return &Table{N: n, Values: values}, nil
}

// MaxTableFeatures is the most features a Table holds: 2^20 values (8 MiB),
// the same bound as exact enumeration (MaxEnumeration).
const MaxTableFeatures = 20

// Shapley returns the table's exact Shapley values.
func (t *Table) Shapley() []float64 { return shapleyFromTable(t.N, t.Values) }

// NumFeatures is n.
func (t *Table) NumFeatures() int { return t.N }

// ValuesOf looks coalitions up; it never fails on coalitions of n features.
func (t *Table) ValuesOf(cs []perturb.Coalition) ([]float64, error) {
	out := make([]float64, len(cs))
	for k, c := range cs {
		if c.N() != t.N {
			return nil, fmt.Errorf("attribution: coalition over %d features for a table over %d", c.N(), t.N)
		}
		out[k] = t.Values[coalitionMask(c)]
	}
	return out, nil
}

// Game returns a Game that reads the table and counts the distinct
// coalitions it was asked for (Counted), so a benchmark can check that an
// estimator kept to its budget.
func (t *Table) Game() *TableGame { return &TableGame{t: t, seen: map[uint64]bool{}} }

// TableGame is a Game backed by a Table that counts distinct coalitions.
type TableGame struct {
	t    *Table
	seen map[uint64]bool
}

// NumFeatures is the table's n.
func (g *TableGame) NumFeatures() int { return g.t.N }

// Values reads the table.
func (g *TableGame) Values(ctx context.Context, cs []perturb.Coalition) ([]float64, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for _, c := range cs {
		if c.N() == g.t.N {
			g.seen[coalitionMask(c)] = true
		}
	}
	return g.t.ValuesOf(cs)
}

// Counted is the number of distinct coalitions valued so far.
func (g *TableGame) Counted() int { return len(g.seen) }

// coalitionMask is c's bitmask; c has at most 64 features.
func coalitionMask(c perturb.Coalition) uint64 {
	var m uint64
	for i := range c.N() {
		if c.Has(i) {
			m |= 1 << i
		}
	}
	return m
}
