package tokenize

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A vocabulary small enough to see which spelling each setting produces.
var tinyVocab = []string{"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]",
	"cafe", "café", "Café", "Cafe", "東", "京", "##京", "x", "##y", "i", "love", "!"}

func tinyID(tok string) int64 {
	for i, w := range tinyVocab {
		if w == tok {
			return int64(i)
		}
	}
	panic("not in tinyVocab: " + tok)
}

// BertNormalizer's switches, strip_accents: null above all, which means
// "strip accents when lowercasing" (sugarme reads it as false).
func TestBertNormalizerSettings(t *testing.T) {
	tests := []struct {
		name     string
		settings map[string]any
		text     string
		tokens   []string
	}{
		{"defaults: lowercase, strip_accents null strips", nil, "Café", []string{"cafe"}},
		{"strip_accents false keeps accents", map[string]any{"strip_accents": false}, "Café", []string{"café"}},
		{"cased, strip_accents null keeps accents", map[string]any{"lowercase": false}, "Café", []string{"Café"}},
		{"cased, strip_accents true", map[string]any{"lowercase": false, "strip_accents": true}, "Café", []string{"Cafe"}},
		{"CJK spacing", nil, "東京", []string{"東", "京"}},
		{"no CJK spacing: one word", map[string]any{"handle_chinese_chars": false}, "東京", []string{"東", "##京"}},
		{"clean_text drops controls", nil, "x\x00y", []string{"x", "##y"}},
		{"no clean_text: the control stays in the word", map[string]any{"clean_text": false}, "x\x00y", []string{"[UNK]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tk := fromJSON(t, bertTokenizerJSON(tinyVocab, bertNormalizerJSON(tt.settings)))
			require.NotNil(t, tk.bert)
			e, err := tk.Encode(tt.text)
			require.NoError(t, err)
			want := []int64{tinyID("[CLS]")}
			for _, tok := range tt.tokens {
				want = append(want, tinyID(tok))
			}
			want = append(want, tinyID("[SEP]"))
			assert.Equal(t, want, e.IDs)
		})
	}
}

// Added tokens with "normalized": true (what tokenizer.add_tokens writes)
// are matched after normalization, so "NEW YORK" finds "New York".
func TestNormalizedAddedToken(t *testing.T) {
	cfg := bertTokenizerJSON(tinyVocab, bertNormalizerJSON(nil))
	newYork := len(tinyVocab)
	cfg["added_tokens"] = append(cfg["added_tokens"].([]map[string]any), map[string]any{
		"id": newYork, "content": "New York", "single_word": false, "lstrip": false, "rstrip": false,
		"normalized": true, "special": false})
	tk := fromJSON(t, cfg)
	e, err := tk.Encode("I love NEW YORK!")
	require.NoError(t, err)
	assert.Equal(t, []int64{2, tinyID("i"), tinyID("love"), int64(newYork), tinyID("!"), 3}, e.IDs)
	assert.Equal(t, []string{"I", "love", "NEW YORK", "!"}, spans(e))
	assert.Equal(t, []int{-1, 0, 1, 2, 3, -1}, e.WordIDs)
	assert.Equal(t, []bool{true, false, false, false, false, true}, e.Special, "a typed added token is text, not framing")
	assert.Equal(t, "New York", tk.TokenString(int64(newYork)))
	assert.Equal(t, newYork+1, tk.VocabSize())
}

func TestAddedMatcher(t *testing.T) {
	m := &addedMatcher{tokens: []addedToken{
		{content: "<m>", id: 1},
		{content: "<m>>", id: 2},
		{content: "[W]", id: 3, singleWord: true},
		{content: "<l>", id: 4, lstrip: true, rstrip: true},
	}}
	tests := []struct {
		text string
		want []match
	}{
		{"", nil},
		{"no tokens here", nil},
		{"a<m>b", []match{{id: 1, start: 1, end: 4, from: 1, to: 4}}},
		{"<m>> longest wins", []match{{id: 2, start: 0, end: 4, from: 0, to: 4}}},
		{"x[W] [W]", []match{{id: 3, start: 5, end: 8, from: 5, to: 8}}},
		{"a  <l>\t b", []match{{id: 4, start: 3, end: 6, from: 1, to: 8}}},
		{"<m><m>", []match{{id: 1, start: 0, end: 3, from: 0, to: 3}, {id: 1, start: 3, end: 6, from: 3, to: 6}}},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, m.find(tt.text, nil), "%q", tt.text)
	}
}
