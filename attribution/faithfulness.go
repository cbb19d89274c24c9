package attribution

import (
	"context"
	"fmt"

	"github.com/lucid-nlp/lucid/attribution/faithfulness"
	"github.com/lucid-nlp/lucid/internal/shorten"
	"github.com/lucid-nlp/lucid/perturb"
)

// Faithfulness explains nothing itself: it scores an existing Result's
// ranking on the same text, target, masking and level, through the
// explainer's evaluator. req gives the level and masking (and, if it has
// one, must have res's text): the level must be the one res was computed
// at, so that its features are the ones ranked; the masking may differ
// from the one the explanation used, to score several methods' rankings
// under one masking. Scores are in the evaluator's output (x.Eval.Output()),
// and the coalitions are valued in one batch of rows. It works for every
// method, the path method included, since it needs only the attributions.
func (x *Explainer) Faithfulness(ctx context.Context, res *Result, req Request, opts faithfulness.Options) (*faithfulness.Result, error) {
	if res == nil {
		return nil, fmt.Errorf("attribution: Faithfulness: nil result")
	}
	if req.Text != "" && req.Text != res.Text {
		return nil, fmt.Errorf("attribution: Faithfulness: the request's text %q is not the result's %q", shorten.Bytes(req.Text, 40), shorten.Bytes(res.Text, 40))
	}
	if lvl := res.Settings.Features; lvl != "" && lvl != req.Level.String() {
		return nil, fmt.Errorf("attribution: Faithfulness: the result's features are %s, the request's %s", lvl, req.Level)
	}
	labels := x.model().Labels()
	if res.TargetIndex < 0 || res.TargetIndex >= len(labels) {
		return nil, fmt.Errorf("attribution: Faithfulness: target index %d is not one of the model's %d labels", res.TargetIndex, len(labels))
	}
	enc, err := encodeResult(x.Tokenizer, res)
	if err != nil {
		return nil, err
	}
	feats := req.features(enc)
	if len(feats) != len(res.Features) {
		return nil, fmt.Errorf("attribution: Faithfulness: the text has %d %s, the result attributes %d", len(feats), req.Level, len(res.Features))
	}
	masker, err := perturb.NewMasker(enc, feats, req.Masking, x.Tokenizer)
	if err != nil {
		return nil, err
	}
	attributions := make([]float64, len(res.Features))
	for i, f := range res.Features {
		attributions[i] = f.Attribution
	}
	return faithfulness.Measure(ctx, newTextGame(masker, x.Eval, res.TargetIndex), attributions, opts)
}
