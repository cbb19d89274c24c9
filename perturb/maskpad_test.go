package perturb_test

import (
	"context"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/engine"
	"github.com/lucid-nlp/lucid/models"
	"github.com/lucid-nlp/lucid/perturb"
	"github.com/lucid-nlp/lucid/tokenize"
)

// logitsOf runs one unpadded row through the model.
func logitsOf(t *testing.T, c *models.Classifier, r perturb.Row) []float32 {
	t.Helper()
	types := r.TypeIDs
	if types == nil {
		types = make([]int64, len(r.IDs))
	}
	out, err := c.Model.Run(context.Background(), engine.Batch{Rows: 1, SeqLen: len(r.IDs), InputIDs: r.IDs, AttentionMask: r.AttentionMask, TokenTypeIDs: types})
	require.NoError(t, err)
	return append([]float32(nil), out.Row(0)...)
}

func maxDiff(a, b []float32) float64 {
	d := 0.0
	for i := range a {
		d = max(d, math.Abs(float64(a[i]-b[i])))
	}
	return d
}

// maskPadCase builds, for text with feature k absent: the --mask pad row,
// the same row with the absent tokens' ids replaced by other, and the
// --mask delete row.
func maskPadCase(t *testing.T, tok *tokenize.Tokenizer, text string, k int, other int64) (pad, swapped, del perturb.Row, absent []int) {
	t.Helper()
	enc, err := tok.Encode(text)
	require.NoError(t, err)
	feats := perturb.Features(enc, perturb.Words)
	require.Greater(t, len(feats), k)
	c := perturb.FullCoalition(len(feats))
	c.Clear(k)
	pm, err := perturb.NewMasker(enc, feats, perturb.Pad, tok)
	require.NoError(t, err)
	dm, err := perturb.NewMasker(enc, feats, perturb.Delete, tok)
	require.NoError(t, err)
	pad, del = pm.Row(c), dm.Row(c)
	swapped = perturb.Row{IDs: append([]int64(nil), pad.IDs...), AttentionMask: pad.AttentionMask, TypeIDs: pad.TypeIDs}
	for _, pos := range feats[k].Tokens {
		swapped.IDs[pos] = other
	}
	return pad, swapped, del, feats[k].Tokens
}

// On a model that computes positions from the ids (RoBERTa: cumsum of
// ids != <pad>, as the tiny-roberta graph does), --mask pad keeps the
// absent tokens' ids and turns their attention off: positions stay put,
// and what the ids are no longer matters (attention off). Writing the pad
// id instead would be --mask delete, to float precision: the test shows
// that too, as the reason for the rule.
func TestMaskPadKeepsPositionsOnRoBERTa(t *testing.T) {
	c, err := models.Load("../models/testdata/tiny-roberta")
	require.NoError(t, err)
	defer c.Close()
	tok := c.Tokenizer
	require.True(t, tok.PadShiftsPositions(), "a roberta model's positions count non-pad ids")
	mask, ok := tok.MaskID()
	require.True(t, ok)
	text := "I didn't love it, but it's good!!!!!"
	pad, swapped, del, absent := maskPadCase(t, tok, text, 2, mask) // "love"
	enc, err := tok.Encode(text)
	require.NoError(t, err)
	assert.Equal(t, enc.IDs, pad.IDs, "no pad id is written, so no position moves")
	for _, pos := range absent {
		assert.Equal(t, int64(0), pad.AttentionMask[pos])
	}
	lp, ls, ld := logitsOf(t, c, pad), logitsOf(t, c, swapped), logitsOf(t, c, del)
	// Tolerances: float32 runs of one graph; 1e-5 is far below the 0.05
	// that a one-position shift moves this graph's logits.
	assert.Less(t, maxDiff(lp, ls), 1e-5, "attention off hides the absent tokens' ids: %v vs %v", lp, ls)
	assert.Greater(t, maxDiff(lp, ld), 0.05, "pad keeps positions, delete shifts them: %v vs %v", lp, ld)

	// The pad id with attention off: positions shift, and the row is delete.
	naive := perturb.Row{IDs: append([]int64(nil), pad.IDs...), AttentionMask: pad.AttentionMask, TypeIDs: pad.TypeIDs}
	for _, pos := range absent {
		naive.IDs[pos] = tok.PadID()
	}
	ln := logitsOf(t, c, naive)
	assert.Less(t, maxDiff(ln, ld), 1e-5, "a pad id inside a RoBERTa row means delete")
	t.Logf("max |Δlogit|: pad vs hidden ids swapped %.2g, pad vs delete %.3f, pad id written vs delete %.2g",
		maxDiff(lp, ls), maxDiff(lp, ld), maxDiff(ln, ld))
}

// On BERT (absolute positions from the row index) --mask pad writes the pad
// id as before, and attention off holds there too: the ids under it do not
// matter.
func TestMaskPadOnBERT(t *testing.T) {
	c, err := models.LoadDefault()
	if err != nil {
		t.Skipf("the default model does not load here: %v", err)
	}
	defer c.Close()
	tok := c.Tokenizer
	require.False(t, tok.PadShiftsPositions())
	mask, ok := tok.MaskID()
	require.True(t, ok)
	pad, swapped, del, absent := maskPadCase(t, tok, "a gorgeous, witty, seductive movie.", 1, mask)
	for _, pos := range absent {
		assert.Equal(t, tok.PadID(), pad.IDs[pos])
		assert.Equal(t, int64(0), pad.AttentionMask[pos])
	}
	lp, ls, ld := logitsOf(t, c, pad), logitsOf(t, c, swapped), logitsOf(t, c, del)
	assert.Less(t, maxDiff(lp, ls), 1e-5, "attention off hides the absent tokens: %v vs %v", lp, ls)
	assert.Greater(t, maxDiff(lp, ld), 1e-4, "pad and delete are different rows for BERT: %v vs %v", lp, ld)
	t.Logf("max |Δlogit|: pad vs hidden ids swapped %.2g, pad vs delete %.3f", maxDiff(lp, ls), maxDiff(lp, ld))
}
