package tokenize

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzEncode checks what every Encoding promises, for any bytes and any
// maximum length, on a WordPiece (BERT) and a byte-level BPE (RoBERTa)
// tokenizer: no panic; invalid UTF-8 is refused with ErrInvalidUTF8 and
// valid text accepted (BERT never fails on it); every per-token slice has
// Len() entries; no more than MaxLength tokens, with Truncated and
// FullLength saying whether and how many were cut; special tokens are
// flagged, have word id −1 and offsets {0, 0}, and are the layout's
// ([CLS] first, [SEP] last for BERT); every other token's offsets lie
// within the text, on rune boundaries, in order; word ids count from 0 in
// steps of at most 1; Tokens are the vocabulary strings of IDs.
//
//	go test -run '^$' -fuzz '^FuzzEncode$' -fuzztime 10s ./tokenize
func FuzzEncode(f *testing.F) {
	for _, s := range []string{"", " ", "unaffable", "Café naïve", "Cafe\u0301", "wow!!!...", "can't",
		"東京", "🔥", "a\tb\nc\u00a0d  e\r\n", "x\u200by", "한국어", "a [MASK] b", "[mask]", "<mask>",
		"hello world  <mask> hello", "bad \xff byte", "\xc0", "\u202eevil", "a\x00b", "İstanbul"} {
		f.Add(s, uint8(0))
		f.Add(s, uint8(5))
	}
	bert := freshBERT(f)
	roberta := fromJSON(f, robertaTokenizerJSON())
	bertDefault, robertaDefault := bert.MaxLength(), roberta.MaxLength()
	f.Fuzz(func(t *testing.T, text string, maxLen uint8) {
		for _, tc := range []struct {
			name     string
			tk       *Tokenizer
			def      int
			specials int
		}{{"bert", bert, bertDefault, 2}, {"roberta", roberta, robertaDefault, 2}} {
			// 0 keeps the default; small values exercise truncation.
			tc.tk.SetMaxLength(int(maxLen))
			if maxLen == 0 {
				tc.tk.SetMaxLength(tc.def)
			}
			enc, err := tc.tk.Encode(text)
			if !utf8.ValidString(text) {
				if !errors.Is(err, ErrInvalidUTF8) {
					t.Fatalf("%s: invalid UTF-8 %q: want ErrInvalidUTF8, got %v", tc.name, text, err)
				}
				continue
			}
			if err != nil {
				t.Fatalf("%s: valid text %q failed: %v", tc.name, text, err)
			}
			checkEncoding(t, tc.name, tc.tk, text, enc, tc.specials)
			if tc.name == "roberta" && !enc.Truncated && !strings.Contains(text, "<mask>") {
				// Byte-level BPE loses nothing: its tokens spell the text.
				if got := decodeByteLevel(enc.Tokens[1 : enc.Len()-1]); got != text {
					t.Fatalf("roberta %q: tokens %q spell %q", text, enc.Tokens, got)
				}
			}
		}
	})
}

// decodeByteLevel turns byte-level BPE tokens back into text.
func decodeByteLevel(tokens []string) string {
	back := map[rune]byte{}
	for b, c := range byteChar {
		back[[]rune(c)[0]] = byte(b)
	}
	var out []byte
	for _, tok := range tokens {
		for _, r := range tok {
			out = append(out, back[r])
		}
	}
	return string(out)
}

func checkEncoding(t *testing.T, name string, tk *Tokenizer, text string, enc *Encoding, specials int) {
	t.Helper()
	n := enc.Len()
	if enc.Text != text {
		t.Fatalf("%s: Text %q, want the input %q", name, enc.Text, text)
	}
	for field, l := range map[string]int{"TypeIDs": len(enc.TypeIDs), "AttentionMask": len(enc.AttentionMask),
		"Tokens": len(enc.Tokens), "Offsets": len(enc.Offsets), "WordIDs": len(enc.WordIDs), "Special": len(enc.Special)} {
		if l != n {
			t.Fatalf("%s %q: %s has %d entries, IDs %d", name, text, field, l, n)
		}
	}
	if n > tk.MaxLength() {
		t.Fatalf("%s %q: %d tokens, more than MaxLength %d", name, text, n, tk.MaxLength())
	}
	if enc.FullLength < n || enc.Truncated != (enc.FullLength > n) {
		t.Fatalf("%s %q: Truncated %v, FullLength %d, Len %d", name, text, enc.Truncated, enc.FullLength, n)
	}
	nSpecial := 0
	lastWord, lastStart := -1, 0
	for i := range n {
		if enc.Tokens[i] != tk.TokenString(enc.IDs[i]) {
			t.Fatalf("%s %q: token %d is %q, its id %d is %q", name, text, i, enc.Tokens[i], enc.IDs[i], tk.TokenString(enc.IDs[i]))
		}
		if enc.AttentionMask[i] != 1 {
			t.Fatalf("%s %q: attention mask %d at %d", name, text, enc.AttentionMask[i], i)
		}
		off := enc.Offsets[i]
		if enc.Special[i] {
			nSpecial++
			if enc.WordIDs[i] != -1 || off != [2]int{} {
				t.Fatalf("%s %q: special token %d has word %d, offsets %v", name, text, i, enc.WordIDs[i], off)
			}
			continue
		}
		if off[0] < 0 || off[0] > off[1] || off[1] > len(text) {
			t.Fatalf("%s %q: token %d (%q) offsets %v outside the text of %d bytes", name, text, i, enc.Tokens[i], off, len(text))
		}
		for _, b := range off {
			if b < len(text) && !utf8.RuneStart(text[b]) {
				t.Fatalf("%s %q: token %d offsets %v: byte %d is inside a rune", name, text, i, off, b)
			}
		}
		if off[0] < lastStart {
			t.Fatalf("%s %q: token %d starts at %d, before the previous token's %d", name, text, i, off[0], lastStart)
		}
		lastStart = off[0]
		w := enc.WordIDs[i]
		if w < lastWord || w > lastWord+1 || (lastWord == -1 && w != 0) {
			t.Fatalf("%s %q: token %d has word id %d after %d", name, text, i, w, lastWord)
		}
		lastWord = w
	}
	if nSpecial != specials || !enc.Special[0] || !enc.Special[n-1] {
		t.Fatalf("%s %q: %d special tokens (first %v, last %v), want %d around the text", name, text, nSpecial, enc.Special[0], enc.Special[n-1], specials)
	}
	if name == "bert" && (enc.Tokens[0] != "[CLS]" || enc.Tokens[n-1] != "[SEP]") {
		t.Fatalf("bert %q: starts %q, ends %q", text, enc.Tokens[0], enc.Tokens[n-1])
	}
}
