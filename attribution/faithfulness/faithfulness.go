// Package faithfulness scores how well an attribution's ranking explains
// a game.Game, by ERASER's comprehensiveness and sufficiency (DeYoung et
// al., 2020: the score's drop when the top-k features are removed, and
// when only they are kept) over DefaultFractions, and by the areas under
// the deletion and insertion curves. It values each coalition it needs
// once, in one Values call.
package faithfulness

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/lucid-nlp/lucid/attribution/game"
	"github.com/lucid-nlp/lucid/perturb"
)

// DefaultFractions are ERASER's bins (DeYoung et al., 2020):
// the top 1, 5, 10, 20 and 50% of the features.
var DefaultFractions = []float64{0.01, 0.05, 0.1, 0.2, 0.5}

// DefaultSteps is the deletion and insertion curves' resolution
// when Options.MaxSteps is 0.
const DefaultSteps = 20

// Options configure Measure. The zero value is
// ERASER's setting with 20-step curves.
type Options struct {
	// Fractions are the shares of the features, each in (0, 1], whose top
	// ones comprehensiveness and sufficiency remove or keep: fraction q
	// means the top k = ⌈q·n⌉ features of n, and at least 1. Empty means
	// DefaultFractions.
	Fractions []float64
	// MaxSteps is the most steps the deletion and insertion curves take
	// from no feature to all n: every feature when n ≤ MaxSteps, else
	// MaxSteps evenly spaced steps. 0 means DefaultSteps;
	// negative is an error.
	MaxSteps int
	// ByMagnitude ranks features by |attribution|. By default they are
	// ranked by signed attribution, highest first, since a positive
	// attribution supports the target and a negative one opposes it.
	ByMagnitude bool
}

// Result measures how well an attribution's ranking explains the
// model: whether the features it ranks first are those the model's score
// depends on. It follows ERASER (DeYoung et al., 2020) for
// comprehensiveness and sufficiency, Samek et al. (2017) for the area over
// the perturbation curve, and ferret (Attanasio et al., 2023) in reporting
// both for a text classifier's target score f. Here f(S) is the game's
// value with only the features in S present, f(x) = f(N) the score of the
// whole input, f(∅) the score with every feature absent, and top_k the k
// features ranked first (ties broken by feature index, lower first).
//
// All scores are in the game's units (probability, logit, …) and are
// differences of f, so they are comparable across rankings of the same
// input, not across inputs of different f(x).
type Result struct {
	// Comprehensiveness is the mean over the fractions of
	// f(x) − f(N ∖ top_k): how much the score drops without the top
	// features. Higher is more faithful.
	Comprehensiveness float64
	// Sufficiency is the mean over the fractions of f(x) − f(top_k): how
	// much the score drops with only the top features. Lower is more
	// faithful (it can be negative, where the top features alone score
	// more than the whole input).
	Sufficiency float64
	// AOPCDeletion is the area over the deletion (most relevant first)
	// perturbation curve, as Samek et al. define it: the mean over the
	// curve's m+1 points, the first included, of f(x) − DeletionCurve[j].
	// Higher is more faithful.
	AOPCDeletion float64
	// AOPCInsertion is the area under the insertion curve above f(∅): the
	// mean over its m+1 points of InsertionCurve[j] − f(∅). Higher is more
	// faithful.
	AOPCInsertion float64
	// DeletionCurve[j] is f(N ∖ top_Steps[j]), from f(x) down to f(∅);
	// InsertionCurve[j] is f(top_Steps[j]), from f(∅) up to f(x).
	DeletionCurve, InsertionCurve []float64
	// Steps holds the curves' feature counts: 0 = Steps[0] < … < Steps[m] = n
	// with m = min(n, MaxSteps) and Steps[j] = round(j·n/m).
	Steps []int
	// Fractions are the fractions used (defaults filled in); TopK[f] is the
	// number of features Fractions[f] means, and ComprehensivenessAt[f] and
	// SufficiencyAt[f] the scores at it, whose means are Comprehensiveness
	// and Sufficiency. Fractions that round to the same k each count in
	// the mean, as in ERASER.
	Fractions                          []float64
	TopK                               []int
	ComprehensivenessAt, SufficiencyAt []float64
	// Full is f(x); Empty is f(∅).
	Full, Empty float64
	// Evaluations is the number of distinct coalitions valued (all in one
	// Values call): at most 2n, fewer when the curves are coarser than the
	// features.
	Evaluations int
}

// Measure scores the ranking attributions gives g's features
// (see Result). It values every coalition it needs — N, ∅, N ∖ top_k
// and top_k for each fraction and curve step — in one g.Values call, each
// distinct coalition once, so the caller can batch them.
//
// attributions must hold one finite value per feature. A game with no
// features is an error: there is nothing to rank, and no top feature to
// remove. With one feature every k is 1: comprehensiveness is f(x) − f(∅),
// sufficiency 0, and both AOPCs (f(x) − f(∅))/2.
func Measure(ctx context.Context, g game.Game, attributions []float64, opts Options) (*Result, error) {
	fail := func(err error) (*Result, error) {
		return nil, fmt.Errorf("attribution: Measure: %w", err)
	}
	n, err := game.FeatureCount(g)
	if err != nil {
		return fail(err)
	}
	if n == 0 {
		return fail(fmt.Errorf("the game has no features to rank"))
	}
	if len(attributions) != n {
		return fail(fmt.Errorf("%d attributions for %d features", len(attributions), n))
	}
	for i, a := range attributions {
		if math.IsNaN(a) || math.IsInf(a, 0) {
			return fail(fmt.Errorf("attribution %d is %v", i, a))
		}
	}
	fractions := opts.Fractions
	if len(fractions) == 0 {
		fractions = DefaultFractions
	}
	for _, q := range fractions {
		if !(q > 0 && q <= 1) {
			return fail(fmt.Errorf("fraction %v is not in (0, 1]", q))
		}
	}
	maxSteps := opts.MaxSteps
	switch {
	case maxSteps < 0:
		return fail(fmt.Errorf("MaxSteps %d is negative", maxSteps))
	case maxSteps == 0:
		maxSteps = DefaultSteps
	}

	order := rankFeatures(attributions, opts.ByMagnitude)
	// top(k) and without(k) are top_k and N ∖ top_k.
	top := func(k int) perturb.Coalition {
		c := perturb.NewCoalition(n)
		for _, i := range order[:k] {
			c.Set(i)
		}
		return c
	}
	without := func(k int) perturb.Coalition { return top(k).Complement() }

	topK := make([]int, len(fractions))
	for f, q := range fractions {
		// The small tolerance keeps q·n that should be whole (0.07·100
		// is 7.000000000000001 in floating point) from rounding up past it.
		topK[f] = min(n, max(1, int(math.Ceil(q*float64(n)-1e-9))))
	}
	m := min(n, maxSteps)
	steps := make([]int, m+1)
	for j := range steps {
		steps[j] = int(math.Round(float64(j) * float64(n) / float64(m)))
	}

	// Coalitions: N, ∅, then without and top for each fraction, then for
	// each step; valueDistinct passes each distinct one to g once.
	coalitions := []perturb.Coalition{perturb.FullCoalition(n), perturb.NewCoalition(n)}
	for _, k := range topK {
		coalitions = append(coalitions, without(k), top(k))
	}
	for _, k := range steps {
		coalitions = append(coalitions, without(k), top(k))
	}
	vals, distinct, err := game.ValueDistinct(ctx, g, coalitions)
	if err != nil {
		return fail(err)
	}

	res := &Result{
		Full: vals[0], Empty: vals[1],
		Fractions: append([]float64(nil), fractions...), TopK: topK, Steps: steps,
		ComprehensivenessAt: make([]float64, len(topK)), SufficiencyAt: make([]float64, len(topK)),
		DeletionCurve: make([]float64, len(steps)), InsertionCurve: make([]float64, len(steps)),
		Evaluations: distinct,
	}
	at := 2
	for f := range topK {
		res.ComprehensivenessAt[f] = res.Full - vals[at]
		res.SufficiencyAt[f] = res.Full - vals[at+1]
		res.Comprehensiveness += res.ComprehensivenessAt[f]
		res.Sufficiency += res.SufficiencyAt[f]
		at += 2
	}
	res.Comprehensiveness /= float64(len(topK))
	res.Sufficiency /= float64(len(topK))
	for j := range steps {
		res.DeletionCurve[j], res.InsertionCurve[j] = vals[at], vals[at+1]
		res.AOPCDeletion += res.Full - vals[at]
		res.AOPCInsertion += vals[at+1] - res.Empty
		at += 2
	}
	res.AOPCDeletion /= float64(len(steps))
	res.AOPCInsertion /= float64(len(steps))
	return res, nil
}

// rankFeatures orders feature indexes by attribution (or its magnitude),
// highest first, ties by index.
func rankFeatures(attributions []float64, byMagnitude bool) []int {
	key := func(i int) float64 {
		if byMagnitude {
			return math.Abs(attributions[i])
		}
		return attributions[i]
	}
	order := make([]int, len(attributions))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		return cmp.Compare(key(b), key(a)) // descending; stable keeps index order on ties
	})
	return order
}
