package baselines

import (
	"context"
	"fmt"

	"github.com/lucid-nlp/lucid/attribution/game"
	"github.com/lucid-nlp/lucid/attribution/shapley"
)

// OddInteractionFactor is OddSHAP's budget per regression term: the odd
// regression has Budget/OddInteractionFactor unknowns, the n singletons
// first (the paper's and shapiq's η = 10).
const OddInteractionFactor = 10

// OddSHAP is the estimator of Fumagalli, Butler, Kang, Ramchandran and
// Witter, "An Odd Estimator for Shapley Values" (ICML 2026, arXiv
// 2602.01399). With x_j = +1 for a present feature and −1 for an absent
// one, write v in the Fourier basis, v(x) = Σ_T v̂(T) χ_T(x),
// χ_T = Π_{j∈T} x_j. The Shapley value depends only on the odd part:
//
//	φ_i = Σ_{T ∋ i, |T| odd} 2 v̂(T)/|T|,
//
// (χ_T gives each member (1 − (−1)^|T|)/|T|), and a complementary pair
// gives that part directly, v_odd(S) = (v(S) − v(N∖S))/2 = Σ_{|T| odd}
// v̂(T) χ_T(S). OddSHAP samples pairs, regresses v_odd on the odd
// characters of a sparse support — every singleton plus the odd
// interactions of order ≥ 3 with the largest Fourier coefficients in a
// proxy fitted to the samples — by the Shapley kernel's weighted least
// squares (rows weighted by w(S)/π(S)) subject to Σ_T v̂(T) = (v(N) −
// v(∅))/2 (v_odd at N; efficiency), and reads φ off the coefficients.
//
// Choices where the paper leaves room: the proxy is shapley.TreeProxy (squared
// loss, XGBoost's defaults; the paper uses LightGBM of depth 10), whose
// Fourier coefficients are exact from its leaves; the support has
// Budget/OddInteractionFactor terms; pairs are spread over sizes by their
// leverage (shapley.LeverageMass), without replacement; below 10(n+1) coalitions,
// where the paper falls back to the proxy's TreeSHAP values, this keeps the
// singleton-only odd regression (which is LeverageSHAP's estimate), a
// stronger fallback. It returns ExactShapley's values when 2^n fits the
// budget.
func OddSHAP(ctx context.Context, g game.Game, opts shapley.BaselineOptions) (*game.Attribution, error) {
	const name = "OddSHAP"
	s, exact, err := shapley.SampleBaseline(ctx, g, opts, name, shapley.LeverageMass, 0x6f64647368617021, 64)
	if exact != nil || err != nil {
		return exact, err
	}
	n := s.N
	extra := opts.Budget/OddInteractionFactor - n
	var support []uint64
	if extra > 0 {
		support = s.ProxyOddSupport(extra)
	}
	phi, err := s.OddRegression(support)
	if err != nil {
		return nil, fmt.Errorf("attribution: %s: %w", name, err)
	}
	return result(s, phi, map[string]float64{shapley.DiagOddInteractions: float64(len(support))}), nil
}
