package shapley

import (
	"math"
	"math/bits"
	"sort"
)

// boostedTrees is a small gradient-boosted regression-tree model on
// coalition indicators, the proxy of bench/baselines.RegressionMSR and OddSHAP (the papers
// use XGBoost and LightGBM; this is the same squared-loss boosting with
// XGBoost's defaults: 100 trees of depth at most 6, learning rate 0.3, leaf
// L2 penalty λ = 1, exact greedy splits). Its Shapley values and Fourier
// coefficients are computed exactly from its leaves.
type boostedTrees struct {
	base  float64
	trees [][]treeLeaf
}

// treeLeaf is one leaf: its value and the path's conditions, features that
// must be present (in) and absent (out).
type treeLeaf struct {
	value   float64
	in, out []int
}

const (
	proxyTrees    = 100
	proxyDepth    = 6
	proxyRate     = 0.3
	proxyLambda   = 1.0
	proxyMinChild = 1
)

// treeConfig is a boosting schedule: how many trees, how deep, and the
// learning rate (the leaf penalty and smallest child are XGBoost's).
type treeConfig struct {
	trees, depth int
	rate         float64
}

// xgboostDefaults is the baselines' proxy, XGBoost's default schedule.
var xgboostDefaults = treeConfig{trees: proxyTrees, depth: proxyDepth, rate: proxyRate}

// fitBoostedTrees fits the proxy to rows of indicators z (rows × n) and
// responses y, with XGBoost's default schedule.
func fitBoostedTrees(z []bool, n int, y []float64) *boostedTrees {
	return fitBoostedTreesWith(z, n, y, xgboostDefaults)
}

// fitBoostedTreesWith fits the proxy with the given schedule. A node's
// split search needs, for every feature j, the residual sum g_j and count
// n_j of its rows holding j. The root takes them in one pass over its
// rows' members (rows × n/2 additions); below it, only the smaller child
// is passed over and the larger one's sums are its parent's less the
// smaller's (the histogram subtraction of LightGBM and XGBoost's hist
// method), and children at the depth limit, which cannot split, take none:
// together a third or less of a full pass per level. The counts are
// integers and exact; the sums differ from direct ones by rounding only.
// The rows are partitioned in place, stably.
func fitBoostedTreesWith(z []bool, n int, y []float64, cfg treeConfig) *boostedTrees {
	rows := len(y)
	m := &boostedTrees{}
	for _, v := range y {
		m.base += v / float64(rows)
	}
	pred := make([]float64, rows)
	for r := range pred {
		pred[r] = m.base
	}
	// Each row's members, flattened: row r's are flat[start[r]:start[r+1]].
	start := make([]int, rows+1)
	var flat []int
	for r := range rows {
		for j := range n {
			if z[r*n+j] {
				flat = append(flat, j)
			}
		}
		start[r+1] = len(flat)
	}
	// Each feature's column as a bitset over the rows, for the partitions:
	// a node's rows are read in order, so a column's few words stay in
	// cache where the row-major indicators would be strided.
	words := (rows + 63) / 64
	columns := make([]uint64, n*words)
	for r := range rows {
		for _, j := range flat[start[r]:start[r+1]] {
			columns[j*words+r>>6] |= 1 << (r & 63)
		}
	}
	resid := make([]float64, rows)
	idx := make([]int, rows)
	scratch := make([]int, rows)
	used := make([]bool, n)
	// Per depth, the two children's member sums and counts.
	type memberSums struct {
		g []float64
		c []int
	}
	newSums := func() memberSums { return memberSums{make([]float64, n), make([]int, n)} }
	levels := make([][2]memberSums, cfg.depth+1)
	for d := range levels {
		levels[d] = [2]memberSums{newSums(), newSums()}
	}
	sumMembers := func(dst memberSums, rs []int) {
		clear(dst.g)
		clear(dst.c)
		for _, r := range rs {
			e := resid[r]
			for _, j := range flat[start[r]:start[r+1]] {
				dst.g[j] += e
				dst.c[j]++
			}
		}
	}
	for range cfg.trees {
		for r := range rows {
			resid[r] = y[r] - pred[r]
			idx[r] = r
		}
		// The leaves' conditions share one array per tree: a leaf's path
		// holds at most cfg.depth features and a tree at most 2^depth
		// leaves, so the array never grows and the subslices stay valid.
		maxLeaves := min(1<<min(cfg.depth, 20), rows)
		leaves := make([]treeLeaf, 0, maxLeaves)
		conds := make([]int, 0, maxLeaves*cfg.depth)
		addLeaf := func(value float64, in, out []int) {
			at := len(conds)
			conds = append(conds, in...)
			mid := len(conds)
			conds = append(conds, out...)
			end := len(conds)
			leaves = append(leaves, treeLeaf{value: value, in: conds[at:mid:mid], out: conds[mid:end:end]})
		}
		// grow grows the node of rows rs, whose residuals sum to g (the
		// parent's member sum for a left child, the rest for a right); ms
		// holds its member sums when depth < cfg.depth.
		var grow func(rs []int, depth int, in, out []int, ms memberSums, g float64)
		grow = func(rs []int, depth int, in, out []int, ms memberSums, g float64) {
			leafValue := cfg.rate * g / (float64(len(rs)) + proxyLambda)
			best, bestGain := -1, 1e-12
			if depth < cfg.depth {
				parent := g * g / (float64(len(rs)) + proxyLambda)
				for j := range n {
					if used[j] {
						continue
					}
					nl := ms.c[j]
					nr := len(rs) - nl
					if nl < proxyMinChild || nr < proxyMinChild {
						continue
					}
					gr := g - ms.g[j]
					gain := ms.g[j]*ms.g[j]/(float64(nl)+proxyLambda) + gr*gr/(float64(nr)+proxyLambda) - parent
					if gain > bestGain {
						best, bestGain = j, gain
					}
				}
			}
			if best < 0 {
				addLeaf(leafValue, in, out)
				for _, r := range rs {
					pred[r] += leafValue
				}
				return
			}
			col := columns[best*words : (best+1)*words]
			if depth+1 == cfg.depth {
				// Both children are leaves: their values follow from the
				// member sums, and one pass credits every row, with no
				// partition.
				nl := ms.c[best]
				vl := cfg.rate * ms.g[best] / (float64(nl) + proxyLambda)
				vr := cfg.rate * (g - ms.g[best]) / (float64(len(rs)-nl) + proxyLambda)
				addLeaf(vl, append(in, best), out)
				addLeaf(vr, in, append(out, best))
				for _, r := range rs {
					if col[r>>6]>>(r&63)&1 == 1 {
						pred[r] += vl
					} else {
						pred[r] += vr
					}
				}
				return
			}
			// Stable partition, members of best first, without branches:
			// each row is written to both sides and only its side's
			// cursor advances (the rows are read before they are
			// overwritten, as k never passes the read position).
			k, o := 0, 0
			for _, r := range rs {
				bit := int(col[r>>6] >> (r & 63) & 1)
				rs[k] = r
				scratch[o] = r
				k += bit
				o += 1 - bit
			}
			copy(rs[k:], scratch[:o])
			left, right := rs[:k], rs[k:]
			var lm, rm memberSums
			if depth+1 < cfg.depth {
				lm, rm = levels[depth+1][0], levels[depth+1][1]
				small, large := lm, rm
				smallRows := left
				if len(right) < len(left) {
					small, large, smallRows = rm, lm, right
				}
				sumMembers(small, smallRows)
				for j := range n {
					large.g[j] = ms.g[j] - small.g[j]
					large.c[j] = ms.c[j] - small.c[j]
				}
			}
			used[best] = true
			grow(left, depth+1, append(in, best), out, lm, ms.g[best])
			grow(right, depth+1, in, append(out, best), rm, g-ms.g[best])
			used[best] = false
		}
		var root memberSums
		if cfg.depth > 0 {
			root = levels[0][0]
			sumMembers(root, idx)
		}
		g := 0.0
		for _, e := range resid {
			g += e
		}
		grow(idx, 0, nil, nil, root, g)
		m.trees = append(m.trees, leaves)
	}
	return m
}

// at is the proxy's value on indicator row z.
func (m *boostedTrees) at(z []bool) float64 {
	s := m.base
	for _, leaves := range m.trees {
	leaf:
		for _, l := range leaves {
			for _, j := range l.in {
				if !z[j] {
					continue leaf
				}
			}
			for _, j := range l.out {
				if z[j] {
					continue leaf
				}
			}
			s += l.value
			break
		}
	}
	return s
}

// shapley is the proxy's exact Shapley values: a leaf is the game
// u(S) = 1[A ⊆ S, B ∩ S = ∅] (A its in, B its out), whose Shapley values
// are (|A|−1)!|B|!/(|A|+|B|)! for i ∈ A and −|A|!(|B|−1)!/(|A|+|B|)! for
// i ∈ B (the single-reference TreeSHAP formula), and the model is a sum
// of leaves.
func (m *boostedTrees) shapley(n int) []float64 {
	phi := make([]float64, n)
	for _, leaves := range m.trees {
		for _, l := range leaves {
			a, b := len(l.in), len(l.out)
			if a+b == 0 {
				continue
			}
			if a > 0 {
				w := math.Exp(lgamma(a) + lgamma(b+1) - lgamma(a+b+1))
				for _, i := range l.in {
					phi[i] += l.value * w
				}
			}
			if b > 0 {
				w := math.Exp(lgamma(a+1) + lgamma(b) - lgamma(a+b+1))
				for _, i := range l.out {
					phi[i] -= l.value * w
				}
			}
		}
	}
	return phi
}

// lgamma(k) is log((k−1)!).
func lgamma(k int) float64 {
	v, _ := math.Lgamma(float64(k))
	return v
}

// oddFourierTable returns the proxy's Fourier coefficients of odd order
// at least three, keyed by the feature bitmask (n ≤ 64): with x_j = ±1 for
// present or absent, a leaf is Π_{j∈A}(1+x_j)/2 · Π_{k∈B}(1−x_k)/2, whose
// coefficient on χ_T, T ⊆ A ∪ B, is 2^{−|A|−|B|}(−1)^{|T∩B|}. They go
// into a maskTable sized for the distinct keys there can be, which is far
// fewer than the additions when the trees are many (200 trees of depth 6
// make over 10^5 additions onto at most 2^{n−1} − n odd keys).
func (m *boostedTrees) oddFourierTable(n int) *maskTable {
	terms := 0
	for _, leaves := range m.trees {
		for _, l := range leaves {
			if d := len(l.in) + len(l.out); d >= 3 {
				terms += 1<<(d-1) - d // odd subsets of size ≥ 3
			}
		}
	}
	h := newMaskTable(terms, n)
	var vars [64]int
	// oddSubs[d] lists the subsets of d positions of odd size ≥ 3, made
	// once per depth: a leaf of depth 6 has 26 of its 63 subsets.
	var oddSubs [65][]uint64
	for _, leaves := range m.trees {
		for _, l := range leaves {
			d := copy(vars[:], l.in)
			d += copy(vars[d:], l.out)
			if d < 3 {
				continue
			}
			scale := l.value / float64(uint64(1)<<d)
			var outBits uint64 // subset positions that are out-conditions
			for p := len(l.in); p < d; p++ {
				outBits |= 1 << p
			}
			if oddSubs[d] == nil {
				for sub := uint64(1); sub < 1<<d; sub++ {
					if k := bits.OnesCount64(sub); k >= 3 && k%2 == 1 {
						oddSubs[d] = append(oddSubs[d], sub)
					}
				}
			}
			for _, sub := range oddSubs[d] {
				var mask uint64
				for s := sub; s != 0; s &= s - 1 {
					mask |= 1 << vars[bits.TrailingZeros64(s)]
				}
				c := scale
				if bits.OnesCount64(sub&outBits)%2 == 1 {
					c = -c
				}
				h.add(mask, c)
			}
		}
	}
	return h
}

// maskTable sums values by nonzero bitmask key: a dense array indexed by
// the mask when the n features have at most denseMaskFeatures (2^n slots,
// no hashing), otherwise a fixed-capacity open-addressing hash table,
// several times faster than a map for the additions a proxy makes.
type maskTable struct {
	dense bool
	keys  []uint64 // hashed: the keys, 0 for an empty slot
	vals  []float64
}

// denseMaskFeatures is the most features for which a maskTable is a dense
// array (2^16 float64s, 512 KiB).
const denseMaskFeatures = 16

// newMaskTable returns a table for at most entries additions of keys over
// n features.
func newMaskTable(entries, n int) *maskTable {
	if n <= denseMaskFeatures {
		return &maskTable{dense: true, vals: make([]float64, 1<<n)}
	}
	if n < 62 {
		entries = min(entries, 1<<(n-1))
	}
	size := 16
	for size < 2*entries {
		size *= 2
	}
	return &maskTable{keys: make([]uint64, size), vals: make([]float64, size)}
}

func (h *maskTable) add(key uint64, v float64) {
	if h.dense {
		h.vals[key] += v
		return
	}
	mask := uint64(len(h.keys) - 1)
	i := (key * 0x9e3779b97f4a7c15) >> 32 & mask
	for {
		switch h.keys[i] {
		case key:
			h.vals[i] += v
			return
		case 0:
			h.keys[i] = key
			h.vals[i] = v
			return
		}
		i = (i + 1) & mask
	}
}

// top returns up to k keys with the largest |sum|, ties by key, so the
// result does not depend on the table's layout.
func (h *maskTable) top(k int) []uint64 {
	type entry struct {
		key uint64
		abs float64
	}
	less := func(a, b entry) bool { // a ranks below b
		if a.abs != b.abs {
			return a.abs < b.abs
		}
		return a.key > b.key
	}
	// A min-heap of the k best so far.
	heap := make([]entry, 0, k)
	down := func(i int) {
		for {
			c := 2*i + 1
			if c >= len(heap) {
				return
			}
			if c+1 < len(heap) && less(heap[c+1], heap[c]) {
				c++
			}
			if !less(heap[c], heap[i]) {
				return
			}
			heap[i], heap[c] = heap[c], heap[i]
			i = c
		}
	}
	for j, val := range h.vals {
		key := uint64(j)
		if !h.dense {
			key = h.keys[j]
		}
		if key == 0 || val == 0 || k == 0 {
			continue
		}
		e := entry{key, math.Abs(val)}
		if len(heap) < k {
			heap = append(heap, e)
			for i := len(heap) - 1; i > 0; {
				parent := (i - 1) / 2
				if !less(heap[i], heap[parent]) {
					break
				}
				heap[i], heap[parent] = heap[parent], heap[i]
				i = parent
			}
			continue
		}
		if less(heap[0], e) {
			heap[0] = e
			down(0)
		}
	}
	sort.Slice(heap, func(a, b int) bool { return less(heap[b], heap[a]) })
	out := make([]uint64, len(heap))
	for i, e := range heap {
		out[i] = e.key
	}
	return out
}

func popcount(x uint64) int {
	c := 0
	for ; x != 0; x &= x - 1 {
		c++
	}
	return c
}
