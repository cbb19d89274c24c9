package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// lucid bench serve at a tiny size: every run, gain, the overload and the
// memory reading are in the JSON, with counts that add up. No timing is
// judged (the figures are whatever this machine gives).
func TestBenchServeJSON(t *testing.T) {
	data := filepath.Join(t.TempDir(), "texts.tsv")
	require.NoError(t, os.WriteFile(data, []byte("label\tsentence\n1\ta gorgeous movie\n0\tthe plot made no sense at all\n1\tfine\n"), 0o600))
	code, stdout, stderr := lucid(t, "", "bench", "serve", "--json", "--data", data, "--texts", "3", "--requests", "12",
		"--explain-requests", "3", "--budget", "16", "--concurrency", "1,4", "--overload-requests", "30", "--overload-queue", "2",
		"--rss-requests", "20", "--rss-concurrency", "2", "--mixed-predict-clients", "3", "--mixed-explain-clients", "1")
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stderr, "bench serve: round 1/1: explain, batching on, concurrency 4")
	var rep struct {
		Model    string `json:"model"`
		Texts    int    `json:"texts"`
		Source   string `json:"source"`
		MaxBatch int    `json:"max_batch"`
		Floor    struct {
			BestBatch                 int        `json:"best_batch"`
			Predict                   float64    `json:"predict_rows_per_second"`
			PredictRange              [2]float64 `json:"predict_range"`
			Explain                   float64    `json:"explain_rows_per_second"`
			EvaluationsPerExplanation float64    `json:"evaluations_per_explanation"`
		} `json:"floor"`
		Runs []struct {
			Verb        string `json:"verb"`
			Batching    bool   `json:"batching"`
			Concurrency int    `json:"concurrency"`
			Median      struct {
				Requests    int     `json:"requests"`
				OK          int     `json:"ok"`
				Status429   int     `json:"status_429"`
				Failed      int     `json:"failed"`
				PerSecond   float64 `json:"requests_per_second"`
				Evaluations int     `json:"evaluations"`
				EvalsPerSec float64 `json:"evaluations_per_second"`
				P50         float64 `json:"p50_ms"`
				P95         float64 `json:"p95_ms"`
				P99         float64 `json:"p99_ms"`
				BatchRows   float64 `json:"mean_batch_rows"`
			} `json:"median"`
			Rounds     []json.RawMessage `json:"rounds"`
			FloorRatio float64           `json:"floor_ratio"`
		} `json:"runs"`
		Gains []struct {
			Verb        string  `json:"verb"`
			Concurrency int     `json:"concurrency"`
			Ratio       float64 `json:"ratio"`
			Ceiling     float64 `json:"ceiling"`
		} `json:"batching_gain"`
		Overload struct {
			MaxQueue   int `json:"max_queue"`
			Unintended int `json:"unintended_failures"`
			Result     struct {
				Requests  int     `json:"requests"`
				OK        int     `json:"ok"`
				Status429 int     `json:"status_429"`
				Failed    int     `json:"failed"`
				Offered   float64 `json:"offered_per_second"`
			} `json:"result"`
		} `json:"overload"`
		Memory struct {
			Requests int     `json:"requests"`
			Before   int64   `json:"rss_before_bytes"`
			After    int64   `json:"rss_after_bytes"`
			Growth   float64 `json:"growth_percent"`
		} `json:"memory"`
		Mixed struct {
			PredictClients int `json:"predict_clients"`
			ExplainClients int `json:"explain_clients"`
			Rounds         []struct {
				PredictAlone struct {
					Requests int     `json:"requests"`
					OK       int     `json:"ok"`
					PerSec   float64 `json:"requests_per_second"`
					P50      float64 `json:"p50_ms"`
				} `json:"predict_alone"`
				PredictMixed struct {
					Requests int     `json:"requests"`
					OK       int     `json:"ok"`
					PerSec   float64 `json:"requests_per_second"`
					P50      float64 `json:"p50_ms"`
				} `json:"predict_mixed"`
				ExplainAlone struct {
					Requests    int     `json:"requests"`
					OK          int     `json:"ok"`
					EvalsPerSec float64 `json:"evaluations_per_second"`
				} `json:"explain_alone"`
				ExplainMixed float64 `json:"explain_mixed_evaluations_per_second"`
				PredictRatio float64 `json:"predict_throughput_ratio"`
				P50Ratio     float64 `json:"predict_p50_ratio"`
				ExplainRatio float64 `json:"explain_throughput_ratio"`
			} `json:"rounds"`
		} `json:"mixed"`
		Targets []struct {
			Name string `json:"name"`
			Goal string `json:"goal"`
		} `json:"targets"`
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &rep), stdout)
	assert.Equal(t, 3, rep.Texts)
	assert.Equal(t, data, rep.Source)
	assert.Equal(t, rep.Floor.BestBatch, rep.MaxBatch, "--max-batch 0 takes the floor's best batch")
	assert.Positive(t, rep.Floor.Predict)
	assert.LessOrEqual(t, rep.Floor.PredictRange[0], rep.Floor.Predict)
	assert.GreaterOrEqual(t, rep.Floor.PredictRange[1], rep.Floor.Predict)
	assert.Positive(t, rep.Floor.Explain)
	assert.Positive(t, rep.Floor.EvaluationsPerExplanation)
	assert.LessOrEqual(t, rep.Floor.EvaluationsPerExplanation, 16.0+1, "budget 16 (and the prediction of the text)")

	require.Len(t, rep.Runs, 8, "2 verbs × batching on/off × 2 concurrencies")
	seen := map[string]bool{}
	for _, r := range rep.Runs {
		name := r.Verb + map[bool]string{true: " on", false: " off"}[r.Batching] + " " + map[int]string{1: "1", 4: "4"}[r.Concurrency]
		seen[name] = true
		m := r.Median
		want := 12
		if r.Verb == "explain" {
			want = 3
		}
		assert.Equal(t, want, m.Requests, name)
		assert.Equal(t, m.Requests, m.OK+m.Status429+m.Failed, name)
		assert.Zero(t, m.Failed, name)
		assert.Zero(t, m.Status429, name, "the grid's servers admit every client")
		assert.Len(t, r.Rounds, 1, name)
		assert.Positive(t, m.PerSecond, name)
		assert.Positive(t, r.FloorRatio, name)
		assert.LessOrEqual(t, m.P50, m.P95, name)
		assert.LessOrEqual(t, m.P95, m.P99, name)
		if r.Verb == "predict" {
			assert.Equal(t, m.OK, m.Evaluations, "%s: one row per one-text prediction", name)
		} else {
			assert.GreaterOrEqual(t, m.Evaluations, m.OK, name)
		}
		assert.InDelta(t, float64(m.Evaluations)/m.EvalsPerSec, float64(m.OK)/m.PerSecond, 1e-9, "%s: both rates over the same seconds", name)
		if !r.Batching && r.Verb == "predict" {
			assert.Equal(t, 1.0, m.BatchRows, "%s: without batching a one-text request runs alone", name)
		}
	}
	assert.Len(t, seen, 8)
	require.Len(t, rep.Gains, 4)
	floorRatio := map[string]float64{}
	for _, r := range rep.Runs {
		if !r.Batching {
			floorRatio[fmt.Sprintf("%s@%d", r.Verb, r.Concurrency)] = r.FloorRatio
		}
	}
	for _, g := range rep.Gains {
		name := fmt.Sprintf("%s@%d", g.Verb, g.Concurrency)
		assert.Positive(t, g.Ratio, name)
		assert.InDelta(t, 1/floorRatio[name], g.Ceiling, 1e-9, "%s: the ceiling is the floor over batching off", name)
	}
	ov := rep.Overload
	assert.Equal(t, 2, ov.MaxQueue)
	assert.Equal(t, 30, ov.Result.Requests)
	assert.Equal(t, ov.Result.Requests, ov.Result.OK+ov.Result.Status429+ov.Result.Failed)
	assert.Positive(t, ov.Result.Offered)
	assert.Equal(t, ov.Result.Failed, ov.Unintended)
	assert.Equal(t, 20, rep.Memory.Requests)
	assert.Positive(t, rep.Memory.Before)
	assert.Positive(t, rep.Memory.After)
	assert.InDelta(t, 100*float64(rep.Memory.After-rep.Memory.Before)/float64(rep.Memory.Before), rep.Memory.Growth, 1e-9)
	assert.Equal(t, 3, rep.Mixed.PredictClients)
	assert.Equal(t, 1, rep.Mixed.ExplainClients)
	require.Len(t, rep.Mixed.Rounds, 1)
	mr := rep.Mixed.Rounds[0]
	assert.Equal(t, 24, mr.PredictAlone.OK, "twice --requests")
	assert.Equal(t, 24, mr.PredictMixed.OK, "every prediction beside the explanations answered")
	assert.Equal(t, 3, mr.ExplainAlone.OK)
	assert.Positive(t, mr.ExplainAlone.EvalsPerSec)
	assert.GreaterOrEqual(t, mr.ExplainMixed, 0.0)
	assert.InDelta(t, mr.PredictMixed.PerSec/mr.PredictAlone.PerSec, mr.PredictRatio, 1e-9)
	assert.InDelta(t, mr.PredictMixed.P50/mr.PredictAlone.P50, mr.P50Ratio, 1e-9)
	assert.InDelta(t, mr.ExplainMixed/mr.ExplainAlone.EvalsPerSec, mr.ExplainRatio, 1e-9)
	require.Len(t, rep.Targets, 7, "no concurrency 8, so no batching-gain target; three mixed targets")
	assert.Contains(t, rep.Targets[3].Name, "beside 1 explain clients")
	assert.True(t, strings.HasPrefix(rep.Targets[0].Name, "predict throughput ÷ floor at concurrency 4"), rep.Targets[0].Name)
}

func TestBenchServeUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--concurrency", "0"}, "--concurrency"},
		{[]string{"--concurrency", "8,5000"}, "--concurrency 5000: above the limit of 4096"},
		{[]string{"--requests", "0"}, "--requests 0: want at least 1"},
		{[]string{"--max-wait", "2s"}, "--max-wait 2s"},
		{[]string{"--rounds", "101"}, "--rounds 101"},
		{[]string{"--mixed-explain-clients", "-1"}, "--mixed-explain-clients -1"},
		{[]string{"--mixed-predict-clients", "0"}, "--mixed-predict-clients 0"},
		{[]string{"--method", "nope"}, "nope"},
		{[]string{"extra"}, "bench serve takes no arguments"},
	} {
		code, _, stderr := lucid(t, "", append([]string{"bench", "serve"}, tc.args...)...)
		assert.Equal(t, exitUsage, code, "%v", tc.args)
		assert.Contains(t, stderr, tc.want, "%v", tc.args)
	}
}
