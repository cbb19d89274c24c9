package tokenize

// Encoding is one text as the model sees it. All per-token slices have the
// same length, special tokens included.
type Encoding struct {
	// Text is the original input, unchanged.
	Text string
	// IDs, TypeIDs and AttentionMask are the model's inputs for this text.
	IDs           []int64
	TypeIDs       []int64
	AttentionMask []int64
	// Tokens are the vocabulary strings of IDs ("##ffa", "[CLS]").
	Tokens []string
	// Offsets are byte offsets into Text: Text[o[0]:o[1]] is the source of
	// the token. Special tokens have {0, 0}.
	Offsets [][2]int
	// WordIDs gives the index of the word each token belongs to, counting
	// words from 0 in the order they appear; -1 for special tokens.
	WordIDs []int
	// Special marks the tokens the tokenizer added ([CLS], [SEP], <s>, ...).
	Special []bool
	// Truncated is true when the text had more tokens than the model's
	// maximum length and the tail was cut; FullLength is the token count
	// (special tokens included) before that cut.
	Truncated  bool
	FullLength int
	// Pair is set for a sentence pair (EncodePair): the second text, each
	// token's segment, and what truncation cut from each text. It is nil
	// for one text.
	Pair *Pair
}

// Len is the number of tokens, special tokens included.
func (e *Encoding) Len() int { return len(e.IDs) }
