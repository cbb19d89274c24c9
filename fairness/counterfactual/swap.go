package counterfactual

import (
	"sort"
	"strings"
	"unicode/utf8"
)

// Swap is one counterfactual of a text: every occurrence of Term replaced
// by Replacement, its counterpart in group ToGroup of Family, with the
// agreements that keep the text grammatical (see Counterfactuals).
type Swap struct {
	Family    string `json:"family"`
	FromGroup string `json:"from_group"`
	ToGroup   string `json:"to_group"`
	// Term and Replacement are the family's terms in lower case; the text
	// has them in the case of each occurrence. A gendered pronoun's
	// replacement depends on its role ("her" → "him" or "his"), so one
	// pronoun term can give two swaps, one per replacement.
	Term        string `json:"term"`
	Replacement string `json:"replacement"`
	// Text is the swapped text.
	Text string `json:"text"`
	// Spans are the byte spans of the replaced occurrences of Term in the
	// original text; NewSpans those of the replacements in Text.
	Spans    []Span `json:"spans"`
	NewSpans []Span `json:"new_spans"`
	// Agreements are the byte spans of the other words the swap changed
	// to keep the text grammatical (an article, a gendered pronoun, the
	// "s" of a possessive) in the original text; NewAgreements those of
	// their rewrites in Text. Outside Spans and Agreements, Text is the
	// original text byte for byte.
	Agreements    []Span `json:"agreements,omitempty"`
	NewAgreements []Span `json:"new_agreements,omitempty"`
}

// Counterfactuals returns the swaps of text under fams: for each family,
// each distinct term found (in order of first occurrence) and each other
// group with a counterpart at the term's position, one Swap. A text with no
// term of any family has none. Two swaps of a family that give the same
// text are one swap, credited to the term seen first.
//
// A family whose groups all carry a Gender, two of them different (gender,
// names_gender_<group>), swaps people, not terms: one swap per other group
// changes the one person the text is about, with every word that says
// that person's gender (the name or gendered word, the title, the
// pronouns), or the family makes no swap of the text. It makes none when
// the text mentions both genders, more than one person (two names, two
// gendered nouns, a name and a noun), a name no family swaps ("Alonzo"), a
// possible unlisted name in cased text (a capitalised word inside a
// sentence, or opening one and not a common opener), a name in the gender
// family (the names_gender family of the name swaps it), or a "her" whose
// role the next word does not tell. CounterfactualsWithSkips says which.
// Lower-case text hides unlisted names ("taylor blew his budget"): there
// the pronouns are swapped without them.
//
// Every swap keeps the text grammatical where a rule can tell how:
//
//   - Articles agree with the new word: "an old film" → "a young film",
//     "a Mexican" → "an Iranian" (by sound: "a European", "an hour").
//   - Across gender, pronouns follow their role: he ↔ she, him → her,
//     her → him (object: before a preposition, determiner, pronoun,
//     auxiliary, listed verb, -ly adverb, punctuation or the end) or his
//     (possessive: before a listed noun or adjective or a noun-like
//     ending), his → her (determiner) or hers (standing alone), hers →
//     his, himself ↔ herself. Titles before a name follow the person: Mr ↔
//     Mrs, Ms and Miss → Mr, Sir ↔ Dame, Lord ↔ Lady.
//   - Possessives follow the replacement: "James' car" becomes "Emily's
//     car" (the bare apostrophe after a final "s" gains an "s" when the
//     replacement does not end in "s"); "Mary's" becomes "James's", which
//     is also correct.
//   - Each replaced word keeps its case pattern (He → She, HE → SHE, Old
//     Man → Young Man), and so does a rewritten article.
//
// A caller's family with genders on some groups only swaps terms, and the
// pronouns of each sentence a cross-gender swap touches (an unclear "her"
// is read as "his" there).
func Counterfactuals(text string, fams []Family) []Swap {
	out, _ := CounterfactualsWithSkips(text, fams)
	return out
}

// CounterfactualsWithSkips is Counterfactuals that also says, for each
// family that found terms in text but made no swap of them, why: a gender
// swap that cannot change one person coherently is not made (see the rule
// at the top of person.go and in the package documentation).
func CounterfactualsWithSkips(text string, fams []Family) ([]Swap, []Skip) {
	var out []Swap
	var skips []Skip
	var sents []Span       // computed on the first gender-changing swap
	var gendered []mention // computed for the first person-level family
	analysed := false
	for _, f := range fams {
		idx := f.idx
		if idx == nil {
			idx = buildIndex(f)
		}
		ms := idx.find(text)
		if len(ms) == 0 {
			continue
		}
		if personLevel(f) {
			if !analysed {
				gendered, analysed = genderedMentions(text), true
			}
			an := append([]mention(nil), gendered...)
			swaps, skip := personSwaps(text, f, idx, ms, an)
			if skip != nil {
				skips = append(skips, *skip)
			}
			seen := make(map[string]bool)
			for _, s := range swaps {
				if !seen[s.Text] && s.Text != text {
					seen[s.Text] = true
					out = append(out, s)
				}
			}
			continue
		}
		// Group occurrences by term, keeping the order of first sight.
		var order []*entry
		byTerm := make(map[*entry][]Span)
		for _, m := range ms {
			if _, ok := byTerm[m.e]; !ok {
				order = append(order, m.e)
			}
			byTerm[m.e] = append(byTerm[m.e], m.span)
		}
		seen := make(map[string]bool)
		for _, e := range order {
			for h, to := range f.Groups {
				if h == e.group || h >= len(idx.canon) || e.pos >= len(idx.canon[h]) {
					continue
				}
				canon := idx.canon[h][e.pos]
				if canon == "" {
					continue // empty slot: no counterpart in this group
				}
				regender := genderChange(f, e.group, h)
				// Resolve each occurrence's replacement; group by it.
				var repls []string
				byRepl := make(map[string][]Span)
				for _, sp := range byTerm[e] {
					r := canon
					if regender && pronouns[e.term] {
						if r = flipPronoun(e.term, text, sp.End); r == "" {
							r = "his"
						}
					}
					if _, ok := byRepl[r]; !ok {
						repls = append(repls, r)
					}
					byRepl[r] = append(byRepl[r], sp)
				}
				for _, r := range repls {
					if regender && sents == nil {
						sents = sentences(text)
					}
					s := build(text, byRepl[r], r, regender, sents)
					if seen[s.Text] {
						continue
					}
					seen[s.Text] = true
					s.Family, s.FromGroup, s.ToGroup = f.Name, f.Groups[e.group].Name, to.Name
					s.Term, s.Replacement = e.term, r
					out = append(out, s)
				}
			}
		}
	}
	return out, skips
}

func genderChange(f Family, g, h int) bool {
	a, b := f.Groups[g].Gender, f.Groups[h].Gender
	return a != "" && b != "" && a != b
}

// edit replaces span of the original text by repl; term marks the
// occurrences of the swapped term (the rest are agreements).
type edit struct {
	span Span
	repl string
	term bool
}

// build writes the swap of the occurrences spans by repl with its
// agreements; sents are the text's sentences when regender is set.
func build(text string, spans []Span, repl string, regender bool, sents []Span) Swap {
	edits := make([]edit, 0, 2*len(spans))
	isTerm := make(map[int]bool, len(spans))
	touched := make(map[int]bool)
	for _, sp := range spans {
		edits = append(edits, edit{sp, withCase(repl, patternOf(text[sp.Start:sp.End])), true})
		isTerm[sp.Start] = true
		if regender {
			touched[sentenceIndex(sents, sp.Start)] = true
		}
	}
	if regender {
		for k := range touched {
			sent := sents[k]
			for _, w := range words(text[sent.Start:sent.End]) {
				w = Span{sent.Start + w.Start, sent.Start + w.End}
				lw := strings.ToLower(text[w.Start:w.End])
				if !pronouns[lw] || isTerm[w.Start] {
					continue
				}
				r := flipPronoun(lw, text, w.End)
				if r == "" {
					r = "his" // the sentence-level rewrite of families that are not person-level
				}
				edits = append(edits, edit{w, withCase(r, patternOf(text[w.Start:w.End])), false})
			}
		}
	}
	return assemble(text, edits)
}

// assemble writes text with edits applied (each edit's repl already in the
// case it is written in), adding the agreements of every replaced word
// that is not a pronoun: its article ("a" or "an") and the "s" after a
// bare possessive apostrophe.
func assemble(text string, edits []edit) Swap {
	n := len(edits)
	for _, ed := range edits[:n] {
		orig := text[ed.span.Start:ed.span.End]
		if pronouns[strings.ToLower(orig)] {
			continue
		}
		pat := patternOf(orig)
		repl := strings.ToLower(ed.repl)
		if art, ok := articleBefore(text, ed.span.Start); ok {
			first := repl
			if ws := words(repl); len(ws) > 0 {
				first = repl[ws[0].Start:ws[0].End]
			}
			old := text[art.Start:art.End]
			if want := article(first); !strings.EqualFold(want, old) {
				edits = append(edits, edit{art, articleCase(want, old, pat == upperCase), false})
			}
		}
		if k := bareApostrophe(text, ed.span.End); k > 0 && endsWithS(orig) && !endsWithS(repl) {
			s := "s"
			if pat == upperCase {
				s = "S"
			}
			edits = append(edits, edit{Span{ed.span.End, ed.span.End + k}, text[ed.span.End:ed.span.End+k] + s, false})
		}
	}
	sort.SliceStable(edits, func(i, j int) bool { return edits[i].span.Start < edits[j].span.Start })
	var b strings.Builder
	b.Grow(len(text) + 16*len(edits))
	s := Swap{}
	prev := 0
	for _, ed := range edits {
		if ed.span.Start < prev {
			continue // overlaps an earlier edit; cannot happen with the rules above
		}
		b.WriteString(text[prev:ed.span.Start])
		start := b.Len()
		b.WriteString(ed.repl)
		ns := Span{start, b.Len()}
		if ed.term {
			s.Spans = append(s.Spans, ed.span)
			s.NewSpans = append(s.NewSpans, ns)
		} else {
			s.Agreements = append(s.Agreements, ed.span)
			s.NewAgreements = append(s.NewAgreements, ns)
		}
		prev = ed.span.End
	}
	b.WriteString(text[prev:])
	s.Text = b.String()
	return s
}

// bareApostrophe returns the byte length of an apostrophe at text[i:] that
// is not followed by a word rune (the possessive of a word ending in "s"),
// or 0.
func bareApostrophe(text string, i int) int {
	r, n := utf8.DecodeRuneInString(text[i:])
	if r != '\'' && r != '’' {
		return 0
	}
	if next, _ := utf8.DecodeRuneInString(text[i+n:]); i+n < len(text) && isWordRune(next) {
		return 0
	}
	return n
}

func endsWithS(s string) bool {
	return strings.HasSuffix(s, "s") || strings.HasSuffix(s, "S")
}
