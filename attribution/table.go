package attribution

import (
	"context"
	"fmt"

	"github.com/lucid-nlp/lucid/attribution/game"
	"github.com/lucid-nlp/lucid/attribution/shapley"
	"github.com/lucid-nlp/lucid/engine"
	"github.com/lucid-nlp/lucid/internal/shorten"
	"github.com/lucid-nlp/lucid/perturb"
)

// CoalitionTable values every coalition of text's words with the model:
// 2^n evaluations, n at most maxFeatures (and MaxTableFeatures). The target
// is the predicted label when target is "". It returns the table and the
// target's name.
func (x *Explainer) CoalitionTable(ctx context.Context, text, target string, maxFeatures int) (*shapley.Table, string, error) {
	enc, err := x.Tokenizer.Encode(text)
	if err != nil {
		return nil, "", err
	}
	feats := perturb.Features(enc, perturb.Words)
	n := len(feats)
	if n == 0 || n > min(maxFeatures, shapley.MaxTableFeatures) {
		return nil, "", fmt.Errorf("attribution: text %q has %d words; a table takes 1 to %d", shorten.Bytes(text, 40), n, min(maxFeatures, shapley.MaxTableFeatures))
	}
	masker, err := perturb.NewMasker(enc, feats, perturb.MaskToken, x.Tokenizer)
	if err != nil {
		return nil, "", err
	}
	batch := engine.Batch{Rows: 1, SeqLen: enc.Len(), InputIDs: enc.IDs, AttentionMask: enc.AttentionMask, TokenTypeIDs: enc.TypeIDs}
	logits, err := x.model().Run(ctx, batch)
	if err != nil {
		return nil, "", err
	}
	probs := x.head().Probabilities(logits.Row(0))
	best := 0
	for i := range probs {
		if probs[i] > probs[best] {
			best = i
		}
	}
	labels := x.model().Labels()
	idx, err := resolveTarget(target, labels, best)
	if err != nil {
		return nil, "", err
	}
	tg := newTextGame(masker, x.Eval, idx)
	cs := make([]perturb.Coalition, 1<<n)
	for m := range cs {
		cs[m] = perturb.CoalitionFromMask(n, uint64(m))
	}
	vals, err := game.ValueCoalitions(ctx, tg, cs)
	if err != nil {
		return nil, "", err
	}
	return &shapley.Table{N: n, Values: vals}, labels[idx], nil
}
