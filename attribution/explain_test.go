package attribution

import (
	"context"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/attribution/path"
	"github.com/lucid-nlp/lucid/engine"
	"github.com/lucid-nlp/lucid/engine/onnx"
	"github.com/lucid-nlp/lucid/evaluate"
	"github.com/lucid-nlp/lucid/models"
	"github.com/lucid-nlp/lucid/models/modeltest"
	"github.com/lucid-nlp/lucid/perturb"
	"github.com/lucid-nlp/lucid/tokenize"
)

var defaultModel = filepath.Join("..", "models", models.DefaultName)

// defaultClassifier is the shipped model, opened once for the package's
// tests.
func defaultClassifier(t testing.TB) *models.Classifier {
	t.Helper()
	return modeltest.Shipped(t)
}

func realExplainer(t testing.TB, out evaluate.Output) *Explainer {
	c := defaultClassifier(t)
	return NewExplainer(c.Tokenizer, evaluate.New(c.Model, evaluate.Options{Output: out, PadID: c.Tokenizer.PadID()}), "default")
}

// lexiconModel is a pure-Go classifier over token ids whose attributions
// are known: the POSITIVE logit is the sum of weights of the tokens present
// (a masked token has weight 0) plus an interaction bonus when both tokens
// of a pair are present; the NEGATIVE logit is 0.
type lexiconModel struct {
	weights     map[int64]float64
	pair        [2]int64
	interaction float64
}

func (m *lexiconModel) Labels() []string { return []string{"NEGATIVE", "POSITIVE"} }

func (m *lexiconModel) Run(_ context.Context, b engine.Batch) (engine.Logits, error) {
	out := engine.Logits{Rows: b.Rows, Labels: 2, Data: make([]float32, 2*b.Rows)}
	for r := range b.Rows {
		var s float64
		var seenA, seenB bool
		for c := range b.SeqLen {
			i := r*b.SeqLen + c
			if b.AttentionMask[i] == 0 {
				continue
			}
			s += m.weights[b.InputIDs[i]]
			seenA = seenA || b.InputIDs[i] == m.pair[0]
			seenB = seenB || b.InputIDs[i] == m.pair[1]
		}
		if seenA && seenB {
			s += m.interaction
		}
		out.Data[2*r+1] = float32(s)
	}
	return out, nil
}

func tokenID(t *testing.T, tok *tokenize.Tokenizer, word string) int64 {
	e, err := tok.Encode(word)
	require.NoError(t, err)
	require.Equal(t, 3, e.Len(), "%q is one token", word)
	return e.IDs[1]
}

func TestSyntheticAdditiveModelKnownAttributions(t *testing.T) {
	c := defaultClassifier(t)
	tok := c.Tokenizer
	text := "a truly wonderful , unaffable film"
	w := map[string]float64{"a": 0.1, "truly": 0.5, "wonderful": 2, ",": -0.25, "film": 0.75}
	m := &lexiconModel{weights: map[int64]float64{}}
	for word, v := range w {
		m.weights[tokenID(t, tok, word)] = v
	}
	enc, err := tok.Encode("unaffable") // una ##ffa ##ble: a word of three tokens
	require.NoError(t, err)
	m.weights[enc.IDs[1]], m.weights[enc.IDs[2]], m.weights[enc.IDs[3]] = 0.25, -1, 0.125
	want := []float64{0.1, 0.5, 2, -0.25, 0.25 - 1 + 0.125, 0.75}

	x := NewExplainer(tok, evaluate.New(m, evaluate.Options{Output: evaluate.Logit}), "lexicon")
	for _, method := range []Method{MethodExact, MethodKernelSHAP, MethodOcclusion, MethodLIME} {
		res, err := x.Explain(context.Background(), Request{Text: text, Method: method, Target: "POSITIVE", Budget: 2000})
		require.NoError(t, err, method)
		require.Len(t, res.Features, 6, method)
		tol := 1e-6 // float32 logits
		if method == MethodLIME {
			tol = 0.05 // ridge shrinkage on a surrogate fitted to 2,000 samples
		}
		for i, f := range res.Features {
			assert.InDelta(t, want[i], f.Attribution, tol, "%s: %q", method, f.Text)
		}
		assert.Equal(t, "unaffable", res.Features[4].Text)
		assert.Equal(t, []string{"una", "##ffa", "##ble"}, res.Features[4].Tokens)
	}
	// token level splits the word into its pieces
	res, err := x.Explain(context.Background(), Request{Text: text, Method: MethodExact, Level: perturb.Tokens, Target: "1"})
	require.NoError(t, err)
	require.Len(t, res.Features, 8)
	assert.InDelta(t, -1, res.Features[5].Attribution, 1e-6)
	assert.Equal(t, "ffa", res.Features[5].Text)
}

func TestSyntheticInteractionIsSplit(t *testing.T) {
	c := defaultClassifier(t)
	tok := c.Tokenizer
	not, bad := tokenID(t, tok, "not"), tokenID(t, tok, "bad")
	m := &lexiconModel{weights: map[int64]float64{not: -0.5, bad: -2}, pair: [2]int64{not, bad}, interaction: 3}
	x := NewExplainer(tok, evaluate.New(m, evaluate.Options{Output: evaluate.Logit}), "lexicon")
	for _, method := range []Method{MethodExact, MethodKernelSHAP} {
		res, err := x.Explain(context.Background(), Request{Text: "not bad at all", Method: method, Target: "POSITIVE"})
		require.NoError(t, err)
		// Shapley splits the interaction equally between its two players.
		assert.InDelta(t, -0.5+1.5, res.Features[0].Attribution, 1e-6, method)
		assert.InDelta(t, -2+1.5, res.Features[1].Attribution, 1e-6, method)
		assert.InDelta(t, 0, res.Features[2].Attribution, 1e-6, method)
	}
	// occlusion gives each the whole interaction instead
	res, err := x.Explain(context.Background(), Request{Text: "not bad at all", Method: MethodOcclusion, Target: "POSITIVE"})
	require.NoError(t, err)
	assert.InDelta(t, 2.5, res.Features[0].Attribution, 1e-6)
}

// On the real model: KernelSHAP with a budget ≥ 2^features is exact
// Shapley, and both satisfy efficiency.
func TestKernelSHAPEqualsExactOnDefaultModel(t *testing.T) {
	x := realExplainer(t, evaluate.Probability)
	text := "a gorgeous , witty , seductive movie ."
	exact, err := x.Explain(context.Background(), Request{Text: text, Method: MethodExact})
	require.NoError(t, err)
	n := len(exact.Features)
	require.Equal(t, 8, n)
	ks, err := x.Explain(context.Background(), Request{Text: text, Method: MethodKernelSHAP, Budget: 1 << n})
	require.NoError(t, err)
	var sum float64
	for i := range exact.Features {
		assert.InDelta(t, exact.Features[i].Attribution, ks.Features[i].Attribution, 1e-6, exact.Features[i].Text)
		sum += exact.Features[i].Attribution
	}
	assert.InDelta(t, exact.FX-exact.BaseValue, sum, 1e-4, "efficiency")
	assert.Equal(t, 1<<n, exact.Evaluations, "2^n coalitions, the full one being the prediction run")

	// sampled KernelSHAP (budget < 2^n) still satisfies efficiency
	sampled, err := x.Explain(context.Background(), Request{Text: "the acting was superb but the plot made no sense at all .", Method: MethodKernelSHAP, Budget: 256})
	require.NoError(t, err)
	sum = 0
	for _, f := range sampled.Features {
		sum += f.Attribution
		require.NotNil(t, f.StdErr)
	}
	assert.InDelta(t, sampled.FX-sampled.BaseValue, sum, 1e-4)
	assert.LessOrEqual(t, sampled.Evaluations, 257)
}

func TestPathCompletenessOnDefaultModel(t *testing.T) {
	x := realExplainer(t, evaluate.Probability)
	for _, text := range []string{"a gorgeous , witty , seductive movie .", "the movie is a disaster from start to finish ."} {
		// the default (Gauss–Legendre, 16 steps), and the midpoint rule,
		// which needs more steps for the same error
		for _, q := range []struct {
			rule  path.Quadrature
			steps int
		}{{path.GaussLegendre, 0}, {path.RiemannMidpoint, 32}} {
			rule := q.rule
			res, err := x.Explain(context.Background(), Request{Text: text, Method: MethodPath, Rule: rule, Steps: q.steps})
			require.NoError(t, err)
			var sum float64
			for _, f := range res.Features {
				sum += f.Attribution
			}
			diff := res.FX - res.BaseValue
			gap := math.Abs(sum - diff)
			t.Logf("%s %q: f(x)-f(base) %.4f, sum %.4f, completeness error %.2g (%.2f%%)", rule, text, diff, sum, gap, 100*gap/math.Abs(diff))
			assert.InDelta(t, gap, res.Diagnostics["completeness_error"], 1e-9)
			assert.Less(t, gap, 0.02*math.Abs(diff), "completeness within 2%% at the default steps (%s)", rule)
		}
	}
}

func TestDeterminismAndBatchingAcrossTexts(t *testing.T) {
	x := realExplainer(t, evaluate.Probability)
	texts := []string{"a gorgeous , witty , seductive movie .", "boring , predictable and far too long .",
		"it 's not a bad film , just a forgettable one .", "one of the best films of the year , funny and wise ."}
	for _, method := range []Method{MethodKernelSHAP, MethodLIME} {
		var reqs []Request
		for _, s := range texts {
			reqs = append(reqs, Request{Text: s, Method: method, Budget: 128, Seed: 7})
		}
		all, errs := x.ExplainAll(context.Background(), reqs, 4)
		for i, r := range reqs {
			require.NoError(t, errs[i])
			one, err := x.Explain(context.Background(), r)
			require.NoError(t, err)
			again, err := x.Explain(context.Background(), r)
			require.NoError(t, err)
			for j := range one.Features {
				assert.Equal(t, one.Features[j].Attribution, again.Features[j].Attribution, "same seed, same result")
				// batch composition may change float32 rounding in the runtime
				assert.InDelta(t, one.Features[j].Attribution, all[i].Features[j].Attribution, 1e-5, "%s batched vs alone", method)
			}
		}
		other, err := x.Explain(context.Background(), Request{Text: texts[3], Method: method, Budget: 128, Seed: 8})
		require.NoError(t, err)
		assert.NotEqual(t, all[3].Features[0].Attribution, other.Features[0].Attribution, "another seed samples differently")
	}
}

func TestExplainEdgeCases(t *testing.T) {
	x := realExplainer(t, evaluate.Probability)
	ctx := context.Background()

	one, err := x.Explain(ctx, Request{Text: "wonderful", Method: MethodKernelSHAP})
	require.NoError(t, err)
	require.Len(t, one.Features, 1)
	assert.InDelta(t, one.FX-one.BaseValue, one.Features[0].Attribution, 1e-9)

	punct, err := x.Explain(ctx, Request{Text: "?!... ,,, !!!", Method: MethodExact})
	require.NoError(t, err)
	assert.NotEmpty(t, punct.Features)

	long := strings.Repeat("the film is long and the story is slow but the cast is fine . ", 17) // 238 words
	res, err := x.Explain(ctx, Request{Text: long, Method: MethodKernelSHAP, Budget: 64})
	require.NoError(t, err, "200+ words: the budget is raised, never 2^200")
	assert.Greater(t, len(res.Features), 200)
	require.NotEmpty(t, res.Warnings)
	assert.Contains(t, strings.Join(res.Warnings, " "), "raised to")
	assert.Equal(t, len(res.Features)+2, res.Settings.Budget)

	_, err = x.Explain(ctx, Request{Text: long, Method: MethodExact})
	assert.ErrorContains(t, err, "use --method kernelshap")

	_, err = x.Explain(ctx, Request{Text: "fine", Target: "NEUTRAL"})
	assert.ErrorContains(t, err, `unknown target label "NEUTRAL"; the model's labels are NEGATIVE, POSITIVE`)

	_, err = x.Explain(ctx, Request{Text: ""})
	assert.ErrorContains(t, err, "no words to attribute")

	_, err = x.Explain(ctx, Request{Text: "bad \xff byte"})
	assert.ErrorIs(t, err, tokenize.ErrInvalidUTF8)

	_, err = x.Explain(ctx, Request{Text: "fine film", Method: MethodPath, Masking: perturb.Delete})
	assert.ErrorContains(t, err, "needs a baseline token")

	// the target can be any label, by name or index
	neg, err := x.Explain(ctx, Request{Text: "a gorgeous movie", Method: MethodOcclusion, Target: "0"})
	require.NoError(t, err)
	assert.Equal(t, "NEGATIVE", neg.Target)
}

func TestPathWithoutEmbeddingGraphs(t *testing.T) {
	dir := modeltest.ShippedSubset(t, "model.onnx", "tokenizer.json", "config.json")
	c, err := models.Load(dir, onnx.WithThreads(1))
	require.NoError(t, err)
	defer c.Close()
	x := NewExplainer(c.Tokenizer, evaluate.New(c.Model, evaluate.Options{}), dir)
	_, err = x.Explain(context.Background(), Request{Text: "a fine film", Method: MethodPath})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "lacks model_embeds.onnx and embeddings.onnx")
	// the other methods still work
	_, err = x.Explain(context.Background(), Request{Text: "a fine film", Method: MethodOcclusion})
	assert.NoError(t, err)
}

func TestResultOffsetsAreCharacters(t *testing.T) {
	c := defaultClassifier(t)
	m := &lexiconModel{weights: map[int64]float64{}}
	x := NewExplainer(c.Tokenizer, evaluate.New(m, evaluate.Options{Output: evaluate.Logit}), "lexicon")
	text := "Café naïve, 東京 🔥!"
	res, err := x.Explain(context.Background(), Request{Text: text, Method: MethodOcclusion})
	require.NoError(t, err)
	runes := []rune(text)
	var got []string
	for _, f := range res.Features {
		assert.Equal(t, f.Text, string(runes[f.Start:f.End]), "character offsets")
		assert.Equal(t, f.Text, text[f.ByteStart:f.ByteEnd], "byte offsets")
		got = append(got, f.Text)
	}
	assert.Equal(t, []string{"Café", "naïve", ",", "東", "京", "🔥", "!"}, got)
}
