package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/internal/quanttest"
)

// lucid bench quant on a few rows, against a quantized copy of the shipped
// model that the test writes itself: the JSON report's counts add up and
// the graphs are what they claim. No timing is judged.
func TestBenchQuantJSON(t *testing.T) {
	shipped := filepath.Join("..", "..", "models", "sst2-mini-bert")
	dir := quanttest.Quantize(t, filepath.Join("..", ".."), shipped)
	data := filepath.Join(t.TempDir(), "dev.tsv")
	require.NoError(t, os.WriteFile(data, []byte("label\tsentence\n1\ta gorgeous , witty , seductive movie .\n0\tthe movie is a disaster from start to finish .\n"+
		"0\tboring , predictable and far too long .\n1\tone of the best films of the year , funny and wise .\n"), 0o600))
	code, stdout, stderr := lucid(t, "", "bench", "quant", "--json", "--model", shipped, "--quantized", dir, "--data", data,
		"--batch", "2", "--explain-sentences", "2", "--budget", "32", "--rounds", "2", "--threads", "1")
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stderr, "bench quant: 4 rows from "+data)
	var rep struct {
		Float, Quantized struct {
			Correct, Rows int
			Accuracy      float64
			RowsPerSecond float64        `json:"rows_per_second"`
			Rounds        []float64      `json:"round_rows_per_second"`
			Graph         int64          `json:"model_onnx_bytes"`
			Ops           map[string]int `json:"quantized_ops"`
		}
		Batch            int
		Target           string
		MeanAbsProbDiff  float64 `json:"mean_abs_probability_difference"`
		ExplainSentences int     `json:"explain_sentences"`
		Budget           int
		Words            int
		Threads          int
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &rep), stdout)
	assert.Equal(t, 4, rep.Float.Rows)
	assert.Equal(t, 4, rep.Quantized.Rows)
	assert.InDelta(t, float64(rep.Quantized.Correct)/4, rep.Quantized.Accuracy, 1e-12)
	assert.Len(t, rep.Float.Rounds, 2)
	assert.Len(t, rep.Quantized.Rounds, 2)
	assert.Equal(t, max(rep.Quantized.Rounds[0], rep.Quantized.Rounds[1]), rep.Quantized.RowsPerSecond, "the best round")
	assert.Equal(t, 24, rep.Quantized.Ops["MatMulInteger"])
	assert.Empty(t, rep.Float.Ops)
	assert.Less(t, rep.Quantized.Graph, rep.Float.Graph)
	assert.Equal(t, "POSITIVE", rep.Target)
	assert.Equal(t, 2, rep.Batch)
	assert.Equal(t, 2, rep.ExplainSentences)
	assert.Equal(t, 32, rep.Budget)
	assert.Equal(t, 18, rep.Words, "8 + 10 words, punctuation marks included")
	assert.Equal(t, 1, rep.Threads)
	assert.Less(t, rep.MeanAbsProbDiff, 0.01)

	// The table form names both sides and the settings it used.
	code, stdout, stderr = lucid(t, "", "bench", "quant", "--model", shipped, "--quantized", dir, "--data", data,
		"--explain-sentences", "1", "--budget", "16", "--rounds", "1")
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, "MatMulInteger×24")
	assert.Contains(t, stdout, "KernelSHAP (budget 16, seed 1, 1 sentences, 8 words)")
}

func TestBenchQuantUsage(t *testing.T) {
	code, _, stderr := lucid(t, "", "bench", "quant")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "needs --quantized DIR")
	data := filepath.Join(t.TempDir(), "unlabelled.tsv")
	require.NoError(t, os.WriteFile(data, []byte("sentence\na movie\n"), 0o600))
	code, _, stderr = lucid(t, "", "bench", "quant", "--quantized", t.TempDir(), "--data", data)
	assert.NotEqual(t, exitOK, code)
	assert.Contains(t, stderr, `want a header with a "label" column`)
	code, _, stderr = lucid(t, "", "bench", "quant", "--quantized", "x", "--batch", "0")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "--batch")
	code, stdout, _ := lucid(t, "", "bench", "quant", "--help")
	assert.Equal(t, exitOK, code)
	assert.Contains(t, stdout, "Usage: lucid bench quant --quantized DIR")
}
