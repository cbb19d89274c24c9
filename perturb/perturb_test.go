package perturb

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/tokenize"
)

func defaultTokenizer(t *testing.T) *tokenize.Tokenizer {
	t.Helper()
	tok, err := tokenize.Load(filepath.Join("..", "models", "sst2-mini-bert", "tokenizer.json"))
	require.NoError(t, err)
	return tok
}

func TestFeaturesGroupWordsAndSkipSpecials(t *testing.T) {
	tok := defaultTokenizer(t)
	enc, err := tok.Encode("Unaffable films, naïve!")
	require.NoError(t, err)
	// [CLS] una ##ffa ##ble films , naive ! [SEP]
	words := Features(enc, Words)
	require.Len(t, words, 5)
	want := []struct {
		text       string
		start, end int
		tokens     []int
	}{
		{"Unaffable", 0, 9, []int{1, 2, 3}},
		{"films", 10, 15, []int{4}},
		{",", 15, 16, []int{5}},
		{"naïve", 17, 23, []int{6}},
		{"!", 23, 24, []int{7}},
	}
	for i, w := range want {
		assert.Equal(t, w.text, words[i].Text)
		assert.Equal(t, w.start, words[i].Start)
		assert.Equal(t, w.end, words[i].End)
		assert.Equal(t, w.tokens, words[i].Tokens)
	}
	tokens := Features(enc, Tokens)
	require.Len(t, tokens, 7, "every non-special token")
	assert.Equal(t, "ffa", tokens[1].Text)

	empty, err := tok.Encode("")
	require.NoError(t, err)
	assert.Empty(t, Features(empty, Words), "special tokens are never features")
}

func TestMaskingStrategies(t *testing.T) {
	tok := defaultTokenizer(t)
	enc, err := tok.Encode("not bad at all")
	require.NoError(t, err)
	feats := Features(enc, Words)
	require.Len(t, feats, 4)
	keep := NewCoalition(4)
	keep.Set(1) // only "bad"
	keep.Set(3) // and "all"
	maskID, _ := tok.MaskID()
	unkID, _ := tok.UnkID()
	cls, sep := enc.IDs[0], enc.IDs[5]
	ids := enc.IDs

	for _, tc := range []struct {
		strategy Masking
		ids      []int64
		mask     []int64
	}{
		{MaskToken, []int64{cls, maskID, ids[2], maskID, ids[4], sep}, []int64{1, 1, 1, 1, 1, 1}},
		{Pad, []int64{cls, tok.PadID(), ids[2], tok.PadID(), ids[4], sep}, []int64{1, 0, 1, 0, 1, 1}},
		{Unknown, []int64{cls, unkID, ids[2], unkID, ids[4], sep}, []int64{1, 1, 1, 1, 1, 1}},
		{Delete, []int64{cls, ids[2], ids[4], sep}, []int64{1, 1, 1, 1}},
	} {
		m, err := NewMasker(enc, feats, tc.strategy, tok)
		require.NoError(t, err)
		r := m.Row(keep)
		assert.Equal(t, tc.ids, r.IDs, tc.strategy.String())
		assert.Equal(t, tc.mask, r.AttentionMask, tc.strategy.String())
		assert.Len(t, r.TypeIDs, len(r.IDs))
		// the full coalition is the input itself
		full := m.Row(FullCoalition(4))
		assert.Equal(t, enc.IDs, full.IDs, tc.strategy.String())
	}
	assert.Equal(t, []int64{cls, ids[1], ids[2], ids[3], ids[4], sep}, enc.IDs, "rows never modify the encoding")
}

func TestCoalition(t *testing.T) {
	c := NewCoalition(70)
	c.Set(0)
	c.Set(69)
	assert.Equal(t, 2, c.Size())
	assert.True(t, c.Has(69))
	assert.Equal(t, 68, c.Complement().Size())
	d := c.Clone()
	d.Clear(0)
	assert.True(t, c.Has(0), "clones are independent")
	assert.NotEqual(t, c.Key(), d.Key())
	assert.Equal(t, "101", CoalitionFromMask(3, 0b101).String())
	assert.Equal(t, 3, CoalitionFromMask(3, 0xff).Size(), "bits beyond n are dropped")
	assert.Equal(t, 64, FullCoalition(64).Size())
}

func TestParse(t *testing.T) {
	for in, want := range map[string]Masking{"": MaskToken, "mask": MaskToken, "pad": Pad, "delete": Delete, "unk": Unknown} {
		got, err := ParseMasking(in)
		require.NoError(t, err)
		assert.Equal(t, want, got)
	}
	_, err := ParseMasking("blur")
	assert.ErrorContains(t, err, `"blur"`)
	l, err := ParseLevel("tokens")
	require.NoError(t, err)
	assert.Equal(t, Tokens, l)
	_, err = ParseLevel("chars")
	assert.Error(t, err)
}
