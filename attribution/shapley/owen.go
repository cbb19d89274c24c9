package shapley

import (
	"context"
	"fmt"

	"github.com/lucid-nlp/lucid/attribution/game"
	"github.com/lucid-nlp/lucid/perturb"
)

// MaxOwenOrders bounds the orders ExactOwen enumerates.
const MaxOwenOrders = 1 << 20

// ExactOwen computes the Owen values of g for the hierarchy h by their
// definition: the mean marginal contribution of each feature over every
// order of the features consistent with h, that is, every order in which
// each group's features come one after another (the children of every
// node in any order, the features inside each child in any order
// consistent with it, recursively). With one group of all features these
// are the Shapley values; with every feature its own child of the root,
// too. It values all 2^n coalitions in one Values call and fails, naming
// the counts, when 2^n exceeds budget, n exceeds MaxExactFeatures or the
// consistent orders exceed MaxOwenOrders. It is the oracle Partition is
// tested against, affordable to about 10 features.
func ExactOwen(ctx context.Context, g game.Game, h Group, budget int) (*game.Attribution, error) {
	n, err := game.FeatureCount(g)
	if err != nil {
		return nil, fmt.Errorf("attribution: ExactOwen: %w", err)
	}
	if err := checkHierarchy(h, n); err != nil {
		return nil, fmt.Errorf("attribution: ExactOwen: %w", err)
	}
	if n > MaxExactFeatures || 1<<n > budget {
		return nil, fmt.Errorf("attribution: ExactOwen: n = %d features needs 2^%d coalitions, more than the budget of %d (or than 2^%d)", n, n, budget, MaxExactFeatures)
	}
	count := 1
	if n > 0 {
		count = countOrders(h)
	}
	if count > MaxOwenOrders {
		return nil, fmt.Errorf("attribution: ExactOwen: the hierarchy has more than %d consistent orders", MaxOwenOrders)
	}
	total := 1 << n
	coalitions := make([]perturb.Coalition, total)
	for mask := range total {
		coalitions[mask] = perturb.CoalitionFromMask(n, uint64(mask))
	}
	v, err := game.ValueCoalitions(ctx, g, coalitions)
	if err != nil {
		return nil, fmt.Errorf("attribution: ExactOwen: %w", err)
	}
	phi := make([]float64, n)
	if n > 0 {
		orders := consistentOrders(h)
		for k, order := range orders {
			if k%game.CancelCheckEvery == 0 {
				if err := ctx.Err(); err != nil {
					return nil, err
				}
			}
			mask := 0
			for _, f := range order {
				phi[f] += v[mask|1<<f] - v[mask]
				mask |= 1 << f
			}
		}
		for i := range phi {
			phi[i] /= float64(len(orders))
		}
	}
	base, full := v[0], v[total-1]
	return &game.Attribution{Values: phi, Base: base, Full: full, Evaluations: total,
		Diagnostics: map[string]float64{game.DiagEfficiencyGap: game.EfficiencyGap(phi, base, full)}}, nil
}

// countOrders is the number of orders consistent with h, saturating above
// MaxOwenOrders.
func countOrders(h Group) int {
	if h.IsLeaf() {
		return 1
	}
	c := 1
	for k := range h.Children {
		c = min(c*(k+1), MaxOwenOrders+1)
		c = min(c*countOrders(h.Children[k]), MaxOwenOrders+1)
	}
	return c
}

// consistentOrders lists every order of h's features consistent with h.
func consistentOrders(h Group) [][]int {
	if h.IsLeaf() {
		return [][]int{{h.Feature}}
	}
	kidOrders := make([][][]int, len(h.Children))
	for i, c := range h.Children {
		kidOrders[i] = consistentOrders(c)
	}
	var out [][]int
	for _, perm := range permutations(len(h.Children)) {
		// The cartesian product of the children's orders, in perm's order.
		partial := [][]int{nil}
		for _, k := range perm {
			var next [][]int
			for _, p := range partial {
				for _, o := range kidOrders[k] {
					next = append(next, append(append([]int(nil), p...), o...))
				}
			}
			partial = next
		}
		out = append(out, partial...)
	}
	return out
}

// permutations lists every permutation of 0..k−1.
func permutations(k int) [][]int {
	if k == 0 {
		return [][]int{nil}
	}
	var out [][]int
	for _, p := range permutations(k - 1) {
		for pos := 0; pos <= len(p); pos++ {
			q := make([]int, 0, k)
			q = append(q, p[:pos]...)
			q = append(q, k-1)
			q = append(q, p[pos:]...)
			out = append(out, q)
		}
	}
	return out
}
