package evaluate

import (
	"context"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/engine"
	"github.com/lucid-nlp/lucid/perturb"
)

// headedSum is sumModel saying its head, as models and engine/onnx do.
type headedSum struct {
	*sumModel
	head engine.Head
}

func (m headedSum) Head() engine.Head { return m.head }

// The Evaluator learns the head from the model and scores by it: a sigmoid
// per label (log-odds = the logit) for multi-label models, the raw output
// for regression heads whatever the output asked for.
func TestScoreByHead(t *testing.T) {
	rows := []perturb.Row{row(1, 2), row(5, 5)} // label 1's logit 0.3 and 1.0, label 0's the negative
	sig := func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }
	for _, tc := range []struct {
		head   engine.Head
		out    Output
		target int
		want   func(s float64) float64
	}{
		{engine.MultiLabel, Probability, 1, sig},
		{engine.MultiLabel, Probability, 0, func(s float64) float64 { return sig(-s) }},
		{engine.MultiLabel, Probability, 2, func(float64) float64 { return 0.5 }},
		{engine.MultiLabel, Logit, 1, func(s float64) float64 { return s }},
		{engine.MultiLabel, LogOdds, 0, func(s float64) float64 { return -s }},
		{engine.Regression, Probability, 1, func(s float64) float64 { return s }},
		{engine.Regression, LogOdds, 0, func(s float64) float64 { return -s }},
		{engine.SingleLabel, Probability, 1, func(s float64) float64 { return math.Exp(s) / (math.Exp(s) + math.Exp(-s) + 1) }},
	} {
		e := New(headedSum{&sumModel{}, tc.head}, Options{Output: tc.out})
		assert.Equal(t, tc.head, e.Head())
		got, _, err := e.Score(context.Background(), rows, tc.target)
		require.NoError(t, err)
		name := tc.head.String() + " " + tc.out.String()
		// float32 logits (0.3 is inexact) through float64 formulas
		assert.InDelta(t, tc.want(0.3), got[0], 1e-6, name)
		assert.InDelta(t, tc.want(1.0), got[1], 1e-6, name)
		all, _, err := e.ScoreAll(context.Background(), rows)
		require.NoError(t, err)
		assert.InDelta(t, tc.want(1.0), all[1][tc.target], 1e-6, name+" (all labels)")
	}
}
