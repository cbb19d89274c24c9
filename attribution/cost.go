package attribution

// Batch cost fields. When several texts are explained at once their rows
// share the evaluator's batches, so one text's WallSeconds spans the whole
// shared run, not its own cost. shareBatchWall gives each text its own
// share: the shared run's wall time in proportion to the model time the
// text's own rows took.

// shareBatchWall records, on every result of one ExplainAll call, how many
// texts shared its batches, the shared run's wall seconds, and the text's
// share of them.
func shareBatchWall(results []*Result, wall float64) {
	texts, runtime := 0, 0.0
	for _, r := range results {
		if r != nil {
			texts++
			runtime += r.RuntimeSeconds
		}
	}
	for _, r := range results {
		if r == nil {
			continue
		}
		r.BatchTexts, r.BatchWallSeconds = texts, wall
		switch {
		case texts == 1:
			r.WallShareSeconds = wall
		case runtime > 0:
			r.WallShareSeconds = wall * r.RuntimeSeconds / runtime
		default:
			r.WallShareSeconds = wall / float64(texts)
		}
	}
}
