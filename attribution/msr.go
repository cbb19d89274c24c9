package attribution

import (
	"context"
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
// tree model (the paper's XGBoost; here boostedTrees, with XGBoost's
// default settings) whose Shapley values are exact. Coalitions are the
// same paired, size-uniform (leverage) design as LeverageSHAP's, with ∅ and
// N valued (π = 1). It returns ExactShapley's values when 2^n fits the
// budget. Unlike the regression estimators it is not efficient; the
// efficiency gap says by how much.
func RegressionMSR(ctx context.Context, g Game, opts BaselineOptions) (*Attribution, error) {
	const name = "RegressionMSR"
	s, exact, err := sampleBaseline(ctx, g, opts, name, LeverageMass, 0x6d73727472656573, 0)
	if exact != nil || err != nil {
		return exact, err
	}
	n, d, v0, vN, v := s.n, s.d, s.v0, s.vN, s.v
	z, y := proxyTrainingSet(d, v, v0, vN)
	rows := len(y)
	f := fitBoostedTrees(z, n, y)
	phi := f.shapley(n)
	p := shapleyWeights(n)
	// Inclusion probability of a row: its stratum's sampled share; the
	// design's weights are kernelSize(t)/(2m) per row, so π follows from
	// the population and the count drawn.
	incl := inclusionProbabilities(d)
	for r := range rows {
		zr := z[r*n : (r+1)*n]
		res := y[r] - f.at(zr)
		pi := 1.0
		if r < len(d.rows) {
			pi = incl[r]
		}
		s := 0
		for _, b := range zr {
			if b {
				s++
			}
		}
		for i := range n {
			if zr[i] {
				phi[i] += res * p[s-1] / pi
			} else {
				phi[i] -= res * p[s] / pi
			}
		}
	}
	return &Attribution{Values: phi, Base: v0, Full: vN, Evaluations: 2 + len(d.rows),
		Diagnostics: map[string]float64{DiagEfficiencyGap: efficiencyGap(phi, v0, vN), DiagExact: 0}}, nil
}

// inclusionProbabilities is each design row's chance of being drawn:
// pairs drawn in its size pair ÷ pairs the size pair holds. Rows of an
// enumerated size pair have probability 1.
func inclusionProbabilities(d *kernelDesign) []float64 {
	n := d.n
	counts := map[int]int{}
	for _, c := range d.rows {
		t := min(c.Size(), n-c.Size())
		counts[t]++
	}
	out := make([]float64, len(d.rows))
	for r, c := range d.rows {
		t := min(c.Size(), n-c.Size())
		held := 2 * binomial(n, t) // coalitions of sizes t and n−t
		if 2*t == n {
			held = binomial(n, t)
		}
		out[r] = float64(counts[t]) / held
	}
	return out
}
