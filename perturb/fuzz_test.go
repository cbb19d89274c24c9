package perturb

import (
	"math/bits"
	"path/filepath"
	"slices"
	"testing"

	"github.com/lucid-nlp/lucid/tokenize"
)

// FuzzMasker checks features, coalitions and masking on any text, any
// coalition (bit i%64 of mask says whether feature i is present), each
// masking strategy and each feature level (phrases and sentences too): no panic; features cover every
// non-special token exactly once, in order, and their text is their span;
// a coalition's size, complement and key agree with its bits; rows from
// mask, pad and unk keep the encoding's length, those from delete have the
// special tokens plus the present features' tokens; special tokens and
// present features' tokens are never masked; absent ones become the fill
// token (pad also turns attention off); the full coalition's row is the
// input, and no row changes the encoding.
//
//	go test -run '^$' -fuzz '^FuzzMasker$' -fuzztime 10s ./perturb
func FuzzMasker(f *testing.F) {
	f.Add("not bad at all", uint64(0b1010), uint8(0), uint8(0))
	f.Add("Unaffable films, naïve!", uint64(0b10101), uint8(2), uint8(1))
	f.Add("", uint64(0), uint8(1), uint8(0))
	tok, err := tokenize.Load(filepath.Join("..", "models", "sst2-mini-bert", "tokenizer.json"))
	if err != nil {
		f.Fatal(err)
	}
	tok.SetMaxLength(48) // long texts get truncated too
	maskID, _ := tok.MaskID()
	unkID, _ := tok.UnkID()
	f.Fuzz(func(t *testing.T, text string, mask uint64, strategy, level uint8) {
		enc, err := tok.Encode(text)
		if err != nil {
			return // invalid UTF-8: the tokenizer's business (FuzzEncode)
		}
		idsBefore := slices.Clone(enc.IDs)
		lv := Level(level % 4) // tokens, words, phrases, sentences
		feats := Features(enc, lv)
		owner := make([]int, enc.Len())
		for i := range owner {
			owner[i] = -1
		}
		lastPos := -1
		for fi, ft := range feats {
			if len(ft.Tokens) == 0 || (lv == Tokens && len(ft.Tokens) != 1) {
				t.Fatalf("%q: feature %d has tokens %v", text, fi, ft.Tokens)
			}
			if ft.Start < 0 || ft.Start > ft.End || ft.End > len(text) || ft.Text != text[ft.Start:ft.End] {
				t.Fatalf("%q: feature %d is %q at [%d, %d)", text, fi, ft.Text, ft.Start, ft.End)
			}
			for _, pos := range ft.Tokens {
				if pos <= lastPos || enc.Special[pos] || owner[pos] != -1 {
					t.Fatalf("%q: feature %d token %d out of order, special or shared", text, fi, pos)
				}
				owner[pos], lastPos = fi, pos
			}
		}
		for pos, o := range owner {
			if o == -1 && !enc.Special[pos] {
				t.Fatalf("%q: token %d (%q) belongs to no feature", text, pos, enc.Tokens[pos])
			}
		}

		n := len(feats)
		c := NewCoalition(n)
		want := 0
		for i := range n {
			if mask>>(i%64)&1 == 1 {
				c.Set(i)
				want++
			}
		}
		if n < 64 && want != bits.OnesCount64(mask&(1<<n-1)) {
			t.Fatalf("%q: %d members from mask %b over %d features", text, want, mask, n)
		}
		comp := c.Complement()
		if c.Size() != want || comp.Size() != n-want || c.Clone().Key() != c.Key() || (n > 0 && comp.Key() == c.Key()) {
			t.Fatalf("%q: coalition %v: size %d (want %d), complement %d", text, c, c.Size(), want, comp.Size())
		}

		s := Masking(strategy % 4)
		m, err := NewMasker(enc, feats, s, tok)
		if err != nil {
			t.Fatalf("%q: %s: %v", text, s, err)
		}
		r := m.Row(c)
		if len(r.AttentionMask) != len(r.IDs) || len(r.TypeIDs) != len(r.IDs) {
			t.Fatalf("%q %s: ids %d, mask %d, types %d", text, s, len(r.IDs), len(r.AttentionMask), len(r.TypeIDs))
		}
		present := func(pos int) bool { return owner[pos] == -1 || c.Has(owner[pos]) }
		if s == Delete {
			var ids []int64
			for pos := range enc.Len() {
				if present(pos) {
					ids = append(ids, enc.IDs[pos])
				}
			}
			if !slices.Equal(ids, r.IDs) {
				t.Fatalf("%q delete: row %v, want the kept tokens %v", text, r.IDs, ids)
			}
		} else {
			if len(r.IDs) != enc.Len() {
				t.Fatalf("%q %s: row of %d ids, encoding of %d", text, s, len(r.IDs), enc.Len())
			}
			fill := map[Masking]int64{MaskToken: maskID, Pad: tok.PadID(), Unknown: unkID}[s]
			for pos := range enc.Len() {
				id, att := enc.IDs[pos], enc.AttentionMask[pos]
				if !present(pos) {
					id = fill
					if s == Pad {
						att = 0
					}
				}
				if r.IDs[pos] != id || r.AttentionMask[pos] != att {
					t.Fatalf("%q %s: position %d (special %v, present %v) is id %d attention %d, want %d, %d",
						text, s, pos, enc.Special[pos], present(pos), r.IDs[pos], r.AttentionMask[pos], id, att)
				}
			}
		}
		if full := m.Row(FullCoalition(n)); !slices.Equal(full.IDs, enc.IDs) || !slices.Equal(full.AttentionMask, enc.AttentionMask) {
			t.Fatalf("%q %s: the full coalition's row %v is not the input %v", text, s, full.IDs, enc.IDs)
		}
		if !slices.Equal(idsBefore, enc.IDs) {
			t.Fatalf("%q %s: a row changed the encoding", text, s)
		}
	})
}
