package bench

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/perturb"
	"github.com/lucid-nlp/lucid/tokenize"
)

func TestBuildLongDocsPlantsOneSentence(t *testing.T) {
	tok, err := tokenize.Load(filepath.Join("..", "models", "sst2-mini-bert", "tokenizer.json"))
	require.NoError(t, err)
	sentences := append([]string{"no full stop here"}, BuiltinSentences...)
	docs, err := BuildLongDocs(sentences, []int{50, 150}, 4, 7)
	require.NoError(t, err)
	require.Len(t, docs, 8)
	again, err := BuildLongDocs(sentences, []int{50, 150}, 4, 7)
	require.NoError(t, err)
	assert.Equal(t, docs, again, "same seed, same documents")
	for i, d := range docs {
		assert.Equal(t, []int{50, 150}[i/4], d.Length)
		assert.GreaterOrEqual(t, d.Words, d.Length)
		assert.Equal(t, len(strings.Fields(d.Text)), d.Words)
		assert.Equal(t, 1-i%2, d.Target, "alternately positive and negative")
		pool := PlantedNegative
		if d.Target == 1 {
			pool = PlantedPositive
		}
		found := false
		for _, p := range pool {
			found = found || strings.HasPrefix(d.Text[d.PlantedStart:], p)
		}
		assert.True(t, found, "doc %d: the planted sentence is at PlantedStart", i)
		enc, err := tok.Encode(d.Text)
		require.NoError(t, err)
		starts := 0
		for _, s := range perturb.Features(enc, perturb.Sentences) {
			if s.Start == d.PlantedStart {
				starts++
			}
		}
		assert.Equal(t, 1, starts, "doc %d: the planted sentence is an outline sentence", i)
	}
	_, err = BuildLongDocs(nil, []int{50}, 1, 1)
	assert.ErrorContains(t, err, "no sentences")
	_, err = BuildLongDocs(sentences, []int{0}, 1, 1)
	assert.ErrorContains(t, err, "length 0")
}
