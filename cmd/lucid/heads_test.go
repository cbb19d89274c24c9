package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The multi-label and regression test graphs of scripts/make_test_models.py:
// logits are sums of per-token rows, restated here so the command's numbers
// are checked against an independent computation.
const (
	multiLabelModel = "../../engine/onnx/testdata/multi_label"
	regressionModel = "../../engine/onnx/testdata/regression"
)

func sigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

func TestPredictMultiLabel(t *testing.T) {
	// [CLS] (-1, -1, -1.5) + you (.25, .5, .125) + idiot (2, 1.5, 0);
	// [CLS] + love (-1, -.5, -.5)
	code, stdout, stderr := lucid(t, "", "predict", "--model", multiLabelModel, "--json", "you are an idiot", "I love this movie")
	require.Equal(t, exitOK, code, stderr)
	assert.Empty(t, stderr, "config.json names the head and the labels: no note")
	rows := jsonLines(t, stdout)
	require.Len(t, rows, 2)
	want := []map[string]float64{
		{"toxic": sigmoid(1.25), "insult": sigmoid(1), "threat": sigmoid(-1.375)},
		{"toxic": sigmoid(-2), "insult": sigmoid(-1.5), "threat": sigmoid(-2)},
	}
	for i, row := range rows {
		assert.Equal(t, "multi-label", row["head"])
		probs := row["probabilities"].(map[string]any)
		for l, w := range want[i] {
			assert.InDelta(t, w, probs[l], 1e-6, "%d %s: its own sigmoid", i, l)
		}
		assert.Equal(t, map[string]any{"toxic": 0.5, "insult": 0.5, "threat": 0.5}, row["thresholds"])
	}
	assert.Equal(t, []any{"toxic", "insult"}, rows[0]["labels_above_threshold"])
	assert.Equal(t, []any{}, rows[1]["labels_above_threshold"], "none above: an empty list, not absent")

	code, stdout, _ = lucid(t, "", "predict", "--model", multiLabelModel, "--threshold", "0.75", "you are an idiot")
	require.Equal(t, exitOK, code)
	assert.Equal(t, "toxic      toxic=0.7773 insult=0.7311 threat=0.2018  you are an idiot\n", stdout)

	dir := t.TempDir()
	tsv := filepath.Join(dir, "t.tsv")
	require.NoError(t, os.WriteFile(tsv, []byte("# per label\nTOXIC\t0.9\nthreat\t0.2\n"), 0o644))
	code, stdout, stderr = lucid(t, "", "predict", "--model", multiLabelModel, "--label-thresholds", tsv, "--json", "you are an idiot")
	require.Equal(t, exitOK, code, stderr)
	row := jsonLines(t, stdout)[0]
	assert.Equal(t, []any{"insult", "threat"}, row["labels_above_threshold"], "toxic 0.777 < 0.9; threat 0.202 ≥ 0.2; insult keeps 0.5")
	js := filepath.Join(dir, "t.json")
	require.NoError(t, os.WriteFile(js, []byte(`{"insult": 0.8}`), 0o644))
	code, stdout, _ = lucid(t, "", "predict", "--model", multiLabelModel, "--label-thresholds", js, "--threshold", "0.1", "you are an idiot")
	require.Equal(t, exitOK, code)
	assert.True(t, strings.HasPrefix(stdout, "toxic,threat "), stdout)

	for content, msg := range map[string]string{
		`{"toxc": 0.2}`:        `unknown label "toxc"; the model's labels are toxic, insult, threat`,
		"toxic\t1.5\n":         `threshold 1.5 for "toxic": want a probability in [0, 1]`,
		"toxic 0.5\n":          `line 1: "toxic 0.5": want label<TAB>threshold`,
		"toxic\t.5\nToxic\t.6": `label "Toxic" is given twice (line 1 and line 2)`,
	} {
		require.NoError(t, os.WriteFile(tsv, []byte(content), 0o644))
		code, _, stderr = lucid(t, "", "predict", "--model", multiLabelModel, "--label-thresholds", tsv, "x")
		assert.Equal(t, exitUsage, code, content)
		assert.Contains(t, stderr, msg, content)
	}
	code, _, stderr = lucid(t, "", "predict", "--model", multiLabelModel, "--threshold", "1.5", "x")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "--threshold 1.5: want a probability from 0 to 1")
}

func TestPredictRegression(t *testing.T) {
	code, stdout, stderr := lucid(t, "", "predict", "--model", regressionModel, "a great good movie", "I hate this")
	require.Equal(t, exitOK, code, stderr)
	assert.Equal(t, "score      2.6250  a great good movie\nscore      -1.3750  I hate this\n", stdout)
	assert.Equal(t, 1, strings.Count(stderr, "note:"), "said once: %s", stderr)
	assert.Contains(t, stderr, "has no id2label: labels are LABEL_0")
	assert.Contains(t, stderr, "a regression head (transformers' rule")

	code, stdout, _ = lucid(t, "", "predict", "--model", regressionModel, "--json", "a great good movie")
	require.Equal(t, exitOK, code)
	row := jsonLines(t, stdout)[0]
	assert.Equal(t, "regression", row["head"])
	assert.InDelta(t, 2.625, row["score"], 1e-6)
	assert.NotContains(t, row, "probabilities", "a score is not a probability")
	assert.NotContains(t, row, "label")

	code, _, stderr = lucid(t, "", "predict", "--model", regressionModel, "--threshold", "0.3", "x")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "--threshold and --label-thresholds are for multi-label models")
	code, _, stderr = lucid(t, "", "predict", "--model", regressionModel, "--head", "single-label", "x")
	assert.Equal(t, exitFailure, code)
	assert.Contains(t, stderr, "a single-label (softmax) head, whose one probability is always 1")
	code, _, stderr = lucid(t, "", "predict", "--model", regressionModel, "--head", "ranking", "x")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, `--head "ranking": want single-label, multi-label or regression`)
	code, stdout, _ = lucid(t, "", "predict", "--model", regressionModel, "--head", "multi-label", "--json", "love")
	require.Equal(t, exitOK, code)
	assert.InDelta(t, sigmoid(1.375), jsonLines(t, stdout)[0]["probabilities"].(map[string]any)["LABEL_0"], 1e-6)
}

// A folder saved with transformers' default labels (no id2label) loads
// with LABEL_i, from the graph's output size when config.json says nothing.
func TestDefaultLabelsFromTheGraph(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"model.onnx", "tokenizer.json"} {
		abs, err := filepath.Abs(filepath.Join(multiLabelModel, f))
		require.NoError(t, err)
		require.NoError(t, os.Symlink(abs, filepath.Join(dir, f)))
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "config.json"), []byte(`{"model_type": "bert"}`), 0o644))
	code, stdout, stderr := lucid(t, "", "predict", "--model", dir, "--json", "you are an idiot")
	require.Equal(t, exitOK, code, stderr)
	row := jsonLines(t, stdout)[0]
	assert.Equal(t, "single-label", row["head"])
	assert.Equal(t, "LABEL_0", row["label"])
	assert.Contains(t, stderr, "has no id2label: labels are LABEL_0, LABEL_1, LABEL_2")
	code, _, stderr = lucid(t, "", "explain", "--model", dir, "--target", "LABEL_3", "x")
	assert.Equal(t, exitUsage, code, "targets are checked against the graph's labels")
	assert.Contains(t, stderr, `"LABEL_3": unknown target label; the model's labels are LABEL_0, LABEL_1, LABEL_2`)
	code, stdout, stderr = lucid(t, "", "predict", "--model", dir, "--head", "multi-label", "--json", "you are an idiot")
	require.Equal(t, exitOK, code, stderr)
	assert.InDelta(t, sigmoid(1), jsonLines(t, stdout)[0]["probabilities"].(map[string]any)["LABEL_1"], 1e-6)
}

func TestExplainHeads(t *testing.T) {
	code, stdout, stderr := lucid(t, "", "explain", "--model", multiLabelModel, "--method", "exact", "--target", "all", "--json", "you are an idiot")
	require.Equal(t, exitOK, code, stderr)
	var r struct {
		Head   string  `json:"head"`
		Output string  `json:"output"`
		FX     float64 `json:"f_x"`
		Labels []struct {
			Label        string    `json:"label"`
			FX           float64   `json:"f_x"`
			BaseValue    float64   `json:"base_value"`
			Attributions []float64 `json:"attributions"`
		} `json:"labels"`
		Summary string `json:"summary"`
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &r))
	assert.Equal(t, "multi-label", r.Head)
	fx := map[string]float64{"toxic": sigmoid(1.25), "insult": sigmoid(1), "threat": sigmoid(-1.375)}
	base := map[string]float64{"toxic": sigmoid(-1), "insult": sigmoid(-1), "threat": sigmoid(-1.5)}
	require.Len(t, r.Labels, 3)
	for _, l := range r.Labels {
		assert.InDelta(t, fx[l.Label], l.FX, 1e-6, l.Label)
		assert.InDelta(t, base[l.Label], l.BaseValue, 1e-6, l.Label)
		var sum float64
		for _, a := range l.Attributions {
			sum += a
		}
		assert.InDelta(t, l.FX-l.BaseValue, sum, 1e-6, "%s: efficiency", l.Label)
	}
	code, stdout, _ = lucid(t, "", "explain", "--model", multiLabelModel, "--method", "exact", "--target", "threat", "--output", "logit", "I will kill you")
	require.Equal(t, exitOK, code)
	assert.Contains(t, stdout, "labels (each its own probability): threat 0.755, toxic 0.679, insult 0.378   explaining: threat")
	assert.Contains(t, stdout, "logit: f(x) = 1.1250, base = -1.5000")
	assert.Contains(t, stdout, "+2.5000  kill")
	code, _, stderr = lucid(t, "", "explain", "--model", multiLabelModel, "--method", "saliency", "x")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "add --output logit")

	code, stdout, stderr = lucid(t, "", "explain", "--model", regressionModel, "--method", "exact", "i love this great movie")
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, "score: 2.8750\n")
	assert.Contains(t, stdout, "score: f(x) = 2.8750, base = 0.1250")
	assert.Contains(t, stdout, "The model's score is 2.875.")
	assert.Contains(t, stdout, "bars: lower score ◀ │ ▶ higher score")
	assert.Contains(t, stdout, "+1.5000  great")
	assert.NotContains(t, stdout, "probability")
	assert.NotContains(t, stdout, "sure")
	code, _, stderr = lucid(t, "", "explain", "--model", regressionModel, "--why-not", "LABEL_0", "i love this")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "a regression head has one output, a score, and no label to change")
	html := filepath.Join(t.TempDir(), "r.html")
	code, _, stderr = lucid(t, "", "explain", "--model", regressionModel, "--html", html, "i love this great movie")
	require.Equal(t, exitOK, code, stderr)
	page, err := os.ReadFile(html)
	require.NoError(t, err)
	assert.Contains(t, string(page), "Score (regression head: its raw output, not a probability)")
	assert.NotContains(t, string(page), "<h4>Probabilities")
}
