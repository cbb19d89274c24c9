package shapley

import (
	"fmt"

	"github.com/lucid-nlp/lucid/perturb"
)

// Group is a node of a feature hierarchy (a nested partition of a game's
// features, as Owen values need): a leaf holds one feature, an inner node
// its children, each a group of features that enter and leave a coalition
// together before the rest of the hierarchy is considered.
type Group struct {
	// Feature is the leaf's feature index; unused when Children is set.
	Feature  int
	Children []Group
}

// Leaf is the group of feature i alone.
func Leaf(i int) Group { return Group{Feature: i} }

// GroupOf is the group of the given children.
func GroupOf(children ...Group) Group { return Group{Children: children} }

// IsLeaf reports whether g is one feature.
func (g Group) IsLeaf() bool { return len(g.Children) == 0 }

// Features lists g's features, in order.
func (g Group) Features() []int {
	if g.IsLeaf() {
		return []int{g.Feature}
	}
	var out []int
	for _, c := range g.Children {
		out = append(out, c.Features()...)
	}
	return out
}

// Binarized returns the same hierarchy with every inner node of k > 2
// children replaced by a balanced binary tree over them (the first ⌈k/2⌉
// children on the left, in order), and every node of one child replaced by
// that child. Partition computes Owen values with respect to this binary
// hierarchy: for k > 2 they differ from those of the k-way node, which
// treats its children as one level of k players.
func (g Group) Binarized() Group {
	if g.IsLeaf() {
		return g
	}
	kids := make([]Group, len(g.Children))
	for i, c := range g.Children {
		kids[i] = c.Binarized()
	}
	return binaryOver(kids)
}

func binaryOver(kids []Group) Group {
	switch len(kids) {
	case 1:
		return kids[0]
	case 2:
		return GroupOf(kids[0], kids[1])
	}
	half := (len(kids) + 1) / 2
	return GroupOf(binaryOver(kids[:half]), binaryOver(kids[half:]))
}

// checkHierarchy checks that h holds every feature 0..n−1 exactly once and
// no empty group.
func checkHierarchy(h Group, n int) error {
	seen := make([]bool, n)
	var walk func(g Group) error
	walk = func(g Group) error {
		if g.IsLeaf() {
			if g.Feature < 0 || g.Feature >= n {
				return fmt.Errorf("hierarchy has feature %d; the game has %d features", g.Feature, n)
			}
			if seen[g.Feature] {
				return fmt.Errorf("hierarchy has feature %d twice", g.Feature)
			}
			seen[g.Feature] = true
			return nil
		}
		for _, c := range g.Children {
			if err := walk(c); err != nil {
				return err
			}
		}
		return nil
	}
	if n == 0 {
		return nil
	}
	if err := walk(h); err != nil {
		return err
	}
	for i, ok := range seen {
		if !ok {
			return fmt.Errorf("hierarchy lacks feature %d of %d", i, n)
		}
	}
	return nil
}

// HierarchyFromSpans builds the hierarchy of n features in text order from
// levels of spans, finest first (as perturb.Outline.Groups returns them):
// the root's children are the coarsest level's groups, each of which holds
// the next finer level's groups inside it, down to the features. Every
// level must cover 0..n−1 with consecutive non-empty spans, and each span
// must lie inside one span of every coarser level; a group of one member
// is replaced by that member.
func HierarchyFromSpans(n int, levels [][]perturb.Span) (Group, error) {
	nodes := make([]Group, n)
	spans := make([]perturb.Span, n) // each node's features
	for i := range n {
		nodes[i], spans[i] = Leaf(i), perturb.Span{Start: i, End: i + 1}
	}
	for k, level := range levels {
		next, j := 0, 0 // j: the first node not yet placed in a group
		var up []Group
		var upSpans []perturb.Span
		for _, s := range level {
			if s.Start != next || s.End <= s.Start || s.End > n {
				return Group{}, fmt.Errorf("attribution: hierarchy level %d: span [%d, %d) does not follow %d within %d features", k, s.Start, s.End, next, n)
			}
			var kids []Group
			for j < len(nodes) && spans[j].End <= s.End {
				kids = append(kids, nodes[j])
				j++
			}
			if len(kids) == 0 || spans[j-1].End != s.End {
				return Group{}, fmt.Errorf("attribution: hierarchy level %d: span [%d, %d) cuts a group of the level below", k, s.Start, s.End)
			}
			if len(kids) == 1 {
				up = append(up, kids[0])
			} else {
				up = append(up, GroupOf(kids...))
			}
			upSpans = append(upSpans, s)
			next = s.End
		}
		if next != n {
			return Group{}, fmt.Errorf("attribution: hierarchy level %d covers %d of %d features", k, next, n)
		}
		nodes, spans = up, upSpans
	}
	if len(nodes) == 1 {
		return nodes[0], nil
	}
	return GroupOf(nodes...), nil
}
