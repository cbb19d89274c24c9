package counterfactual

import (
	"strings"
	"unicode/utf8"
)

// Swap is one counterfactual of a text: every occurrence of Term replaced
// by Replacement, its counterpart in group ToGroup of Family.
type Swap struct {
	Family    string `json:"family"`
	FromGroup string `json:"from_group"`
	ToGroup   string `json:"to_group"`
	// Term and Replacement are the family's terms in lower case; the text
	// has them in the case of each occurrence.
	Term        string `json:"term"`
	Replacement string `json:"replacement"`
	// Text is the swapped text.
	Text string `json:"text"`
	// Spans are the byte spans of the replaced occurrences in the original
	// text; NewSpans those of the replacements in Text.
	Spans    []Span `json:"spans"`
	NewSpans []Span `json:"new_spans"`
}

// Counterfactuals returns the swaps of text under fams: for each family,
// each distinct term found (in order of first occurrence) and each other
// group with a counterpart at the term's position, one Swap. A text with no
// term of any family has none.
//
// Possessives follow the replacement: "James' car" becomes "Mary's car"
// (the bare apostrophe after a final "s" gains an "s" when the replacement
// does not end in "s"); "Mary's" becomes "James's", which is also correct.
func Counterfactuals(text string, fams []Family) []Swap {
	var out []Swap
	for _, f := range fams {
		idx := f.idx
		if idx == nil {
			idx = buildIndex(f)
		}
		ms := idx.find(text)
		if len(ms) == 0 {
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
		for _, e := range order {
			for h, to := range f.Groups {
				if h == e.group || e.pos >= len(idx.canon[h]) {
					continue
				}
				repl := idx.canon[h][e.pos]
				if repl == "" {
					continue // empty slot: no counterpart in this group
				}
				swapped, newSpans := replace(text, byTerm[e], repl)
				out = append(out, Swap{
					Family:      f.Name,
					FromGroup:   f.Groups[e.group].Name,
					ToGroup:     to.Name,
					Term:        e.term,
					Replacement: repl,
					Text:        swapped,
					Spans:       append([]Span(nil), byTerm[e]...),
					NewSpans:    newSpans,
				})
			}
		}
	}
	return out
}

// replace writes text with each span replaced by repl in the span's case
// pattern, fixing a bare possessive apostrophe after a final "s".
func replace(text string, spans []Span, repl string) (string, []Span) {
	var b strings.Builder
	b.Grow(len(text) + len(spans)*(len(repl)+2))
	newSpans := make([]Span, len(spans))
	prev := 0
	for k, sp := range spans {
		b.WriteString(text[prev:sp.Start])
		orig := text[sp.Start:sp.End]
		pat := patternOf(orig)
		start := b.Len()
		b.WriteString(withCase(repl, pat))
		newSpans[k] = Span{start, b.Len()}
		prev = sp.End
		if n := bareApostrophe(text, sp.End); n > 0 && endsWithS(orig) && !endsWithS(repl) {
			b.WriteString(text[sp.End : sp.End+n])
			if pat == upperCase {
				b.WriteByte('S')
			} else {
				b.WriteByte('s')
			}
			prev = sp.End + n
		}
	}
	b.WriteString(text[prev:])
	return b.String(), newSpans
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
