package onnx

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/engine"
)

// The shipped model's model_grad.onnx against central finite differences
// through model_embeds.onnx. Per token i the check is the directional
// derivative along the token's own embedding, Σ_h x_ih·∂f/∂x_ih (gradient ×
// input, what grad-input reports), against [f(x + t·x_i) − f(x − t·x_i)]/2t
// with only token i moved. Relative error per token is |g − fd| / |fd|,
// floored at 1% of the sentence's largest |fd| so that a token whose
// derivative is zero to rounding does not divide by rounding.
func TestShippedGradientGraphMatchesFiniteDifferences(t *testing.T) {
	if _, err := os.Stat(filepath.Join(benchModel, GradFile)); err != nil {
		t.Skipf("the shipped model has no %s: %v", GradFile, err)
	}
	m, err := Open(benchModel, WithLabels([]string{"NEGATIVE", "POSITIVE"}))
	require.NoError(t, err)
	defer m.Close()
	require.True(t, m.HasGradientGraph())
	var ref struct {
		Sentences []struct {
			Text     string    `json:"text"`
			InputIDs []int64   `json:"input_ids"`
			Logits   []float64 `json:"logits"`
		} `json:"sentences"`
	}
	raw, err := os.ReadFile(filepath.Join(benchModel, "reference.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(raw, &ref))
	ctx := context.Background()
	H := m.Hidden()
	const step = 1e-2 // in units of the token's own embedding
	worst := 0.0
	for _, s := range ref.Sentences[:8] {
		T := len(s.InputIDs)
		x, err := m.Embed(ctx, s.InputIDs)
		require.NoError(t, err)
		mask := make([]int64, T)
		for i := range mask {
			mask[i] = 1
		}
		for _, score := range []engine.Score{engine.ScoreLogit, engine.ScoreProbability} {
			b := engine.EmbedBatch{Rows: 1, SeqLen: T, Hidden: H, Embeds: x, AttentionMask: mask}
			logits, grad, err := m.Gradient(ctx, b, []int{1}, score)
			require.NoError(t, err)
			for k, v := range s.Logits {
				assert.InDelta(t, v, logits.Row(0)[k], 1e-4, "logits of %q", s.Text)
			}
			// Two rows per token: x ± step·x_i on token i only.
			fb := engine.EmbedBatch{Rows: 2 * T, SeqLen: T, Hidden: H, Embeds: make([]float32, 2*T*T*H), AttentionMask: make([]int64, 0, 2*T*T)}
			for i := range T {
				for sgn := range 2 {
					row := fb.Embeds[(2*i+sgn)*T*H : (2*i+sgn+1)*T*H]
					copy(row, x)
					d := float32(step)
					if sgn == 1 {
						d = -d
					}
					for h := range H {
						row[i*H+h] += d * x[i*H+h]
					}
					fb.AttentionMask = append(fb.AttentionMask, mask...)
				}
			}
			fl, err := m.RunEmbeds(ctx, fb)
			require.NoError(t, err)
			fd := make([]float64, T)
			largest := 0.0
			for i := range T {
				fd[i] = (scoreOf(fl.Row(2*i), score) - scoreOf(fl.Row(2*i+1), score)) / (2 * step)
				largest = math.Max(largest, math.Abs(fd[i]))
			}
			for i := range T {
				var g float64
				for h := range H {
					g += float64(x[i*H+h]) * float64(grad[i*H+h])
				}
				rel := math.Abs(g-fd[i]) / math.Max(math.Abs(fd[i]), 0.01*largest)
				worst = math.Max(worst, rel)
				assert.LessOrEqual(t, rel, 1e-3, "%q token %d (%s): gradient %.6g, finite difference %.6g", s.Text, i, score, g, fd[i])
			}
		}
	}
	t.Logf("model_grad.onnx vs finite differences through model_embeds.onnx, 8 sentences, logit and probability: worst relative error per token %.2g", worst)
}

func scoreOf(z []float32, score engine.Score) float64 {
	if score == engine.ScoreLogit {
		return float64(z[1])
	}
	return engine.SoftmaxAt(z, 1)
}
