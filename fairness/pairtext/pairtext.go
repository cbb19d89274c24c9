// Package pairtext carries a sentence pair (premise and hypothesis,
// question and passage) through the fairness checks, which read and edit
// one text: the pair travels as one string, its two texts joined by Sep,
// and Apply restricts an edit (an identity-term swap, a CheckList edit) to
// the first text, the second, or both. Classifiers split the string again
// (Split) and encode the pair with the tokenizer's pair template, so the
// model never sees Sep.
//
// Sep is U+241E SYMBOL FOR RECORD SEPARATOR (␞): a visible symbol, so a
// pair shown in a report reads "text ␞ text_pair"; not a letter, digit,
// space or punctuation mark, so no edit or term swap matches or changes
// it. A text that holds it cannot be carried and is refused (Join).
package pairtext

import (
	"fmt"
	"strings"
)

// Sep joins the two texts of a pair.
const Sep = " \u241e "

// Join carries the pair (a, b) as one string. It fails when either text
// holds the separator's symbol, which would make the split ambiguous.
func Join(a, b string) (string, error) {
	for i, t := range []string{a, b} {
		if strings.Contains(t, strings.TrimSpace(Sep)) {
			return "", fmt.Errorf("the %s text holds U+241E (␞), the symbol that carries sentence pairs through the audit: it cannot be audited as a pair", [...]string{"first", "second"}[i])
		}
	}
	return a + Sep + b, nil
}

// Split undoes Join; ok is false for a string that is not a pair. Edits
// may change the spaces around the symbol; they are not part of either
// text.
func Split(s string) (a, b string, ok bool) {
	sym := strings.TrimSpace(Sep)
	i := strings.Index(s, sym)
	if i < 0 || strings.Count(s, sym) != 1 {
		return "", "", false
	}
	a, b = s[:i], s[i+len(sym):]
	a = strings.TrimSuffix(a, " ")
	b = strings.TrimPrefix(b, " ")
	return a, b, true
}

// Side says which text of a pair an edit applies to.
type Side int

const (
	// Both edits both texts (a term swap swaps the term wherever it is).
	Both Side = iota
	// First edits the first text only.
	First
	// Second edits the second text only.
	Second
)

// ParseSide reads first, second or both ("" is both).
func ParseSide(s string) (Side, error) {
	switch s {
	case "", "both":
		return Both, nil
	case "first":
		return First, nil
	case "second":
		return Second, nil
	}
	return Both, fmt.Errorf("pair side %q: want first, second or both", s)
}

func (s Side) String() string { return [...]string{"both", "first", "second"}[s] }

// Apply applies edit to the texts of pair s that side names (Both: each
// text on its own) and joins the result; ok reports whether the edit
// applied to any of them. A string that is not a pair is edited whole.
func Apply(s string, side Side, edit func(string) (string, bool)) (string, bool) {
	a, b, isPair := Split(s)
	if !isPair {
		return edit(s)
	}
	okA, okB := false, false
	if side != Second {
		if e, ok := edit(a); ok {
			a, okA = e, true
		}
	}
	if side != First {
		if e, ok := edit(b); ok {
			b, okB = e, true
		}
	}
	if !okA && !okB {
		return s, false
	}
	return a + Sep + b, true
}

// SecondStart is where the second text of pair a + Sep + b starts: the
// byte offset its spans shift by.
func SecondStart(a string) int { return len(a) + len(Sep) }

// Swap is pair s with its texts in the other order: the order-swap edit
// of a symmetric task (paraphrase, similarity), whose answer should not
// move. ok is false when s is not a pair or its texts are equal.
func Swap(s string) (string, bool) {
	a, b, isPair := Split(s)
	if !isPair || a == b {
		return s, false
	}
	return b + Sep + a, true
}
