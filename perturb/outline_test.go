package perturb

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func spanTexts(o Outline, level Level) []string {
	var out []string
	for _, f := range o.Features(level) {
		out = append(out, f.Text)
	}
	return out
}

func TestOutlineSentencesAndPhrases(t *testing.T) {
	tok := defaultTokenizer(t)
	text := "It was fine, but the ending dragged. Dr. Who loved it (mostly)! Was it 3.5 hours?!\nNo idea"
	enc, err := tok.Encode(text)
	require.NoError(t, err)
	o := NewOutline(enc)
	assert.Equal(t, []string{
		"It was fine, but the ending dragged.",
		"Dr. Who loved it (mostly)!",
		"Was it 3.5 hours?!",
		"No idea",
	}, spanTexts(o, Sentences))
	assert.Equal(t, []string{
		"It was fine,", "but the ending dragged.",
		"Dr. Who loved it", "(mostly)", "!",
		"Was it 3.5 hours?!",
		"No idea",
	}, spanTexts(o, Phrases))

	// Every level covers every word once, in order, and sentences are runs
	// of whole phrases.
	for _, spans := range [][]Span{o.Phrases, o.Sentences} {
		next := 0
		for _, s := range spans {
			require.Equal(t, next, s.Start)
			require.Greater(t, s.End, s.Start)
			next = s.End
		}
		require.Equal(t, len(o.Words), next)
	}
	starts := map[int]bool{}
	for _, p := range o.Phrases {
		starts[p.Start] = true
	}
	for _, s := range o.Sentences {
		assert.True(t, starts[s.Start], "sentence %v starts a phrase", s)
	}

	// Grouped features carry their words' tokens and are accepted by
	// Features at the same level.
	sents := Features(enc, Sentences)
	require.Len(t, sents, 4)
	assert.Equal(t, []int{1, 2, 3, 4, 5, 6, 7, 8}, sents[0].Tokens[:8])
	assert.Equal(t, o.Features(Phrases), Features(enc, Phrases))
}

func TestOutlineGroups(t *testing.T) {
	tok := defaultTokenizer(t)
	enc, err := tok.Encode("Unaffable films, naïve! A gem.")
	require.NoError(t, err)
	o := NewOutline(enc)
	words := Features(enc, Words)
	g := o.Groups(Words, words)
	require.Len(t, g, 2)
	assert.Equal(t, []Span{{0, 3}, {3, 5}, {5, 8}}, g[0], "phrases: 'Unaffable films ,' 'naïve !' 'A gem .'")
	assert.Equal(t, []Span{{0, 5}, {5, 8}}, g[1])

	tokens := Features(enc, Tokens) // una ##ffa ##ble films , naive ! a gem .
	gt := o.Groups(Tokens, tokens)
	require.Len(t, gt, 3)
	assert.Equal(t, Span{0, 3}, gt[0][0], "the three tokens of 'Unaffable' are one word")
	assert.Equal(t, []Span{{0, 7}, {7, 10}}, gt[2])
	assert.Empty(t, o.Groups(Sentences, Features(enc, Sentences)))

	empty, err := tok.Encode("")
	require.NoError(t, err)
	assert.Empty(t, Features(empty, Sentences))
}
