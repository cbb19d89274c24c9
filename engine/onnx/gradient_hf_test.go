package onnx

import (
	"context"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/engine"
)

// hfGradientFolders builds, with scripts/test_export_grad.py, optimum-style
// BERT, MiniLM, DistilBERT and RoBERTa folders (random weights, model.onnx
// only) and runs export_models.py grad on each; or reads them from
// $LUCID_HF_GRAD_DIR when set (that script's --keep DIR). It skips when
// Debian's python3-torch and python3-onnx are not installed.
func hfGradientFolders(t *testing.T) string {
	t.Helper()
	if dir := os.Getenv("LUCID_HF_GRAD_DIR"); dir != "" {
		return dir
	}
	if testing.Short() {
		t.Skip("-short: building the test folders takes PyTorch a minute or two")
	}
	const py = "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import torch, onnx").Run(); err != nil {
		t.Skipf("%s with torch and onnx is not available (apt-get install python3-torch python3-onnx): %v", py, err)
	}
	dir := t.TempDir()
	out, err := exec.Command(py, filepath.Join("..", "..", "scripts", "test_export_grad.py"), "--keep", dir).CombinedOutput()
	require.NoError(t, err, "scripts/test_export_grad.py:\n%s", out)
	t.Logf("scripts/test_export_grad.py:\n%s", out)
	return dir
}

// The gradient graphs export_models.py grad writes for optimum-style
// exports of BERT, MiniLM, DistilBERT and RoBERTa, run by ONNX Runtime:
// their logits equal model.onnx's (so grad read the weights right, and
// model_embeds.onnx, which it wrote, agrees too), and each token's
// derivative along its own gradient's direction equals central finite
// differences through model_embeds.onnx (Richardson-extrapolated), to 1e-3
// of the text's largest derivative. Texts of 4 to 20 random tokens, the
// first three padded into one batch, every label, logit and probability.
func TestHFGradientGraphs(t *testing.T) {
	root := hfGradientFolders(t)
	ctx := context.Background()
	for _, arch := range []string{"bert", "minilm", "distilbert", "roberta"} {
		t.Run(arch, func(t *testing.T) {
			dir := filepath.Join(root, arch)
			var cfg struct {
				ID2Label map[string]string `json:"id2label"`
				Vocab    int               `json:"vocab_size"`
				Pad      int64             `json:"pad_token_id"`
			}
			raw, err := os.ReadFile(filepath.Join(dir, "config.json"))
			require.NoError(t, err)
			require.NoError(t, json.Unmarshal(raw, &cfg))
			labels := make([]string, len(cfg.ID2Label))
			for k, v := range cfg.ID2Label {
				i, err := strconv.Atoi(k)
				require.NoError(t, err)
				labels[i] = v
			}
			m, err := Open(dir, WithLabels(labels), WithThreads(1))
			require.NoError(t, err)
			defer m.Close()
			require.True(t, m.HasGradientGraph(), "grad wrote model_grad.onnx, model_embeds.onnx and embeddings.onnx")
			H := m.Hidden()
			rng := rand.New(rand.NewPCG(uint64(len(arch)), 7))
			var texts [][]int64
			for _, T := range []int{4, 9, 20} {
				ids := make([]int64, T)
				for i := range ids {
					ids[i] = cfg.Pad
					for ids[i] == cfg.Pad {
						ids[i] = 2 + rng.Int64N(int64(cfg.Vocab-2))
					}
				}
				texts = append(texts, ids)
			}
			// One padded batch through model.onnx and the gradient graph.
			S := len(texts[len(texts)-1])
			b := engine.Batch{Rows: len(texts), SeqLen: S}
			eb := engine.EmbedBatch{Rows: len(texts), SeqLen: S, Hidden: H, Embeds: make([]float32, len(texts)*S*H)}
			for r, ids := range texts {
				row := slices.Repeat([]int64{cfg.Pad}, S)
				copy(row, ids)
				mask := make([]int64, S)
				for i := range ids {
					mask[i] = 1
				}
				b.InputIDs = append(b.InputIDs, row...)
				b.AttentionMask = append(b.AttentionMask, mask...)
				b.TokenTypeIDs = append(b.TokenTypeIDs, make([]int64, S)...)
				eb.AttentionMask = append(eb.AttentionMask, mask...)
				eb.TokenTypeIDs = append(eb.TokenTypeIDs, make([]int64, S)...)
				x, err := m.Embed(ctx, row)
				require.NoError(t, err)
				copy(eb.Embeds[r*S*H:], x)
			}
			want, err := m.Run(ctx, b)
			require.NoError(t, err)
			viaEmbeds, err := m.RunEmbeds(ctx, eb)
			require.NoError(t, err)
			for l := range labels {
				targets := slices.Repeat([]int{l}, len(texts))
				got, grads, err := m.Gradient(ctx, eb, targets, engine.ScoreLogit)
				require.NoError(t, err)
				for i := range want.Data {
					assert.InDelta(t, want.Data[i], got.Data[i], 1e-4, "model_grad.onnx logits vs model.onnx, %d", i)
					assert.InDelta(t, want.Data[i], viaEmbeds.Data[i], 1e-4, "model_embeds.onnx logits vs model.onnx, %d", i)
				}
				for r, ids := range texts {
					for i := len(ids) * H; i < S*H; i++ {
						require.Zero(t, grads[r*S*H+i], "padding gets no gradient")
					}
				}
			}
			// Per text alone: gradient vs finite differences.
			worst := 0.0
			for _, ids := range texts {
				T := len(ids)
				x, err := m.Embed(ctx, ids)
				require.NoError(t, err)
				mask := slices.Repeat([]int64{1}, T)
				for l := range labels {
					for _, score := range []engine.Score{engine.ScoreLogit, engine.ScoreProbability} {
						one := engine.EmbedBatch{Rows: 1, SeqLen: T, Hidden: H, Embeds: x, AttentionMask: mask, TokenTypeIDs: make([]int64, T)}
						_, grad, err := m.Gradient(ctx, one, []int{l}, score)
						require.NoError(t, err)
						// DistilBERT's head is a ReLU: a step of 0.02 along the
						// [CLS] token's gradient crossed a pre-classifier unit's
						// kink (the differences then mix two linear pieces),
						// so its step is 10× smaller.
						t1 := 0.02
						if arch == "distilbert" {
							t1 = 0.002
						}
						norms, fd, largest := directionalDerivatives(t, m, x, grad, mask, t1, func(z []float32) float64 {
							if score == engine.ScoreLogit {
								return float64(z[l])
							}
							return engine.SoftmaxAt(z, l)
						})
						for i := range T {
							rel := math.Abs(norms[i]-fd[i]) / largest
							worst = math.Max(worst, rel)
							assert.LessOrEqual(t, rel, 1e-3, "%d tokens, label %d, %s, token %d: gradient norm %.6g, finite difference %.6g", T, l, score, i, norms[i], fd[i])
						}
					}
				}
			}
			t.Logf("%s: model_grad.onnx vs finite differences through model_embeds.onnx: worst error %.2g of the text's largest derivative", arch, worst)
		})
	}
}
