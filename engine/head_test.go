package engine

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestHeadProbabilities(t *testing.T) {
	logits := []float32{2, -1, 0}
	// Softmax sums to one; sigmoids are independent, computed by hand here.
	assert.InDelta(t, 1, sum(SingleLabel.Probabilities(logits)), 1e-12)
	want := []float64{1 / (1 + math.Exp(-2)), 1 / (1 + math.Exp(1)), 0.5}
	assert.InDeltaSlice(t, want, MultiLabel.Probabilities(logits), 1e-12)
	assert.InDeltaSlice(t, []float64{2, -1, 0}, Regression.Probabilities(logits), 0)
	for i := range logits {
		assert.InDelta(t, SingleLabel.Probabilities(logits)[i], SingleLabel.ProbabilityAt(logits, i), 1e-15)
		assert.InDelta(t, want[i], MultiLabel.ProbabilityAt(logits, i), 1e-15)
		// log-odds of the head's own probability
		p := MultiLabel.ProbabilityAt(logits, i)
		assert.InDelta(t, math.Log(p/(1-p)), MultiLabel.LogOddsAt(logits, i), 1e-9)
		q := SingleLabel.ProbabilityAt(logits, i)
		assert.InDelta(t, math.Log(q/(1-q)), SingleLabel.LogOddsAt(logits, i), 1e-9)
	}
	// Extreme logits neither overflow nor round the tail to zero.
	assert.InDelta(t, math.Exp(-800), Sigmoid(-800), 1e-300)
	assert.Equal(t, 1.0, Sigmoid(800))
	assert.False(t, Regression.HasProbabilities())
}

func TestParseHead(t *testing.T) {
	for s, want := range map[string]Head{
		"single_label_classification": SingleLabel, "multi_label_classification": MultiLabel,
		"regression": Regression, "multi-label": MultiLabel,
	} {
		h, err := ParseHead(s)
		require.NoError(t, err, s)
		assert.Equal(t, want, h, s)
		back, err := ParseHead(h.String())
		require.NoError(t, err)
		assert.Equal(t, h, back)
	}
	_, err := ParseHead("ordinal")
	assert.ErrorContains(t, err, `"ordinal"`)
}

func sum(p []float64) (s float64) {
	for _, v := range p {
		s += v
	}
	return s
}
