package shapley

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/lucid-nlp/lucid/attribution/game"
	"github.com/lucid-nlp/lucid/attribution/gametest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/perturb"
)

// g3 is the hierarchy {{0,1,2},{3,4},{5}} used by several tests.
func g3() Group {
	return GroupOf(GroupOf(Leaf(0), Leaf(1), Leaf(2)), GroupOf(Leaf(3), Leaf(4)), Leaf(5))
}

// randomHierarchy nests features 0..n−1 in random consecutive groups.
func randomHierarchy(rng *rand.Rand, lo, hi int) Group {
	if hi-lo == 1 {
		return Leaf(lo)
	}
	k := 2 + rng.IntN(min(3, hi-lo-1)+1) // 2..4 children, at most hi−lo
	k = min(k, hi-lo)
	cuts := []int{lo}
	for len(cuts) < k {
		c := lo + 1 + rng.IntN(hi-lo-1)
		dup := false
		for _, x := range cuts {
			dup = dup || x == c
		}
		if !dup {
			cuts = append(cuts, c)
		}
	}
	// sort the cuts
	for i := range cuts {
		for j := i + 1; j < len(cuts); j++ {
			if cuts[j] < cuts[i] {
				cuts[i], cuts[j] = cuts[j], cuts[i]
			}
		}
	}
	cuts = append(cuts, hi)
	var kids []Group
	for i := 0; i+1 < len(cuts); i++ {
		kids = append(kids, randomHierarchy(rng, cuts[i], cuts[i+1]))
	}
	return GroupOf(kids...)
}

func TestOwenOfAnAdditiveGameIsItsWeights(t *testing.T) {
	w := []float64{0.5, -1.25, 2, 0.1, -0.3, 0.7}
	g := gametest.Additive(0.2, w)
	for _, h := range []Group{g3(), g3().Binarized(), GroupOf(Leaf(0), Leaf(1), Leaf(2), Leaf(3), Leaf(4), Leaf(5))} {
		exact, err := ExactOwen(context.Background(), g, h, 1<<6)
		require.NoError(t, err)
		assert.InDeltaSlice(t, w, exact.Values, 1e-12)
		part, err := Partition(context.Background(), g, h, PartitionOptions{Budget: 1 << 12})
		require.NoError(t, err)
		assert.InDeltaSlice(t, w, part.Values, 1e-12)
		assert.Equal(t, 1.0, part.Diagnostics[DiagExact])
		assert.Equal(t, 0.0, part.Diagnostics[DiagUnresolved])
	}
}

func TestOwenSplitsAnInteractionByTheHierarchy(t *testing.T) {
	// v(S) = 1 when 0, 1 and 2 are all in S. Shapley: 1/3 each. Owen with
	// {{0,1},{2}}: the two groups share 1 equally, and 0 and 1 share
	// their group's 1/2: 1/4, 1/4, 1/2.
	g := gametest.Func{N: 3, F: func(s perturb.Coalition) float64 {
		if s.Has(0) && s.Has(1) && s.Has(2) {
			return 1
		}
		return 0
	}}
	h := GroupOf(GroupOf(Leaf(0), Leaf(1)), Leaf(2))
	want := []float64{0.25, 0.25, 0.5}
	exact, err := ExactOwen(context.Background(), g, h, 8)
	require.NoError(t, err)
	assert.InDeltaSlice(t, want, exact.Values, 1e-12)
	part, err := Partition(context.Background(), g, h, PartitionOptions{Budget: 64})
	require.NoError(t, err)
	assert.InDeltaSlice(t, want, part.Values, 1e-12)
	shap, err := ExactShapley(context.Background(), g, 8)
	require.NoError(t, err)
	assert.InDeltaSlice(t, []float64{1.0 / 3, 1.0 / 3, 1.0 / 3}, shap.Values, 1e-12, "the flat hierarchy is Shapley")
	flat, err := ExactOwen(context.Background(), g, GroupOf(Leaf(0), Leaf(1), Leaf(2)), 8)
	require.NoError(t, err)
	assert.InDeltaSlice(t, shap.Values, flat.Values, 1e-12)

	// Pairwise interactions are split equally whatever the hierarchy, so
	// Owen values equal Shapley values on pairwise games.
	w := []float64{0.3, -0.2, 0.5, 0, 1, -0.7}
	pairs := []gametest.PairTerm{{I: 0, J: 1, U: 0.8}, {I: 2, J: 4, U: -1.1}, {I: 1, J: 5, U: 0.4}}
	pg := gametest.Pairwise(0.1, w, pairs)
	got, err := ExactOwen(context.Background(), pg, g3(), 64)
	require.NoError(t, err)
	assert.InDeltaSlice(t, gametest.PairwiseShapley(w, pairs), got.Values, 1e-12)
}

// twoLevelOwen is the Owen formula for a hierarchy of groups B_1..B_m of
// single features:
//
//	φ_i = Σ_{R ⊆ M∖{k}} Σ_{T ⊆ B_k∖{i}} r!(m−r−1)!/m! · t!(b−t−1)!/b! · (v(Q_R∪T∪{i}) − v(Q_R∪T)).
func twoLevelOwen(n int, v func(mask int) float64, groups [][]int) []float64 {
	fact := func(k int) float64 {
		f := 1.0
		for i := 2; i <= k; i++ {
			f *= float64(i)
		}
		return f
	}
	m := len(groups)
	phi := make([]float64, n)
	for k, bk := range groups {
		for _, i := range bk {
			for r := 0; r < 1<<m; r++ {
				if r&(1<<k) != 0 {
					continue
				}
				q, rs := 0, 0
				for j := range m {
					if r&(1<<j) != 0 {
						rs++
						for _, f := range groups[j] {
							q |= 1 << f
						}
					}
				}
				wr := fact(rs) * fact(m-rs-1) / fact(m)
				b := len(bk)
				for tm := 0; tm < 1<<b; tm++ {
					tset, ts := 0, 0
					skip := false
					for idx, f := range bk {
						if tm&(1<<idx) != 0 {
							if f == i {
								skip = true
							}
							tset |= 1 << f
							ts++
						}
					}
					if skip {
						continue
					}
					wt := fact(ts) * fact(b-ts-1) / fact(b)
					phi[i] += wr * wt * (v(q|tset|1<<i) - v(q|tset))
				}
			}
		}
	}
	return phi
}

func TestExactOwenMatchesTheTwoLevelFormula(t *testing.T) {
	for seed := range uint64(5) {
		g := gametest.Sentiment(6, seed)
		v := func(mask int) float64 { return g.F(perturb.CoalitionFromMask(6, uint64(mask))) }
		groups := [][]int{{0, 1, 2}, {3, 4}, {5}}
		got, err := ExactOwen(context.Background(), g, g3(), 64)
		require.NoError(t, err)
		assert.InDeltaSlice(t, twoLevelOwen(6, v, groups), got.Values, 1e-12, "seed %d", seed)
		assert.Less(t, got.Diagnostics[game.DiagEfficiencyGap], 1e-12)
	}
}

func TestPartitionWithTheBudgetForEverySplitIsExactOwen(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 9))
	for trial := range 12 {
		n := 2 + rng.IntN(7) // 2..8 features
		h := randomHierarchy(rng, 0, n)
		g := gametest.Sentiment(n, uint64(trial))
		want, err := ExactOwen(context.Background(), g, h.Binarized(), 1<<n)
		require.NoError(t, err)
		cg := &gametest.Counting{Game: g}
		got, err := Partition(context.Background(), cg, h, PartitionOptions{Budget: game.MaxBudget})
		require.NoError(t, err)
		assert.InDeltaSlice(t, want.Values, got.Values, 1e-12, "trial %d: n %d", trial, n)
		assert.Equal(t, 1.0, got.Diagnostics[DiagExact])
		total, distinct := cg.Valued()
		assert.Equal(t, total, distinct, "no coalition is valued twice")
		assert.Equal(t, distinct, got.Evaluations)
		assert.LessOrEqual(t, got.Evaluations, 1<<n)
	}
}

func TestPartitionUnderABudget(t *testing.T) {
	// 48 features in 6 "sentences" of 8 words; one sentence carries the
	// game. Small budgets must stay within budget, stay efficient, repeat
	// exactly, and put the strong sentence first.
	n := 48
	w := make([]float64, n)
	rng := rand.New(rand.NewPCG(5, 5))
	for i := range w {
		w[i] = 0.05 * rng.NormFloat64()
	}
	for i := 24; i < 32; i++ {
		w[i] += 0.4
	}
	lin := gametest.Additive(-0.5, w)
	g := gametest.Func{N: n, F: func(s perturb.Coalition) float64 { return 1 / (1 + math.Exp(-lin.F(s))) }}
	var sentences []perturb.Span
	for s := 0; s < n; s += 8 {
		sentences = append(sentences, perturb.Span{Start: s, End: s + 8})
	}
	h, err := HierarchyFromSpans(n, [][]perturb.Span{sentences})
	require.NoError(t, err)
	for _, budget := range []int{2, 16, 64, 256} {
		cg := &gametest.Counting{Game: g}
		a, err := Partition(context.Background(), cg, h, PartitionOptions{Budget: budget})
		require.NoError(t, err)
		assert.LessOrEqual(t, a.Evaluations, budget)
		total, distinct := cg.Valued()
		assert.Equal(t, total, distinct)
		assert.Less(t, a.Diagnostics[game.DiagEfficiencyGap], 1e-12, "budget %d", budget)
		b, err := Partition(context.Background(), g, h, PartitionOptions{Budget: budget})
		require.NoError(t, err)
		assert.Equal(t, a.Values, b.Values, "deterministic")
		if budget >= 16 {
			sums := make([]float64, 6)
			for i, v := range a.Values {
				sums[i/8] += v
			}
			for s := range sums {
				if s != 3 {
					assert.Greater(t, sums[3], sums[s], "budget %d: sentence 3 first", budget)
				}
			}
			assert.InDelta(t, 0.5, a.Diagnostics[DiagUnresolved], 0.5)
		}
	}
	assert.Equal(t, 1.0, mustPartition(t, g, h, 2).Diagnostics[DiagUnresolved], "budget 2 splits nothing")
}

func mustPartition(t *testing.T, g game.Game, h Group, budget int) *game.Attribution {
	t.Helper()
	a, err := Partition(context.Background(), g, h, PartitionOptions{Budget: budget})
	require.NoError(t, err)
	return a
}

func TestPartitionAndExactOwenRefuseBadInput(t *testing.T) {
	g := gametest.Additive(0, []float64{1, 2, 3})
	ctx := context.Background()
	_, err := Partition(ctx, g, GroupOf(Leaf(0), Leaf(1)), PartitionOptions{})
	assert.ErrorContains(t, err, "lacks feature 2")
	_, err = Partition(ctx, g, GroupOf(Leaf(0), Leaf(1), Leaf(1), Leaf(2)), PartitionOptions{})
	assert.ErrorContains(t, err, "feature 1 twice")
	_, err = Partition(ctx, g, GroupOf(Leaf(0), Leaf(1), Leaf(7)), PartitionOptions{})
	assert.ErrorContains(t, err, "feature 7")
	_, err = Partition(ctx, g, GroupOf(Leaf(0), Leaf(1), Leaf(2)), PartitionOptions{Budget: 1})
	assert.ErrorContains(t, err, "budget 1")
	_, err = ExactOwen(ctx, g, GroupOf(Leaf(0), Leaf(1), Leaf(2)), 4)
	assert.ErrorContains(t, err, "budget of 4")
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	_, err = Partition(cancelled, g, GroupOf(Leaf(0), Leaf(1), Leaf(2)), PartitionOptions{})
	assert.ErrorIs(t, err, context.Canceled)

	zero, err := Partition(ctx, gametest.Additive(0.5, nil), Group{}, PartitionOptions{})
	require.NoError(t, err)
	assert.Empty(t, zero.Values)
	assert.Equal(t, 0.5, zero.Base)
}

func TestHierarchyFromSpans(t *testing.T) {
	sp := func(a, b int) perturb.Span { return perturb.Span{Start: a, End: b} }
	h, err := HierarchyFromSpans(6, [][]perturb.Span{{sp(0, 2), sp(2, 3), sp(3, 6)}, {sp(0, 3), sp(3, 6)}})
	require.NoError(t, err)
	want := GroupOf(GroupOf(GroupOf(Leaf(0), Leaf(1)), Leaf(2)), GroupOf(Leaf(3), Leaf(4), Leaf(5)))
	assert.Equal(t, want, h)
	assert.Equal(t, []int{0, 1, 2, 3, 4, 5}, h.Features())

	_, err = HierarchyFromSpans(6, [][]perturb.Span{{sp(0, 2), sp(2, 6)}, {sp(0, 1), sp(1, 6)}})
	assert.ErrorContains(t, err, "cuts a group")
	_, err = HierarchyFromSpans(6, [][]perturb.Span{{sp(0, 2), sp(3, 6)}})
	assert.ErrorContains(t, err, "does not follow")
	_, err = HierarchyFromSpans(6, [][]perturb.Span{{sp(0, 2)}})
	assert.ErrorContains(t, err, "covers 2 of 6")

	b := GroupOf(Leaf(0), Leaf(1), Leaf(2), Leaf(3), Leaf(4)).Binarized()
	assert.Equal(t, GroupOf(GroupOf(GroupOf(Leaf(0), Leaf(1)), Leaf(2)), GroupOf(Leaf(3), Leaf(4))), b)
}

// sentenceHierarchy puts n features into k consecutive sentences of 1 to 5
// words, with a phrase level inside the longer ones.
func sentenceHierarchy(t *testing.T, rng *rand.Rand, k int) (n int, sentences []perturb.Span, h Group) {
	t.Helper()
	var phrases []perturb.Span
	for range k {
		size := 1 + rng.IntN(5)
		if size >= 4 {
			phrases = append(phrases, perturb.Span{Start: n, End: n + 2}, perturb.Span{Start: n + 2, End: n + size})
		} else {
			phrases = append(phrases, perturb.Span{Start: n, End: n + size})
		}
		sentences = append(sentences, perturb.Span{Start: n, End: n + size})
		n += size
	}
	h, err := HierarchyFromSpans(n, [][]perturb.Span{phrases, sentences})
	require.NoError(t, err)
	return n, sentences, h
}

func TestPartitionResolvesTheTopLevelFirst(t *testing.T) {
	// The oracle: the game whose players are the sentences (a sentence
	// present means all its words are), and its exact Owen values over
	// the binarized sentence level, by enumeration. Once Partition's
	// budget covers the splits above the sentences, each sentence's sum
	// of word values must be its value there, whatever the budget left
	// below; one evaluation short, it need not be.
	rng := rand.New(rand.NewPCG(11, 4))
	for trial := range 6 {
		k := 3 + rng.IntN(8) // 3..10 sentences
		n, sentences, h := sentenceHierarchy(t, rng, k)
		g := gametest.Sentiment(n, uint64(100+trial))
		quotient := gametest.Func{N: k, F: func(s perturb.Coalition) float64 {
			c := perturb.NewCoalition(n)
			for j, sp := range sentences {
				if s.Has(j) {
					for i := sp.Start; i < sp.End; i++ {
						c.Set(i)
					}
				}
			}
			return g.F(c)
		}}
		leaves := make([]Group, k)
		for j := range leaves {
			leaves[j] = Leaf(j)
		}
		want, err := ExactOwen(context.Background(), quotient, GroupOf(leaves...).Binarized(), 1<<k)
		require.NoError(t, err)
		// The top levels' cost: Partition over the sentences alone.
		top, err := Partition(context.Background(), quotient, GroupOf(leaves...), PartitionOptions{Budget: game.MaxBudget})
		require.NoError(t, err)
		require.Equal(t, 1.0, top.Diagnostics[DiagExact])
		for _, extra := range []int{0, 3, 40} {
			budget := top.Evaluations + extra
			got, err := Partition(context.Background(), g, h, PartitionOptions{Budget: budget})
			require.NoError(t, err)
			assert.LessOrEqual(t, got.Evaluations, budget)
			assert.Equal(t, 1.0, got.Diagnostics[DiagTopLevelExact], "trial %d, %d sentences, budget %d", trial, k, budget)
			sums := make([]float64, k)
			for j, sp := range sentences {
				for i := sp.Start; i < sp.End; i++ {
					sums[j] += got.Values[i]
				}
			}
			assert.InDeltaSlice(t, want.Values, sums, 1e-12, "trial %d, %d sentences, budget %d", trial, k, budget)
		}
		short, err := Partition(context.Background(), g, h, PartitionOptions{Budget: top.Evaluations - 1})
		require.NoError(t, err)
		assert.Equal(t, 0.0, short.Diagnostics[DiagTopLevelExact], "trial %d: one evaluation short", trial)
	}
}

func TestPartitionTopLevelCost(t *testing.T) {
	// The evaluations that make k sentences' values exact grow as about
	// ⅔·k²: the budget a text of k sentences needs before any word-level
	// refinement.
	for _, k := range []int{4, 8, 12, 16, 20, 24, 32} {
		leaves := make([]Group, k)
		for j := range leaves {
			leaves[j] = Leaf(j)
		}
		a, err := Partition(context.Background(), gametest.Sentiment(k, 1), GroupOf(leaves...), PartitionOptions{Budget: game.MaxBudget})
		require.NoError(t, err)
		t.Logf("%d sentences: %d evaluations", k, a.Evaluations)
		assert.LessOrEqual(t, float64(a.Evaluations), 2+float64(k*k), "%d sentences", k)
	}
}

func TestPartitionImputationIsExactOnAdditiveGamesUnderABudget(t *testing.T) {
	// An additive game's split difference v(C∪L) − v(C∪R) is the same in
	// every context, so once every node has been split in one context the
	// imputed splits give the exact weights, long before every context is
	// valued. The old even spread would miss them.
	rng := rand.New(rand.NewPCG(21, 2))
	n, _, h := sentenceHierarchy(t, rng, 12)
	w := make([]float64, n)
	for i := range w {
		w[i] = rng.NormFloat64()
	}
	g := gametest.Additive(0.3, w)
	full, err := Partition(context.Background(), g, h, PartitionOptions{Budget: game.MaxBudget})
	require.NoError(t, err)
	require.Equal(t, 1.0, full.Diagnostics[DiagExact])
	// Every node once: 2 per inner node (n − 1 of them) beyond ∅ and N,
	// the top levels in every context first (108 for 12 sentences).
	budget := 108 + 2*(n-1)
	require.Less(t, budget, full.Evaluations, "the budget must fall short of every split")
	a, err := Partition(context.Background(), g, h, PartitionOptions{Budget: budget})
	require.NoError(t, err)
	assert.Equal(t, 0.0, a.Diagnostics[DiagExact])
	assert.Greater(t, a.Diagnostics[DiagUnresolved], 0.0)
	assert.InDeltaSlice(t, w, a.Values, 1e-12)
	// Fewer evaluations than that leave some node never split: its
	// children share by size, not by weight.
	b, err := Partition(context.Background(), g, h, PartitionOptions{Budget: 40})
	require.NoError(t, err)
	assert.Less(t, b.Diagnostics[game.DiagEfficiencyGap], 1e-12)
	off := 0.0
	for i := range w {
		off = math.Max(off, math.Abs(b.Values[i]-w[i]))
	}
	assert.Greater(t, off, 1e-3, "budget 40 cannot resolve every node")
}
