// Package lime is LIME for texts, as lime's LimeTextExplainer computes
// it: random removals of features (a uniformly drawn count, then a
// uniformly drawn set of that size), weighted by an exponential kernel on
// the cosine distance to the text, and a weighted ridge surrogate whose
// coefficients are the attributions; lime's feature selections (none,
// forward, highest weights, auto) pick the features it keeps. It exists
// for comparison with the Python reference (testdata/lime_reference.py,
// scikit-learn's Ridge): the attributions are a surrogate's, not
// efficient, and Base is the surrogate's intercept.
package lime

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/lucid-nlp/lucid/attribution/game"
	"github.com/lucid-nlp/lucid/attribution/wls"
	"github.com/lucid-nlp/lucid/perturb"
	"gonum.org/v1/gonum/mat"
)

// FeatureSelection names how LIME picks the features its surrogate uses,
// with lime's names.
type FeatureSelection string

// The feature selection methods of lime's LimeBase that LIME supports.
const (
	// SelectAuto is forward selection when NumFeatures ≤ 6, highest weights
	// otherwise (lime's "auto").
	SelectAuto FeatureSelection = "auto"
	// SelectForward adds, NumFeatures times, the feature whose weighted
	// least-squares fit (with the ones chosen so far) has the best weighted R².
	SelectForward FeatureSelection = "forward_selection"
	// SelectHighestWeights keeps the NumFeatures largest |coefficients| of a
	// ridge fit (alpha 0.01) on all features.
	SelectHighestWeights FeatureSelection = "highest_weights"
	// SelectNone keeps every feature: Lucid's default, so that every feature
	// gets a weight.
	SelectNone FeatureSelection = "none"
)

// Options configures LIME.
type Options struct {
	// Budget is the number of samples, the original (full) coalition
	// included; 0 means DefaultSamples. Repeated samples are valued once.
	Budget int
	// Seed seeds the sampler.
	Seed uint64
	// KernelWidth is the exponential kernel's width on distances scaled to
	// 0..100; 0 means 25, lime's default for text.
	KernelWidth float64
	// FeatureSelection is "none" when empty.
	FeatureSelection FeatureSelection
	// NumFeatures is how many features the surrogate may use; 0 means all.
	NumFeatures int
}

// DefaultSamples is lime's default num_samples.
const DefaultSamples = 5000

// DefaultKernelWidth is lime's default kernel width for text.
const DefaultKernelWidth = 25

// Diagnostic keys LIME reports.
const (
	DiagIntercept       = "intercept"
	DiagLocalPrediction = "local_prediction"
	DiagScore           = "score"
)

// LIME reproduces lime's LimeTextExplainer on a game: a weighted linear
// surrogate fitted to random coalitions around the full one.
//
// Sampling follows lime_text: sample 0 is the full coalition; every other
// draws how many features to remove uniformly from 1..n — lime's
// randint(1, n+1), so a sample may remove every feature — then which ones,
// uniformly without replacement. Samples may repeat, as in lime: each
// distinct coalition is valued once, but every draw is a row of the
// regression. A sample with k of n features present lies at cosine distance
// d = 100·(1 − √(k/n)) from the full coalition (d = 100 for ∅, as sklearn's
// cosine distance gives for a zero vector) and weighs √exp(−d²/width²).
//
// The surrogate is sklearn's Ridge(alpha=1, fit_intercept=True) fitted with
// those sample weights, on the features FeatureSelection keeps (lime's
// LimeBase: "auto", "forward_selection", "highest_weights", "none"; ties go
// to the lower feature index, as lime's stable sorts and strict comparisons
// give). Values are its coefficients, 0 for features not selected.
//
// Base is the surrogate's intercept (its prediction with every feature
// absent), not v(∅), which LIME need not value; Full is v(N). Diagnostics:
// "intercept"; "local_prediction", the surrogate at the full coalition
// (lime's local_pred); "score", the surrogate's weighted R² on the samples
// (lime's score). StdErr is nil.
//
// Duplicated samples are the only place this departs from lime's cost: lime
// runs the classifier on every sample, LIME values each distinct coalition
// once, so Evaluations ≤ Budget. The random numbers are Go's, so results
// match lime's in distribution, not draw for draw.
func LIME(ctx context.Context, g game.Game, opts Options) (*game.Attribution, error) {
	n, err := game.FeatureCount(g)
	if err != nil {
		return nil, fmt.Errorf("attribution: LIME: %w", err)
	}
	samples := opts.Budget
	if samples == 0 {
		samples = DefaultSamples
	}
	if samples < 1 {
		return nil, fmt.Errorf("attribution: LIME: budget %d: need at least 1 sample (the original)", opts.Budget)
	}
	if samples > game.MaxBudget {
		return nil, fmt.Errorf("attribution: LIME: budget %d is more than the maximum of %d samples (MaxBudget)", samples, game.MaxBudget)
	}
	width := opts.KernelWidth
	if width == 0 {
		width = DefaultKernelWidth
	}
	if !(width > 0) || math.IsInf(width, 0) {
		return nil, fmt.Errorf("attribution: LIME: kernel width %v: want a positive finite number", opts.KernelWidth)
	}
	sel := opts.FeatureSelection
	if sel == "" {
		sel = SelectNone
	}
	switch sel {
	case SelectAuto, SelectForward, SelectHighestWeights, SelectNone:
	default:
		return nil, fmt.Errorf("attribution: LIME: feature selection %q: want auto, forward_selection, highest_weights or none", sel)
	}
	numFeat := opts.NumFeatures
	if numFeat == 0 {
		numFeat = n
	}
	if numFeat < 0 {
		return nil, fmt.Errorf("attribution: LIME: NumFeatures %d: want 0 (all) or a positive count", opts.NumFeatures)
	}
	numFeat = min(numFeat, n)

	if n == 0 {
		// Nothing to remove: the original is the only distinct sample, and
		// the surrogate is the constant v(N).
		vals, err := game.ValueCoalitions(ctx, g, []perturb.Coalition{perturb.FullCoalition(0)})
		if err != nil {
			return nil, fmt.Errorf("attribution: LIME: %w", err)
		}
		return &game.Attribution{
			Values: []float64{}, Base: vals[0], Full: vals[0], Evaluations: 1,
			Diagnostics: map[string]float64{DiagIntercept: vals[0], DiagLocalPrediction: vals[0], DiagScore: 1},
		}, nil
	}

	coalitions, counts, err := limeSamples(ctx, n, samples, rand.New(rand.NewPCG(opts.Seed, 0x6c696d6574657874)))
	if err != nil {
		return nil, err
	}
	y, err := game.ValueCoalitions(ctx, g, coalitions)
	if err != nil {
		return nil, fmt.Errorf("attribution: LIME: %w", err)
	}
	distinct := len(coalitions)

	fit, err := fitLIME(coalitions, counts, y, width, sel, numFeat)
	if err != nil {
		return nil, fmt.Errorf("attribution: LIME: %w", err)
	}
	return &game.Attribution{
		Values:      fit.coef,
		Base:        fit.intercept,
		Full:        y[0],
		Evaluations: distinct,
		Diagnostics: map[string]float64{
			DiagIntercept:       fit.intercept,
			DiagLocalPrediction: fit.localPrediction,
			DiagScore:           fit.score,
		},
	}, nil
}

// limeSamples draws lime_text's samples: the full coalition, then
// samples−1 coalitions each missing 1..n features (uniform), chosen
// uniformly. It returns the distinct coalitions, in the order first drawn
// (the full one first), and how many times each was drawn: a regression on
// the distinct rows with their kernel weights multiplied by these counts is
// the regression on every draw (weighted sums are all it uses), and memory
// grows with the distinct coalitions rather than the budget. It stops with
// ctx's error when ctx is cancelled.
func limeSamples(ctx context.Context, n, samples int, rng *rand.Rand) ([]perturb.Coalition, []int, error) {
	full := perturb.FullCoalition(n)
	coalitions := []perturb.Coalition{full}
	counts := []int{1}
	index := map[string]int{full.Key(): 0}
	perm := make([]int, n)
	c := perturb.FullCoalition(n)
	for s := 1; s < samples; s++ {
		if s%game.CancelCheckEvery == 0 {
			if err := ctx.Err(); err != nil {
				return nil, nil, err
			}
		}
		remove := 1 + rng.IntN(n)
		for i := range perm {
			perm[i] = i
			c.Set(i)
		}
		for i := range remove {
			j := i + rng.IntN(n-i)
			perm[i], perm[j] = perm[j], perm[i]
			c.Clear(perm[i])
		}
		key := c.Key()
		if k, ok := index[key]; ok {
			counts[k]++
			continue
		}
		index[key] = len(coalitions)
		coalitions = append(coalitions, c.Clone())
		counts = append(counts, 1)
	}
	return coalitions, counts, nil
}

// limeFit is LIME's surrogate: a coefficient per feature (0 where not
// selected), in the order selected.
type limeFit struct {
	coef            []float64
	used            []int
	intercept       float64
	score           float64
	localPrediction float64
}

// fitLIME is lime's LimeBase.explain_instance_with_data on samples whose
// first row is the full coalition, with text's cosine kernel; counts[s] is
// how many times sample s was drawn (nil: once each), which multiplies its
// weight.
func fitLIME(samples []perturb.Coalition, counts []int, y []float64, width float64, sel FeatureSelection, numFeat int) (*limeFit, error) {
	n := samples[0].N()
	x := mat.NewDense(len(samples), n, nil)
	w := make([]float64, len(samples))
	for s, c := range samples {
		for i := range n {
			if c.Has(i) {
				x.Set(s, i, 1)
			}
		}
		w[s] = limeKernelWeight(c.Size(), n, width)
		if counts != nil {
			w[s] *= float64(counts[s])
		}
	}
	used, err := limeSelect(x, y, w, numFeat, sel)
	if err != nil {
		return nil, err
	}
	fit, err := weightedRidge(denseColumns(x, used), y, w, 1)
	if err != nil {
		return nil, err
	}
	out := &limeFit{coef: make([]float64, n), used: used, intercept: fit.intercept, score: fit.score}
	out.localPrediction = fit.intercept
	for k, i := range used {
		out.coef[i] = fit.coef[k]
		out.localPrediction += fit.coef[k] // the original is all ones
	}
	return out, nil
}

// limeKernelWeight is lime_text's weight for a sample with k of n features
// present: its cosine distance to the all-ones original, 1 − k/(√k·√n),
// times 100 (1 for k = 0: sklearn gives a zero vector similarity 0), through
// the kernel √exp(−d²/width²).
func limeKernelWeight(k, n int, width float64) float64 {
	d := 100 * (1 - math.Sqrt(float64(k)/float64(n)))
	return math.Sqrt(math.Exp(-d * d / (width * width)))
}

// limeSelect returns the features lime's feature_selection would keep.
func limeSelect(x *mat.Dense, y, w []float64, num int, sel FeatureSelection) ([]int, error) {
	_, n := x.Dims()
	if sel == SelectAuto {
		sel = SelectHighestWeights
		if num <= 6 {
			sel = SelectForward
		}
	}
	switch sel {
	case SelectForward:
		var used []int
		for range num {
			best, bestScore := 0, -1e8
			for f := range n {
				if slices.Contains(used, f) {
					continue
				}
				fit, err := weightedRidge(denseColumns(x, append(used[:len(used):len(used)], f)), y, w, 0)
				if err != nil {
					return nil, err
				}
				if fit.score > bestScore {
					best, bestScore = f, fit.score
				}
			}
			used = append(used, best)
		}
		return used, nil
	case SelectHighestWeights:
		all := make([]int, n)
		for i := range all {
			all[i] = i
		}
		fit, err := weightedRidge(x, y, w, 0.01)
		if err != nil {
			return nil, err
		}
		// Largest |coefficient| first; a stable sort keeps ties in index
		// order, as Python's sorted(..., reverse=True) does.
		slices.SortStableFunc(all, func(a, b int) int { return cmp.Compare(math.Abs(fit.coef[b]), math.Abs(fit.coef[a])) })
		return all[:num], nil
	default: // none
		all := make([]int, n)
		for i := range all {
			all[i] = i
		}
		return all, nil
	}
}

// denseColumns returns the columns cols of x, in that order (cols not empty).
func denseColumns(x *mat.Dense, cols []int) *mat.Dense {
	rows, _ := x.Dims()
	out := mat.NewDense(rows, len(cols), nil)
	for k, c := range cols {
		out.SetCol(k, mat.Col(nil, c, x))
	}
	return out
}

// ridgeFit is a fitted weighted ridge regression.
type ridgeFit struct {
	coef      []float64
	intercept float64
	score     float64 // weighted R² on the training rows
}

// weightedRidge fits sklearn's Ridge(alpha, fit_intercept=True) with sample
// weights w: minimise Σ w (y − b − x·β)² + alpha·|β|², the intercept b
// unpenalised. As sklearn does, it centres x and y on their weighted means,
// solves for β, and sets b = ȳ − x̄·β. With alpha = 0 a singular system
// falls back to the minimum-norm least-squares solution, as sklearn's
// cholesky solver does.
func weightedRidge(x *mat.Dense, y, w []float64, alpha float64) (ridgeFit, error) {
	rows, p := x.Dims()
	sw := 0.0
	ym := 0.0
	for r := range rows {
		sw += w[r]
		ym += w[r] * y[r]
	}
	if !(sw > 0) {
		return ridgeFit{}, fmt.Errorf("sample weights sum to %v", sw)
	}
	ym /= sw
	xm := make([]float64, p)
	for r := range rows {
		for j := range p {
			xm[j] += w[r] * x.At(r, j)
		}
	}
	for j := range xm {
		xm[j] /= sw
	}
	xc := mat.NewDense(rows, p, nil)
	yc := make([]float64, rows)
	for r := range rows {
		for j := range p {
			xc.Set(r, j, x.At(r, j)-xm[j])
		}
		yc[r] = y[r] - ym
	}
	var coef []float64
	var err error
	if alpha > 0 {
		ridge := make([]float64, p)
		for j := range ridge {
			ridge[j] = alpha
		}
		coef, err = wls.Solve(xc, yc, w, ridge)
	}
	if alpha == 0 || err != nil {
		// Least squares (forward selection's alpha = 0) may be singular,
		// say when a feature is present in every sample: take the
		// minimum-norm solution, as sklearn's fallback to lstsq does.
		coef, err = minNormWLS(xc, yc, w)
		if err != nil {
			return ridgeFit{}, err
		}
	}
	b := ym
	for j := range coef {
		b -= xm[j] * coef[j]
	}
	// Weighted R², as sklearn's r2_score with sample weights (1 when the
	// labels are constant and fitted exactly, 0 when constant and not).
	num, den := 0.0, 0.0
	for r := range rows {
		pred := b
		for j := range p {
			pred += coef[j] * x.At(r, j)
		}
		num += w[r] * (y[r] - pred) * (y[r] - pred)
		den += w[r] * (y[r] - ym) * (y[r] - ym)
	}
	score := 1.0
	switch {
	case den != 0:
		score = 1 - num/den
	case num != 0:
		score = 0
	}
	return ridgeFit{coef: coef, intercept: b, score: score}, nil
}

// minNormWLS is the minimum-norm β minimising Σ w (y − x·β)².
func minNormWLS(x *mat.Dense, y, w []float64) ([]float64, error) {
	rows, p := x.Dims()
	xw := mat.NewDense(rows, p, nil)
	yw := mat.NewDense(rows, 1, nil)
	for r := range rows {
		s := math.Sqrt(w[r])
		for j := range p {
			xw.Set(r, j, s*x.At(r, j))
		}
		yw.Set(r, 0, s*y[r])
	}
	var svd mat.SVD
	if !svd.Factorize(xw, mat.SVDThin) {
		return nil, fmt.Errorf("SVD of a %d×%d design failed", rows, p)
	}
	// Singular values at or below 1e-15 count as zero, as in sklearn's
	// _solve_svd, the solver its ridge falls back to.
	vals := svd.Values(nil)
	rank := 0
	for _, s := range vals {
		if s > 1e-15 {
			rank++
		}
	}
	var beta mat.Dense
	if rank == 0 {
		return make([]float64, p), nil
	}
	svd.SolveTo(&beta, yw, rank)
	out := make([]float64, p)
	for j := range p {
		out[j] = beta.At(j, 0)
	}
	return out, nil
}
