package models

import (
	"context"
	"sort"

	"github.com/lucid-nlp/lucid/tokenize"
)

// PredictPairs classifies sentence pairs (premise and hypothesis, query
// and passage): each is encoded with the tokenizer's pair template
// (tokenize.EncodePair: segment ids for the second text, longest-first
// truncation) and batched as Predict batches texts. A Prediction's Text is
// the first text and TextPair the second; Truncated says a pair was cut,
// and Removed how many tokens each text lost. A pair the tokenizer rejects
// gets a Prediction with Err set.
func (c *Classifier) PredictPairs(ctx context.Context, pairs [][2]string) ([]Prediction, error) {
	out := make([]Prediction, len(pairs))
	encs := make([]*tokenize.Encoding, len(pairs))
	order := make([]int, 0, len(pairs))
	for i, p := range pairs {
		e, err := c.Tokenizer.EncodePair(p[0], p[1])
		if err != nil {
			out[i] = Prediction{Text: p[0], TextPair: p[1], Err: err}
			continue
		}
		encs[i] = e
		order = append(order, i)
	}
	if err := c.predictEncoded(ctx, encs, order, out); err != nil {
		return nil, err
	}
	for _, i := range order {
		out[i].TextPair = pairs[i][1]
		out[i].Removed = encs[i].Pair.Removed
	}
	return out, nil
}

// predictEncoded runs encs[order...] in batches of similar length and
// fills their predictions in out.
func (c *Classifier) predictEncoded(ctx context.Context, encs []*tokenize.Encoding, order []int, out []Prediction) error {
	sort.SliceStable(order, func(a, b int) bool { return encs[order[a]].Len() < encs[order[b]].Len() })
	bs := c.BatchSize
	if bs <= 0 {
		bs = DefaultBatchSize
	}
	for start := 0; start < len(order); start += bs {
		idx := order[start:min(start+bs, len(order))]
		group := make([]*tokenize.Encoding, len(idx))
		for i, j := range idx {
			group[i] = encs[j]
		}
		logits, err := c.Model.Run(ctx, BatchOf(group, c.Tokenizer.PadID()))
		if err != nil {
			return err
		}
		for i, j := range idx {
			out[j] = c.prediction(encs[j], logits.Row(i))
		}
	}
	return nil
}
