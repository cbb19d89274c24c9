package tokenize

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/lucid-nlp/lucid/internal/readcap"
)

// MaxVocabSize bounds a vocabulary's entries (the model's vocabulary and
// the added tokens together): the largest real vocabularies hold about a
// quarter of this.
const MaxVocabSize = 1 << 22

// MaxFileBytes caps tokenizer.json as Load reads it.
const MaxFileBytes = readcap.MaxTokenizerBytes

// checkVocab validates the ids of tokenizer.json before anything builds a
// table from them: every id must lie in [0, size), where size is the
// number of entries (vocabulary plus added tokens, at most MaxVocabSize).
// A table indexed by id is then at most size long, so an id of 1e9 cannot
// ask for gigabytes, and a negative id (which would silently give another
// token's embedding) is refused. A Unigram vocabulary (a list) has its
// ids by position and needs only its size checked.
func checkVocab(cfg fileConfig) error {
	var m struct {
		Vocab json.RawMessage `json:"vocab"`
	}
	if len(cfg.Model) > 0 {
		if err := json.Unmarshal(cfg.Model, &m); err != nil {
			return fmt.Errorf("model: %w", err)
		}
	}
	var vocab map[string]int64
	var entries int64
	switch v := bytes.TrimSpace(m.Vocab); {
	case len(v) > 0 && v[0] == '{':
		if err := json.Unmarshal(v, &vocab); err != nil {
			return fmt.Errorf("model.vocab: %w (want token: id with integer ids)", err)
		}
		entries = int64(len(vocab))
	case len(v) > 0 && v[0] == '[':
		var list []json.RawMessage
		if err := json.Unmarshal(v, &list); err != nil {
			return fmt.Errorf("model.vocab: %w", err)
		}
		entries = int64(len(list))
	}
	size := entries + int64(len(cfg.AddedTokens))
	if size > MaxVocabSize {
		return fmt.Errorf("the vocabulary has %d entries, over the cap of %d", size, MaxVocabSize)
	}
	check := func(what, tok string, id int64) error {
		if id < 0 || id >= size {
			return fmt.Errorf("%s %q has id %d, outside [0, %d) (the vocabulary's %d entries)", what, tok, id, size, size)
		}
		return nil
	}
	for tok, id := range vocab {
		if err := check("vocabulary token", tok, id); err != nil {
			return err
		}
	}
	for _, a := range cfg.AddedTokens {
		if err := check("added token", a.Content, a.ID); err != nil {
			return err
		}
	}
	return nil
}

// checkIDs checks the ids the tokenizer ended up with, and the ids the
// post-processor's template puts around every text, against the same
// bound, before the id table is built.
func checkIDs(ids map[string]int64, lay layout, size int64) error {
	for tok, id := range ids {
		if id < 0 || id >= size {
			return fmt.Errorf("token %q has id %d, outside [0, %d)", tok, id, size)
		}
	}
	for _, s := range append(append([]specialToken(nil), lay.prefix...), lay.suffix...) {
		if s.id < 0 || s.id >= size {
			return fmt.Errorf("post-processor special token %q has id %d, outside [0, %d)", s.token, s.id, size)
		}
	}
	return nil
}
