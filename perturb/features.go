package perturb

import (
	"fmt"
	"sort"
	"unicode"

	"github.com/lucid-nlp/lucid/tokenize"
)

// Level says what a feature is: a single token, a whole word, a phrase or
// a sentence (see Outline for how phrases and sentences are found).
type Level int

const (
	// Words groups tokens into the words a reader names (Segment), by
	// the tokenizer's offsets (the default; see FeaturesWith).
	Words Level = iota
	// Tokens makes every non-special token its own feature.
	Tokens
	// Phrases groups words into clauses and phrases (see Outline).
	Phrases
	// Sentences groups words into sentences (see Outline).
	Sentences
)

// ParseLevel reads "words", "tokens", "phrases" or "sentences".
func ParseLevel(s string) (Level, error) {
	switch s {
	case "", "words", "word":
		return Words, nil
	case "tokens", "token":
		return Tokens, nil
	case "phrases", "phrase":
		return Phrases, nil
	case "sentences", "sentence":
		return Sentences, nil
	}
	return Words, fmt.Errorf("perturb: feature level %q: want sentences, phrases, words or tokens", s)
}

func (l Level) String() string {
	switch l {
	case Tokens:
		return "tokens"
	case Phrases:
		return "phrases"
	case Sentences:
		return "sentences"
	}
	return "words"
}

// Feature is one unit an explanation attributes: its source text, its byte
// span in the original text, and the positions of its tokens in the encoding.
type Feature struct {
	Text   string
	Start  int
	End    int
	Tokens []int
	// Segment is the text of a sentence pair the feature is in: 0, or 1
	// for the second text (whose bytes Start and End then index). A
	// feature never spans both texts.
	Segment int
}

// FeatureOptions tailor which parts of a text are features.
type FeatureOptions struct {
	// DropPunctuation leaves words made only of punctuation marks (and, at
	// the token level, tokens made only of them) out of the features: they
	// are then never masked, like special tokens. The zero value keeps them.
	DropPunctuation bool
}

// Features lists the features of an encoded text at the given level, in text
// order, with punctuation marks kept. Special tokens are never features.
func Features(enc *tokenize.Encoding, level Level) []Feature {
	return FeaturesWith(enc, level, FeatureOptions{})
}

// FeaturesWith is Features with options.
//
// Of a sentence pair (tokenize.EncodePair), the first text's features come
// first, then the second's, each found in its own text and marked with its
// Segment; the template's tokens between and around the texts ([SEP],
// </s></s>) are special and never features, so every perturbation keeps
// the pair's frame.
//
// Words are the word map of the text: the words of Segment (a reader's
// words, whatever the tokenizer does) matched to the tokens by the
// tokenizer's offsets. A word's feature holds every token whose source
// text overlaps it; when one token overlaps several words (a tokenizer
// that does not split where Segment does), those words become one feature,
// since a feature must be a set of whole tokens. A token whose source is
// empty or only spaces joins the word it touches (the next one, else the
// previous one). Words without a token (cut off by truncation, or dropped
// by the tokenizer) are not features.
func FeaturesWith(enc *tokenize.Encoding, level Level, opt FeatureOptions) []Feature {
	if enc.Pair != nil {
		return pairFeatures(enc, level, opt)
	}
	switch level {
	case Phrases, Sentences:
		return NewOutlineWith(enc, opt).Features(level)
	case Tokens:
		var feats []Feature
		for pos := range enc.IDs {
			if enc.Special[pos] {
				continue
			}
			off := enc.Offsets[pos]
			f := Feature{Text: enc.Text[off[0]:off[1]], Start: off[0], End: off[1], Tokens: []int{pos}}
			if opt.DropPunctuation && onlyRunes(f.Text, unicode.IsPunct) {
				continue
			}
			feats = append(feats, f)
		}
		return feats
	}
	words, punct := wordMap(enc)
	if !opt.DropPunctuation {
		return words
	}
	var kept []Feature
	for i, w := range words {
		if !punct[i] {
			kept = append(kept, w)
		}
	}
	return kept
}

// wordMap groups enc's non-special tokens into the words of Segment (see
// FeaturesWith) and says which words are punctuation only.
func wordMap(enc *tokenize.Encoding) ([]Feature, []bool) {
	segs := Segment(enc.Text)
	// Union-find over words: a token overlapping several joins them.
	parent := make([]int, len(segs))
	for i := range parent {
		parent[i] = i
	}
	find := func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	owner := make([]int, enc.Len()) // a word of each token, -1 for specials
	for pos := range owner {
		owner[pos] = -1
		if enc.Special[pos] || len(segs) == 0 {
			continue
		}
		s, e := enc.Offsets[pos][0], enc.Offsets[pos][1]
		// Words overlapping [s, e): segs are in order and disjoint.
		first := sort.Search(len(segs), func(k int) bool { return segs[k].End > s })
		last := first
		for k := first; k < len(segs) && segs[k].Start < e; k++ {
			last = k
		}
		if first == len(segs) || segs[first].Start >= e {
			// No overlap: an empty or all-space source. Join the word
			// that starts at or after s, else the last word.
			first = min(first, len(segs)-1)
			owner[pos] = first
			continue
		}
		owner[pos] = first
		for k := first + 1; k <= last; k++ {
			if a, b := find(first), find(k); a != b {
				parent[b] = a
			}
		}
	}
	// One feature per group of words, in order of their first token.
	index := map[int]int{} // root word → feature index
	var feats []Feature
	var punct []bool
	for pos, w := range owner {
		if w < 0 {
			continue
		}
		root := find(w)
		fi, ok := index[root]
		if !ok {
			fi = len(feats)
			index[root] = fi
			feats = append(feats, Feature{Start: segs[w].Start, End: segs[w].End})
			punct = append(punct, true)
		}
		feats[fi].Tokens = append(feats[fi].Tokens, pos)
	}
	// A feature spans all words of its group; Punct only if all are.
	for k, sg := range segs {
		if fi, ok := index[find(k)]; ok {
			f := &feats[fi]
			f.Start, f.End = min(f.Start, sg.Start), max(f.End, sg.End)
			punct[fi] = punct[fi] && sg.Punct
		}
	}
	for i := range feats {
		feats[i].Text = enc.Text[feats[i].Start:feats[i].End]
	}
	return feats, punct
}
