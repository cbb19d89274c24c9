package tokenize

import (
	"encoding/json"
	"fmt"
)

// Pair is what an Encoding of a sentence pair (EncodePair) holds besides
// the first text: the second text, the segment of every token, and what
// truncation cut from each text.
type Pair struct {
	// Text is the second text, unchanged. Offsets of the tokens of segment
	// 1 are byte offsets into it (Encoding.Text for segment 0).
	Text string
	// Segments gives, per token, the text it belongs to: 0 for the first,
	// 1 for the second. Special tokens belong to the segment they close or
	// open: the template's tokens up to and including the ones between the
	// texts are 0, those after the second text 1. This is the segment of the
	// input, whatever the template's token type ids are (RoBERTa's are all
	// 0).
	Segments []int
	// Removed is how many tokens longest-first truncation cut from the end
	// of the first and of the second text.
	Removed [2]int
}

// Segment is the text token pos belongs to: 0, or 1 for the second text of
// a pair.
func (e *Encoding) Segment(pos int) int {
	if e.Pair == nil {
		return 0
	}
	return e.Pair.Segments[pos]
}

// SegmentText is the text of segment s (0 or 1): the one Offsets index for
// that segment's tokens.
func (e *Encoding) SegmentText(s int) string {
	if s == 1 && e.Pair != nil {
		return e.Pair.Text
	}
	return e.Text
}

// SegmentView is e seen as an encoding of segment s alone: Text is that
// segment's text and every token of the other segment is marked Special,
// so code that reads one text's tokens by their offsets (word maps,
// outlines) reads segment s only, at the same token positions. The slices
// other than Special are shared with e. For a single text it returns e.
func (e *Encoding) SegmentView(s int) *Encoding {
	if e.Pair == nil {
		return e
	}
	v := *e
	v.Text = e.SegmentText(s)
	v.Pair = nil
	v.Special = make([]bool, len(e.Special))
	for pos := range v.Special {
		v.Special[pos] = e.Special[pos] || e.Pair.Segments[pos] != s
	}
	return &v
}

// pairLayout is how a post-processor frames two texts: pre [A] mid [B] post.
type pairLayout struct {
	pre, mid, post []specialToken
	typeA, typeB   int64
}

func (l pairLayout) specials() int { return len(l.pre) + len(l.mid) + len(l.post) }

// checkIDs holds the pair template's ids to the bound checkIDs holds the
// rest to.
func (l pairLayout) checkIDs(size int64) error {
	for _, ss := range [][]specialToken{l.pre, l.mid, l.post} {
		for _, s := range ss {
			if s.id < 0 || s.id >= size {
				return fmt.Errorf("post-processor pair template's special token %q has id %d, outside [0, %d)", s.token, s.id, size)
			}
		}
	}
	return nil
}

// parsePairLayout reads the pair template of the post-processor types
// Hugging Face writes for encoder models: TemplateProcessing's "pair",
// BertProcessing ([CLS] A [SEP] B [SEP], type ids 0 up to the first [SEP]
// and 1 after it) and RobertaProcessing (<s> A </s> </s> B </s>, type ids
// all 0, as Hugging Face's RobertaProcessing writes them). With no
// post-processor (or one that adds no tokens) the texts are concatenated,
// the second with type id 1, as Hugging Face does.
func parsePairLayout(raw json.RawMessage) (pairLayout, error) {
	switch componentType(raw) {
	case "BertProcessing", "RobertaProcessing":
		single, err := parseLayout(raw)
		if err != nil {
			return pairLayout{}, err
		}
		cls, sep := single.prefix[0], single.suffix[0]
		if componentType(raw) == "RobertaProcessing" {
			return pairLayout{pre: []specialToken{cls}, mid: []specialToken{sep, sep}, post: []specialToken{sep}}, nil
		}
		sepB := sep
		sepB.typeID = 1
		return pairLayout{pre: []specialToken{cls}, mid: []specialToken{sep}, post: []specialToken{sepB}, typeB: 1}, nil
	case "TemplateProcessing":
		return parsePairTemplate(raw)
	case "Sequence":
		var p struct {
			Processors []json.RawMessage `json:"processors"`
		}
		if err := json.Unmarshal(raw, &p); err != nil {
			return pairLayout{}, fmt.Errorf("post_processor: %w", err)
		}
		// As for one text: the processor that adds tokens decides.
		for _, sub := range p.Processors {
			l, err := parsePairLayout(sub)
			if err != nil {
				return pairLayout{}, err
			}
			if l.specials() > 0 {
				return l, nil
			}
		}
	}
	return pairLayout{typeB: 1}, nil
}

func parsePairTemplate(raw json.RawMessage) (pairLayout, error) {
	var p templateProcessing
	if err := json.Unmarshal(raw, &p); err != nil {
		return pairLayout{}, fmt.Errorf("post_processor (TemplateProcessing): %w", err)
	}
	var l pairLayout
	if len(p.Pair) == 0 {
		// No pair template: Hugging Face cannot encode pairs with it
		// either. Encoding a pair then fails (EncodePair), one text works.
		return pairLayout{typeB: -1}, nil
	}
	seqs := ""
	for _, piece := range p.Pair {
		switch {
		case piece.Sequence != nil:
			switch piece.Sequence.ID {
			case "A":
				l.typeA = piece.Sequence.TypeID
			case "B":
				l.typeB = piece.Sequence.TypeID
			default:
				return pairLayout{}, fmt.Errorf("post_processor (TemplateProcessing): the pair template names sequence %q: want A or B", piece.Sequence.ID)
			}
			seqs += piece.Sequence.ID
		case piece.SpecialToken != nil:
			st, ok := p.SpecialTokens[piece.SpecialToken.ID]
			if !ok || len(st.IDs) != len(st.Tokens) {
				return pairLayout{}, fmt.Errorf("post_processor (TemplateProcessing): special token %q is not described in special_tokens", piece.SpecialToken.ID)
			}
			for i, id := range st.IDs {
				t := specialToken{id: id, token: st.Tokens[i], typeID: piece.SpecialToken.TypeID}
				switch seqs {
				case "":
					l.pre = append(l.pre, t)
				case "A":
					l.mid = append(l.mid, t)
				default:
					l.post = append(l.post, t)
				}
			}
		}
	}
	if seqs != "AB" {
		return pairLayout{}, fmt.Errorf("post_processor (TemplateProcessing): the pair template's sequences are %q: Lucid reads templates with A then B", seqs)
	}
	return l, nil
}

// PairTruncation names the rule EncodePair cuts pairs by, for help texts
// and reports.
const PairTruncation = "longest-first"

// EncodePair tokenizes a sentence pair (premise and hypothesis, question
// and passage, query and document) with the post-processor's pair
// template: [CLS] A [SEP] B [SEP] with token type ids 0 for A and 1 for B
// on BERT-style models, <s> A </s></s> B </s> on RoBERTa. Word ids count on
// from the first text's into the second's, so every word of the pair has
// its own id; Pair says which text each token is from.
//
// A pair longer than MaxLength is cut longest-first, as Hugging Face's
// fast tokenizers do: tokens come off the end of the longer text until
// both fit or both are at half of the room (the longer then keeps the odd
// token). Pair.Removed says how much each text lost; Truncated and
// FullLength are as for Encode.
func (t *Tokenizer) EncodePair(text, pair string) (*Encoding, error) {
	e, err := t.encodePair(text, pair)
	if err != nil {
		return nil, fmt.Errorf("tokenize: %w", err)
	}
	return e, nil
}

func (t *Tokenizer) encodePair(text, pair string) (*Encoding, error) {
	// The input first: a bad text is the caller's to fix whatever the
	// settings.
	if err := checkUTF8(text); err != nil {
		return nil, fmt.Errorf("first text: %w", err)
	}
	if err := checkUTF8(pair); err != nil {
		return nil, fmt.Errorf("second text: %w", err)
	}
	l := t.pair
	if l.typeB < 0 {
		return nil, fmt.Errorf("this tokenizer's post-processor has no pair template, so it cannot encode a sentence pair")
	}
	maxLen := t.MaxLength()
	room := maxLen - l.specials()
	if room < 2 {
		return nil, fmt.Errorf("the maximum length %d leaves no room for a pair (its template adds %d special tokens)", maxLen, l.specials())
	}
	// Each text alone, without special tokens, keeping at most room
	// tokens (no text can keep more) while counting them all.
	a, err := t.encodeWith(text, layout{}, room)
	if err != nil {
		return nil, fmt.Errorf("first text: %w", err)
	}
	b, err := t.encodeWith(pair, layout{}, room)
	if err != nil {
		return nil, fmt.Errorf("second text: %w", err)
	}
	na, nb := a.FullLength, b.FullLength
	keepA, keepB := longestFirst(na, nb, room)

	e := &Encoding{Text: text, Pair: &Pair{Text: pair, Removed: [2]int{na - keepA, nb - keepB}},
		FullLength: na + nb + l.specials()}
	e.Truncated = keepA < na || keepB < nb
	n := keepA + keepB + l.specials()
	e.IDs = make([]int64, 0, n)
	e.TypeIDs = make([]int64, 0, n)
	e.AttentionMask = make([]int64, 0, n)
	e.Tokens = make([]string, 0, n)
	e.Offsets = make([][2]int, 0, n)
	e.WordIDs = make([]int, 0, n)
	e.Special = make([]bool, 0, n)
	e.Pair.Segments = make([]int, 0, n)
	eb := &builder{enc: e}
	push := func(id int64, tok string, typeID int64, off [2]int, word int, special bool, seg int) {
		eb.push(id, tok, typeID, off, word, special)
		e.Pair.Segments = append(e.Pair.Segments, seg)
	}
	specials := func(ss []specialToken, seg int) {
		for _, s := range ss {
			push(s.id, s.token, s.typeID, [2]int{}, -1, true, seg)
		}
	}
	words := 0
	content := func(x *Encoding, keep int, typeID int64, seg int) {
		base, top := words, -1
		for i := range keep {
			push(x.IDs[i], x.Tokens[i], typeID, x.Offsets[i], base+x.WordIDs[i], false, seg)
			top = max(top, x.WordIDs[i])
		}
		words = base + top + 1
	}
	specials(l.pre, 0)
	content(a, keepA, l.typeA, 0)
	specials(l.mid, 0)
	content(b, keepB, l.typeB, 1)
	specials(l.post, 1)
	return e, nil
}

// longestFirst is Hugging Face's LongestFirst truncation of two texts of
// na and nb tokens into room: when both do not fit, the longer is cut to
// what the shorter leaves, or, when the shorter alone takes half the room
// or more, both are cut to half (the longer keeping an odd token).
func longestFirst(na, nb, room int) (int, int) {
	if na+nb <= room {
		return na, nb
	}
	n1, n2 := na, nb
	swap := n1 > n2
	if swap {
		n1, n2 = n2, n1
	}
	if n1 > room {
		n2 = n1
	} else {
		n2 = max(n1, room-n1)
	}
	if n1+n2 > room {
		n1 = room / 2
		n2 = n1 + room%2
	}
	if swap {
		n1, n2 = n2, n1
	}
	return n1, n2
}

// EncodePairs tokenizes pairs, as EncodePair does, in order. On failure it
// returns the error of the first failing pair, which names its index.
func (t *Tokenizer) EncodePairs(pairs [][2]string) ([]*Encoding, error) {
	out := make([]*Encoding, len(pairs))
	for i, p := range pairs {
		e, err := t.encodePair(p[0], p[1])
		if err != nil {
			return nil, fmt.Errorf("tokenize: pair %d of %d: %w", i, len(pairs), err)
		}
		out[i] = e
	}
	return out, nil
}
