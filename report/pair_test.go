package report

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/attribution"
)

// pairExplanation is a sentence pair's explanation: "good film" and
// "bad plot", each word a feature of its own text (segment 0 or 1), the
// offsets of the second text's words counting in the second text.
func pairExplanation() *attribution.Result {
	r := explanation("good film", 0.7, 0.3, 0.1)
	pair := "bad plot"
	r.TextPair = &pair
	zero, one := 0, 1
	r.Features[0].Segment, r.Features[1].Segment = &zero, &zero
	for _, f := range words(pair, -0.2, -0.05) {
		f.Segment = &one
		r.Features = append(r.Features, f)
	}
	return r
}

// TestPairHeatmaps: the two texts get a heatmap each, with their own
// features; no feature of the second text is placed in the first.
func TestPairHeatmaps(t *testing.T) {
	first, second := pairHeatmaps(pairExplanation(), 0.3)
	require.NotNil(t, second)
	text := func(h Heat) (all, toks string) {
		for _, s := range h.Segs {
			all += s.Text
			if s.Tok {
				toks += "[" + s.Text + "]"
			}
		}
		return
	}
	a, at := text(first)
	b, bt := text(*second)
	assert.Equal(t, "good film", a)
	assert.Equal(t, "[good][film]", at)
	assert.Equal(t, "bad plot", b)
	assert.Equal(t, "[bad][plot]", bt)
	assert.Zero(t, first.Unplaced+second.Unplaced)

	one, none := pairHeatmaps(explanation("good film", 0.7, 0.3, 0.1), 0.3)
	assert.Nil(t, none, "one text: one heatmap")
	_, ot := text(one)
	assert.Equal(t, "[good][film]", ot)
}

func TestPairNames(t *testing.T) {
	r := pairExplanation()
	assert.Equal(t, "good film ␞ bad plot", pairTitle(r))
	assert.Equal(t, "good (text)", featureName(r.Features[0]))
	assert.Equal(t, "plot (text_pair)", featureName(r.Features[3]))
	one := explanation("good film", 0.7, 0.3, 0.1)
	assert.Equal(t, "good film", pairTitle(one))
	assert.Equal(t, "good", featureName(one.Features[0]))
}
