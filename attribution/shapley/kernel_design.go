package shapley

import (
	"context"
	"math"
	"math/rand/v2"

	"github.com/lucid-nlp/lucid/attribution/game"
	"github.com/lucid-nlp/lucid/perturb"
)

// kernelDesign is the interior part of KernelSHAP's regression: the
// coalitions to value besides ∅ and N, and the weight of each.
type kernelDesign struct {
	n      int
	rows   []perturb.Coalition
	weight []float64
	// mate is the row holding each row's complement, −1 when it has none.
	mate []int
	// pairs lists the sampled complementary pairs as row indexes; strata
	// the pairs drawn in each sampled size pair, with its kernel weight
	// and population (the number of distinct pairs it holds).
	pairs  [][2]int
	strata []kernelStratum
	// enumSize is k when sizes 1..k and n−k..n−1 were enumerated.
	enumSize int
	// paired is false in the below-2n+2 design of single coalitions.
	paired bool
}

type kernelStratum struct {
	size       int     // the smaller size, t ≤ n/2
	weight     float64 // kernel weight of sizes t and n−t together (after redistribution)
	population float64
	pairs      []int
}

// planKernelDesign chooses the interior coalitions and weights for n
// features and a budget (∅ and N included) below 2^n.
func planKernelDesign(ctx context.Context, n, budget int, rng *rand.Rand) (*kernelDesign, error) {
	d := &kernelDesign{n: n, paired: true}
	left := budget - 2
	if left < 2*n {
		return planPartialDesign(n, left, rng), nil
	}
	t, left := enumeratedSizes(n, left)
	for s := 1; s < t; s++ {
		d.addSizePair(s)
	}
	d.enumSize = t - 1
	npairs := left / 2
	if t > n/2 || npairs == 0 {
		return d, nil
	}
	strata := make([]kernelStratum, 0, n/2-t+1)
	for s := t; s <= n/2; s++ {
		pop := binomial(n, s)
		if 2*s == n {
			pop /= 2
		}
		strata = append(strata, kernelStratum{size: s, weight: kernelPairWeight(n, s), population: pop})
	}
	alloc := allocatePairs(strata, npairs, rng)
	// A size pair that gets no sample would lose its weight; share it out
	// over the sampled ones in proportion to theirs, as shap's final
	// renormalisation does.
	total, covered := 0.0, 0.0
	for k, st := range strata {
		total += st.weight
		if alloc[k] > 0 {
			covered += st.weight
		}
	}
	perm := make([]int, n)
	for k := range strata {
		st := &strata[k]
		st.weight *= total / covered
		m := alloc[k]
		if m == 0 {
			continue
		}
		w := st.weight / float64(2*m)
		if err := d.drawPairs(ctx, st, m, w, perm, rng); err != nil {
			return nil, err
		}
	}
	for _, st := range strata {
		if len(st.pairs) > 0 {
			d.strata = append(d.strata, st)
		}
	}
	return d, nil
}

// kernelPairWeight is the kernel weight of sizes t and n−t together.
func kernelPairWeight(n, t int) float64 {
	if 2*t == n {
		return kernelSizeWeight(n, t)
	}
	return 2 * kernelSizeWeight(n, t)
}

// enumeratedSizes decides which size pairs a budget of left interior
// coalitions (left ≥ 2n) enumerates: sizes 1..t−1 and their complements,
// from the outside in, size pair 1 always (it fits), then each next pair
// while its proportional share covers it (shap's rule). It returns t and
// the coalitions left for sampling.
func enumeratedSizes(n, left int) (t, rest int) {
	pairCost := func(t int) float64 {
		if 2*t == n {
			return binomial(n, t)
		}
		return 2 * binomial(n, t)
	}
	remaining := 0.0
	for t := 1; t <= n/2; t++ {
		remaining += kernelPairWeight(n, t)
	}
	t = 1
	for ; t <= n/2; t++ {
		cost := pairCost(t)
		if cost > float64(left) {
			break
		}
		if t > 1 && float64(left)*kernelPairWeight(n, t)/remaining < cost*(1-1e-9) {
			break
		}
		left -= int(cost)
		remaining -= kernelPairWeight(n, t)
	}
	return t, left
}

// kernelSampledPairs is the number of complementary pairs KernelSHAP
// samples for n features at a budget (∅ and N included) below 2^n.
func kernelSampledPairs(n, budget int) int {
	left := budget - 2
	if left < 2*n {
		return 0
	}
	t, left := enumeratedSizes(n, left)
	if t > n/2 {
		return 0
	}
	return left / 2
}

// allocatePairs shares npairs among the strata in proportion to their
// weights: each gets the floor of its share, and the pairs left over go
// one at a time to strata drawn in proportion to their fractional parts
// (so every stratum's expected count is exactly its share). No stratum gets
// more pairs than it holds.
func allocatePairs(strata []kernelStratum, npairs int, rng *rand.Rand) []int {
	total := 0.0
	for _, st := range strata {
		total += st.weight
	}
	alloc := make([]int, len(strata))
	frac := make([]float64, len(strata))
	given := 0
	for k, st := range strata {
		e := float64(npairs) * st.weight / total
		alloc[k] = int(math.Floor(e))
		frac[k] = e - float64(alloc[k])
		given += alloc[k]
	}
	for ; given < npairs; given++ {
		k := drawIndex(frac, rng)
		alloc[k]++
		frac[k] = 0
	}
	// The outermost sampled size pair holds more pairs than the whole
	// remaining budget buys, and inner ones hold more still, except the
	// middle one for even n; should a stratum get more than it holds, the
	// excess goes to the nearest strata with room.
	for k := range alloc {
		excess := alloc[k] - stratumHolds(strata[k])
		if excess <= 0 {
			continue
		}
		alloc[k] -= excess
		for dist := 1; excess > 0 && dist < len(alloc); dist++ {
			for _, j := range []int{k - dist, k + dist} {
				if j < 0 || j >= len(alloc) || excess == 0 {
					continue
				}
				move := min(stratumHolds(strata[j])-alloc[j], excess)
				if move > 0 {
					alloc[j] += move
					excess -= move
				}
			}
		}
	}
	return alloc
}

// stratumHolds is the number of pairs a stratum holds, capped where an int would
// not hold it (far beyond any budget).
func stratumHolds(st kernelStratum) int {
	return int(math.Min(st.population, 1<<52))
}

// planPartialDesign is the design for budgets between n+2 and 2n+1: every
// feature gets one of {i} and N∖{i}, chosen at random, and as many features
// as the budget allows get both. All these coalitions have the same kernel
// weight. Each feature's row pins its φ_i, so the regression is identified
// and exact for additive games.
func planPartialDesign(n, left int, rng *rand.Rand) *kernelDesign {
	d := &kernelDesign{n: n}
	both := make([]bool, n)
	for _, i := range rng.Perm(n)[:left-n] {
		both[i] = true
	}
	w := kernelSizeWeight(n, 1) / float64(n)
	for i := range n {
		single := perturb.NewCoalition(n)
		single.Set(i)
		switch {
		case both[i]:
			r := len(d.rows)
			d.rows = append(d.rows, single, single.Complement())
			d.weight = append(d.weight, w, w)
			d.mate = append(d.mate, r+1, r)
		case rng.IntN(2) == 0:
			d.rows = append(d.rows, single)
			d.weight = append(d.weight, w)
			d.mate = append(d.mate, -1)
		default:
			d.rows = append(d.rows, single.Complement())
			d.weight = append(d.weight, w)
			d.mate = append(d.mate, -1)
		}
	}
	return d
}

// addSizePair appends every coalition of sizes t and n−t with its kernel
// weight, each next to its complement.
func (d *kernelDesign) addSizePair(t int) {
	n := d.n
	w := kernelSizeWeight(n, t) / binomial(n, t)
	for _, c := range perturb.CoalitionsOfSize(n, t) {
		if 2*t == n && !c.Has(0) {
			continue // reached as the complement of its partner
		}
		r := len(d.rows)
		d.rows = append(d.rows, c, c.Complement())
		d.weight = append(d.weight, w, w)
		d.mate = append(d.mate, r+1, r)
	}
}

// drawIndex draws k with probability w[k]/Σw.
func drawIndex(w []float64, rng *rand.Rand) int {
	total := 0.0
	for _, x := range w {
		total += x
	}
	u := rng.Float64() * total
	last := 0
	for k, x := range w {
		if x <= 0 {
			continue
		}
		if u < x {
			return k
		}
		u -= x
		last = k
	}
	return last // rounding
}

// randomOfSize draws a uniform coalition of size t over n features (a
// partial Fisher–Yates shuffle of perm, which has length n).
func randomOfSize(n, t int, perm []int, rng *rand.Rand) perturb.Coalition {
	for i := range perm {
		perm[i] = i
	}
	c := perturb.NewCoalition(n)
	for i := range t {
		j := i + rng.IntN(n-i)
		perm[i], perm[j] = perm[j], perm[i]
		c.Set(perm[i])
	}
	return c
}

// drawPairs draws m distinct complementary pairs of st's size at random,
// each coalition weighted w, into d and st (perm is scratch of length n).
// For a size that is half of n, a pair is drawn by the member holding
// feature 0, so the two halves of one pair are never drawn as two pairs.
func (d *kernelDesign) drawPairs(ctx context.Context, st *kernelStratum, m int, w float64, perm []int, rng *rand.Rand) error {
	seen := make(map[string]bool, m)
	for draws := 0; len(st.pairs) < m; draws++ {
		if draws%game.CancelCheckEvery == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		c := randomOfSize(d.n, st.size, perm, rng)
		if 2*st.size == d.n && !c.Has(0) {
			c = c.Complement() // one canonical member per pair
		}
		key := c.Key()
		if seen[key] {
			continue
		}
		seen[key] = true
		r := len(d.rows)
		d.rows = append(d.rows, c, c.Complement())
		d.weight = append(d.weight, w, w)
		d.mate = append(d.mate, r+1, r)
		st.pairs = append(st.pairs, len(d.pairs))
		d.pairs = append(d.pairs, [2]int{r, r + 1})
	}
	return nil
}
