package counterfactual

import (
	"cmp"
	"fmt"
	"hash/fnv"
	"slices"
	"strings"
)

// This file pairs each name of a name family with many partners instead of
// the one its position in the lists gives it. The alignment of given names
// across groups means nothing (james ↔ darnell is as good as james ↔
// tyrone), so a fixed partner would make every measured gap partly a gap
// between two particular names. Each name is paired with every name of the
// target group, or with a seeded subset of at most Config.Partners of them.

// DefaultPartners is how many partners in each target group a name of a
// name family is paired with when Config.Partners is 0.
const DefaultPartners = 5

// IsNameFamily says whether f is a family of given names: one whose name
// starts with "names_" (the built-in name families, or a family of that
// name loaded from a file). In a name family the terms of a group are
// exchangeable, so a name is paired with many partners (see
// Config.Partners) and the audit's unit of replication is the name, not the
// text (see Stats.Clustered).
func IsNameFamily(f Family) bool { return strings.HasPrefix(f.Name, "names_") }

// PartnersOf returns the partners of term (in group from of f) in group to:
// every distinct non-empty term of that group other than term itself when
// k < 0 or k is at least their number, else the k whose hash (of seed,
// family, groups, term and partner) is smallest, so the choice depends on
// nothing but its arguments. Partners come back in the order the group
// lists them.
func PartnersOf(f Family, from, to, term string, k int, seed uint64) []string {
	var g *Group
	for i := range f.Groups {
		if f.Groups[i].Name == to {
			g = &f.Groups[i]
		}
	}
	if g == nil {
		return nil
	}
	term = strings.ToLower(term)
	var cands []string
	seen := make(map[string]bool)
	for _, t := range g.Terms {
		c := canonicalTerm(t)
		if c == "" || c == term || seen[c] {
			continue
		}
		seen[c] = true
		cands = append(cands, c)
	}
	if k < 0 || k >= len(cands) {
		return cands
	}
	type ranked struct {
		h   uint64
		pos int
	}
	rs := make([]ranked, len(cands))
	for i, c := range cands {
		h := fnv.New64a()
		var sb [8]byte
		for j := range sb {
			sb[j] = byte(seed >> (8 * j))
		}
		h.Write(sb[:])
		for _, s := range []string{f.Name, from, to, term, c} {
			h.Write([]byte(s))
			h.Write([]byte{0})
		}
		rs[i] = ranked{h.Sum64(), i}
	}
	slices.SortFunc(rs, func(x, y ranked) int { return cmp.Or(cmp.Compare(x.h, y.h), cmp.Compare(x.pos, y.pos)) })
	rs = rs[:k]
	slices.SortFunc(rs, func(x, y ranked) int { return cmp.Compare(x.pos, y.pos) })
	out := make([]string, k)
	for i, r := range rs {
		out[i] = cands[r.pos]
	}
	return out
}

// canonicalTerm is a term as the matcher reads it: lower case, single
// spaces; "" for an empty slot.
func canonicalTerm(t string) string {
	e := parseTerm(t)
	if e == nil {
		return ""
	}
	return e.term
}

// partnerKey identifies one (name → partner) swap family.
type partnerKey struct {
	fam                    int
	from, to, term, target string
}

// partnerSwaps returns the swaps of text under the name family at position
// fi: each name found (in order of first occurrence), into each other group
// of the family, with each of its partners there. Each swap is made by
// Counterfactuals on a two-group family holding just the name and its
// partner, so it gets every agreement a swap of the full family would
// (articles, possessives, pronouns when the genders differ).
func (a *Audit) partnerSwaps(text string, fi int) []Swap {
	f := a.fams[fi]
	ms := Mentions(text, f)
	if len(ms) == 0 {
		return nil
	}
	var out []Swap
	seen := make(map[string]bool)
	done := make(map[string]bool)
	for _, m := range ms {
		if done[m.Term] {
			continue
		}
		done[m.Term] = true
		var from *Group
		for i := range f.Groups {
			if f.Groups[i].Name == m.Group {
				from = &f.Groups[i]
			}
		}
		for _, to := range f.Groups {
			if to.Name == m.Group {
				continue
			}
			for _, p := range PartnersOf(f, m.Group, to.Name, m.Term, a.partners, a.partnerSeed) {
				pf := a.partnerFamily(fi, *from, to, m.Term, p)
				for _, s := range Counterfactuals(text, []Family{pf}) {
					// The pair family also swaps the partner into the
					// name where the text holds the partner; only the
					// name's own swap is this pairing's.
					if s.FromGroup != m.Group || s.Term != m.Term || seen[s.Text] {
						continue
					}
					seen[s.Text] = true
					out = append(out, s)
				}
			}
		}
	}
	return out
}

// partnerFamily is the two-group family {from: [term], to: [partner]} under
// the name of family fi, built once per pairing and kept: the cache is
// bounded by the family's names times their partners.
func (a *Audit) partnerFamily(fi int, from, to Group, term, partner string) Family {
	k := partnerKey{fi, from.Name, to.Name, term, partner}
	if f, ok := a.pairFams[k]; ok {
		return f
	}
	f, err := NewFamily(a.fams[fi].Name,
		Group{Name: from.Name, Gender: from.Gender, Terms: []string{term}},
		Group{Name: to.Name, Gender: to.Gender, Terms: []string{partner}})
	if err != nil {
		// Both terms come from a validated family.
		panic(fmt.Sprintf("counterfactual: pairing %q with %q in %s: %v", term, partner, a.fams[fi].Name, err))
	}
	a.pairFams[k] = f
	return f
}
