package shapley

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/lucid-nlp/lucid/attribution/game"
	"github.com/lucid-nlp/lucid/perturb"
)

// SizeMass says how a paired sampling design spreads its pairs over the
// size pairs (t, n−t), t ≤ n/2: the relative mass of each.
type SizeMass func(n, t int) float64

// LeverageMass gives every coalition size the same mass, so a size pair
// (t, n−t) gets twice the mass of the middle size of an even n: the
// leverage scores of the Shapley regression, which are equal for all
// coalitions of one size and sum to the same total for every size
// (Musco and Witter, 2025, Lemma 3.3).
func LeverageMass(n, t int) float64 {
	if 2*t == n {
		return 1
	}
	return 2
}

// KernelMass spreads pairs by the Shapley kernel's weight of each size pair,
// (n−1)/(t(n−t)) per size: shap's and shapiq's KernelSHAP sampling.
func KernelMass(n, t int) float64 { return kernelPairWeight(n, t) }

// planStratifiedPairs is the sampling design the baselines (bench/baselines) share: npairs
// complementary pairs (S, N∖S), without replacement, spread over the size
// pairs in proportion to mass, water-filled so that a size pair whose share
// exceeds its population is taken whole and its excess goes to the others
// (Bernoulli sampling with p = min(1, c·mass) at a fixed sample size). Each
// row's weight is the kernel weight of its size divided by the chance it
// was drawn, w(z)/p(z) per coalition, so the weighted regression is an
// unbiased sketch of the full one (Musco and Witter, eq. 4).
func planStratifiedPairs(ctx context.Context, n, npairs int, mass SizeMass, rng *rand.Rand) (*kernelDesign, error) {
	if n < 2 {
		return nil, fmt.Errorf("a paired design needs at least 2 features, have %d", n)
	}
	d := &kernelDesign{n: n, paired: true}
	var strata []kernelStratum
	for t := 1; t <= n/2; t++ {
		pop := binomial(n, t)
		if 2*t == n {
			pop /= 2
		}
		strata = append(strata, kernelStratum{size: t, weight: kernelPairWeight(n, t), population: pop})
	}
	alloc := waterFill(strata, npairs, func(k int) float64 { return mass(n, strata[k].size) }, rng)
	perm := make([]int, n)
	for k := range strata {
		st := &strata[k]
		m := alloc[k]
		if m == 0 {
			continue
		}
		w := st.weight / float64(2*m) // kernel weight of one coalition ÷ its inclusion probability, up to the constant
		if float64(m) >= st.population {
			// Taken whole: enumerate, so no draw is wasted on rejections.
			start := len(d.rows)
			d.addSizePair(st.size)
			for r := start; r < len(d.rows); r++ {
				d.weight[r] = w
			}
			continue
		}
		if err := d.drawPairs(ctx, st, m, w, perm, rng); err != nil {
			return nil, err
		}
		d.strata = append(d.strata, *st)
	}
	return d, nil
}

// waterFill shares npairs over the strata in proportion to mass(k), no
// stratum above its population; fractional shares are rounded at random so
// each stratum's expected count is its share.
func waterFill(strata []kernelStratum, npairs int, mass func(k int) float64, rng *rand.Rand) []int {
	alloc := make([]int, len(strata))
	full := make([]bool, len(strata))
	left := npairs
	for {
		total := 0.0
		for k := range strata {
			if !full[k] {
				total += mass(k)
			}
		}
		if total == 0 || left == 0 {
			break
		}
		changed := false
		for k, st := range strata {
			if !full[k] && float64(left)*mass(k)/total >= st.population {
				alloc[k] = int(st.population)
				full[k] = true
				left -= alloc[k]
				changed = true
			}
		}
		if changed {
			continue
		}
		frac := make([]float64, len(strata))
		given := 0
		for k := range strata {
			if full[k] {
				continue
			}
			e := float64(left) * mass(k) / total
			alloc[k] = int(math.Floor(e))
			frac[k] = e - float64(alloc[k])
			given += alloc[k]
		}
		for ; given < left; given++ {
			k := drawIndex(frac, rng)
			alloc[k]++
			frac[k] = 0
		}
		break
	}
	return alloc
}

// budgetPairs is how many complementary pairs a budget buys after ∅ and N.
func budgetPairs(n, budget int) int {
	return (budget - 2) / 2
}

// checkBaselineBudget checks a budget for the baselines: at least 2n+2 (∅,
// N and n pairs, so the regression is identified) and at most game.MaxBudget.
func checkBaselineBudget(name string, n, budget int) error {
	if n < 2 {
		return fmt.Errorf("attribution: %s: needs at least 2 features, have %d", name, n)
	}
	if budget < 2*n+2 {
		return fmt.Errorf("attribution: %s: budget %d is below the minimum of %d (2n+2) for n = %d features", name, budget, 2*n+2, n)
	}
	if budget > game.MaxBudget {
		return fmt.Errorf("attribution: %s: budget %d is more than the maximum of %d (MaxBudget)", name, budget, game.MaxBudget)
	}
	return nil
}

// exactIfAffordable returns ExactShapley's result when 2^n fits the budget.
func exactIfAffordable(ctx context.Context, g game.Game, n, budget int) (*game.Attribution, bool, error) {
	if n <= MaxExactFeatures && 1<<n <= budget {
		a, err := ExactShapley(ctx, g, budget)
		if err != nil {
			return nil, true, err
		}
		a.Diagnostics[DiagExact] = 1
		return a, true, nil
	}
	return nil, false, nil
}

// BaselineOptions configures the published estimators Lucid is measured
// against (package bench/baselines: LeverageSHAP, KAddSHAP, RegressionMSR,
// OddSHAP).
type BaselineOptions struct {
	// Budget is the most coalitions valued, ∅ and N included; at least
	// 2n+2.
	Budget int
	// Seed seeds the sampler.
	Seed uint64
}

// BaselineSample is what every sampled baseline in bench/baselines starts
// from: the game's number of features and a paired design whose
// coalitions, ∅ and N are valued. It is exported only for those
// baselines, which are compared against and are not part of attribution.Explainer; the
// methods give them the shared regressions and tree proxy without
// exposing the design itself.
type BaselineSample struct {
	// N is the game's number of features.
	N int
	// Rows are the design's coalitions (complementary pairs, ∅ and N not
	// among them) and Weight each row's regression weight, the Shapley
	// kernel's weight of its size over its inclusion probability, up to a
	// constant.
	Rows   []perturb.Coalition
	Weight []float64
	// V0 and VN are v(∅) and v(N); V holds v of each row.
	V0, VN float64
	V      []float64

	d *kernelDesign
}

// SampleBaseline checks the game and the budget; when 2^n fits the budget
// it returns the exact Shapley values instead (exact != nil, with
// Diagnostics[DiagExact] = 1). Otherwise it plans complementary pairs with
// sizes spread by mass (random stream stream of opts.Seed) and values
// them, ∅ and N with them, in one call to g. maxN > 0 refuses larger
// games. name prefixes the errors.
func SampleBaseline(ctx context.Context, g game.Game, opts BaselineOptions, name string, mass SizeMass, stream uint64, maxN int) (s *BaselineSample, exact *game.Attribution, err error) {
	n, err := game.FeatureCount(g)
	if err != nil {
		return nil, nil, fmt.Errorf("attribution: %s: %w", name, err)
	}
	if a, ok, err := exactIfAffordable(ctx, g, n, opts.Budget); ok {
		return nil, a, err
	}
	if err := checkBaselineBudget(name, n, opts.Budget); err != nil {
		return nil, nil, err
	}
	if maxN > 0 && n > maxN {
		return nil, nil, fmt.Errorf("attribution: %s: %d features; the interaction support holds at most %d", name, n, maxN)
	}
	rng := rand.New(rand.NewPCG(opts.Seed, stream))
	d, err := planStratifiedPairs(ctx, n, budgetPairs(n, opts.Budget), mass, rng)
	if err != nil {
		return nil, nil, err
	}
	v0, vN, v, err := valueDesign(ctx, g, d)
	if err != nil {
		return nil, nil, fmt.Errorf("attribution: %s: %w", name, err)
	}
	return &BaselineSample{N: n, Rows: d.rows, Weight: d.weight, V0: v0, VN: vN, V: v, d: d}, nil, nil
}

// Evaluations is the number of coalitions valued: the rows, ∅ and N.
func (s *BaselineSample) Evaluations() int { return 2 + len(s.Rows) }

// ShapleyRegression solves the Shapley kernel's weighted regression on the
// sample with efficiency imposed exactly (KernelSHAP's regression, without
// its refinements) and returns the Shapley value estimates.
func (s *BaselineSample) ShapleyRegression() ([]float64, error) {
	reg, err := newKernelRegression(s.d)
	if err != nil {
		return nil, err
	}
	return reg.fit(s.V, s.V0, s.VN).phi, nil
}

// OddRegression fits the odd part of the sampled pairs on the singletons
// and the given odd interactions (bitmasks) by the design's weights, with
// efficiency imposed exactly, and returns the Shapley values (the
// regression KernelSHAPOptions.OddRefinement uses, without offset or
// ridge).
func (s *BaselineSample) OddRegression(support []uint64) ([]float64, error) {
	return oddRegression(s.d, s.V, s.V0, s.VN, support, nil, 0)
}

// ProxyOddSupport fits the tree proxy (XGBoost's default settings) to
// every valued coalition and returns the k odd interactions of order ≥ 3
// with the largest |Fourier coefficient|.
func (s *BaselineSample) ProxyOddSupport(k int) []uint64 {
	return proxyOddSupport(s.d, s.V, s.V0, s.VN, k)
}

// TreeProxy is a gradient-boosted tree model of a game fitted to a
// sample's coalitions; its Shapley values are exact from its leaves.
type TreeProxy struct {
	n int
	t *boostedTrees
	// Z holds the training coalitions' membership row by row (len(Y) rows
	// of n), Y their values: the sample's rows first, then ∅ and N.
	Z []bool
	Y []float64
}

// FitTreeProxy fits a tree proxy with XGBoost's default settings to every
// valued coalition of the sample.
func (s *BaselineSample) FitTreeProxy() *TreeProxy {
	z, y := proxyTrainingSet(s.d, s.V, s.V0, s.VN)
	return &TreeProxy{n: s.N, t: fitBoostedTrees(z, s.N, y), Z: z, Y: y}
}

// Shapley returns the proxy's exact Shapley values.
func (p *TreeProxy) Shapley() []float64 { return p.t.shapley(p.n) }

// At is the proxy's value on a coalition given by membership (n entries).
func (p *TreeProxy) At(z []bool) float64 { return p.t.at(z) }

// InclusionProbabilities is each design row's chance of being drawn:
// pairs drawn in its size pair ÷ pairs the size pair holds. Rows of an
// enumerated size pair have probability 1.
func (s *BaselineSample) InclusionProbabilities() []float64 {
	return inclusionProbabilities(s.d)
}

// valueDesign values ∅, N and the design's rows in one call.
func valueDesign(ctx context.Context, g game.Game, d *kernelDesign) (v0, vN float64, v []float64, err error) {
	n := d.n
	cs := make([]perturb.Coalition, 0, 2+len(d.rows))
	cs = append(cs, perturb.NewCoalition(n), perturb.FullCoalition(n))
	cs = append(cs, d.rows...)
	vals, err := game.ValueCoalitions(ctx, g, cs)
	if err != nil {
		return 0, 0, nil, err
	}
	return vals[0], vals[1], vals[2:], nil
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
