package tokenize

import (
	"unicode/utf8"
)

// wordPiece is the WordPiece model: greedy longest-match-first over a
// vocabulary, the continuation pieces carrying a prefix ("##"). The
// vocabulary is sugarme's (read from the same tokenizer.json); the loop is
// here because sugarme's model builds every candidate with fmt.Sprintf, which
// makes a long word cost O(n²) allocations, and because it reports rune
// offsets where the rest of sugarme uses bytes.
type wordPiece struct {
	vocab    map[string]int64
	unk      int64
	prefix   string
	maxChars int // longer words are [UNK] outright, as in Hugging Face
	// maxPiece is the longest vocabulary entry in characters (prefix
	// excluded). Candidates longer than that cannot match, so the search
	// starts there instead of at the end of the word: this bounds the work
	// per character by a constant.
	maxPiece int
}

func newWordPiece(vocab map[string]int64, unk int64, prefix string, maxChars int) *wordPiece {
	w := &wordPiece{vocab: vocab, unk: unk, prefix: prefix, maxChars: maxChars}
	for tok := range vocab {
		n := utf8.RuneCountInString(tok)
		if prefix != "" && len(tok) > len(prefix) && tok[:len(prefix)] == prefix {
			n -= utf8.RuneCountInString(prefix)
		}
		w.maxPiece = max(w.maxPiece, n)
	}
	return w
}

// piece is one WordPiece token: its id and the characters [a, b) of the word
// it covers.
type piece struct {
	id   int64
	a, b int
}

// wordScratch is per-call memory reused across the words of a text.
type wordScratch struct {
	bytes  []byte // the word in UTF-8
	bounds []int  // bounds[k] is the byte offset of character k; one extra at the end
	key    []byte // prefix + candidate, for vocabulary lookups
	pieces []piece
}

// tokenize splits word into pieces, appended to s.pieces[:0] and returned.
// A word that cannot be covered by vocabulary pieces is one [UNK], like in
// Hugging Face and in BERT's original code.
func (w *wordPiece) tokenize(word []rune, s *wordScratch) []piece {
	s.pieces = s.pieces[:0]
	n := len(word)
	if n > w.maxChars {
		return append(s.pieces, piece{w.unk, 0, n})
	}
	s.bytes, s.bounds = s.bytes[:0], s.bounds[:0]
	for _, r := range word {
		s.bounds = append(s.bounds, len(s.bytes))
		s.bytes = utf8.AppendRune(s.bytes, r)
	}
	s.bounds = append(s.bounds, len(s.bytes))
	for start := 0; start < n; {
		found := false
		for end := min(n, start+w.maxPiece); end > start; end-- {
			sub := s.bytes[s.bounds[start]:s.bounds[end]]
			var id int64
			var ok bool
			if start == 0 {
				id, ok = w.vocab[string(sub)] // no allocation: map lookup by converted key
			} else {
				s.key = append(append(s.key[:0], w.prefix...), sub...)
				id, ok = w.vocab[string(s.key)]
			}
			if ok {
				s.pieces = append(s.pieces, piece{id, start, end})
				start, found = end, true
				break
			}
		}
		if !found {
			s.pieces = append(s.pieces[:0], piece{w.unk, 0, n})
			return s.pieces
		}
	}
	return s.pieces
}
