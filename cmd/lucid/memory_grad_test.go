package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/models"
)

// The gradient methods' memory estimate counts model_grad.onnx beside the
// embedding graphs, since they run on it whenever the folder has it.
func TestShapeOfCountsTheGradientGraph(t *testing.T) {
	dir := filepath.Join("..", "..", "models", "sst2-mini-bert")
	grad, err := os.Stat(filepath.Join(dir, "model_grad.onnx"))
	if err != nil {
		t.Skipf("the shipped model has no model_grad.onnx: %v", err)
	}
	f, err := models.ReadFolder(dir)
	require.NoError(t, err)
	var embeds int64
	for _, name := range []string{"model_embeds.onnx", "embeddings.onnx"} {
		st, err := os.Stat(filepath.Join(dir, name))
		require.NoError(t, err)
		embeds += st.Size()
	}
	assert.Equal(t, embeds+grad.Size(), shapeOf(f, true).weightBytes-shapeOf(f, false).weightBytes)
}

// ig says which derivatives it took, and why when finite differences:
// in the terminal's method line and summary, in the JSON settings and in
// the HTML report; never a silent fallback. grad-input spends 2
// evaluations (the prediction and one gradient row), 3 with
// --linearization, which alone reports linearization_error.
func TestExplainSaysTheGradientPath(t *testing.T) {
	shipped := filepath.Join("..", "..", "models", "sst2-mini-bert")
	if _, err := os.Stat(filepath.Join(shipped, "model_grad.onnx")); err != nil {
		t.Skipf("the shipped model has no model_grad.onnx: %v", err)
	}
	noGrad := t.TempDir()
	for _, f := range []string{"model.onnx", "model_embeds.onnx", "embeddings.onnx", "tokenizer.json", "config.json"} {
		b, err := os.ReadFile(filepath.Join(shipped, f))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(noGrad, f), b, 0o644))
	}
	text := "a gorgeous , witty movie"
	code, out, errOut := lucid(t, "", "explain", "--model", shipped, "--method", "ig", text)
	require.Equal(t, exitOK, code, errOut)
	assert.Contains(t, out, "gradients from model_grad.onnx; 18 model evaluations")
	code, out, errOut = lucid(t, "", "explain", "--model", noGrad, "--method", "ig", "--steps", "4", text)
	require.Equal(t, exitOK, code, errOut)
	assert.Contains(t, out, "finite differences: the model folder has no model_grad.onnx, which scripts/export_models.py grad DIR writes; ")
	assert.Contains(t, strings.Join(strings.Fields(out), " "), "gradients estimated by finite differences because the model folder has no model_grad.onnx", "the summary says it too")

	html := filepath.Join(t.TempDir(), "ig.html")
	code, out, errOut = lucid(t, "", "explain", "--json", "--html", html, "--model", noGrad, "--method", "ig", "--steps", "4", text)
	require.Equal(t, exitOK, code, errOut)
	r := jsonLines(t, out)[0]
	settings := r["settings"].(map[string]any)
	assert.Equal(t, "finite differences", settings["derivatives"])
	assert.Contains(t, settings["derivatives_reason"], "no model_grad.onnx")
	page, err := os.ReadFile(html)
	require.NoError(t, err)
	assert.Contains(t, string(page), "derivatives: finite differences")

	for _, c := range []struct {
		args  []string
		evals float64
		lin   bool
	}{{nil, 2, false}, {[]string{"--linearization"}, 3, true}} {
		args := append([]string{"explain", "--json", "--model", shipped, "--method", "grad-input"}, c.args...)
		code, out, errOut = lucid(t, "", append(args, text)...)
		require.Equal(t, exitOK, code, errOut)
		r := jsonLines(t, out)[0]
		assert.Equal(t, c.evals, r["evaluations"], "%v", c.args)
		diags, _ := r["diagnostics"].(map[string]any) // absent when empty
		_, has := diags["linearization_error"]
		assert.Equal(t, c.lin, has, "%v", c.args)
		_, implied := r["settings"].(map[string]any)["base_implied"]
		assert.Equal(t, !c.lin, implied, "%v", c.args)
	}
}
