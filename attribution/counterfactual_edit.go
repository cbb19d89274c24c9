package attribution

import (
	"context"

	"github.com/lucid-nlp/lucid/attribution/edit"
)

// CounterfactualEdit searches for the smallest set of req.Text's features
// (req.Level, removed by req.Masking) whose removal makes the model say
// goal (a label by name or index), or any label but the predicted one when
// goal is "". budget bounds the rows the search runs (0:
// edit.DefaultBudget, at most MaxBudget). guide, when given, must explain
// req.Text at req.Level: its attributions order the greedy phase. See
// edit.Search for the search itself.
func (x *Explainer) CounterfactualEdit(ctx context.Context, req Request, guide *Result, goal string, budget int) (*edit.Edit, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	enc, err := x.Tokenizer.Encode(req.Text)
	if err != nil {
		return nil, err
	}
	labels := x.model().Labels()
	g := -1
	if goal != "" {
		if g, err = resolveTarget(goal, labels, -1); err != nil {
			return nil, err
		}
	}
	var order *edit.Guide
	if guide != nil {
		order = &edit.Guide{Target: guide.TargetIndex, Attributions: make([]float64, len(guide.Features))}
		for i, f := range guide.Features {
			order.Attributions[i] = f.Attribution
		}
	}
	return edit.Search(ctx, edit.Problem{Model: x.model(), Head: x.head(), Tokenizer: x.Tokenizer,
		Text: req.Text, Encoding: enc, Features: req.features(enc), Level: req.Level, Masking: req.Masking,
		Goal: g, Guide: order, Budget: budget})
}
