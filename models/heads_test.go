package models

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/engine"
)

// The test graphs scripts/make_test_models.py writes: logits are sums of
// per-token rows, restated here so probabilities are checked against an
// independent computation, not against the code under test.
const (
	multiLabelDir = "../engine/onnx/testdata/multi_label"
	regressionDir = "../engine/onnx/testdata/regression"
)

// mlRows are multi_label/'s per-token logits (toxic, insult, threat);
// tokens not listed add nothing.
var mlRows = map[string][3]float64{
	"[CLS]": {-1, -1, -1.5}, "you": {0.25, 0.5, 0.125}, "idiot": {2, 1.5, 0}, "stupid": {1.5, 1, 0},
	"hate": {1, 0, 0.5}, "kill": {1.5, 0, 2.5}, "love": {-1, -0.5, -0.5}, "great": {-0.5, -0.25, 0},
	"good": {-0.5, -0.25, 0}, "bad": {0.25, 0, 0},
}

// rRows are regression/'s per-token scores.
var rRows = map[string]float64{"[CLS]": 0.125, "love": 1.25, "great": 1.5, "good": 1, "bad": -1, "hate": -1.5,
	"stupid": -0.75, "idiot": -0.5, "kill": -1.25}

func sigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

func loadDir(t *testing.T, dir string, head *engine.Head) *Classifier {
	t.Helper()
	f, err := ReadFolder(dir)
	require.NoError(t, err)
	if head != nil {
		f.SetHead(*head)
	}
	c, err := LoadFolder(f)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

func TestMultiLabelProbabilitiesAreSigmoids(t *testing.T) {
	c := loadDir(t, multiLabelDir, nil)
	assert.Equal(t, engine.MultiLabel, c.Head())
	assert.Equal(t, engine.MultiLabel, engine.HeadOf(c.Model), "evaluators handed the bare model must see its head")
	assert.Equal(t, engine.MultiLabel, engine.HeadOf(c))
	assert.Equal(t, []string{"toxic", "insult", "threat"}, c.Labels())
	assert.Empty(t, c.HeadNote(), "config.json says the head and the labels")
	cases := map[string][]string{
		"you are an idiot":     {"[CLS]", "you", "idiot"},
		"I will kill you":      {"[CLS]", "kill", "you"},
		"I love this movie":    {"[CLS]", "love"},
		"stupid stupid movie!": {"[CLS]", "stupid", "stupid"},
	}
	texts := make([]string, 0, len(cases))
	for text := range cases {
		texts = append(texts, text)
	}
	preds, err := c.Predict(context.Background(), texts)
	require.NoError(t, err)
	for i, text := range texts {
		var logits [3]float64
		for _, tok := range cases[text] {
			for k := range logits {
				logits[k] += mlRows[tok][k]
			}
		}
		p := preds[i]
		require.NoError(t, p.Err)
		assert.Equal(t, engine.MultiLabel, p.Head)
		best := 0
		for k := range logits {
			// exact sums of eighths in float32; sigmoid to float64 rounding
			assert.InDelta(t, logits[k], p.Logits[k], 1e-6, "%q logit %d", text, k)
			assert.InDelta(t, sigmoid(logits[k]), p.Probabilities[k], 1e-12, "%q label %d", text, k)
			if logits[k] > logits[best] {
				best = k
			}
		}
		assert.Equal(t, best, p.LabelIndex, text)
	}
}

func TestRegressionHeadByTransformersRule(t *testing.T) {
	c := loadDir(t, regressionDir, nil)
	assert.Equal(t, engine.Regression, c.Head(), "num_labels 1 without problem_type is regression")
	assert.Equal(t, []string{"LABEL_0"}, c.Labels(), "no id2label: LABEL_i from num_labels")
	assert.True(t, c.Folder.DefaultLabels)
	assert.Contains(t, c.HeadNote(), "has no id2label: labels are LABEL_0")
	assert.Contains(t, c.HeadNote(), "regression head (transformers' rule")
	preds, err := c.Predict(context.Background(), []string{"a great, good movie", "I hate this"})
	require.NoError(t, err)
	want := []float64{rRows["[CLS]"] + rRows["great"] + rRows["good"], rRows["[CLS]"] + rRows["hate"]}
	for i, p := range preds {
		require.NoError(t, p.Err)
		assert.Equal(t, engine.Regression, p.Head)
		assert.InDelta(t, want[i], p.Probabilities[0], 1e-6, "the score is the output itself, not a probability")
		assert.Equal(t, float64(p.Logits[0]), p.Probabilities[0])
	}
}

func TestHeadOverride(t *testing.T) {
	ml := engine.MultiLabel
	c := loadDir(t, regressionDir, &ml)
	assert.Equal(t, engine.MultiLabel, c.Head())
	assert.NotContains(t, c.HeadNote(), "regression head")
	preds, err := c.Predict(context.Background(), []string{"love"})
	require.NoError(t, err)
	assert.InDelta(t, sigmoid(rRows["[CLS]"]+rRows["love"]), preds[0].Probabilities[0], 1e-7)

	// A softmax of one output is always 1: refused, with the reason.
	f, err := ReadFolder(regressionDir)
	require.NoError(t, err)
	f.SetHead(engine.SingleLabel)
	_, err = LoadFolder(f)
	assert.ErrorContains(t, err, "one output (LABEL_0) and a single-label (softmax) head")

	// --head single-label on the multi-label graph: softmax across labels.
	sl := engine.SingleLabel
	c = loadDir(t, multiLabelDir, &sl)
	preds, err = c.Predict(context.Background(), []string{"idiot"})
	require.NoError(t, err)
	var sum float64
	for _, p := range preds[0].Probabilities {
		sum += p
	}
	assert.InDelta(t, 1, sum, 1e-12)
}

// transformers omits id2label for LABEL_0, LABEL_1, ...: the folder loads
// with those names, from num_labels or else from the graph's output size.
func TestDefaultLabelNames(t *testing.T) {
	for cfg, want := range map[string]engine.Head{
		`{"problem_type": "multi_label_classification"}`:                   engine.MultiLabel,
		`{"problem_type": "multi_label_classification", "num_labels": 3}`:  engine.MultiLabel,
		`{"model_type": "bert"}`:                                           engine.SingleLabel,
		`{"problem_type": "single_label_classification", "num_labels": 3}`: engine.SingleLabel,
	} {
		dir := t.TempDir()
		for _, f := range []string{ModelFile, TokenizerFile} {
			abs, err := filepath.Abs(filepath.Join(multiLabelDir, f))
			require.NoError(t, err)
			require.NoError(t, os.Symlink(abs, filepath.Join(dir, f)))
		}
		require.NoError(t, os.WriteFile(filepath.Join(dir, ConfigFile), []byte(cfg), 0o644))
		c := loadDir(t, dir, nil)
		assert.Equal(t, []string{"LABEL_0", "LABEL_1", "LABEL_2"}, c.Labels(), cfg)
		assert.Equal(t, want, c.Head(), cfg)
		assert.Contains(t, c.HeadNote(), "no id2label: labels are LABEL_0, LABEL_1, LABEL_2", cfg)
	}
	// num_labels that disagrees with the graph is refused, naming both.
	dir := t.TempDir()
	for _, f := range []string{ModelFile, TokenizerFile} {
		abs, err := filepath.Abs(filepath.Join(multiLabelDir, f))
		require.NoError(t, err)
		require.NoError(t, os.Symlink(abs, filepath.Join(dir, f)))
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, ConfigFile), []byte(`{"num_labels": 2}`), 0o644))
	_, err := Load(dir)
	assert.ErrorContains(t, err, "outputs 3 logits but 2 labels were given")
}
