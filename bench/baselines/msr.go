package baselines

import (
	"context"

	"github.com/lucid-nlp/lucid/attribution/game"
	"github.com/lucid-nlp/lucid/attribution/shapley"
)

// RegressionMSR is Tree MSR, the regression-adjusted maximum-sample-reuse
// estimator of Witter, Liu and Musco, "Regression-adjusted Monte Carlo
// Estimators for Shapley Values and Probabilistic Values" (2025). Fit a
// proxy f to the sampled coalitions, take its exact Shapley values, and
// correct them with the MSR Monte Carlo estimate on the residual game:
//
//	φ̃_i = φ_i(f) + Σ_{S∈𝒮} [v(S) − f(S)] (p_{|S|−1} 1[i∈S] − p_{|S|} 1[i∉S]) / π(S),
//
// p_ℓ = 1/(n·C(n−1, ℓ)) the Shapley weights (their eq. 1 and the
// estimator of their Section 3, with the sample mean over 1/D(S) written as
// the Horvitz–Thompson sum over inclusion probabilities π(S), since the
// sample here is drawn without replacement). Every sample is reused for
// every feature (maximum sample reuse). The proxy is a gradient-boosted
// tree model (the paper's XGBoost; here shapley.TreeProxy, with
// XGBoost's default settings) whose Shapley values are exact. Coalitions are the
// same paired, size-uniform (leverage) design as LeverageSHAP's, with ∅ and
// N valued (π = 1). It returns ExactShapley's values when 2^n fits the
// budget. Unlike the regression estimators it is not efficient; the
// efficiency gap says by how much.
func RegressionMSR(ctx context.Context, g game.Game, opts shapley.BaselineOptions) (*game.Attribution, error) {
	const name = "RegressionMSR"
	s, exact, err := shapley.SampleBaseline(ctx, g, opts, name, shapley.LeverageMass, 0x6d73727472656573, 0)
	if exact != nil || err != nil {
		return exact, err
	}
	n := s.N
	f := s.FitTreeProxy()
	z, y := f.Z, f.Y
	rows := len(y)
	phi := f.Shapley()
	p := shapley.ShapleyWeights(n)
	// Inclusion probability of a row: its stratum's sampled share; the
	// design's weights are kernelSize(t)/(2m) per row, so π follows from
	// the population and the count drawn.
	incl := s.InclusionProbabilities()
	for r := range rows {
		zr := z[r*n : (r+1)*n]
		res := y[r] - f.At(zr)
		pi := 1.0
		if r < len(s.Rows) {
			pi = incl[r]
		}
		size := 0
		for _, b := range zr {
			if b {
				size++
			}
		}
		for i := range n {
			if zr[i] {
				phi[i] += res * p[size-1] / pi
			} else {
				phi[i] -= res * p[size] / pi
			}
		}
	}
	return result(s, phi, nil), nil
}
