package shapley

import (
	"context"
	"fmt"
	"math/bits"

	"github.com/lucid-nlp/lucid/attribution/game"
	"github.com/lucid-nlp/lucid/perturb"
)

// MaxExactFeatures is the largest feature count ExactShapley accepts: its
// coalitions are enumerated as masks of one machine word, and 2^30 values
// already take 8 GiB.
const MaxExactFeatures = 30

// MaxEnumeration is the most coalitions exact Shapley will ever value.
const MaxEnumeration = 1 << 20

// ExactShapley computes Shapley values by enumerating all 2^n coalitions, in
// one Values call:
//
//	φ_i = Σ_{S ⊆ N∖{i}} |S|!(n−|S|−1)!/n! · (v(S ∪ {i}) − v(S)).
//
// budget is the most coalitions the caller allows: it fails, naming n, 2^n
// and budget, when 2^n > budget or n > MaxExactFeatures. The result is exact
// up to rounding; Diagnostics["efficiency_gap"] = |Σφ − (v(N) − v(∅))| shows
// it (about 1e-15 on scores of order one). With n = 0 the only coalition is
// ∅ = N: it is valued once, and Values is empty.
func ExactShapley(ctx context.Context, g game.Game, budget int) (*game.Attribution, error) {
	n, err := game.FeatureCount(g)
	if err != nil {
		return nil, fmt.Errorf("attribution: ExactShapley: %w", err)
	}
	if n > MaxExactFeatures {
		return nil, fmt.Errorf("attribution: ExactShapley: n = %d features is more than the %d that exact enumeration supports; use KernelSHAP", n, MaxExactFeatures)
	}
	total := 1 << n
	if total > budget {
		return nil, fmt.Errorf("attribution: ExactShapley: n = %d features needs 2^%d = %d coalitions, more than the budget of %d", n, n, total, budget)
	}
	coalitions := make([]perturb.Coalition, total)
	for mask := range total {
		if mask%game.CancelCheckEvery == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		coalitions[mask] = perturb.CoalitionFromMask(n, uint64(mask))
	}
	v, err := game.ValueCoalitions(ctx, g, coalitions)
	if err != nil {
		return nil, fmt.Errorf("attribution: ExactShapley: %w", err)
	}
	phi := shapleyFromTable(n, v)
	base, full := v[0], v[total-1]
	return &game.Attribution{
		Values:      phi,
		Base:        base,
		Full:        full,
		Evaluations: total,
		Diagnostics: map[string]float64{game.DiagEfficiencyGap: game.EfficiencyGap(phi, base, full)},
	}, nil
}

// shapleyFromTable computes the Shapley values of the game whose value on
// the coalition with bitmask m is v[m], len(v) = 2^n.
func shapleyFromTable(n int, v []float64) []float64 {
	phi := make([]float64, n)
	if n == 0 {
		return phi
	}
	w := shapleyWeights(n)
	// Accumulate per feature and size first, then weight: sums of marginal
	// contributions of one size share a weight, so this is both cheaper and
	// more accurate than weighting every term.
	sums := make([]float64, n*n) // sums[i*n+s]
	for mask := range len(v) {
		s := bits.OnesCount64(uint64(mask))
		for i := range n {
			bit := 1 << i
			if mask&bit == 0 {
				sums[i*n+s] += v[mask|bit] - v[mask]
			}
		}
	}
	for i := range n {
		for s := range n {
			phi[i] += w[s] * sums[i*n+s]
		}
	}
	return phi
}
