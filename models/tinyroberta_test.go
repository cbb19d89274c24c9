package models

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/tokenize"
)

// testdata/tiny-roberta is a RoBERTa-shaped folder written by
// scripts/make_roberta_test_model.py: a byte-level BPE of its own, and a
// graph that computes positions from the ids as RoBERTa does. Its
// reference.json holds the script's ids (OpenAI's BPE loop) and a numpy
// forward pass's logits.
func TestTinyRoBERTaMatchesReference(t *testing.T) {
	c, err := Load("testdata/tiny-roberta")
	require.NoError(t, err)
	defer c.Close()
	assert.Equal(t, 64, c.Folder.MaxLength, "max_position_embeddings 66 less RoBERTa's two reserved positions")
	assert.Equal(t, 64, c.Tokenizer.MaxLength())
	assert.True(t, c.Tokenizer.PadShiftsPositions())
	assert.Equal(t, []string{"input_ids", "attention_mask"}, c.Model.Inputs(), "no token_type_ids, as optimum exports RoBERTa")
	// Ids by OpenAI's BPE loop; logits of a float64 numpy forward pass.
	for _, p := range matchReference(t, c, "testdata/tiny-roberta/reference.json") {
		// Softmax of the graph's own logits, computed here.
		l := p.Logits
		p1 := 1 / (1 + math.Exp(float64(l[0]-l[1])))
		assert.InDelta(t, p1, p.Probabilities[1], 1e-6)
	}
}

// A RoBERTa-family folder whose tokenizer.json frames texts with
// TemplateProcessing (as some exports, XLM-R's among them, do) is known
// by config.json's model_type: its positions still count non-pad ids.
func TestPadShiftsPositionsFromModelType(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{ModelFile, ConfigFile} {
		data, err := os.ReadFile(filepath.Join("testdata", "tiny-roberta", f))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, f), data, 0o644))
	}
	data, err := os.ReadFile(filepath.Join("testdata", "tiny-roberta", TokenizerFile))
	require.NoError(t, err)
	var cfg map[string]any
	require.NoError(t, json.Unmarshal(data, &cfg))
	cfg["post_processor"] = map[string]any{"type": "TemplateProcessing",
		"single": []any{
			map[string]any{"SpecialToken": map[string]any{"id": "<s>", "type_id": 0}},
			map[string]any{"Sequence": map[string]any{"id": "A", "type_id": 0}},
			map[string]any{"SpecialToken": map[string]any{"id": "</s>", "type_id": 0}}},
		"special_tokens": map[string]any{
			"<s>":  map[string]any{"id": "<s>", "ids": []int{0}, "tokens": []string{"<s>"}},
			"</s>": map[string]any{"id": "</s>", "ids": []int{2}, "tokens": []string{"</s>"}}}}
	data, err = json.Marshal(cfg)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, TokenizerFile), data, 0o644))

	tok, err := tokenize.Load(filepath.Join(dir, TokenizerFile))
	require.NoError(t, err)
	assert.False(t, tok.PadShiftsPositions(), "the tokenizer alone does not say")
	c, err := Load(dir)
	require.NoError(t, err)
	defer c.Close()
	assert.True(t, c.Tokenizer.PadShiftsPositions(), "model_type roberta says")
}
