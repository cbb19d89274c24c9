// Package occlusion is the simplest attribution: remove one feature at a
// time and take the drop in the score. It costs n+2 evaluations and is not
// efficient; its efficiency gap says by how much (see Occlusion).
package occlusion

import (
	"context"
	"fmt"

	"github.com/lucid-nlp/lucid/attribution/game"
	"github.com/lucid-nlp/lucid/perturb"
)

// Occlusion attributes to each feature the drop in score when it alone is
// removed: φ_i = v(N) − v(N ∖ {i}). It values N, every N ∖ {i} and ∅ — ∅
// only so that Base is v(∅) as in the other methods, and so that
// Diagnostics["efficiency_gap"] = |Σφ − (v(N) − v(∅))| can show how far
// occlusion is from sharing out the whole score (it is not efficient: with
// interactions, or a saturating score, Σφ can be far from v(N) − v(∅)).
// That is n+2 distinct coalitions (n+1 when n ≤ 1, where ∅ is among them).
func Occlusion(ctx context.Context, g game.Game) (*game.Attribution, error) {
	n, err := game.FeatureCount(g)
	if err != nil {
		return nil, fmt.Errorf("attribution: Occlusion: %w", err)
	}
	coalitions := make([]perturb.Coalition, 0, n+2)
	full := perturb.FullCoalition(n)
	coalitions = append(coalitions, full, perturb.NewCoalition(n))
	for i := range n {
		c := full.Clone()
		c.Clear(i)
		coalitions = append(coalitions, c)
	}
	vals, distinct, err := game.ValueDistinct(ctx, g, coalitions)
	if err != nil {
		return nil, fmt.Errorf("attribution: Occlusion: %w", err)
	}
	vN, v0 := vals[0], vals[1]
	phi := make([]float64, n)
	for i := range n {
		phi[i] = vN - vals[2+i]
	}
	return &game.Attribution{
		Values:      phi,
		Base:        v0,
		Full:        vN,
		Evaluations: distinct,
		Diagnostics: map[string]float64{game.DiagEfficiencyGap: game.EfficiencyGap(phi, v0, vN)},
	}, nil
}
