package perturb

import (
	"strings"
	"unicode"

	"github.com/lucid-nlp/lucid/tokenize"
)

// Span is a run of consecutive features, [Start, End) by feature index.
type Span struct{ Start, End int }

// Len is the number of features in the span.
func (s Span) Len() int { return s.End - s.Start }

// Outline is the structure of an encoded text: its words, the phrases they
// form and the sentences the phrases form, found from the tokenizer's
// offsets and punctuation, so it works for any text a tokenizer reads and
// needs no parser. Every sentence is a run of whole phrases and every
// phrase a run of whole words; together they cover every word once.
//
// A sentence ends after a word made only of terminal punctuation (. ! ? …
// and their full-width forms), together with the closing quotes and
// brackets right after it, when whitespace or the end of the text follows
// (so "3.5" and "e.g.x" stay one sentence; "Dr. Who" does not, since a
// period after a known abbreviation (mr, dr, etc, ...) never ends
// one); a line break between two words also ends one. A phrase ends after
// a clause mark (, ; : and dashes), before an opening bracket, after a
// closing one, and before a word that opens a clause (but, yet, although,
// though, because, whereas, while, however, unless). These are
// heuristics: a lower-cased text still splits at its periods, and a list
// of nouns split at its commas gives one phrase a noun.
type Outline struct {
	// Words are the text's word features, in order.
	Words []Feature
	// Phrases and Sentences are spans over Words, in order.
	Phrases   []Span
	Sentences []Span
	text      string
	pairText  string // the second text of a pair, which its words index
	// punct marks the words made only of punctuation; drop says to leave
	// them out of the features (FeatureOptions.DropPunctuation).
	punct []bool
	drop  bool
}

// NewOutline finds the words, phrases and sentences of an encoded text.
func NewOutline(enc *tokenize.Encoding) Outline { return NewOutlineWith(enc, FeatureOptions{}) }

// NewOutlineWith is NewOutline with options: punctuation marks always take
// part in finding phrases and sentences (Words holds them), and
// DropPunctuation leaves them out of what Features returns.
func NewOutlineWith(enc *tokenize.Encoding, opt FeatureOptions) Outline {
	if enc.Pair != nil {
		return pairOutline(enc, opt)
	}
	words, punct := wordMap(enc)
	o := Outline{Words: words, text: enc.Text, punct: punct, drop: opt.DropPunctuation}
	if len(words) == 0 {
		return o
	}
	phraseStart, sentenceStart := 0, 0
	endPhrase := func(end int) {
		if end > phraseStart {
			o.Phrases = append(o.Phrases, Span{phraseStart, end})
			phraseStart = end
		}
	}
	endSentence := func(end int) {
		endPhrase(end)
		if end > sentenceStart {
			o.Sentences = append(o.Sentences, Span{sentenceStart, end})
			sentenceStart = end
		}
	}
	for i := 0; i < len(words); i++ {
		w := words[i].Text
		switch {
		case isTerminal(w) && !(w == "." && i > 0 && isAbbreviation(words[i-1].Text) && gap(enc.Text, words, i-1) == ""):
			// Swallow the rest of a run like "?!" or "..." and the closers
			// after it: they belong to the sentence they end.
			j := i + 1
			for j < len(words) && gap(enc.Text, words, j-1) == "" && (isTerminal(words[j].Text) || isCloser(words[j].Text)) {
				j++
			}
			if j == len(words) || gap(enc.Text, words, j-1) != "" {
				endSentence(j)
			}
			i = j - 1
		case isClauseMark(w) || isCloser(w):
			endPhrase(i + 1)
		case isOpener(w) || isClauseWord(w):
			endPhrase(i)
		}
		if i+1 < len(words) && strings.ContainsAny(gap(enc.Text, words, i), "\n\r\u2028\u2029") {
			endSentence(i + 1)
		}
	}
	endSentence(len(words))
	return o
}

// Features returns the outline's features at level: its sentences, its
// phrases, or its words (Tokens is not an outline level; it returns the
// words). A group's text is the source text from its first word's start to
// its last word's end, and its tokens are its words' tokens (less those of
// punctuation marks when the outline drops them; a group of punctuation
// marks alone is then no feature).
func (o Outline) Features(level Level) []Feature {
	var spans []Span
	switch level {
	case Sentences:
		spans = o.Sentences
	case Phrases:
		spans = o.Phrases
	default:
		if !o.drop {
			return o.Words
		}
		var kept []Feature
		for i, w := range o.Words {
			if !o.punct[i] {
				kept = append(kept, w)
			}
		}
		return kept
	}
	feats := make([]Feature, 0, len(spans))
	for _, s := range spans {
		f := Feature{Start: o.Words[s.Start].Start, End: o.Words[s.End-1].End, Segment: o.Words[s.Start].Segment}
		for i, w := range o.Words[s.Start:s.End] {
			if o.drop && o.punct[s.Start+i] {
				continue
			}
			f.Tokens = append(f.Tokens, w.Tokens...)
		}
		if len(f.Tokens) == 0 {
			continue
		}
		f.Text = o.segmentText(f.Segment)[f.Start:f.End]
		feats = append(feats, f)
	}
	return feats
}

// Groups returns, for features at level leaf, the spans of the coarser
// outline levels above it, finest first: for Tokens the words, phrases and
// sentences (as spans over the tokens); for Words the phrases and
// sentences; for Phrases the sentences; for Sentences none. features must
// be Features(enc, leaf) of the encoding the outline was made from.
func (o Outline) Groups(leaf Level, features []Feature) [][]Span {
	var levels [][]Span
	switch leaf {
	case Tokens:
		levels = [][]Span{wordSpans(len(o.Words)), o.Phrases, o.Sentences}
	case Words:
		levels = [][]Span{o.Phrases, o.Sentences}
	case Phrases:
		levels = [][]Span{o.Sentences}
	default:
		return nil
	}
	// Map each level's word spans onto the leaves: a leaf belongs to the
	// word that holds its first token.
	wordOf := make(map[int]int) // token position → word index
	for wi, w := range o.Words {
		for _, pos := range w.Tokens {
			wordOf[pos] = wi
		}
	}
	leafWordStart := make([]int, len(features)) // first word of each leaf
	for li, f := range features {
		leafWordStart[li] = wordOf[f.Tokens[0]]
	}
	out := make([][]Span, len(levels))
	for k, spans := range levels {
		li := 0
		for _, s := range spans {
			start := li
			for li < len(features) && leafWordStart[li] < s.End {
				li++
			}
			if li > start {
				out[k] = append(out[k], Span{start, li})
			}
		}
	}
	return out
}

func wordSpans(n int) []Span {
	s := make([]Span, n)
	for i := range s {
		s[i] = Span{i, i + 1}
	}
	return s
}

// gap is the text between word i and word i+1 ("" after the last word).
func gap(text string, words []Feature, i int) string {
	if i+1 >= len(words) {
		return " " // the end of the text counts as a break
	}
	return text[words[i].End:words[i+1].Start]
}

func onlyRunes(s string, ok func(rune) bool) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !ok(r) {
			return false
		}
	}
	return true
}

func isTerminal(w string) bool {
	return onlyRunes(w, func(r rune) bool { return strings.ContainsRune(".!?…。！？", r) })
}

func isCloser(w string) bool {
	return onlyRunes(w, func(r rune) bool {
		return strings.ContainsRune(`"')]}»”’`, r) || unicode.Is(unicode.Pe, r) || unicode.Is(unicode.Pf, r)
	})
}

func isOpener(w string) bool {
	return onlyRunes(w, func(r rune) bool {
		return strings.ContainsRune(`([{«“`, r) || unicode.Is(unicode.Ps, r) || unicode.Is(unicode.Pi, r)
	})
}

func isClauseMark(w string) bool {
	return onlyRunes(w, func(r rune) bool { return strings.ContainsRune(",;:–—-，；：", r) })
}

var clauseWords = map[string]bool{"but": true, "yet": true, "although": true, "though": true, "because": true,
	"whereas": true, "while": true, "however": true, "unless": true}

func isClauseWord(w string) bool { return clauseWords[strings.ToLower(w)] }

var abbreviations = map[string]bool{"mr": true, "mrs": true, "ms": true, "dr": true, "prof": true, "st": true,
	"vs": true, "etc": true, "jr": true, "sr": true, "fig": true}

func isAbbreviation(w string) bool { return abbreviations[strings.ToLower(w)] }
