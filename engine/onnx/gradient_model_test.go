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
// through model_embeds.onnx. Per token i the check is the derivative along
// the unit direction u_i of the token's own gradient, which the gradient
// says is ‖∂f/∂x_i‖ (what saliency reports), against finite differences
// with only token i moved along u_i. The error per token is relative to the
// sentence's largest derivative, |g_i − fd_i| / max_j |fd_j|: the network
// runs in float32, whose rounding (about 1e-6 of a logit) puts a noise of
// a few 1e-5 on any finite difference, so a token whose derivative is 100×
// smaller than its neighbours' cannot be checked to 1e-3 of itself (the
// log shows that figure too; float64 autograd checks it at export time).
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
	worst, own := 0.0, 0.0
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
			// The derivative along each token's gradient, by finite
			// differences (directionalDerivatives).
			const t1 = 0.02
			norms, fd, largest := directionalDerivatives(t, m, x, grad, mask, t1, func(row []float32) float64 { return scoreOf(row, score) })
			for i := range T {
				rel := math.Abs(norms[i]-fd[i]) / largest
				worst = math.Max(worst, rel)
				own = math.Max(own, math.Abs(norms[i]-fd[i])/math.Abs(fd[i]))
				assert.LessOrEqual(t, rel, 1e-3, "%q token %d (%s): gradient norm %.6g, finite difference along it %.6g", s.Text, i, score, norms[i], fd[i])
			}
		}
	}
	t.Logf("model_grad.onnx vs finite differences through model_embeds.onnx, 8 sentences, logit and probability: worst error per token relative to the sentence's largest derivative %.2g (to the token's own %.2g)", worst, own)
}

func scoreOf(z []float32, score engine.Score) float64 {
	if score == engine.ScoreLogit {
		return float64(z[1])
	}
	return engine.SoftmaxAt(z, 1)
}

// directionalDerivatives checks a gradient against the network itself:
// for each of x's T tokens (T×H embeddings), the norm of its gradient row
// and the derivative of at(logits) along that row's unit direction u_i,
// from four rows through RunEmbeds: x ± t1·u_i and x ± (t1/2)·u_i, token i
// only. Richardson extrapolation of the two central differences cancels
// their O(t²) error, so t1 can be large enough that float32 rounding in the
// network is small. largest is the largest |derivative|.
func directionalDerivatives(t *testing.T, m engine.EmbeddingModel, x, grad []float32, mask []int64, t1 float64, at func(row []float32) float64) (norms, fd []float64, largest float64) {
	t.Helper()
	T := len(mask)
	H := len(x) / T
	steps := []float64{t1, -t1, t1 / 2, -t1 / 2}
	fb := engine.EmbedBatch{Rows: 4 * T, SeqLen: T, Hidden: H, Embeds: make([]float32, 4*T*T*H)}
	norms = make([]float64, T)
	for i := range T {
		for h := range H {
			norms[i] += float64(grad[i*H+h]) * float64(grad[i*H+h])
		}
		norms[i] = math.Sqrt(norms[i])
		for k, st := range steps {
			row := fb.Embeds[(4*i+k)*T*H : (4*i+k+1)*T*H]
			copy(row, x)
			if norms[i] > 0 {
				for h := range H {
					row[i*H+h] += float32(st * float64(grad[i*H+h]) / norms[i])
				}
			}
			fb.AttentionMask = append(fb.AttentionMask, mask...)
			fb.TokenTypeIDs = append(fb.TokenTypeIDs, make([]int64, T)...)
		}
	}
	fl, err := m.RunEmbeds(context.Background(), fb)
	require.NoError(t, err)
	fd = make([]float64, T)
	for i := range T {
		f := func(k int) float64 { return at(fl.Row(4*i + k)) }
		fd[i] = (4*(f(2)-f(3))/t1 - (f(0)-f(1))/(2*t1)) / 3
		largest = math.Max(largest, math.Abs(fd[i]))
	}
	require.Positive(t, largest)
	return norms, fd, largest
}
