package counterfactual

import (
	_ "embed"
	"fmt"
	"sort"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// properNounList is the words a cased English vocabulary holds only with a
// capital (names, places, months), lower case, one a line: in lower-case
// text, where no capital shows a name, these are taken for possible names.
// SOURCES.md says where it comes from.
//
//go:embed propernouns.txt
var properNounList string

// This file holds the person-level gender swap: a swap across gender
// changes one person, with every word that says that person's gender, or
// the text is not swapped and the reason is reported (Skip).
//
// The rule, applied to the whole text (not sentence by sentence, since a
// pronoun may refer to a person named in an earlier sentence):
//
//  1. Collect the gendered mentions: pronouns, the gender family's nouns,
//     adjectives and titles, listed given names (ours and otherNames), and
//     words that may be unlisted names: in cased text a capitalised word
//     inside a sentence, or opening one and not among openers; in text
//     with no capital at all, a word of properNounList, which counts only
//     when nothing else names a person (a pronoun-only text), since the
//     list also holds places and other capitalised words.
//  2. All of them must have one gender. Mentions of both genders are at
//     least two people ("doting mother would shun his kids", "Mr. Rachel
//     and her"); swapping one would leave the other's pronouns wrong, and
//     swapping all is not a swap of one person.
//  3. They must name at most one person: one anchor, where an anchor is a
//     gendered noun or adjective, a name, or a title with what follows it
//     ("Mr. Smith", "Mrs. Keisha" count once; the same word repeated counts
//     once). Two anchors ("his father and brother", "Darnell and Jamal")
//     may be two people of one gender, which pronouns cannot tell apart.
//  4. The family must be able to swap the anchor: the gender family swaps
//     nouns, adjectives and titles; a names_gender family swaps its names;
//     a name no family swaps, or a possible name in cased text ("Alonzo
//     found himself"), stops the swap rather than leave the name as it was.
//     A text with pronouns only (no anchor) is swapped as one person.
//  5. Every mention is rewritten: the anchor to its counterpart, titles by
//     titleSwap, pronouns by role; a "her" whose role the next word does
//     not tell (herRole) stops the swap.
//
// Known limits: in lower-case text (SST-2 is lower-cased) a surname or a
// given name that neither our lists nor properNounList hold cannot be seen
// ("blanchett 's performance confirms her power"), so the pronouns are
// swapped without it; and pronouns of one gender with no anchor are taken
// for one person ("he told him").

// Skip is a text in which a family found terms but made no swap of them,
// with the reason (see CounterfactualsWithSkips).
type Skip struct {
	Family string `json:"family"`
	// Group and Term are the group and the term (lower case) of the
	// family's first mention in the text.
	Group  string `json:"group"`
	Term   string `json:"term"`
	Reason string `json:"reason"`
}

type mentionKind int

const (
	kindPronoun   mentionKind = iota
	kindWord                  // a gendered noun or adjective: "mother", "male"
	kindTitle                 // "Mr", or "Sir", "Lady" before a name
	kindName                  // a given name of the name families
	kindOtherName             // a name no family swaps, or a possible name
)

// mention is one gendered word of a text, or one possible name.
type mention struct {
	span   Span
	term   string // lower case
	gender Gender // "" for a possible name of unknown gender
	kind   mentionKind
	// gpos is the position of a gender-family term in that family (for
	// its counterpart); fam is the swapping family's match, if this
	// mention is one of its terms.
	gpos, ggroup int
	fam          *match
	// weak marks a possible name seen only through properNounList, which
	// also holds places and words that open sentences ("hollywood",
	// "wow"): it counts only when nothing else in the text names a person.
	weak bool
}

// titleSwap is what a title becomes before a name. "ms" and "miss" become
// "mr": English has one male title for both.
var titleSwap = map[string]string{
	"mr": "mrs", "mrs": "mr", "ms": "mr", "miss": "mr",
	"sir": "dame", "dame": "sir", "lord": "lady", "lady": "lord", "madam": "sir",
}

// alwaysTitle are titles whatever follows them; the other titleSwap words
// are titles only before a name (beforeName), and titleOnly ones are not
// gendered words otherwise ("I miss her", "the Lord of the Rings").
var (
	alwaysTitle = wordSet(`mr mrs ms`)
	titleOnly   = wordSet(`miss lord dame`)
)

// openers are words that often begin a sentence with a capital and are
// not names, so a capitalised first word among them is not taken for a
// possible name (any other capitalised first word is: "Alonzo found
// himself", but also "Watching him was a joy", which is then skipped).
var openers = wordSet(`
the a an this that these those it its there here then now so and but or yet nor for if when whenever while as
after before since until unless though although because once even still only just also never always often
in on at by with without from to of into onto about over under through during despite like unlike
what who whom whose which why how where i you we they he she his her my your our their one some no not all every
each both many most more few several any another such let ask tell give take make see look watch go come meet
call please yes oh well perhaps maybe sadly luckily fortunately unfortunately meanwhile later today yesterday`)

var (
	nameOnce  sync.Once
	listedGen map[string]Gender // our name lists
	otherGen  map[string]Gender // otherNames
	otherCap  map[string]Gender // otherNamesCapitalised
	allTerms  map[string]bool   // every word of every built-in term
	proper    map[string]bool   // properNounList
	genderIdx *index
)

func loadNames() {
	nameOnce.Do(func() {
		listedGen = map[string]Gender{}
		otherGen = map[string]Gender{}
		otherCap = map[string]Gender{}
		for _, g := range nameGroups {
			for _, n := range g.male {
				listedGen[n] = Male
			}
			for _, n := range g.female {
				listedGen[n] = Female
			}
		}
		for g, ns := range otherNames {
			for _, n := range ns {
				if _, ok := listedGen[n]; !ok {
					otherGen[n] = g
				}
			}
		}
		for g, ns := range otherNamesCapitalised {
			for _, n := range ns {
				otherCap[n] = g
			}
		}
		allTerms = map[string]bool{}
		for _, f := range builtin {
			for _, g := range f.Groups {
				for _, t := range g.Terms {
					for _, w := range strings.Fields(strings.ToLower(t)) {
						allTerms[w] = true
					}
				}
			}
		}
		proper = wordSet(properNounList)
		genderIdx = buildIndex(gender)
	})
}

// personLevel says whether f swaps people: every group carries a gender
// and two of them differ (the gender family, names_gender_<group>).
func personLevel(f Family) bool {
	seen := map[Gender]bool{}
	for _, g := range f.Groups {
		if g.Gender == "" {
			return false
		}
		seen[g.Gender] = true
	}
	return len(seen) > 1
}

// isCapitalised says whether w starts with a capital and has a lower-case
// letter ("Alonzo", not "I", "HE" or "alonzo").
func isCapitalised(w string) bool {
	r, _ := utf8.DecodeRuneInString(w)
	return unicode.IsUpper(r) && strings.ContainsFunc(w, unicode.IsLower)
}

// beforeName says whether the word after byte offset i (past an optional
// full stop and at least one space) is capitalised or a listed name: what
// makes "Miss", "Sir" or "Lady" a title.
func beforeName(text string, i int) bool {
	if i < len(text) && text[i] == '.' {
		i++
	}
	j := i
	for j < len(text) && (text[j] == ' ' || text[j] == '\t') {
		j++
	}
	if j == i || j >= len(text) {
		return false
	}
	k := j
	for k < len(text) {
		r, n := utf8.DecodeRuneInString(text[k:])
		if !isWordRune(r) {
			break
		}
		k += n
	}
	w := text[j:k]
	if w == "" {
		return false
	}
	loadNames()
	lw := strings.ToLower(w)
	_, listed := listedGen[lw]
	_, other := otherGen[lw]
	return isCapitalised(w) || listed || other
}

// sentenceInitial says whether the word at byte offset start opens a
// sentence or a quote: nothing but spaces and punctuation other than
// commas and hyphens before it back to the previous word.
func sentenceInitial(text string, start int) bool {
	j := start
	for j > 0 {
		r, n := utf8.DecodeLastRuneInString(text[:j])
		if r == ' ' || r == '\t' {
			j -= n
			continue
		}
		return !isWordRune(r) && r != ',' && r != '-' && r != '\''
	}
	return true
}

// genderedMentions returns the gendered mentions and possible names of
// text, in order (steps 1 of the rule above).
func genderedMentions(text string) []mention {
	loadNames()
	var out []mention
	for _, m := range genderIdx.find(text) {
		k := kindWord
		switch {
		case pronouns[m.e.term]:
			k = kindPronoun
		case alwaysTitle[m.e.term] || (titleSwap[m.e.term] != "" && beforeName(text, m.span.End)):
			k = kindTitle
		}
		out = append(out, mention{span: m.span, term: m.e.term, gender: gender.Groups[m.e.group].Gender, kind: k, ggroup: m.e.group, gpos: m.e.pos})
	}
	lowerCase := !strings.ContainsFunc(text, unicode.IsUpper)
	var names []mention
	next := 0 // out is in text order, and so are the words
	for _, w := range words(text) {
		for next < len(out) && out[next].span.End <= w.Start {
			next++
		}
		if next < len(out) && out[next].span.Start < w.End {
			continue // part of a gendered term
		}
		s := text[w.Start:w.End]
		lw := strings.ToLower(s)
		if g, ok := listedGen[lw]; ok {
			names = append(names, mention{span: w, term: lw, gender: g, kind: kindName})
		} else if g, ok := otherGen[lw]; ok {
			names = append(names, mention{span: w, term: lw, gender: g, kind: kindOtherName})
		} else if lowerCase && proper[lw] && !allTerms[lw] {
			names = append(names, mention{span: w, term: lw, kind: kindOtherName, weak: true})
		} else if isCapitalised(s) {
			if g, ok := otherCap[lw]; ok {
				names = append(names, mention{span: w, term: lw, gender: g, kind: kindOtherName})
			} else if !allTerms[lw] && (!sentenceInitial(text, w.Start) || !openers[lw]) {
				names = append(names, mention{span: w, term: lw, kind: kindOtherName})
			}
		}
	}
	out = append(out, names...)
	sort.Slice(out, func(i, j int) bool { return out[i].span.Start < out[j].span.Start })
	return out
}

// personSwaps applies the rule above to the family f (personLevel), whose
// matches in text are fms, given the text's gendered mentions an.
func personSwaps(text string, f Family, idx *index, fms []match, an []mention) ([]Swap, *Skip) {
	ms := make([]mention, 0, len(an)+len(fms))
	at := make(map[Span]int, len(an))
	for k := range an {
		at[an[k].span] = k
	}
	for i := range fms {
		fm := &fms[i]
		if k, ok := at[fm.span]; ok {
			an[k].fam = fm
		} else {
			// A term of a caller's family that no built-in list knows.
			k := kindWord
			if pronouns[fm.e.term] {
				k = kindPronoun
			}
			ms = append(ms, mention{span: fm.span, term: fm.e.term, gender: f.Groups[fm.e.group].Gender, kind: k, fam: fm})
		}
	}
	// A built-in mention that overlaps a family term it is not (a word
	// inside a caller's longer term) gives way to the term. Both lists
	// are in text order.
	j := 0
	for _, m := range an {
		for j < len(fms) && fms[j].span.End <= m.span.Start {
			j++
		}
		if m.fam != nil || j >= len(fms) || fms[j].span.Start >= m.span.End {
			ms = append(ms, m)
		}
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].span.Start < ms[j].span.Start })
	first := fms[0]
	skip := func(format string, args ...any) ([]Swap, *Skip) {
		return nil, &Skip{Family: f.Name, Group: f.Groups[first.e.group].Name, Term: first.e.term, Reason: fmt.Sprintf(format, args...)}
	}
	word := func(m mention) string { return text[m.span.Start:m.span.End] }

	// 2. One gender.
	var byGender = map[Gender]*mention{}
	for i := range ms {
		if g := ms[i].gender; g != "" && byGender[g] == nil {
			byGender[g] = &ms[i]
		}
	}
	if len(byGender) > 1 {
		return skip("mentions both genders (%q is %s, %q is %s): more than one person", word(*byGender[Male]), Male, word(*byGender[Female]), Female)
	}

	// 3. One anchor. A title and the names right after it, or a run of
	// adjacent names ("James Horner", "robert de niro"), are one person,
	// and a later mention of one of those names is that person again. The
	// run's given name (a name with a gender) decides whether the family
	// can swap it; a title before names of unknown gender (a surname: "Mr.
	// Smith") is swapped and the surname stays.
	type anchor struct {
		key string
		at  int // the mention that decides what can swap it
	}
	var anchors []anchor
	keys := map[string]bool{}
	partOf := map[string]string{} // a name → the key of the run holding it
	strong := false
	for _, m := range ms {
		strong = strong || (m.kind != kindPronoun && !m.weak)
	}
	if strong {
		// Weak possible names give way to a word, title or name that
		// names the person ("the actor ... esther 's story").
		kept := ms[:0:0]
		for _, m := range ms {
			if !m.weak {
				kept = append(kept, m)
			}
		}
		ms = kept
	}
	isName := func(k mentionKind) bool { return k == kindName || k == kindOtherName }
	for i := 0; i < len(ms); i++ {
		m := ms[i]
		a := anchor{at: i}
		switch m.kind {
		case kindPronoun:
			continue
		case kindWord:
			a.key = "word " + m.term
		default:
			j := i
			for j+1 < len(ms) && isName(ms[j+1].kind) &&
				((j == i && m.kind == kindTitle && adjacent(text, ms[j].span.End, ms[j+1].span.Start)) ||
					(isName(ms[j].kind) && ms[j+1].span.Start > ms[j].span.End && strings.TrimSpace(text[ms[j].span.End:ms[j+1].span.Start]) == "")) {
				j++
			}
			var names []string
			for k := i; k <= j; k++ {
				if isName(ms[k].kind) {
					names = append(names, ms[k].term)
					if ms[k].gender != "" && (a.at == i && (m.kind == kindTitle || ms[i].gender == "")) {
						a.at = k
					}
				}
			}
			switch {
			case len(names) == 0: // a title before a word that is no name
				a.key = "title " + m.term + " " + nextWord(text, skipStop(text, m.span.End))
			case len(names) == 1 && partOf[names[0]] != "":
				a.key = partOf[names[0]]
			default:
				a.key = "name " + strings.Join(names, " ")
				for _, n := range names {
					if partOf[n] == "" {
						partOf[n] = a.key
					}
				}
			}
			i = j
		}
		if !keys[a.key] {
			keys[a.key] = true
			anchors = append(anchors, a)
		}
	}
	if len(anchors) > 1 {
		ws := make([]string, len(anchors))
		for k, a := range anchors {
			ws[k] = fmt.Sprintf("%q", word(ms[a.at]))
		}
		return skip("more than one person may be meant (%s): pronouns cannot tell whose they are", strings.Join(ws, ", "))
	}

	// 4. An anchor the family can swap.
	for _, an := range anchors {
		a := ms[an.at]
		switch {
		case a.kind == kindOtherName && a.gender == "":
			return skip("%q may be a name, which no family swaps: the swap would change the pronouns and leave it", word(a))
		case a.kind == kindOtherName:
			return skip("the name %q is in no names family: the swap would change the words and leave the name", word(a))
		case a.kind == kindName && a.fam == nil:
			return skip("the person is named (%q): the names_gender family of that name swaps it with its words", word(a))
		}
	}

	// 5. Rewrite every mention, for each group of the other gender.
	fromGroup := first.e.group
	var out []Swap
	for h, to := range f.Groups {
		if h == fromGroup || !genderChange(f, fromGroup, h) || h >= len(idx.canon) {
			continue
		}
		edits := make([]edit, 0, len(ms))
		var from []*match // the family's match behind each edit, if any
		for _, m := range ms {
			var r string
			switch {
			case m.kind == kindPronoun:
				if r = flipPronoun(m.term, text, m.span.End); r == "" {
					return skip("cannot tell whether %q before %q is an object (him) or a possessive (his)", word(m), nextWord(text, m.span.End))
				}
			case m.kind == kindTitle:
				r = titleSwap[m.term]
			case m.fam != nil:
				if m.fam.e.pos >= len(idx.canon[h]) {
					continue
				}
				if r = idx.canon[h][m.fam.e.pos]; r == "" {
					return skip("%q has no counterpart in group %q", word(m), to.Name)
				}
			case m.kind == kindWord:
				r = genderIdx.canon[1-m.ggroup][m.gpos]
			default:
				continue // a surname after a title stays
			}
			edits = append(edits, edit{span: m.span, repl: withCase(r, patternOf(word(m)))})
			from = append(from, m.fam)
		}
		// The swap is credited to the family's first term that names the
		// person, or its first pronoun when none does.
		term, repl := "", ""
		for pass := 0; pass < 2 && term == ""; pass++ {
			for k, fm := range from {
				if fm != nil && (pass == 1 || !pronouns[fm.e.term]) {
					term, repl = fm.e.term, strings.ToLower(edits[k].repl)
					break
				}
			}
		}
		for k, fm := range from {
			edits[k].term = fm != nil && fm.e.term == term && strings.EqualFold(edits[k].repl, repl)
		}
		s := assemble(text, edits)
		s.Family, s.FromGroup, s.ToGroup = f.Name, f.Groups[fromGroup].Name, to.Name
		s.Term, s.Replacement = term, repl
		out = append(out, s)
	}
	return out, nil
}

// skipStop returns i past a full stop at text[i] ("Mr." → after the stop).
func skipStop(text string, i int) int {
	if i < len(text) && text[i] == '.' {
		return i + 1
	}
	return i
}

// adjacent says whether only an optional full stop and spaces lie between
// byte offsets i and j.
func adjacent(text string, i, j int) bool {
	return strings.TrimSpace(text[skipStop(text, i):j]) == "" && j > i
}
