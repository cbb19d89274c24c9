package perturb

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPairFeaturesBySegment: a pair's features are each text's own words,
// marked by segment, with offsets into their own text; [CLS] and both
// [SEP]s are never features.
func TestPairFeaturesBySegment(t *testing.T) {
	tok := defaultTokenizer(t)
	enc, err := tok.EncodePair("Is it good? Yes.", "Unaffable films, naïve!")
	require.NoError(t, err)
	// [CLS] is it good ? yes . [SEP] una ##ffa ##ble films , naive ! [SEP]
	require.Equal(t, 16, enc.Len())
	words := Features(enc, Words)
	want := []struct {
		text       string
		seg        int
		start, end int
		tokens     []int
	}{
		{"Is", 0, 0, 2, []int{1}}, {"it", 0, 3, 5, []int{2}}, {"good", 0, 6, 10, []int{3}}, {"?", 0, 10, 11, []int{4}},
		{"Yes", 0, 12, 15, []int{5}}, {".", 0, 15, 16, []int{6}},
		{"Unaffable", 1, 0, 9, []int{8, 9, 10}}, {"films", 1, 10, 15, []int{11}}, {",", 1, 15, 16, []int{12}},
		{"naïve", 1, 17, 23, []int{13}}, {"!", 1, 23, 24, []int{14}},
	}
	require.Len(t, words, len(want))
	for i, w := range want {
		assert.Equal(t, w.text, words[i].Text, "word %d", i)
		assert.Equal(t, w.seg, words[i].Segment, "word %d", i)
		assert.Equal(t, [2]int{w.start, w.end}, [2]int{words[i].Start, words[i].End}, "word %d", i)
		assert.Equal(t, w.tokens, words[i].Tokens, "word %d", i)
	}

	toks := Features(enc, Tokens)
	require.Len(t, toks, 13)
	assert.Equal(t, "##ffa", enc.Tokens[toks[7].Tokens[0]])
	assert.Equal(t, "ffa", toks[7].Text)
	assert.Equal(t, 1, toks[7].Segment)

	// Sentences and phrases stay inside their text: "Is it good?" and
	// "Yes." in the first, one sentence in the second.
	sents := Features(enc, Sentences)
	require.Len(t, sents, 3)
	assert.Equal(t, []string{"Is it good?", "Yes.", "Unaffable films, naïve!"}, []string{sents[0].Text, sents[1].Text, sents[2].Text})
	assert.Equal(t, []int{0, 0, 1}, []int{sents[0].Segment, sents[1].Segment, sents[2].Segment})
	phrases := Features(enc, Phrases)
	require.Len(t, phrases, 4)
	assert.Equal(t, "Unaffable films,", phrases[2].Text)
	assert.Equal(t, 1, phrases[2].Segment)

	o := NewOutline(enc)
	groups := o.Groups(Words, words)
	assert.Equal(t, [][]Span{{{0, 4}, {4, 6}, {6, 9}, {9, 11}}, {{0, 4}, {4, 6}, {6, 11}}}, groups)

	noPunct := FeaturesWith(enc, Words, FeatureOptions{DropPunctuation: true})
	assert.Len(t, noPunct, 7)
}

// TestPairMaskingKeepsTemplate: whatever is masked, the pair's special
// tokens and every token's type id stay, so the model still reads two
// segments; deletion keeps the [SEP] between them.
func TestPairMaskingKeepsTemplate(t *testing.T) {
	tok := defaultTokenizer(t)
	enc, err := tok.EncodePair("good film", "bad plot")
	require.NoError(t, err)
	// [CLS] good film [SEP] bad plot [SEP]
	feats := Features(enc, Words)
	require.Len(t, feats, 4)
	maskID, _ := tok.MaskID()
	for _, m := range []Masking{MaskToken, Pad, Delete, Unknown} {
		mk, err := NewMasker(enc, feats, m, tok)
		require.NoError(t, err)
		c := NewCoalition(4)
		c.Set(1) // keep "film" only
		r := mk.Row(c)
		switch m {
		case Delete:
			assert.Equal(t, []int64{enc.IDs[0], enc.IDs[2], enc.IDs[3], enc.IDs[6]}, r.IDs, "%s", m)
			assert.Equal(t, []int64{0, 0, 0, 1}, r.TypeIDs, "%s", m)
		default:
			assert.Equal(t, enc.TypeIDs, r.TypeIDs, "%s", m)
			assert.Equal(t, enc.IDs[0], r.IDs[0], "%s", m)
			assert.Equal(t, enc.IDs[2], r.IDs[2], "%s", m)
			assert.Equal(t, enc.IDs[3], r.IDs[3], "%s: the middle [SEP]", m)
			assert.Equal(t, enc.IDs[6], r.IDs[6], "%s: the last [SEP]", m)
			for _, pos := range []int{1, 4, 5} {
				assert.NotEqual(t, enc.IDs[pos], r.IDs[pos], "%s: token %d is absent", m, pos)
			}
			if m == MaskToken {
				assert.Equal(t, maskID, r.IDs[4])
			}
			if m == Pad {
				assert.Equal(t, []int64{1, 0, 1, 1, 0, 0, 1}, r.AttentionMask)
			}
		}
	}
	assert.Equal(t, []int64{0, 0, 0, 0, 1, 1, 1}, enc.TypeIDs)
}
