package onnx

import (
	"context"
	"math"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/engine"
)

// In additive/, logits are linear in the embeddings: d logit_k / d e[s,h]
// = mask[s]·[h = k], so the gradient of any score is mask[s]·dscore/dz_h.
func TestGradientGraphMatchesTheAnalyticGradient(t *testing.T) {
	m := openAdditive(t)
	require.True(t, m.HasGradientGraph())
	const S, H = 3, 3
	b := engine.EmbedBatch{Rows: 2, SeqLen: S, Hidden: H,
		Embeds:        []float32{0.1, -0.2, 0.3, 0.5, 0.0, -0.4, 9, 9, 9, -0.3, 0.2, 0.25, 0.05, 0.1, -0.6, 0.4, -0.1, 0.2},
		AttentionMask: []int64{1, 1, 0, 1, 1, 1}, TokenTypeIDs: []int64{0, 0, 0, 0, 1, 1}}
	targets := []int{2, 0}
	want, err := m.RunEmbeds(context.Background(), b)
	require.NoError(t, err)
	for _, score := range []engine.Score{engine.ScoreProbability, engine.ScoreLogit, engine.ScoreLogOdds} {
		logits, grad, err := m.Gradient(context.Background(), b, targets, score)
		require.NoError(t, err, score)
		assert.InDeltaSlice(t, want.Data, logits.Data, 1e-6, "logits, %s", score)
		require.Len(t, grad, len(b.Embeds))
		for r := range b.Rows {
			dz := scoreGradient(want.Row(r), targets[r], score)
			for s := range S {
				for h := range H {
					exp := float64(b.AttentionMask[r*S+s]) * dz[h]
					assert.InDelta(t, exp, grad[(r*S+s)*H+h], 1e-6, "%s row %d token %d dim %d", score, r, s, h)
				}
			}
		}
	}
}

// scoreGradient is d score / d logits, computed in float64.
func scoreGradient(z []float32, t int, score engine.Score) []float64 {
	p := make([]float64, len(z))
	q := make([]float64, len(z)) // softmax over the labels other than t
	var sp, sq float64
	for i, v := range z {
		p[i] = math.Exp(float64(v))
		sp += p[i]
		if i != t {
			q[i] = p[i]
			sq += q[i]
		}
	}
	for i := range z {
		p[i] /= sp
		q[i] /= sq
	}
	d := make([]float64, len(z))
	for i := range z {
		one := 0.0
		if i == t {
			one = 1
		}
		switch score {
		case engine.ScoreProbability:
			d[i] = p[t] * (one - p[i])
		case engine.ScoreLogit:
			d[i] = one
		default:
			d[i] = one - q[i]
		}
	}
	return d
}

func TestGradientRejectsBadInput(t *testing.T) {
	m := openAdditive(t)
	b := engine.EmbedBatch{Rows: 1, SeqLen: 2, Hidden: 3, Embeds: make([]float32, 6), AttentionMask: []int64{1, 1}}
	_, _, err := m.Gradient(context.Background(), b, []int{0, 1}, engine.ScoreLogit)
	assert.ErrorContains(t, err, "2 gradient targets for 1 rows")
	_, _, err = m.Gradient(context.Background(), b, []int{3}, engine.ScoreLogit)
	assert.ErrorContains(t, err, "gradient target 3 of row 0, the model has 3 labels")
	_, _, err = m.Gradient(context.Background(), b, []int{0}, engine.Score(7))
	assert.ErrorContains(t, err, "Score(7)")
	b.Embeds = b.Embeds[:5]
	_, _, err = m.Gradient(context.Background(), b, []int{0}, engine.ScoreLogit)
	assert.ErrorContains(t, err, "has 5 values, want 6")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	b.Embeds = make([]float32, 6)
	_, _, err = m.Gradient(ctx, b, []int{0}, engine.ScoreLogit)
	assert.ErrorIs(t, err, context.Canceled)
}

func TestFolderWithoutGradientGraph(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{ModelFile, EmbedModelFile, LookupFile} {
		copyFile(t, filepath.Join("testdata/additive", f), filepath.Join(dir, f))
	}
	m, err := Open(dir)
	require.NoError(t, err)
	defer m.Close()
	assert.True(t, m.HasEmbeddingGraphs())
	assert.False(t, m.HasGradientGraph())
	b := engine.EmbedBatch{Rows: 1, SeqLen: 1, Hidden: 3, Embeds: make([]float32, 3), AttentionMask: []int64{1}}
	_, _, err = m.Gradient(context.Background(), b, []int{0}, engine.ScoreLogit)
	assert.ErrorContains(t, err, "has no model_grad.onnx")
}

// The gradient graph's sessions take DefaultGradientThreads unless
// WithThreads chose threads for every graph.
func TestGradientThreadsDefault(t *testing.T) {
	m, err := Open(benchModel)
	require.NoError(t, err)
	defer m.Close()
	assert.Equal(t, DefaultGradientThreads, m.GradientThreads())
	m2, err := Open(benchModel, WithThreads(2))
	require.NoError(t, err)
	defer m2.Close()
	assert.Equal(t, 2, m2.GradientThreads(), "an explicit --threads applies to the gradient graph too")
	m3, err := Open(benchModel, WithThreads(0))
	require.NoError(t, err)
	defer m3.Close()
	assert.Equal(t, DefaultGradientThreads, m3.GradientThreads(), "0 keeps the defaults")
}

// The gradient methods need the lookup graph and model_grad.onnx only:
// opening the gradient graph and running it leave model_embeds.onnx's
// sessions unopened (a one-shot ig no longer pays for them); the first
// RunEmbeds opens them.
func TestGradientPathLeavesModelEmbedsClosed(t *testing.T) {
	m, err := Open(benchModel, WithLabels([]string{"NEGATIVE", "POSITIVE"}))
	require.NoError(t, err)
	defer m.Close()
	require.NoError(t, m.OpenGradient())
	ctx := context.Background()
	ids := []int64{101, 1037, 2204, 3185, 102}
	x, err := m.Embed(ctx, ids)
	require.NoError(t, err)
	b := engine.EmbedBatch{Rows: 1, SeqLen: len(ids), Hidden: m.Hidden(), Embeds: x, AttentionMask: []int64{1, 1, 1, 1, 1}}
	logits, _, err := m.Gradient(ctx, b, []int{1}, engine.ScoreLogit)
	require.NoError(t, err)
	assert.Nil(t, m.embeds, "model_embeds.onnx not opened by the gradient path")
	viaEmbeds, err := m.RunEmbeds(ctx, b)
	require.NoError(t, err)
	assert.NotNil(t, m.embeds)
	assert.InDeltaSlice(t, logits.Data, viaEmbeds.Data, 1e-5)
}
