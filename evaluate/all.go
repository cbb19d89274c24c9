package evaluate

import (
	"context"

	"github.com/lucid-nlp/lucid/perturb"
)

// ScoreAll returns every label's score for each row (scores[i][t] is row
// i's score for label t), from one model run per row: what an explanation
// of all labels at once needs, so that every label is attributed from the
// same evaluations. Identical rows are run once; the Stats count each
// distinct row once, whatever the number of labels.
func (e *Evaluator) ScoreAll(ctx context.Context, rows []perturb.Row) ([][]float64, Stats, error) {
	width := len(e.model.Labels())
	flat, st, err := e.score(ctx, rows, 0, width)
	if err != nil || flat == nil {
		return nil, st, err
	}
	out := make([][]float64, len(rows))
	for i := range out {
		out[i] = flat[i*width : (i+1)*width : (i+1)*width]
	}
	return out, st, nil
}
