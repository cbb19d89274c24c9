package main

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/lucid-nlp/lucid/models/modeltest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const tinyRoBERTa = "../../models/testdata/tiny-roberta"

func tokensOf(t *testing.T, obj map[string]any) []string {
	t.Helper()
	var out []string
	for _, v := range obj["tokens"].([]any) {
		out = append(out, v.(string))
	}
	return out
}

// The RoBERTa cases as Hugging Face tokenizes them, through the
// command, on the real roberta-base tokenizer.json.
func TestTokenizeRealRoBERTa(t *testing.T) {
	path := modeltest.SharedFile(t, "data/tokenizers/roberta-base/tokenizer.json")
	cases := []struct {
		text string
		want []string
	}{
		{" 2000", []string{"Ġ2000"}},
		{"!!!!!", []string{"!!!!!"}},
		{"......", []string{"......"}},
		{"soooo", []string{"so", "ooo"}},
		{"ahhhh", []string{"ah", "hhh"}},
		{"baaaaad", []string{"ba", "aaa", "ad"}},
		{"a\n\nb", []string{"a", "Ċ", "Ċ", "b"}},
		{"a\u00a0\u00a0b", []string{"a", "Âł", "Âł", "b"}},
	}
	var args []string
	for _, c := range cases {
		args = append(args, c.text)
	}
	code, stdout, stderr := lucid(t, "", append([]string{"tokenize", "--tokenizer", path, "--json", "--"}, args...)...)
	require.Equal(t, exitOK, code, stderr)
	lines := jsonLines(t, stdout)
	require.Len(t, lines, len(cases))
	for i, c := range cases {
		toks := tokensOf(t, lines[i])
		assert.Equal(t, append(append([]string{"<s>"}, c.want...), "</s>"), toks, "tokens of %q", c.text)
	}
}

func TestTokenizeCommand(t *testing.T) {
	// Text output: ids, tokens, spans, the word map.
	code, stdout, stderr := lucid(t, "", "tokenize", "--model", tinyRoBERTa, "in 2000!!!!!")
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, `input 1: `)
	assert.Contains(t, stdout, `"2000"`)
	assert.Contains(t, stdout, `word 1 "2000" (3:7)`)
	assert.Contains(t, stdout, "special")

	// JSON, from standard input, one text per line.
	code, stdout, stderr = lucid(t, "a good film\nsoooo good\n", "tokenize", "--model", tinyRoBERTa, "--json")
	require.Equal(t, exitOK, code, stderr)
	lines := jsonLines(t, stdout)
	require.Len(t, lines, 2)
	first := lines[0]
	assert.Equal(t, "a good film", first["text"])
	assert.Equal(t, []string{"<s>", "a", "Ġgood", "Ġfilm", "</s>"}, tokensOf(t, first))
	assert.Equal(t, []any{[]any{0.0, 0.0}, []any{0.0, 1.0}, []any{2.0, 6.0}, []any{7.0, 11.0}, []any{0.0, 0.0}}, first["offsets"])
	assert.Equal(t, []any{-1.0, 0.0, 1.0, 2.0, -1.0}, first["word_of_token"])
	words := first["words"].([]any)
	require.Len(t, words, 3)
	assert.Equal(t, "good", words[1].(map[string]any)["text"])
	assert.Equal(t, []any{2.0}, words[1].(map[string]any)["tokens"])
	assert.Equal(t, false, first["truncated"])

	// The default model (WordPiece) with no flags.
	code, stdout, _ = lucid(t, "", "tokenize", "--json", "Don't")
	require.Equal(t, exitOK, code)
	assert.Equal(t, []string{"[CLS]", "don", "'", "t", "[SEP]"}, tokensOf(t, jsonLines(t, stdout)[0]))

	// A text past the model's 64 tokens says so: g oo d, 79 Ġgood, the
	// trailing Ġ, <s> and </s> are 85 tokens.
	long := ""
	for range 80 {
		long += "good "
	}
	code, stdout, _ = lucid(t, "", "tokenize", "--model", tinyRoBERTa, long)
	require.Equal(t, exitOK, code)
	assert.Contains(t, stdout, "[truncated: 85 tokens, the model reads 64]")
}

func TestTokenizeErrors(t *testing.T) {
	code, _, stderr := lucid(t, "", "tokenize", "--model", tinyRoBERTa, "--tokenizer", "x.json", "a")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "give one")

	code, _, stderr = lucid(t, "", "tokenize", "--tokenizer", filepath.Join(t.TempDir(), "missing.json"), "a")
	assert.Equal(t, exitFailure, code)
	assert.Contains(t, stderr, "missing.json")

	// A bad line fails alone, named by its number; the rest is tokenized.
	code, stdout, stderr := lucid(t, "fine\n\xc0bad\nok\n", "tokenize", "--model", tinyRoBERTa, "--json")
	assert.Equal(t, exitFailure, code)
	lines := jsonLines(t, stdout)
	require.Len(t, lines, 3)
	assert.Equal(t, 2.0, lines[1]["line"])
	assert.Contains(t, lines[1]["error"], "not valid UTF-8")
	assert.Contains(t, stderr, "1 of 3 inputs could not be tokenized")

	code, stdout, _ = lucid(t, "", "tokenize", "--help")
	assert.Equal(t, exitOK, code)
	assert.Contains(t, stdout, "Examples:")
	assert.Contains(t, stdout, "word map")
}

// predict and explain run end to end on the RoBERTa-shaped test model,
// and explanations satisfy efficiency with every masking, --mask pad
// included.
func TestTinyRoBERTaPredictExplain(t *testing.T) {
	code, stdout, stderr := lucid(t, "", "predict", "--model", tinyRoBERTa, "--json", "a good film", "a bad film")
	require.Equal(t, exitOK, code, stderr)
	preds := jsonLines(t, stdout)
	require.Len(t, preds, 2)
	for _, p := range preds {
		probs := p["probabilities"].(map[string]any)
		l := p["logits"].([]any)
		want := 1 / (1 + math.Exp(l[0].(float64)-l[1].(float64)))
		assert.InDelta(t, want, probs["POSITIVE"].(float64), 1e-6)
	}
	for _, mask := range []string{"mask", "pad", "delete"} {
		code, stdout, stderr = lucid(t, "", "explain", "--model", tinyRoBERTa, "--json", "--mask", mask, "I didn't love it, but it's good!!!!!")
		require.Equal(t, exitOK, code, stderr)
		res := jsonLines(t, stdout)[0]
		sum := 0.0
		for _, f := range res["features"].([]any) {
			sum += f.(map[string]any)["attribution"].(float64)
		}
		// Exact Shapley values over 9 words: efficiency to float precision.
		assert.InDelta(t, res["f_x"].(float64)-res["base_value"].(float64), sum, 1e-6, "--mask %s", mask)
	}
}
