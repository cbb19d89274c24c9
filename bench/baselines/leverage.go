package baselines

import (
	"context"
	"fmt"

	"github.com/lucid-nlp/lucid/attribution/game"
	"github.com/lucid-nlp/lucid/attribution/shapley"
)

// LeverageSHAP is the estimator of Musco and Witter, "Provably Accurate
// Shapley Value Estimation via Leverage Score Sampling" (ICLR 2025).
//
// The Shapley values solve the constrained regression
//
//	φ = argmin_{⟨1,φ⟩ = v(N)−v(∅)} ‖Z φ − y‖²,  rows √w(z)·z, y_z = √w(z)(v(z)−v(∅)),
//
// w(z) = (n−1)/(C(n,|z|)|z|(n−|z|)) the Shapley kernel (their eq. 2–3).
// The leverage scores of this problem's rows are equal within a size and
// sum to the same total for every size (their Lemma 3.3), so LeverageSHAP
// samples coalition sizes uniformly, coalitions uniformly within a size,
// in complementary pairs and without replacement (their Algorithm 1 with
// the paired, Bernoulli sampling of Section 4), and solves the sampled,
// reweighted problem ‖S Z φ − S y‖ (S = diag(1/√p_z)) under the same
// constraint, which it imposes exactly (their projection, eq. 5) rather
// than by a large weight on ∅ and N. Here the Bernoulli sample has a fixed
// size: pairs are water-filled over the sizes in proportion to their
// leverage (see shapley.SampleBaseline). It returns ExactShapley's values when
// 2^n fits the budget.
func LeverageSHAP(ctx context.Context, g game.Game, opts shapley.BaselineOptions) (*game.Attribution, error) {
	return pairedRegression(ctx, g, opts, "LeverageSHAP", shapley.LeverageMass, 0x6c65766572616765)
}

// pairedRegression is the constrained Shapley regression on a paired design
// spread by mass: LeverageSHAP with LeverageMass.
func pairedRegression(ctx context.Context, g game.Game, opts shapley.BaselineOptions, name string, mass shapley.SizeMass, stream uint64) (*game.Attribution, error) {
	s, exact, err := shapley.SampleBaseline(ctx, g, opts, name, mass, stream, 0)
	if exact != nil || err != nil {
		return exact, err
	}
	phi, err := s.ShapleyRegression()
	if err != nil {
		return nil, fmt.Errorf("attribution: %s: %w", name, err)
	}
	return result(s, phi, nil), nil
}
