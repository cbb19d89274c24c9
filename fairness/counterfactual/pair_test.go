package counterfactual

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/fairness/pairtext"
)

// TestPairSideSwaps: in a pair audit, swaps change the texts PairSide
// names, and their spans point at the swapped words in the joined pair.
func TestPairSideSwaps(t *testing.T) {
	pair, err := pairtext.Join("he is a doctor", "he was late")
	require.NoError(t, err)
	clf := &lexicon{w: map[string]float64{"he": 1}}
	for _, c := range []struct {
		side pairtext.Side
		want string
	}{
		{pairtext.First, "she is a doctor ␞ he was late"},
		{pairtext.Second, "he is a doctor ␞ she was late"},
		{pairtext.Both, "she is a doctor ␞ she was late"},
	} {
		cfg := genderOnly(t)
		cfg.Pairs, cfg.PairSide = true, c.side
		r := runAudit(t, clf, cfg, pair)
		var found *Example
		for i := range r.Worst {
			if r.Worst[i].Swap.Term == "he" && r.Worst[i].Swap.Replacement == "she" {
				found = &r.Worst[i]
			}
		}
		require.NotNil(t, found, "%s: a he → she swap", c.side)
		assert.Equal(t, pair, found.Original, c.side)
		assert.Equal(t, c.want, found.Swap.Text, c.side)
		for k, sp := range found.Swap.Spans {
			assert.Equal(t, "he", pair[sp.Start:sp.End], "%s: span %d of the original", c.side, k)
			assert.Equal(t, "she", found.Swap.Text[found.Swap.NewSpans[k].Start:found.Swap.NewSpans[k].End], "%s: new span %d", c.side, k)
		}
		wantSpans := map[pairtext.Side]int{pairtext.First: 1, pairtext.Second: 1, pairtext.Both: 2}[c.side]
		assert.Len(t, found.Swap.Spans, wantSpans, c.side)
	}
}
