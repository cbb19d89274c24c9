// Package baselines holds the published Shapley value estimators Lucid's
// KernelSHAP is measured against (lucid bench estimators): LeverageSHAP,
// KAddSHAP (kADD-SHAP with k = 2), RegressionMSR (Tree MSR) and OddSHAP.
// They exist to be compared against, not to explain: Explain never runs
// them. Each takes an game.Game and shapley.BaselineOptions,
// samples complementary pairs through shapley.SampleBaseline (which
// returns ExactShapley's values when 2^n fits the budget) and returns an
// game.Attribution with the efficiency gap in its diagnostics.
package baselines

import (
	"math"

	"github.com/lucid-nlp/lucid/attribution/game"
	"github.com/lucid-nlp/lucid/attribution/shapley"
)

// result is a sampled baseline's Attribution: its values, v(∅) and v(N),
// the coalitions it valued, and the efficiency gap, with any extra
// diagnostics.
func result(s *shapley.BaselineSample, phi []float64, extra map[string]float64) *game.Attribution {
	diag := map[string]float64{game.DiagEfficiencyGap: efficiencyGap(phi, s.V0, s.VN), shapley.DiagExact: 0}
	for k, v := range extra {
		diag[k] = v
	}
	return &game.Attribution{Values: phi, Base: s.V0, Full: s.VN, Evaluations: s.Evaluations(), Diagnostics: diag}
}

// efficiencyGap is |Σφ − (full − base)|, as attribution reports it.
func efficiencyGap(phi []float64, base, full float64) float64 {
	sum := 0.0
	for _, p := range phi {
		sum += p
	}
	return math.Abs(sum - (full - base))
}
