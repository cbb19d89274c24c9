package tokenize

import (
	"fmt"
	"sync"
	"unicode/utf8"

	"github.com/sugarme/tokenizer"
)

// sugarPipeline runs sugarme's own normalizer, pre-tokenizer and model for
// tokenizers other than BERT's WordPiece and byte-level BPE (Unigram,
// ...). Lucid still does the framing: it cuts added tokens out first, asks
// sugarme for the text between them without special tokens, and adds the
// post-processor's tokens itself, so word ids, special flags and truncation
// are the same as on the BERT path whatever sugarme does with them.
type sugarPipeline struct {
	// mu serializes calls into sugarme. Its Tokenizer does not promise to be
	// safe for concurrent use: the BPE cache has a lock of its own (and
	// -race finds nothing in BPE encoding), but the other models and its
	// added-vocabulary code make no such promise, and GetVocab(true) even
	// writes into the model's map. One lock keeps Tokenizer's guarantee
	// independent of sugarme's internals; the BERT path does not need it.
	mu sync.Mutex
	tk *tokenizer.Tokenizer
}

func (p *sugarPipeline) encodeSpan(text string, from, to int, b *builder) error {
	seg := text[from:to]
	enc, err := p.encode(seg)
	if err != nil {
		return err
	}
	// sugarme's Words omits special tokens (none here) and numbers words
	// from 0 within the call; shift them after the words already seen.
	words := enc.Words
	if len(words) != len(enc.Ids) {
		words = nil
	}
	base, top := b.words, -1
	for i, id := range enc.Ids {
		w := base + i // no word ids from sugarme: each token its own word
		if words != nil {
			w = base + words[i]
			if words[i] < 0 {
				w = base + top + 1
			}
		}
		top = max(top, w-base)
		var off []int
		if i < len(enc.Offsets) {
			off = enc.Offsets[i]
		}
		start, end := fixOffsets(seg, off)
		tok := ""
		if i < len(enc.Tokens) {
			tok = enc.Tokens[i]
		}
		b.add(int64(id), tok, from+start, from+end, w)
	}
	b.words = base + top + 1
	return nil
}

func (p *sugarPipeline) encode(seg string) (enc *tokenizer.Encoding, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	defer func() {
		if r := recover(); r != nil {
			enc, err = nil, fmt.Errorf("github.com/sugarme/tokenizer failed on %q: %v", clip(seg), r)
		}
	}()
	enc, err = p.tk.EncodeSingle(seg, false)
	if err != nil {
		return nil, fmt.Errorf("github.com/sugarme/tokenizer failed on %q: %w", clip(seg), err)
	}
	return enc, nil
}

// fixOffsets makes sugarme's offsets a valid span of seg: inside it, in
// order, and on character boundaries (a byte-level token holding half of an
// emoji gets the whole emoji, as in Hugging Face).
func fixOffsets(seg string, off []int) (int, int) {
	if len(off) != 2 {
		return 0, 0
	}
	start := min(max(off[0], 0), len(seg))
	end := min(max(off[1], start), len(seg))
	for start > 0 && start < len(seg) && !utf8.RuneStart(seg[start]) {
		start--
	}
	for end < len(seg) && !utf8.RuneStart(seg[end]) {
		end++
	}
	return start, end
}

// clip shortens a text for an error message.
func clip(s string) string {
	const n = 40
	if len(s) <= n {
		return s
	}
	i := n
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "..."
}
