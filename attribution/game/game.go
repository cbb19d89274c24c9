package game

import (
	"context"
	"fmt"
	"math"

	"github.com/lucid-nlp/lucid/perturb"
)

// Game is the set function an explainer attributes: the model's score with
// only the features in a coalition present. Values is batched: explainers hand
// over all the coalitions they need at once (or in a few rounds), so the
// caller can batch model runs. Values must return one finite value per
// coalition, in order; the explainers in this package never pass the same
// coalition twice in one call.
type Game interface {
	NumFeatures() int
	Values(ctx context.Context, coalitions []perturb.Coalition) ([]float64, error)
}

// Attribution is what every method returns.
type Attribution struct {
	// Values holds one attribution per feature.
	Values []float64
	// StdErr holds a standard error per feature, or is nil when the method
	// has none (exact methods, LIME, occlusion).
	StdErr []float64
	// Base is v(∅) for the Shapley methods and occlusion; for LIME it is the
	// surrogate's intercept (see LIME).
	Base float64
	// Full is v(N), the score with every feature present.
	Full float64
	// Evaluations is the number of distinct coalitions this call asked the
	// game to value.
	Evaluations int
	// Diagnostics holds method-specific figures under documented snake_case
	// keys (see each method).
	Diagnostics map[string]float64
}

// Budgets: a budget is the most coalitions a method may have valued, ∅ and
// N included: the model evaluations it costs.
const (
	// MaxBudget is the most model evaluations (coalitions, LIME samples,
	// path rows) one explanation may spend: 2^20. KernelSHAP's error at
	// 2^20 evaluations is far below any model's float32 rounding, exact
	// Shapley stops at 2^20 coalitions (20 features), and a budget of a
	// billion would otherwise be allocated up front.
	MaxBudget = 1 << 20
	// DefaultBudget is a sampled method's budget when it is given none.
	DefaultBudget = 512
)

// Diagnostic keys shared by several methods.
const (
	// DiagEfficiencyGap is |Σφ − (v(N) − v(∅))|: ~1e-15 for the Shapley
	// methods (which are efficient by construction), informative for
	// occlusion (which is not).
	DiagEfficiencyGap = "efficiency_gap"
)

// CancelCheckEvery is how often (in coalitions generated) the long loops
// that build coalitions check their context: often enough to stop within
// a millisecond or so, rarely enough to cost nothing.
const CancelCheckEvery = 4096

// EfficiencyGap is |Σφ − (full − base)|.
func EfficiencyGap(phi []float64, base, full float64) float64 {
	s := 0.0
	for _, p := range phi {
		s += p
	}
	return math.Abs(s - (full - base))
}

// ValueCoalitions asks g for the values of coalitions, which the caller
// guarantees are distinct, in one Values call, and checks what comes back:
// a wrong count or a non-finite value would otherwise surface much later as
// a NaN attribution with no hint of its cause.
func ValueCoalitions(ctx context.Context, g Game, coalitions []perturb.Coalition) ([]float64, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if len(coalitions) == 0 {
		return nil, nil
	}
	vals, err := g.Values(ctx, coalitions)
	if err != nil {
		return nil, fmt.Errorf("valuing %d coalitions: %w", len(coalitions), err)
	}
	if len(vals) != len(coalitions) {
		return nil, fmt.Errorf("game returned %d values for %d coalitions", len(vals), len(coalitions))
	}
	for k, v := range vals {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("game returned %v for coalition %v", v, coalitions[k])
		}
	}
	return vals, nil
}

// ValueDistinct values coalitions that may repeat: each distinct coalition
// is passed to the game once, and its value is copied to every position
// where it occurs. It returns the values in the order of coalitions and the
// number of distinct coalitions valued.
func ValueDistinct(ctx context.Context, g Game, coalitions []perturb.Coalition) ([]float64, int, error) {
	index := make(map[string]int, len(coalitions))
	where := make([]int, len(coalitions))
	var distinct []perturb.Coalition
	for k, c := range coalitions {
		key := c.Key()
		j, ok := index[key]
		if !ok {
			j = len(distinct)
			index[key] = j
			distinct = append(distinct, c)
		}
		where[k] = j
	}
	vals, err := ValueCoalitions(ctx, g, distinct)
	if err != nil {
		return nil, 0, err
	}
	out := make([]float64, len(coalitions))
	for k, j := range where {
		out[k] = vals[j]
	}
	return out, len(distinct), nil
}

// FeatureCount reads and checks g's feature count.
func FeatureCount(g Game) (int, error) {
	if g == nil {
		return 0, fmt.Errorf("nil game")
	}
	n := g.NumFeatures()
	if n < 0 {
		return 0, fmt.Errorf("game has %d features", n)
	}
	return n, nil
}
