package main

import (
	"encoding/csv"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/attribution"
	"github.com/lucid-nlp/lucid/bench"
	"github.com/lucid-nlp/lucid/report"
)

// A data-only audit run twice with --tensorboard and --append-history:
// one event file per run at steps 0 and 1, and metrics.csv, the history
// and the export hold the data scan's figures and nothing from checks
// that did not run (no model: no accuracy, no positive prediction rate,
// no group, counterfactual or consistency rows).
func TestAuditTensorBoardAndHistoryCarryTheDataScan(t *testing.T) {
	dir := t.TempDir()
	model := filepath.Join(dir, "model")
	require.NoError(t, os.MkdirAll(model, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(model, "config.json"), []byte(`{"id2label":{"0":"negative","1":"positive"}}`), 0o644))
	// Never loaded: --checks data reads only config.json's labels.
	require.NoError(t, os.WriteFile(filepath.Join(model, "model.onnx"), []byte("not a model"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(model, "tokenizer.json"), []byte("{}"), 0o644))
	var b strings.Builder
	b.WriteString("sentence\tlabel\tsource\n")
	for i := range 300 {
		switch i % 3 {
		case 0:
			b.WriteString("she liked it\t1\tweb\n")
		case 1:
			b.WriteString("he found the film dull\t0\tpress\n")
		default:
			b.WriteString("the film was fine\t1\tweb\n")
		}
	}
	data := filepath.Join(dir, "d.tsv")
	require.NoError(t, os.WriteFile(data, []byte(b.String()), 0o644))
	tb, history := filepath.Join(dir, "tb"), filepath.Join(dir, "runs.jsonl")
	for step, want := range []string{"(step 0, ", "(step 1, "} {
		out := filepath.Join(dir, "out")
		code, stdout, stderr := lucid(t, "", "audit", "--model", model, "--data", data, "--checks", "data", "--group-col", "source",
			"--out", out, "--tensorboard", tb, "--append-history", history)
		require.Equal(t, 0, code, stderr)
		assert.Contains(t, stdout, "tensorboard: "+tb+string(filepath.Separator)+"events.out.tfevents.")
		assert.Contains(t, stdout, want)

		f, err := os.Open(filepath.Join(out, "metrics.csv"))
		require.NoError(t, err)
		recs, err := csv.NewReader(f).ReadAll()
		f.Close()
		require.NoError(t, err)
		require.Greater(t, len(recs), 1)
		checks := map[string]int{}
		for _, r := range recs[1:] {
			checks[r[0]]++
			assert.NotEmpty(t, r[3], "%v: a row without a value", r)
		}
		assert.Equal(t, []string{"data_bias"}, keys(checks), "only the check that ran")
		assert.Contains(t, strings.Join(flatten(recs), "|"), "column source=web")

		raw, err := os.ReadFile(history)
		require.NoError(t, err)
		lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
		require.Len(t, lines, step+1)
		var run report.HistoryRun
		require.NoError(t, json.Unmarshal([]byte(lines[step]), &run))
		assert.Len(t, run.Metrics, len(recs)-1+2, "metrics.csv's rows and the two findings counts")
		assert.NotEmpty(t, run.Verdicts)
	}
	files, err := os.ReadDir(tb)
	require.NoError(t, err)
	assert.Len(t, files, 2)

	// A folder that cannot be made is an error naming it.
	block := filepath.Join(dir, "file")
	require.NoError(t, os.WriteFile(block, nil, 0o644))
	code, _, stderr := lucid(t, "", "audit", "--model", model, "--data", data, "--checks", "data", "--out", filepath.Join(dir, "o2"), "--tensorboard", filepath.Join(block, "tb"))
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "--tensorboard")
	assert.Contains(t, stderr, block)
}

func keys(m map[string]int) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func flatten(recs [][]string) []string {
	var out []string
	for _, r := range recs {
		out = append(out, r...)
	}
	return out
}

// bench's figures for --tensorboard: one per method and cost setting,
// the efficiency range as its interval, undefined figures left out.
func TestBenchRunFigures(t *testing.T) {
	r := &benchReport{Model: "m", Source: "built-in sentences", Sentences: 4, Throughput: &bench.Throughput{Best: 1000},
		Methods: []bench.MethodResult{{Method: attribution.MethodKernelSHAP, Budget: 512, Explanations: 4, EvaluationsPerText: 512,
			WallSecondsPerText: 0.5, EvaluationsPerSecond: 1024, Efficiency: 0.9, EfficiencyRange: [2]float64{0.8, 1}, ModelShare: math.NaN()}},
		Estimators: []bench.EstimatorRow{{Method: "lucid", Budget: 64, Mean: 0.01, MeanLow: 0.008, MeanHigh: 0.012, P90: 0.02, Runs: 10, Sentences: 5}}}
	run := benchRun(r)
	got := map[string]report.HistoryMetric{}
	for _, m := range run.Metrics {
		got[report.TensorBoardTag(m)] = m
	}
	assert.Equal(t, 1000.0, got["throughput/best_rows_per_second/value"].Value)
	eff := got["methods/efficiency/kernelshap budget 512/value"]
	assert.Equal(t, 0.9, eff.Value)
	require.NotNil(t, eff.Low)
	assert.Equal(t, [2]float64{0.8, 1}, [2]float64{*eff.Low, *eff.High})
	assert.Equal(t, 4, eff.N)
	assert.NotContains(t, got, "methods/model_share/kernelshap budget 512/value", "NaN: left out")
	assert.Equal(t, 0.01, got["estimators/mean_abs_error/lucid budget 64/value"].Value)
	assert.NotContains(t, got, "estimators/coverage/lucid budget 64/value", "no run reported standard errors")
	assert.Len(t, run.Metrics, 1+4+2)
	path, step, err := report.WriteTensorBoard(filepath.Join(t.TempDir(), "tb"), run)
	require.NoError(t, err)
	assert.Equal(t, int64(0), step)
	assert.FileExists(t, path)
}
