package attribution

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/attribution/shapley"
	"github.com/lucid-nlp/lucid/evaluate"
	"github.com/lucid-nlp/lucid/models"
	"github.com/lucid-nlp/lucid/perturb"
	"github.com/lucid-nlp/lucid/tokenize"
)

// smallWindowLexicon is an additive logit model over a tokenizer whose
// window is 16 tokens, with a weight per word of wordWeights.
func smallWindowLexicon(t *testing.T) (*Explainer, map[string]float64) {
	tok, err := tokenize.Load(filepath.Join("..", "models", models.DefaultName, "tokenizer.json"))
	require.NoError(t, err)
	tok.SetMaxLength(16)
	w := map[string]float64{"good": 1, "bad": -1.5, "film": 0.25, "plot": -0.125, "great": 2, "dull": -0.75, ".": 0.0625}
	m := &lexiconModel{weights: map[int64]float64{}}
	for word, v := range w {
		m.weights[tokenID(t, tok, word)] = v
	}
	return NewExplainer(tok, evaluate.New(m, evaluate.Options{Output: evaluate.Logit}), "lexicon"), w
}

func longLexiconText() string {
	var b strings.Builder
	words := []string{"good", "film", "bad", "plot", "great", "dull"}
	for s := range 12 {
		for k := range 4 {
			fmt.Fprintf(&b, "%s ", words[(s+k*5)%len(words)])
		}
		b.WriteString(". ")
	}
	return strings.TrimSpace(b.String())
}

func TestWindowsCoverTheTextAndAverageAdditiveWeights(t *testing.T) {
	x, w := smallWindowLexicon(t)
	text := longLexiconText() // 60 words, 60 tokens: 3 windows and more
	for _, method := range []Method{MethodExact, MethodKernelSHAP, MethodPartition, MethodOcclusion} {
		req := Request{Text: text, Method: method, Target: "POSITIVE", Budget: 1 << 16}
		first, err := x.Explain(context.Background(), req)
		require.NoError(t, err)
		require.Len(t, first.Features, 14, "%s: the first window holds 14 content tokens", method)
		assert.Contains(t, first.Warnings[0], "only the first 16 tokens")

		req.Window, req.WindowStride = true, 8
		res, err := x.Explain(context.Background(), req)
		require.NoError(t, err, method)
		words := strings.Fields(text)
		require.Len(t, res.Features, len(words), "%s: every word once", method)
		for i, f := range res.Features {
			assert.Equal(t, words[i], f.Text)
			assert.Equal(t, f.Text, text[f.ByteStart:f.ByteEnd])
			assert.InDelta(t, w[f.Text], f.Attribution, 1e-5, "%s: %q at %d", method, f.Text, i)
		}
		require.GreaterOrEqual(t, len(res.Windows), 4)
		assert.Equal(t, 0, res.Windows[0].ByteStart)
		assert.Equal(t, len(text), res.Windows[len(res.Windows)-1].ByteEnd)
		fx, evals := 0.0, 0
		for k, win := range res.Windows {
			if k > 0 {
				assert.Greater(t, win.ByteStart, res.Windows[k-1].ByteStart)
				assert.LessOrEqual(t, win.ByteStart, res.Windows[k-1].ByteEnd, "windows overlap or touch")
			}
			fx += win.FX / float64(len(res.Windows))
			evals += win.Evaluations
		}
		assert.InDelta(t, fx, res.FX, 1e-9)
		assert.Equal(t, evals+len(res.Windows)+1, res.Evaluations, "the windows' evaluations, one prediction each, and the whole text as predict reads it")
		assert.Equal(t, 8, res.Settings.WindowStride)
		assert.Contains(t, res.Warnings[len(res.Warnings)-1], "windows at a stride of 8 tokens")
	}
}

func TestWindowsAtSentenceLevel(t *testing.T) {
	x, w := smallWindowLexicon(t)
	text := longLexiconText()
	res, err := x.Explain(context.Background(), Request{Text: text, Method: MethodExact, Level: perturb.Sentences, Target: "POSITIVE", Window: true})
	require.NoError(t, err)
	sentences := strings.SplitAfter(text, ". ")
	require.Len(t, res.Features, len(sentences), "every sentence once, whole")
	for i, f := range res.Features {
		assert.Equal(t, strings.TrimSpace(sentences[i]), f.Text)
		want := 0.0
		for _, word := range strings.Fields(f.Text) {
			want += w[word]
		}
		assert.InDelta(t, want, f.Attribution, 1e-5, f.Text)
	}
	assert.Equal(t, 7, res.Settings.WindowStride, "half the window's 14 content tokens")

	_, err = x.Explain(context.Background(), Request{Text: text, Window: true, WindowStride: 15})
	assert.ErrorContains(t, err, "window stride 15")
	_, err = x.Explain(context.Background(), Request{Text: text, Window: true, WindowStride: -1})
	assert.ErrorContains(t, err, "window stride -1")
}

func TestPartitionExplainsAtAnyLevel(t *testing.T) {
	x, w := smallWindowLexicon(t)
	text := "good film , but dull plot . great film ."
	for _, level := range []perturb.Level{perturb.Tokens, perturb.Words, perturb.Phrases, perturb.Sentences} {
		res, err := x.Explain(context.Background(), Request{Text: text, Method: MethodPartition, Level: level, Target: "POSITIVE"})
		require.NoError(t, err, level)
		assert.Equal(t, level.String(), res.Settings.Features)
		assert.Equal(t, 1.0, res.Diagnostics[shapley.DiagExact], "%s: small enough to split every group", level)
		for _, f := range res.Features {
			want := 0.0
			for _, word := range strings.Fields(f.Text) {
				want += w[word]
			}
			assert.InDelta(t, want, f.Attribution, 1e-5, "%s: %q", level, f.Text)
		}
	}
	res, err := x.Explain(context.Background(), Request{Text: text, Method: MethodPartition, Level: perturb.Phrases})
	require.NoError(t, err)
	assert.Equal(t, []string{"good film ,", "but dull plot .", "great film ."}, featureTexts(res))
}

func featureTexts(r *Result) []string {
	var out []string
	for _, f := range r.Features {
		out = append(out, f.Text)
	}
	return out
}

// --window: the windowed prediction is the mean over the windows
// (Windowing.Rule), and Windowing carries what lucid predict says for the
// same text (its first window's tokens, as an explanation without --window
// reads it), to 1e-9; the summary names both and says when they disagree
// (here they do: the text opens with bad words and goes on with great
// ones). A text that fits one window is predict's reading (the shipped
// model).
func TestWindowingSaysHowWindowsCombineAndWhatPredictSays(t *testing.T) {
	x, _ := smallWindowLexicon(t)
	text := strings.TrimSpace(strings.Repeat("bad ", 14) + strings.Repeat("great film ", 20))
	ctx := context.Background()
	plain, err := x.Explain(ctx, Request{Text: text, Method: MethodOcclusion})
	require.NoError(t, err)
	res, err := x.Explain(ctx, Request{Text: text, Method: MethodOcclusion, Window: true})
	require.NoError(t, err)
	w := res.Windowing
	require.NotNil(t, w)
	assert.Greater(t, w.Windows, 1)
	assert.Equal(t, len(res.Windows), w.Windows)
	assert.Equal(t, WindowRule, w.Rule)
	assert.Equal(t, plain.Predicted, w.PredictLabel, "predict's label is the truncated text's")
	assert.InDelta(t, plain.Probabilities[plain.Predicted], w.PredictProbability, 1e-9)
	assert.Equal(t, 16, w.PredictTokens)
	assert.Equal(t, "NEGATIVE", w.PredictLabel, "the first window holds only 'bad'")
	assert.Equal(t, "POSITIVE", res.Predicted, "most windows hold 'great film'")
	assert.False(t, w.Agrees)
	var st summaryStats
	checkSummary(t, res, &st)
	assert.Contains(t, res.Summary, fmt.Sprintf("read in %d overlapping windows and their probabilities averaged: POSITIVE", w.Windows))
	assert.Contains(t, res.Summary, fmt.Sprintf("lucid predict, which reads only the first 16 tokens, says NEGATIVE (%.2f) instead.", w.PredictProbability))
	assert.Contains(t, res.Summary, fmt.Sprintf("over %d windows", w.Windows), "the method line counts the windows")

	// Where they agree, the summary says so.
	res, err = x.Explain(ctx, Request{Text: strings.TrimSpace(strings.Repeat("great film ", 20)), Method: MethodOcclusion, Window: true})
	require.NoError(t, err)
	assert.True(t, res.Windowing.Agrees)
	assert.Contains(t, res.Summary, "agrees (POSITIVE")
	checkSummary(t, res, &st)

	real := realExplainer(t, evaluate.Probability)
	short, err := real.Explain(ctx, Request{Text: "a warm and funny film", Method: MethodOcclusion, Window: true})
	require.NoError(t, err)
	require.NotNil(t, short.Windowing)
	assert.Equal(t, 1, short.Windowing.Windows)
	assert.Equal(t, short.Predicted, short.Windowing.PredictLabel)
	assert.Contains(t, short.Summary, "fits in one window")
	checkSummary(t, short, &st)
}
