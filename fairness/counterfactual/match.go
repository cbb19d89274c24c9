package counterfactual

import (
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Span is a byte range [Start, End) of a text.
type Span struct {
	Start int `json:"start"`
	End   int `json:"end"`
}

// entry is one indexed term: its words and what separates them, and where
// it sits in its family.
type entry struct {
	term  string   // canonical form: lower case, single spaces
	words []string // lower case
	// seps[i] separates words[i] and words[i+1]: "" means any run of
	// white space, anything else must appear literally ("-" in
	// "middle-aged").
	seps       []string
	group, pos int
}

// index finds a family's terms in a text. Terms are keyed by their first
// word; the candidates for a word are tried longest first, so "old man"
// wins over "old".
type index struct {
	byFirst map[string][]*entry
	// canon[g][i] is the canonical form of Groups[g].Terms[i], "" for an
	// empty slot: what a swap into group g writes.
	canon [][]string
	// gendered is set for a family whose groups carry genders: there,
	// titleOnly terms ("miss", "lord", "dame") match only before a name.
	gendered bool
}

func buildIndex(f Family) *index {
	idx := &index{byFirst: make(map[string][]*entry), canon: make([][]string, len(f.Groups))}
	seen := make(map[string]bool)
	for _, grp := range f.Groups {
		idx.gendered = idx.gendered || grp.Gender != ""
	}
	for g, grp := range f.Groups {
		idx.canon[g] = make([]string, len(grp.Terms))
		for i, t := range grp.Terms {
			e := parseTerm(t)
			if e != nil {
				idx.canon[g][i] = e.term
			}
			if e == nil || seen[e.term] {
				// Empty slot, or a term already read at an earlier
				// position: the first position wins.
				continue
			}
			seen[e.term] = true
			e.group, e.pos = g, i
			idx.byFirst[e.words[0]] = append(idx.byFirst[e.words[0]], e)
		}
	}
	for _, es := range idx.byFirst {
		sort.SliceStable(es, func(a, b int) bool { return len(es[a].words) > len(es[b].words) })
	}
	return idx
}

// parseTerm splits a term into words and separators; nil for a term with
// no word in it (an empty slot).
func parseTerm(t string) *entry {
	toks := words(strings.ToLower(strings.TrimSpace(t)))
	if len(toks) == 0 {
		return nil
	}
	lt := strings.ToLower(strings.TrimSpace(t))
	e := &entry{}
	var canon strings.Builder
	for k, sp := range toks {
		if k > 0 {
			sep := lt[toks[k-1].End:sp.Start]
			if strings.TrimSpace(sep) == "" {
				sep = ""
				canon.WriteByte(' ')
			} else {
				canon.WriteString(sep)
			}
			e.seps = append(e.seps, sep)
		}
		w := lt[sp.Start:sp.End]
		e.words = append(e.words, w)
		canon.WriteString(w)
	}
	e.term = canon.String()
	return e
}

// words returns the byte spans of the maximal runs of word runes in s.
func words(s string) []Span {
	var out []Span
	start := -1
	for i, r := range s {
		if isWordRune(r) {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 {
			out = append(out, Span{start, i})
			start = -1
		}
	}
	if start >= 0 {
		out = append(out, Span{start, len(s)})
	}
	return out
}

// match is one occurrence of an indexed term in a text.
type match struct {
	span Span
	e    *entry
}

// find returns the non-overlapping occurrences of the index's terms in
// text, left to right, longest term first at each word. In a gendered
// family "miss", "lord" and "dame" count only as titles, before a name
// (beforeName): "I miss her" mentions no woman.
func (idx *index) find(text string) []match {
	toks := words(text)
	var out []match
	for i := 0; i < len(toks); {
		cands := idx.byFirst[strings.ToLower(text[toks[i].Start:toks[i].End])]
		n := 0
		for _, e := range cands {
			if matchAt(text, toks, i, e) && (!idx.gendered || !titleOnly[e.term] || beforeName(text, toks[i+len(e.words)-1].End)) {
				out = append(out, match{Span{toks[i].Start, toks[i+len(e.words)-1].End}, e})
				n = len(e.words)
				break
			}
		}
		if n == 0 {
			n = 1
		}
		i += n
	}
	return out
}

func matchAt(text string, toks []Span, i int, e *entry) bool {
	if i+len(e.words) > len(toks) {
		return false
	}
	for k := 1; k < len(e.words); k++ {
		sep := text[toks[i+k-1].End:toks[i+k].Start]
		if e.seps[k-1] == "" {
			if sep == "" || strings.TrimSpace(sep) != "" {
				return false
			}
		} else if sep != e.seps[k-1] {
			return false
		}
		if strings.ToLower(text[toks[i+k].Start:toks[i+k].End]) != e.words[k] {
			return false
		}
	}
	return true
}

// casePattern is how a replaced word was written.
type casePattern int

const (
	lowerCase  casePattern = iota // he, old man
	upperCase                     // HE, OLD MAN (two letters or more)
	firstUpper                    // He, Old man
	titleCase                     // Old Man: every word capitalised
)

func patternOf(s string) casePattern {
	letters, upper := 0, 0
	for _, r := range s {
		if unicode.IsLetter(r) {
			letters++
			if unicode.IsUpper(r) {
				upper++
			}
		}
	}
	switch {
	case letters == 0 || upper == 0:
		return lowerCase
	case upper == letters && letters >= 2:
		return upperCase
	}
	first, _ := utf8.DecodeRuneInString(s)
	if !unicode.IsUpper(first) {
		// "mcDonald"-like mixes: nothing sensible to copy.
		return lowerCase
	}
	ws := words(s)
	for _, w := range ws {
		r, _ := utf8.DecodeRuneInString(s[w.Start:])
		if !unicode.IsUpper(r) {
			return firstUpper
		}
	}
	if len(ws) > 1 {
		return titleCase
	}
	return firstUpper
}

// withCase writes repl (lower case) in pattern p.
func withCase(repl string, p casePattern) string {
	switch p {
	case upperCase:
		return strings.ToUpper(repl)
	case firstUpper:
		return capitalise(repl)
	case titleCase:
		var b strings.Builder
		prev := 0
		for _, w := range words(repl) {
			b.WriteString(repl[prev:w.Start])
			b.WriteString(capitalise(repl[w.Start:w.End]))
			prev = w.End
		}
		b.WriteString(repl[prev:])
		return b.String()
	}
	return repl
}

func capitalise(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return string(unicode.ToTitle(r)) + s[n:]
}
