package counterfactual

// Mention is one occurrence of a family's term in a text, found by the same
// matching the swaps use (whole words, case-insensitive, longest term
// first).
type Mention struct {
	// Group is the name of the family group the term belongs to; Term the
	// term in its canonical form (lower case, single spaces).
	Group string `json:"group"`
	Term  string `json:"term"`
	// Span is the occurrence's byte range in the text.
	Span Span `json:"span"`
}

// Mentions returns the occurrences of f's terms in text, left to right.
// Unlike Counterfactuals it reports every term found, whether or not a swap
// of it would give a new text (or a gender swap of the text is skipped), so
// it can count how often each term occurs. In a family whose groups carry
// genders, "miss", "lord" and "dame" are found only as titles, before a
// name ("Miss Jones", not "I miss her").
func Mentions(text string, f Family) []Mention {
	idx := f.idx
	if idx == nil {
		idx = buildIndex(f)
	}
	ms := idx.find(text)
	out := make([]Mention, len(ms))
	for i, m := range ms {
		out[i] = Mention{Group: f.Groups[m.e.group].Name, Term: m.e.term, Span: m.span}
	}
	return out
}
