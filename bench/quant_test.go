package bench

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/engine"
	"github.com/lucid-nlp/lucid/internal/quanttest"
	"github.com/lucid-nlp/lucid/models"
	"github.com/lucid-nlp/lucid/tokenize"
)

var shipped = filepath.Join("..", "models", "sst2-mini-bert")

func readOps(t *testing.T, path string) map[string]int {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	ops, err := OpTypes(data)
	require.NoError(t, err)
	return ops
}

// The op counts of the shipped float graph, as python3-onnx counts them
// (collections.Counter of graph.node op_type): the wire-format scan reads
// the same graph.
func TestOpTypesOfTheShippedGraph(t *testing.T) {
	ops := readOps(t, filepath.Join(shipped, "model.onnx"))
	assert.Equal(t, 32, ops["MatMul"])
	assert.Equal(t, 2, ops["Gemm"])
	assert.Equal(t, 4, ops["Softmax"])
	assert.Equal(t, 111, ops["Constant"])
	_, err := OpTypes([]byte("not a model at all"))
	assert.ErrorContains(t, err, "not an ONNX model")
}

// The quantizer's output of the shipped model: the 24 weight MatMuls
// (q, k, v, o, ff1, ff2 in 4 layers) become MatMulInteger, the 8 attention
// MatMuls (two activations) stay float, the Gemms stay float (ORT's
// dynamic default); it loads through the ordinary contract and agrees with
// the float model.
func TestQuantizedShippedModelLoadsAndAgrees(t *testing.T) {
	dir := quanttest.Quantize(t, "..", shipped)
	for _, f := range []string{"model.onnx", "model_embeds.onnx"} {
		ops := readOps(t, filepath.Join(dir, f))
		assert.Equal(t, 24, ops["MatMulInteger"], f)
		assert.Equal(t, 8, ops["MatMul"], f)
		assert.Equal(t, 2, ops["Gemm"], f)
		// One DynamicQuantizeLinear per distinct activation: q, k and v
		// share theirs, so 4 per layer (q/k/v, o, ff1, ff2).
		assert.Equal(t, 16, ops["DynamicQuantizeLinear"], f)
	}
	assert.NoFileExists(t, filepath.Join(dir, "model_grad.onnx"), "the float backward pass is not this model's")
	card, err := os.ReadFile(filepath.Join(dir, "README.md"))
	require.NoError(t, err)
	assert.Contains(t, string(card), "Not copied: model_grad.onnx")

	ctx := context.Background()
	float, err := models.Load(shipped)
	require.NoError(t, err)
	defer float.Close()
	quant, err := models.Load(dir)
	require.NoError(t, err)
	defer quant.Close()
	assert.Equal(t, float.Labels(), quant.Labels())
	assert.False(t, quant.Model.HasGradientGraph())

	fp, err := float.Predict(ctx, BuiltinSentences)
	require.NoError(t, err)
	qp, err := quant.Predict(ctx, BuiltinSentences)
	require.NoError(t, err)
	var sum, worst float64
	for i := range fp {
		d := math.Abs(qp[i].Probabilities[1] - fp[i].Probabilities[1])
		sum += d
		worst = max(worst, d)
		assert.Equal(t, fp[i].Label, qp[i].Label, "%q", BuiltinSentences[i])
	}
	// Measured on all 872 SST-2 dev rows: mean 0.00056, max 0.0060. The
	// bounds leave room for other CPUs' integer kernels; a graph that were
	// not quantized at all would fail the lower bound.
	mean := sum / float64(len(fp))
	assert.Less(t, mean, 0.005, "mean |Δp(POSITIVE)|")
	assert.Less(t, worst, 0.03, "max |Δp(POSITIVE)|")
	assert.Greater(t, worst, 0.0, "int8 weights must move some probability")

	// model_embeds.onnx was quantized with the same weight scales, so the
	// path methods' graph computes what model.onnx computes (same batch,
	// same activations, same activation scales): to float rounding.
	enc, err := quant.Tokenizer.Encode(BuiltinSentences[3])
	require.NoError(t, err)
	x, err := quant.Model.Embed(ctx, enc.IDs)
	require.NoError(t, err)
	viaIDs, err := quant.Model.Run(ctx, models.BatchOf(encsOf(enc), quant.Tokenizer.PadID()))
	require.NoError(t, err)
	viaEmbeds, err := quant.Model.RunEmbeds(ctx, engine.EmbedBatch{Rows: 1, SeqLen: enc.Len(), Hidden: quant.Model.Hidden(),
		Embeds: x, AttentionMask: enc.AttentionMask, TokenTypeIDs: enc.TypeIDs})
	require.NoError(t, err)
	for i := range viaIDs.Data {
		assert.InDelta(t, viaIDs.Data[i], viaEmbeds.Data[i], 1e-4, "logit %d", i)
	}
}

// Per-channel scales and quantized Gemms load and run on ONNX Runtime's
// CPU kernels too (per-column zero points in MatMulInteger).
func TestQuantizerVariantsLoad(t *testing.T) {
	float, err := models.Load(shipped)
	require.NoError(t, err)
	defer float.Close()
	fp, err := float.Predict(context.Background(), BuiltinSentences)
	require.NoError(t, err)
	for _, args := range [][]string{{"--per-channel"}, {"--gemm", "--reduce-range"}} {
		t.Run(strings.Join(args, ""), func(t *testing.T) {
			dir := quanttest.Quantize(t, "..", shipped, args...)
			ops := readOps(t, filepath.Join(dir, "model.onnx"))
			want := 24
			if args[0] == "--gemm" {
				want = 26
				assert.Zero(t, ops["Gemm"])
			}
			assert.Equal(t, want, ops["MatMulInteger"])
			clf, err := models.Load(dir)
			require.NoError(t, err)
			defer clf.Close()
			qp, err := clf.Predict(context.Background(), BuiltinSentences)
			require.NoError(t, err)
			// Tolerance 0.05: per-channel scales use the full int8 range in
			// every column, which saturates u8s8 products on x86 without
			// VNNI more often (measured on SST-2 dev: max |Δp| 0.026 per
			// channel, 0.0069 with --gemm --reduce-range; 0.0060 per tensor).
			for i := range fp {
				assert.InDelta(t, fp[i].Probabilities[1], qp[i].Probabilities[1], 0.05, "%q", BuiltinSentences[i])
			}
		})
	}
}

func TestQuantizerRefusesBadInput(t *testing.T) {
	quanttest.Require(t)
	empty := t.TempDir()
	out, err := exec.Command(quanttest.Python, "../scripts/quantize_onnx.py", empty, filepath.Join(t.TempDir(), "q")).CombinedOutput()
	require.Error(t, err)
	assert.Contains(t, string(out), empty+": no model.onnx")
	out, err = exec.Command(quanttest.Python, "../scripts/quantize_onnx.py", shipped, shipped).CombinedOutput()
	require.Error(t, err)
	assert.Contains(t, string(out), "must differ from the source")
}

func TestCompareQuantizedOnAFewRows(t *testing.T) {
	dir := quanttest.Quantize(t, "..", shipped)
	float, err := models.Load(shipped)
	require.NoError(t, err)
	defer float.Close()
	quant, err := models.Load(dir)
	require.NoError(t, err)
	defer quant.Close()
	data := filepath.Join(t.TempDir(), "dev.tsv")
	require.NoError(t, os.WriteFile(data, []byte("label\tsentence\n1\ta gorgeous , witty , seductive movie .\n0\tthe movie is a disaster from start to finish .\n"+
		"0\tboring , predictable and far too long .\n1\tone of the best films of the year , funny and wise .\n0\ti loved it\n"), 0o600))
	rows, err := ReadLabelled(data, 100)
	require.NoError(t, err)
	require.Len(t, rows, 5)
	rep, err := CompareQuantized(context.Background(), float, quant, rows, QuantOptions{Batch: 2, ExplainSentences: 2, Budget: 64, Rounds: 1})
	require.NoError(t, err)
	assert.Equal(t, 5, rep.Float.Rows)
	// The last row's gold label is wrong on purpose: 4 of 5 at most.
	assert.LessOrEqual(t, rep.Float.Correct, 4)
	assert.InDelta(t, float64(rep.Float.Correct)/5, rep.Float.Accuracy, 1e-12)
	assert.Equal(t, 24, rep.Quantized.QuantizedOps["MatMulInteger"])
	assert.Empty(t, rep.Float.QuantizedOps)
	assert.Greater(t, rep.Float.GraphBytes, rep.Quantized.GraphBytes)
	assert.Greater(t, rep.Float.EmbedGraphBytes, 2*rep.Quantized.EmbedGraphBytes, "the non-embedding weights shrink about 4×")
	assert.Len(t, rep.Float.RoundRowsPerSecond, 1)
	assert.Positive(t, rep.Quantized.RowsPerSecond)
	// 8 + 10 features in the two explained sentences (punctuation marks are words).
	assert.Equal(t, 18, rep.Words)
	assert.Greater(t, rep.MeanAbsAttribution, 0.0)
	assert.Greater(t, rep.MeanAbsAttrDiff, 0.0)
	assert.LessOrEqual(t, rep.MeanAbsAttrDiff, rep.MaxAbsAttrDiff)
	assert.Less(t, rep.MeanAbsAttrDiff, 0.1*rep.MeanAbsAttribution, "int8 attributions within 10% of the float ones' size")
	assert.Less(t, rep.MeanAbsProbDiff, 0.01)
	// The float model's row moves with its batch by kernel rounding only.
	assert.Less(t, rep.FloatBatchEffect, 1e-5)

	_, err = ReadLabelled(filepath.Join("..", "models", "sst2-mini-bert", "config.json"), 1)
	assert.ErrorContains(t, err, "\"label\" column")
}

func encsOf(e ...*tokenize.Encoding) []*tokenize.Encoding { return e }

// ONNX Runtime's int8 graph against an independent computation of what the
// ONNX specification says it computes (scripts/int8_reference.py: the
// shipped BERT in PyTorch, each quantized Linear done as
// DynamicQuantizeLinear + an exact integer product + rescale). With
// --reduce-range the two agree to float rounding (measured over all 872
// SST-2 dev rows: max |Δlogit| 6.6e-4 per tensor, 8.9e-4 per channel, from
// float32 differences upstream that move an activation across a rounding
// boundary). Without it they need not agree on x86 CPUs without VNNI,
// where ORT's uint8 × int8 kernel sums pairs of products in int16 and
// saturates (measured here: max |Δlogit| 0.0058 per tensor, 0.084 per
// channel), so that case is not asserted.
func TestQuantizedGraphEqualsExactInt8(t *testing.T) {
	quanttest.Require(t)
	if out, err := exec.Command(quanttest.Python, "-c", "import torch").CombinedOutput(); err != nil {
		t.Skipf("skipping: %s cannot import torch (apt-get install python3-torch): %v: %s", quanttest.Python, err, out)
	}
	for _, args := range [][]string{{"--reduce-range"}, {"--per-channel", "--reduce-range"}} {
		t.Run(strings.Join(args, ""), func(t *testing.T) {
			dir := quanttest.Quantize(t, "..", shipped, args...)
			cmd := exec.Command(quanttest.Python, append([]string{"../scripts/int8_reference.py", shipped}, args...)...)
			cmd.Stdin = strings.NewReader(strings.Join(BuiltinSentences, "\n") + "\n")
			out, err := cmd.Output()
			require.NoError(t, err)
			lines := strings.Split(strings.TrimSpace(string(out)), "\n")
			require.Len(t, lines, len(BuiltinSentences))

			quant, err := models.Load(dir)
			require.NoError(t, err)
			defer quant.Close()
			encs, err := quant.Tokenizer.EncodeBatch(BuiltinSentences)
			require.NoError(t, err)
			// One text per batch: the reference quantizes each text's
			// activations alone.
			got, err := runAll(context.Background(), quant.Model, encs, quant.Tokenizer.PadID(), 1)
			require.NoError(t, err)
			for i, line := range lines {
				var want []float64
				require.NoError(t, json.Unmarshal([]byte(line), &want))
				require.Len(t, want, len(got[i]))
				for j := range want {
					assert.InDelta(t, want[j], float64(got[i][j]), 2e-3, "%q logit %d", BuiltinSentences[i], j)
				}
			}
		})
	}
}

// export_models.py quantize writes the same folder through the python3-onnx
// quantizer, and --quantizer ort says what is missing when ONNX Runtime's
// Python package is absent.
func TestExportModelsQuantize(t *testing.T) {
	quanttest.Require(t)
	dst := filepath.Join(t.TempDir(), "q")
	out, err := exec.Command(quanttest.Python, "../scripts/export_models.py", "quantize", shipped, "--quantize", dst, "--quantizer", "onnx").CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Contains(t, string(out), "24 MatMul nodes quantized by scripts/quantize_onnx.py")
	assert.Equal(t, 24, readOps(t, filepath.Join(dst, "model.onnx"))["MatMulInteger"])
	assert.FileExists(t, filepath.Join(dst, "tokenizer.json"))
	assert.FileExists(t, filepath.Join(dst, "config.json"))
	if exec.Command(quanttest.Python, "-c", "import onnxruntime.quantization").Run() == nil {
		return // ONNX Runtime's quantizer is installed: --quantizer ort would run
	}
	out, err = exec.Command(quanttest.Python, "../scripts/export_models.py", "quantize", shipped, "--quantize", filepath.Join(t.TempDir(), "o"), "--quantizer", "ort").CombinedOutput()
	require.Error(t, err)
	assert.Contains(t, string(out), "--quantizer ort: the onnxruntime Python package is not installed")
}
