package perturb

import (
	"fmt"

	"github.com/lucid-nlp/lucid/tokenize"
)

// Masking says what an absent feature becomes.
type Masking int

const (
	// MaskToken replaces the feature's tokens with the tokenizer's mask
	// token ([MASK], <mask>): the default where there is one, since it is the
	// model's own notion of "a token is here but unknown".
	MaskToken Masking = iota
	// Pad turns the feature's tokens' attention off, so the model does not
	// see them at all while positions stay put. The tokens get the pad id,
	// except in models that compute positions from the ids
	// (tokenize.Tokenizer.PadShiftsPositions: RoBERTa and its family), where
	// a pad id would move every later token back and so mean Delete: there
	// they keep their own ids, which attention off hides just the same.
	Pad
	// Delete removes them: rows get shorter, as if the words were not written.
	Delete
	// Unknown replaces them with the unknown token ([UNK]).
	Unknown
)

// ParseMasking reads mask, pad, delete or unk.
func ParseMasking(s string) (Masking, error) {
	switch s {
	case "", "mask":
		return MaskToken, nil
	case "pad":
		return Pad, nil
	case "delete":
		return Delete, nil
	case "unk", "unknown":
		return Unknown, nil
	}
	return MaskToken, fmt.Errorf("perturb: masking %q: want mask, pad, delete or unk", s)
}

func (m Masking) String() string {
	return [...]string{"mask", "pad", "delete", "unk"}[m]
}

// Row is one model input row, unpadded.
type Row struct {
	IDs           []int64
	AttentionMask []int64
	TypeIDs       []int64
}

// Masker turns coalitions of an encoded text's features into model rows.
type Masker struct {
	enc      *tokenize.Encoding
	features []Feature
	strategy Masking
	fill     int64 // the id absent tokens get (mask, pad or unk)
	keepIDs  bool  // Pad on a model whose positions count non-pad ids
	owner    []int // owner[pos] = feature index of token pos, -1 if none
}

// NewMasker prepares rows for enc's features. It fails when the strategy
// needs a token the tokenizer lacks (no [MASK] for MaskToken, no [UNK]).
func NewMasker(enc *tokenize.Encoding, features []Feature, strategy Masking, tok *tokenize.Tokenizer) (*Masker, error) {
	m := &Masker{enc: enc, features: features, strategy: strategy, owner: make([]int, enc.Len())}
	for i := range m.owner {
		m.owner[i] = -1
	}
	for fi, f := range features {
		for _, pos := range f.Tokens {
			m.owner[pos] = fi
		}
	}
	switch strategy {
	case MaskToken:
		id, ok := tok.MaskID()
		if !ok {
			return nil, fmt.Errorf("perturb: masking %q needs a mask token and this tokenizer has none; use --mask pad, delete or unk", strategy)
		}
		m.fill = id
	case Unknown:
		id, ok := tok.UnkID()
		if !ok {
			return nil, fmt.Errorf("perturb: masking %q needs an unknown token and this tokenizer has none; use --mask mask, pad or delete", strategy)
		}
		m.fill = id
	case Pad, Delete:
		m.fill = tok.PadID()
		m.keepIDs = strategy == Pad && tok.PadShiftsPositions()
	default:
		return nil, fmt.Errorf("perturb: unknown masking strategy %d", strategy)
	}
	return m, nil
}

// Features returns the features the masker ranges over.
func (m *Masker) Features() []Feature { return m.features }

// Encoding returns the encoded input.
func (m *Masker) Encoding() *tokenize.Encoding { return m.enc }

// Row builds the model row in which only the features in c are present.
// Special tokens are always kept.
func (m *Masker) Row(c Coalition) Row {
	n := m.enc.Len()
	if m.strategy == Delete {
		keep := 0
		for pos := range n {
			if o := m.owner[pos]; o < 0 || c.Has(o) {
				keep++
			}
		}
		r := Row{IDs: make([]int64, 0, keep), AttentionMask: make([]int64, 0, keep), TypeIDs: make([]int64, 0, keep)}
		for pos := range n {
			if o := m.owner[pos]; o < 0 || c.Has(o) {
				r.IDs = append(r.IDs, m.enc.IDs[pos])
				r.AttentionMask = append(r.AttentionMask, m.enc.AttentionMask[pos])
				r.TypeIDs = append(r.TypeIDs, m.enc.TypeIDs[pos])
			}
		}
		return r
	}
	r := Row{IDs: make([]int64, n), AttentionMask: make([]int64, n), TypeIDs: m.enc.TypeIDs}
	copy(r.IDs, m.enc.IDs)
	copy(r.AttentionMask, m.enc.AttentionMask)
	for pos := range n {
		if o := m.owner[pos]; o >= 0 && !c.Has(o) {
			if !m.keepIDs {
				r.IDs[pos] = m.fill
			}
			if m.strategy == Pad {
				r.AttentionMask[pos] = 0
			}
		}
	}
	return r
}

// WordRow builds the row in which only the features in c are present, with
// each absent feature written as a whole word would be: one fill token (the
// mask or unknown token) in place of all its tokens, or nothing at all for
// Delete. Rows get shorter when a feature has several tokens. These are
// the ids a text re-tokenizes to when each absent feature's span is
// replaced by the fill token's text ("[MASK]"), or cut, so a row built here
// can be shown as text and reproduced from it. Pad has no such text (a
// typed "[PAD]" is attended to), so WordRow treats it as Delete.
func (m *Masker) WordRow(c Coalition) Row {
	n := m.enc.Len()
	r := Row{IDs: make([]int64, 0, n), AttentionMask: make([]int64, 0, n), TypeIDs: make([]int64, 0, n)}
	written := -1 // the absent feature whose fill token was just written
	for pos := range n {
		o := m.owner[pos]
		if o < 0 || c.Has(o) {
			r.IDs = append(r.IDs, m.enc.IDs[pos])
			r.AttentionMask = append(r.AttentionMask, m.enc.AttentionMask[pos])
			r.TypeIDs = append(r.TypeIDs, m.enc.TypeIDs[pos])
			continue
		}
		if m.strategy == Delete || m.strategy == Pad || o == written {
			continue
		}
		written = o
		r.IDs = append(r.IDs, m.fill)
		r.AttentionMask = append(r.AttentionMask, 1)
		r.TypeIDs = append(r.TypeIDs, m.enc.TypeIDs[pos])
	}
	return r
}
