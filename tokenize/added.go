package tokenize

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// addedToken is an entry of tokenizer.json's added_tokens ([CLS], [MASK],
// <mask>, or tokens a fine-tune added). Hugging Face cuts these out of the
// text before normalizing, so "[MASK]" in a text is the mask token, not
// "[", "mask", "]". sugarme v0.3.0 loses some of them (a RoBERTa "<mask>"
// with lstrip disappears from the output), so the boundary does the cutting.
type addedToken struct {
	content    string
	id         int64
	singleWord bool // match only where not inside a word
	lstrip     bool // also swallow the whitespace on the left
	rstrip     bool // and on the right
}

// addedMatcher finds added tokens in a string.
type addedMatcher struct {
	tokens []addedToken
}

// match is one added token found in a string: the token's own span
// [start, end) and the span [from, to) it consumes with stripped whitespace.
type match struct {
	id         int64
	start, end int
	from, to   int
}

// find appends to dst the matches in s from left to right, never
// overlapping; where two tokens start at the same place the longer wins
// (Hugging Face's leftmost-longest). It is linear in len(s) times the number
// of tokens: each token's next occurrence is searched once and kept until
// the scan passes it.
func (m *addedMatcher) find(s string, dst []match) []match {
	if m == nil || len(m.tokens) == 0 {
		return dst
	}
	const unknown, none = -2, -1
	var nextBuf [8]int
	next := nextBuf[:0]
	for range m.tokens {
		next = append(next, unknown)
	}
	pos := 0
	for {
		best := -1
		for k, tok := range m.tokens {
			for next[k] != none && next[k] < pos {
				next[k] = indexFrom(s, tok.content, pos)
			}
			for next[k] != none && tok.singleWord && !standsAlone(s, next[k], next[k]+len(tok.content)) {
				next[k] = indexFrom(s, tok.content, next[k]+1)
			}
			if next[k] == none {
				continue
			}
			if best < 0 || next[k] < next[best] || (next[k] == next[best] && len(tok.content) > len(m.tokens[best].content)) {
				best = k
			}
		}
		if best < 0 {
			return dst
		}
		tok := m.tokens[best]
		mt := match{id: tok.id, start: next[best], end: next[best] + len(tok.content)}
		mt.from, mt.to = mt.start, mt.end
		if tok.lstrip {
			for mt.from > pos {
				r, size := utf8.DecodeLastRuneInString(s[:mt.from])
				if !isWhitespace(r) {
					break
				}
				mt.from -= size
			}
		}
		if tok.rstrip {
			for mt.to < len(s) {
				r, size := utf8.DecodeRuneInString(s[mt.to:])
				if !isWhitespace(r) {
					break
				}
				mt.to += size
			}
		}
		dst = append(dst, mt)
		pos = mt.to
	}
}

// indexFrom is strings.Index starting at from; -1 when absent.
func indexFrom(s, sub string, from int) int {
	if from > len(s) {
		return -1
	}
	i := strings.Index(s[from:], sub)
	if i < 0 {
		return -1
	}
	return from + i
}

// standsAlone reports whether s[start:end] has no word character right
// before or after it (Hugging Face's single_word rule, \w in its regex).
func standsAlone(s string, start, end int) bool {
	if start > 0 {
		if r, _ := utf8.DecodeLastRuneInString(s[:start]); isWordChar(r) {
			return false
		}
	}
	if end < len(s) {
		if r, _ := utf8.DecodeRuneInString(s[end:]); isWordChar(r) {
			return false
		}
	}
	return true
}

func isWordChar(r rune) bool {
	return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r) || unicode.Is(unicode.Pc, r)
}
