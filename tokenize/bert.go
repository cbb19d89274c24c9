package tokenize

import (
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// This file is Hugging Face's BertNormalizer and BertPreTokenizer, done here
// rather than by sugarme because sugarme v0.3.0 gets them wrong in ways that
// change ids: it strips no accents ("Café" -> [UNK]), it ignores
// strip_accents: null (which means "same as lowercase"), and its offsets
// drift by a byte after a multi-byte character. Every character produced
// here carries the byte span of the original character it came from, so
// token offsets point into the caller's string, not into a normalized copy.

// bertNormalizer holds BertNormalizer's four switches, already resolved
// (strip_accents: null replaced by lowercase).
type bertNormalizer struct {
	cleanText    bool
	chineseChars bool
	stripAccents bool
	lowercase    bool
}

func newBertNormalizer(c bertNormalizerConfig) bertNormalizer {
	n := bertNormalizer{
		cleanText:    orTrue(c.CleanText),
		chineseChars: orTrue(c.HandleChineseChars),
		lowercase:    orTrue(c.Lowercase),
	}
	n.stripAccents = n.lowercase
	if c.StripAccents != nil {
		n.stripAccents = *c.StripAccents
	}
	return n
}

// normalized is text after normalization, one entry per character, with
// the byte span [start, end) in the original text each character came from.
// Characters that a normalization step expands (NFD, CJK padding) share
// their source's span.
type normalized struct {
	runes      []rune
	start, end []int
}

func (n *normalized) reset() {
	n.runes, n.start, n.end = n.runes[:0], n.start[:0], n.end[:0]
}

func (n *normalized) push(r rune, start, end int) {
	n.runes = append(n.runes, r)
	n.start = append(n.start, start)
	n.end = append(n.end, end)
}

// normalize appends text[from:to], normalized, to dst: clean text, pad CJK
// ideographs with spaces, lowercase, strip accents (NFD, drop non-spacing
// marks). Hugging Face strips before it lowercases and the Python reference
// in scripts/export_models.py lowercases first; once the marks are gone the
// two orders give the same characters. (Checked code point by code point
// against Python's unicodedata: the only differences are characters new in
// Go's Unicode 15 that Python 3.11's Unicode 14 calls unassigned.)
func (n bertNormalizer) normalize(text string, from, to int, dst *normalized) {
	for i := from; i < to; {
		r, size := rune(text[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(text[i:to])
		}
		start, end := i, i+size
		i = end
		if n.cleanText {
			if r == 0 || r == utf8.RuneError || isControl(r) {
				continue
			}
			if isWhitespace(r) {
				dst.push(' ', start, end)
				continue
			}
		}
		if n.chineseChars && isCJK(r) {
			dst.push(' ', start, end)
			dst.push(r, start, end)
			dst.push(' ', start, end)
			continue
		}
		if r < utf8.RuneSelf { // ASCII: nothing to decompose
			if n.lowercase && 'A' <= r && r <= 'Z' {
				r += 'a' - 'A'
			}
			dst.push(r, start, end)
			continue
		}
		// Lowercase with the full mapping (Rust's char::to_lowercase, Python's
		// str.lower): only U+0130 differs from the simple one, giving "i̇".
		// Per character, as Hugging Face does: no final-sigma rule.
		lowered := [2]rune{r, -1}
		switch {
		case !n.lowercase:
		case r == 'İ':
			lowered = [2]rune{'i', '\u0307'}
		default:
			lowered[0] = unicode.ToLower(r)
		}
		pushed := false
		for _, c := range lowered {
			switch {
			case c < 0:
			case !n.stripAccents:
				dst.push(c, start, end)
				pushed = true
			default:
				pushed = pushStripped(dst, c, start, end) || pushed
			}
		}
		// A character that was nothing but an accent (a combining mark typed
		// after its letter, "e\u0301") belongs to the word before it: widen
		// the previous character's span so the word's offsets cover it.
		// Hugging Face leaves it out of every span; including it keeps
		// Text[start:end] the whole visible word.
		if !pushed {
			if k := len(dst.runes) - 1; k >= 0 && dst.end[k] == start && dst.runes[k] != ' ' {
				dst.end[k] = end
			}
		}
	}
}

// pushStripped pushes c's canonical decomposition (NFD) without its
// non-spacing marks, and reports whether anything was left. It reads the
// decomposition tables directly instead of calling norm.NFD.Append, which
// allocates on every call and made long non-ASCII texts GC-bound.
func pushStripped(dst *normalized, c rune, start, end int) bool {
	if c >= hangulBase && c < hangulBase+hangulCount {
		// Hangul syllables decompose by arithmetic, not by table: L V (T).
		s := c - hangulBase
		dst.push(jamoL+s/(jamoV*jamoT), start, end)
		dst.push(jamoVBase+s%(jamoV*jamoT)/jamoT, start, end)
		if t := s % jamoT; t != 0 {
			dst.push(jamoTBase+t, start, end)
		}
		return true
	}
	var b [utf8.UTFMax]byte
	d := norm.NFD.Properties(b[:utf8.EncodeRune(b[:], c)]).Decomposition()
	if d == nil {
		if unicode.Is(unicode.Mn, c) {
			return false
		}
		dst.push(c, start, end)
		return true
	}
	pushed := false
	for len(d) > 0 {
		r, size := utf8.DecodeRune(d)
		d = d[size:]
		if !unicode.Is(unicode.Mn, r) {
			dst.push(r, start, end)
			pushed = true
		}
	}
	return pushed
}

// Hangul syllable decomposition constants (Unicode §3.12).
const (
	hangulBase  = 0xAC00
	hangulCount = 11172
	jamoL       = 0x1100
	jamoVBase   = 0x1161
	jamoTBase   = 0x11A7
	jamoV       = 21
	jamoT       = 28
)

// splitWords is BertPreTokenizer: it calls word(a, b) for each word of
// n.runes[from:to], where words are split on whitespace (dropped) and every
// punctuation character is a word of its own.
func splitWords(n *normalized, from, to int, word func(a, b int)) {
	cur := -1
	for k := from; k < to; k++ {
		r := n.runes[k]
		switch {
		case isWhitespace(r):
			if cur >= 0 {
				word(cur, k)
				cur = -1
			}
		case isBertPunct(r):
			if cur >= 0 {
				word(cur, k)
				cur = -1
			}
			word(k, k+1)
		default:
			if cur < 0 {
				cur = k
			}
		}
	}
	if cur >= 0 {
		word(cur, to)
	}
}

// isControl is BERT's "control character": any Unicode category C (Cc, Cf,
// Co, Cs, and unassigned code points, which Go's unicode.C includes as Cn)
// except tab, newline and carriage return, which BERT treats as whitespace.
func isControl(r rune) bool {
	switch r {
	case '\t', '\n', '\r':
		return false
	}
	if r < utf8.RuneSelf {
		return r < 0x20 || r == 0x7f
	}
	return unicode.Is(unicode.C, r)
}

// isWhitespace is Rust's char::is_whitespace (the White_Space property),
// which is what Hugging Face uses; tab, newline and carriage return included.
func isWhitespace(r rune) bool {
	if r < utf8.RuneSelf {
		return r == ' ' || ('\t' <= r && r <= '\r')
	}
	return unicode.IsSpace(r)
}

// isBertPunct is BERT's punctuation: every ASCII symbol that is not a
// letter, digit or space ("$", "+", "^", "`" count, though Unicode files
// them as symbols) and every Unicode punctuation character.
func isBertPunct(r rune) bool {
	if r < utf8.RuneSelf {
		return ('!' <= r && r <= '/') || (':' <= r && r <= '@') || ('[' <= r && r <= '`') || ('{' <= r && r <= '~')
	}
	return unicode.IsPunct(r)
}

// isCJK is the "Chinese character" of BERT's handle_chinese_chars: the CJK
// Unified Ideographs blocks and their extensions and compatibility forms.
// Hangul and kana are not in it; they are split like any other letters.
func isCJK(r rune) bool {
	return (r >= 0x4E00 && r <= 0x9FFF) ||
		(r >= 0x3400 && r <= 0x4DBF) ||
		(r >= 0x20000 && r <= 0x2A6DF) ||
		(r >= 0x2A700 && r <= 0x2B73F) ||
		(r >= 0x2B740 && r <= 0x2B81F) ||
		(r >= 0x2B820 && r <= 0x2CEAF) ||
		(r >= 0xF900 && r <= 0xFAFF) ||
		(r >= 0x2F800 && r <= 0x2FA1F)
}
