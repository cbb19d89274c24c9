package shapley

import (
	"container/heap"
	"context"
	"fmt"
	"math"

	"github.com/lucid-nlp/lucid/attribution/game"
	"github.com/lucid-nlp/lucid/perturb"
)

// Diagnostic keys of Partition.
const (
	// DiagUnresolved is the share of the absolute credit that reached the
	// features through imputed splits (see Partition) because the budget
	// ran out before the (group, context) pair holding it was split: 0
	// means every credit reached a feature through valued splits, and then
	// the values are the exact Owen values of the binarized hierarchy.
	DiagUnresolved = "unresolved_share"
	// DiagSplits is the number of (group, context) pairs Partition split.
	DiagSplits = "splits"
	// DiagTopLevelExact is 1 when Partition split every (group, context)
	// pair above the hierarchy's top-level groups (the root's children:
	// a text's sentences), so that each top-level group's attribution, the
	// sum of its features', is that group's exact Owen value (of the
	// binarized hierarchy), and 0 when the budget did not reach that far.
	DiagTopLevelExact = "top_level_exact"
)

// partitionRound is how many splits Partition values per Values call: up
// to twice as many coalitions, enough to fill a batch, few enough that the
// splits chosen first steer the next round.
const partitionRound = 32

// PartitionOptions configure Partition.
type PartitionOptions struct {
	// Budget is the most distinct coalitions valued, ∅ and N included; at
	// least 2 (at most game.MaxBudget). 0 means game.DefaultBudget.
	Budget int
}

// Partition estimates the Owen values of g for the hierarchy h (the same
// idea as shap's Partition explainer): features in one group of h join a
// coalition together before the hierarchy's other groups are considered,
// so a budget is spent on how groups share the score before it is spent on
// how their members do.
//
// h is first binarized (Group.Binarized). The Owen value of a binary node
// with children L and R, present between a context C (the features of the
// node's ancestors' siblings that are present) and C ∪ L ∪ R, is the
// two-player Shapley split of its credit v(C∪L∪R) − v(C):
//
//	L gets ½[(v(C∪L) − v(C)) + (v(C∪L∪R) − v(C∪R))], R the rest,
//
// and each child's share is itself the average of its credit in the two
// contexts C (sibling absent) and C ∪ sibling (present), each with half the
// weight: each split values a complementary pair of coalitions of the
// node, C ∪ L and C ∪ R. Splitting every node in every context gives the
// exact Owen values of the binary hierarchy in about ⅔·n² evaluations for
// a balanced tree of n leaves.
//
// Under a budget, Partition spends the evaluations top-down. First the
// pairs above h's top-level groups (the root's children: a text's
// sentences), one depth of the binary tree per Values call: when they all
// fit (about ⅔·k² evaluations for k groups: 172 for 16 sentences, 300 for
// 20), each top-level group's attribution, the sum of its features', is
// its exact Owen value whatever is left for the levels below
// (DiagTopLevelExact), since a split only moves credit inside the node it
// splits. When they do not all fit, the nodes not split in any context yet
// go first, then the pairs with the largest weighted credit |w·(v(C∪node)
// − v(C))|. Then the rest of the budget refines inside the groups the same
// way (nodes never split first, then the largest credit), partitionRound
// pairs at a time in one Values call, so the groups with the most credit
// are resolved deepest. When the next pair no longer fits, every pending
// pair's credit is shared out by imputed splits: a node split in other
// contexts divides it by the mean difference v(C∪L) − v(C∪R) measured
// there, a node never split by its children's sizes (partitioner.impute),
// down to the features. That is exact for additive games once each node
// has been split once, and is the even spread over a node's features
// where nothing below it was split. Credits are conserved at every split,
// valued or imputed, so the values always sum to v(N) − v(∅) exactly
// (efficiency).
//
// Diagnostics: "efficiency_gap" (rounding only), "unresolved_share" (see
// DiagUnresolved), "splits", "top_level_exact" (see DiagTopLevelExact),
// and "exact" = 1 when every credit went through valued splits.
func Partition(ctx context.Context, g game.Game, h Group, opts PartitionOptions) (*game.Attribution, error) {
	n, err := game.FeatureCount(g)
	if err != nil {
		return nil, fmt.Errorf("attribution: Partition: %w", err)
	}
	if err := checkHierarchy(h, n); err != nil {
		return nil, fmt.Errorf("attribution: Partition: %w", err)
	}
	budget := opts.Budget
	if budget == 0 {
		budget = game.DefaultBudget
	}
	if budget < 2 || budget > game.MaxBudget {
		return nil, fmt.Errorf("attribution: Partition: budget %d: want 2 (∅ and N) to %d evaluations", budget, game.MaxBudget)
	}
	p := &partitioner{g: g, n: n, budget: budget, cache: map[string]float64{}, untried: map[bool]int{}}
	empty, full := perturb.NewCoalition(n), perturb.FullCoalition(n)
	ends, err := p.values(ctx, []perturb.Coalition{empty, full})
	if err != nil {
		return nil, err
	}
	phi := make([]float64, n)
	attr := &game.Attribution{Values: phi, Base: ends[0], Full: ends[1]}
	if n == 0 {
		attr.Evaluations = p.evaluations
		attr.Diagnostics = map[string]float64{game.DiagEfficiencyGap: 0, DiagUnresolved: 0, DiagSplits: 0, DiagTopLevelExact: 1, DiagExact: 1}
		return attr, nil
	}
	p.flatten(h.Binarized())
	p.markTop(h)
	p.tries = make([]int, len(p.nodes))
	for _, nd := range p.nodes {
		if nd.leaf < 0 {
			p.untried[nd.top]++
		}
	}
	p.diff, p.diffWeight = make([]float64, len(p.nodes)), make([]float64, len(p.nodes))

	q := &splitQueue{}
	resolved, unresolved := 0.0, 0.0
	credit := func(it splitItem) {
		node := p.nodes[it.node]
		c := it.weight * (it.fIn - it.fOut)
		if node.leaf >= 0 {
			phi[node.leaf] += c
			resolved += math.Abs(c)
			return
		}
		it.top = node.top
		it.untried = p.tries[it.node] == 0
		heap.Push(q, it)
	}
	credit(splitItem{node: 0, context: empty, fOut: ends[0], fIn: ends[1], weight: 1})
	splits := 0
	for q.Len() > 0 {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		// Take the most credited splits whose new coalitions fit.
		var round []splitItem
		var pending []perturb.Coalition
		planned := map[string]bool{}
		// Pairs above the top-level groups are all split, one depth of the
		// tree per round; below them, partitionRound at a time.
		for q.Len() > 0 && (len(round) < partitionRound || q.items[0].top) {
			it := q.items[0]
			if it.untried && p.tries[it.node] > 0 {
				// Its node has been split since: it queues again behind
				// the nodes not split yet.
				heap.Pop(q)
				it.untried = false
				heap.Push(q, it)
				continue
			}
			if len(round) > 0 && it.top != round[0].top {
				break // finish the top levels before refining inside a group
			}
			if len(round) > 0 && !it.untried && p.untried[it.top] > 0 {
				// Some node of this tier has no split yet: its pairs come
				// once this round has split its parent.
				break
			}
			node := p.nodes[it.node]
			withL, withR := union(it.context, p.nodes[node.left].set), union(it.context, p.nodes[node.right].set)
			var fresh []perturb.Coalition
			for _, c := range []perturb.Coalition{withL, withR} {
				k := c.Key()
				if _, ok := p.cache[k]; !ok && !planned[k] {
					fresh = append(fresh, c)
				}
			}
			if p.evaluations+len(pending)+len(fresh) > budget {
				break
			}
			for _, c := range fresh {
				planned[c.Key()] = true
			}
			pending = append(pending, fresh...)
			heap.Pop(q)
			if p.tries[it.node] == 0 {
				p.untried[it.top]--
			}
			p.tries[it.node]++
			it.withL, it.withR = withL, withR
			round = append(round, it)
		}
		if len(round) == 0 {
			break // the budget is spent
		}
		if _, err := p.values(ctx, pending); err != nil {
			return nil, err
		}
		for _, it := range round {
			splits++
			node := p.nodes[it.node]
			fL, fR := p.cache[it.withL.Key()], p.cache[it.withR.Key()]
			p.diff[it.node] += it.weight * (fL - fR)
			p.diffWeight[it.node] += it.weight
			w := it.weight / 2
			// Each child: its credit with the sibling absent, and with it present.
			credit(splitItem{node: node.left, context: it.context, fOut: it.fOut, fIn: fL, weight: w})
			credit(splitItem{node: node.left, context: it.withR, fOut: fR, fIn: it.fIn, weight: w})
			credit(splitItem{node: node.right, context: it.context, fOut: it.fOut, fIn: fR, weight: w})
			credit(splitItem{node: node.right, context: it.withL, fOut: fL, fIn: it.fIn, weight: w})
		}
	}
	for _, it := range q.items {
		c := it.weight * (it.fIn - it.fOut)
		unresolved += math.Abs(c)
		p.impute(phi, it.node, c, it.weight)
	}
	attr.Evaluations = p.evaluations
	share := 0.0
	if resolved+unresolved > 0 {
		share = unresolved / (resolved + unresolved)
	}
	exact, topExact := 0.0, 1.0
	if q.Len() == 0 {
		exact = 1
	}
	for _, it := range q.items {
		if it.top {
			topExact = 0
		}
	}
	attr.Diagnostics = map[string]float64{
		game.DiagEfficiencyGap: game.EfficiencyGap(phi, attr.Base, attr.Full),
		DiagUnresolved:         share,
		DiagSplits:             float64(splits),
		DiagTopLevelExact:      topExact,
		DiagExact:              exact,
	}
	return attr, nil
}

// partitioner holds one Partition call's game, flattened tree and values,
// and what each node's splits measured.
type partitioner struct {
	g           game.Game
	n, budget   int
	evaluations int
	cache       map[string]float64
	nodes       []partNode
	// tries counts each node's splits, planned or done; diff sums w·(v(C∪L)
	// − v(C∪R)) over its splits and diffWeight their weights w.
	tries            []int
	diff, diffWeight []float64
	// untried counts the inner nodes never split, above the top-level
	// groups (true) and below them (false).
	untried map[bool]int
}

// impute shares the credit c of an unsplit (node, context) pair of weight w
// among the node's features. A split gives the left child c/2 + w·(v(C∪L)
// − v(C∪R))/2 and the right child the rest; where the node was split in
// other contexts, the weighted mean of v(C∪L) − v(C∪R) over them stands in
// for the unmeasured difference, and the children's shares are imputed in
// turn. A node never split passes its credit to its children in
// proportion to their features, so that it reaches any split measured
// below; with no split below either, that is the even spread. For an
// additive game the difference is the same in every context, so one split
// of each node makes every value exact; in general it is the assumption
// that a node's children differ as much in the contexts not valued as in
// those valued.
func (p *partitioner) impute(phi []float64, node int, c, w float64) {
	nd := p.nodes[node]
	if nd.leaf >= 0 {
		phi[nd.leaf] += c
		return
	}
	var left float64
	if p.diffWeight[node] > 0 {
		left = c/2 + w*p.diff[node]/p.diffWeight[node]/2
	} else {
		left = c * float64(len(p.nodes[nd.left].features)) / float64(len(nd.features))
	}
	p.impute(phi, nd.left, left, w)
	p.impute(phi, nd.right, c-left, w)
}

// partNode is a node of the binarized hierarchy: a leaf (leaf ≥ 0) or two
// children, with the set of its features; top marks the inner nodes above
// the original hierarchy's top-level groups.
type partNode struct {
	leaf        int
	left, right int
	set         perturb.Coalition
	features    []int
	top         bool
}

// markTop marks the binary nodes that hold features of more than one of
// h's top-level groups (h's children): the nodes the binarization put
// above them.
func (p *partitioner) markTop(h Group) {
	if h.IsLeaf() {
		return
	}
	groupOf := make([]int, p.n)
	for k, c := range h.Children {
		for _, f := range c.Features() {
			groupOf[f] = k
		}
	}
	for i := range p.nodes {
		fs := p.nodes[i].features
		for _, f := range fs[1:] {
			if groupOf[f] != groupOf[fs[0]] {
				p.nodes[i].top = true
				break
			}
		}
	}
}

// flatten numbers the binary tree's nodes depth first, the root 0.
func (p *partitioner) flatten(h Group) int {
	id := len(p.nodes)
	p.nodes = append(p.nodes, partNode{leaf: -1})
	node := partNode{leaf: -1, features: h.Features()}
	node.set = perturb.NewCoalition(p.n)
	for _, f := range node.features {
		node.set.Set(f)
	}
	if h.IsLeaf() {
		node.leaf = h.Feature
	} else {
		node.left = p.flatten(h.Children[0])
		node.right = p.flatten(h.Children[1])
	}
	p.nodes[id] = node
	return id
}

// values values the coalitions not yet cached (distinct by construction)
// and returns every coalition's value.
func (p *partitioner) values(ctx context.Context, cs []perturb.Coalition) ([]float64, error) {
	var fresh []perturb.Coalition
	seen := map[string]bool{}
	for _, c := range cs {
		k := c.Key()
		if _, ok := p.cache[k]; !ok && !seen[k] {
			seen[k] = true
			fresh = append(fresh, c)
		}
	}
	vals, err := game.ValueCoalitions(ctx, p.g, fresh)
	if err != nil {
		return nil, fmt.Errorf("attribution: Partition: %w", err)
	}
	p.evaluations += len(fresh)
	for i, c := range fresh {
		p.cache[c.Key()] = vals[i]
	}
	out := make([]float64, len(cs))
	for i, c := range cs {
		out[i] = p.cache[c.Key()]
	}
	return out, nil
}

// union is a ∪ b as a new coalition.
func union(a, b perturb.Coalition) perturb.Coalition {
	out := a.Clone()
	for i := range b.N() {
		if b.Has(i) {
			out.Set(i)
		}
	}
	return out
}

// splitItem is one node's credit in one context: weight·(fIn − fOut),
// where fOut = v(context) and fIn = v(context ∪ node).
type splitItem struct {
	node         int
	context      perturb.Coalition
	fOut, fIn    float64
	weight       float64
	top          bool // the node is above the top-level groups: split first
	untried      bool // the node had no split when this was queued: split sooner
	seq          int  // insertion order: ties split first-come, so runs repeat
	withL, withR perturb.Coalition
}

func (it splitItem) priority() float64 { return math.Abs(it.weight * (it.fIn - it.fOut)) }

// splitQueue is a max-heap of split items by priority.
type splitQueue struct {
	items []splitItem
	next  int
}

func (q *splitQueue) Len() int { return len(q.items) }
func (q *splitQueue) Less(i, j int) bool {
	if q.items[i].top != q.items[j].top {
		return q.items[i].top
	}
	if q.items[i].untried != q.items[j].untried {
		return q.items[i].untried
	}
	pi, pj := q.items[i].priority(), q.items[j].priority()
	if pi != pj {
		return pi > pj
	}
	return q.items[i].seq < q.items[j].seq
}
func (q *splitQueue) Swap(i, j int) { q.items[i], q.items[j] = q.items[j], q.items[i] }
func (q *splitQueue) Push(x any) {
	it := x.(splitItem)
	it.seq = q.next
	q.next++
	q.items = append(q.items, it)
}
func (q *splitQueue) Pop() any {
	last := q.items[len(q.items)-1]
	q.items = q.items[:len(q.items)-1]
	return last
}
