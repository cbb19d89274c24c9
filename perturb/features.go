package perturb

import (
	"fmt"

	"github.com/lucid-nlp/lucid/tokenize"
)

// Level says what a feature is: a single token, a whole word, a phrase or
// a sentence (see Outline for how phrases and sentences are found).
type Level int

const (
	// Words groups sub-word tokens by the word they came from (the default).
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
}

// Features lists the features of an encoded text at the given level, in text
// order. Special tokens are never features.
func Features(enc *tokenize.Encoding, level Level) []Feature {
	if level == Phrases || level == Sentences {
		return NewOutline(enc).Features(level)
	}
	var feats []Feature
	lastWord := -1
	for pos := range enc.IDs {
		if enc.Special[pos] {
			continue
		}
		off := enc.Offsets[pos]
		if level == Words && enc.WordIDs[pos] == lastWord && len(feats) > 0 {
			f := &feats[len(feats)-1]
			f.Tokens = append(f.Tokens, pos)
			f.End = max(f.End, off[1])
			f.Text = enc.Text[f.Start:f.End]
			continue
		}
		lastWord = enc.WordIDs[pos]
		feats = append(feats, Feature{Text: enc.Text[off[0]:off[1]], Start: off[0], End: off[1], Tokens: []int{pos}})
	}
	return feats
}
