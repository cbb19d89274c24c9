package attribution

import (
	"bufio"
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/engine"
	"github.com/lucid-nlp/lucid/engine/onnx"
	"github.com/lucid-nlp/lucid/evaluate"
	"github.com/lucid-nlp/lucid/models"
	"github.com/lucid-nlp/lucid/tokenize"
)

// gradientModel is the shipped model when its folder has model_grad.onnx.
func gradientModel(t testing.TB) (engine.GradientModel, *tokenize.Tokenizer) {
	t.Helper()
	c := defaultClassifier(t)
	if !c.Model.HasGradientGraph() {
		t.Skipf("the shipped model %s has no %s", defaultModel, onnx.GradFile)
	}
	return c.Model, c.Tokenizer
}

func encodeAll(t testing.TB, tok *tokenize.Tokenizer, texts []string) []*tokenize.Encoding {
	encs := make([]*tokenize.Encoding, len(texts))
	for i, s := range texts {
		e, err := tok.Encode(s)
		require.NoError(t, err)
		encs[i] = e
	}
	return encs
}

// ig from the gradient graph against ig from central finite differences
// (the path for folders without the graph), same rule, same steps: per
// token error relative to the text's largest attribution, |g_i − fd_i| /
// max_j |fd_j|. (Relative to a token's own value it cannot be 1e-3 for
// tokens 100× smaller than their neighbours: float32 rounding puts a few
// 1e-6 of noise on each finite difference; the finite-difference path's own
// completeness error, logged, is 1e-5 where the gradient's is 1e-7.)
func TestIntegratedGradientsMatchFiniteDifferences(t *testing.T) {
	m, tok := gradientModel(t)
	texts := []string{"a gorgeous , witty , seductive movie .", "the movie is a disaster from start to finish .",
		"it 's not a bad film , just a forgettable one .", "The acting was superb but the plot made no sense."}
	encs := encodeAll(t, tok, texts)
	maskID, _ := tok.MaskID()
	for _, out := range []evaluate.Output{evaluate.Probability, evaluate.Logit} {
		targets := []int{1, 0, 1, 0}
		got, err := IntegratedGradients(context.Background(), m, encs, targets, PathOptions{Steps: 16, BaselineID: maskID, Output: out, BatchSize: 16})
		require.NoError(t, err)
		worst := 0.0
		for i, enc := range encs {
			fd, err := IntegratedPath(context.Background(), m, enc, PathOptions{Steps: 16, BaselineID: maskID, Target: targets[i], Output: out})
			require.NoError(t, err)
			assert.Equal(t, 18, got[i].Evaluations, "steps + 2 rows")
			assert.InDelta(t, fd.Full, got[i].Full, 1e-5)
			assert.InDelta(t, fd.Baseline, got[i].Baseline, 1e-5)
			largest := 0.0
			for _, v := range fd.Tokens {
				largest = math.Max(largest, math.Abs(v))
			}
			for j, v := range fd.Tokens {
				rel := math.Abs(got[i].Tokens[j]-v) / largest
				worst = math.Max(worst, rel)
				assert.LessOrEqual(t, rel, 1e-3, "%s %q token %d: gradient %.6g, finite differences %.6g", out, texts[i], j, got[i].Tokens[j], v)
			}
			t.Logf("%s %q: rows %d (gradient) vs %d (finite differences); completeness %.2g vs %.2g",
				out, texts[i], got[i].Evaluations, fd.Evaluations, got[i].Completeness(), fd.Completeness())
		}
		t.Logf("%s: worst per-token relative error, gradient vs finite differences: %.2g", out, worst)
	}
}

// devSentences reads the first n sentences of SST-2's dev split.
func devSentences(t testing.TB, n int) []string {
	path := filepath.Join("..", "..", "shared", "data", "sst2", "dev.tsv")
	f, err := os.Open(path)
	if err != nil {
		t.Skipf("SST-2 dev split not found at %s: %v", path, err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	for sc.Scan() && len(out) < n {
		if _, text, ok := strings.Cut(sc.Text(), "\t"); ok && text != "" {
			out = append(out, text)
		}
	}
	require.Len(t, out, n)
	return out
}

// Completeness (convergence delta) of gradient ig at 8, 16 and 32
// Gauss–Legendre points on 24 SST-2 dev sentences, probability output,
// mask baseline, predicted label. The error must shrink with the order and
// be small at the default 16 points.
func TestIntegratedGradientsCompletenessBySteps(t *testing.T) {
	m, tok := gradientModel(t)
	texts := devSentences(t, 24)
	encs := encodeAll(t, tok, texts)
	maskID, _ := tok.MaskID()
	targets := make([]int, len(encs))
	for i, e := range encs {
		l, err := m.Run(context.Background(), engine.Batch{Rows: 1, SeqLen: e.Len(), InputIDs: e.IDs, AttentionMask: e.AttentionMask, TokenTypeIDs: e.TypeIDs})
		require.NoError(t, err)
		if l.Row(0)[1] > l.Row(0)[0] {
			targets[i] = 1
		}
	}
	prevMean := math.Inf(1)
	for _, steps := range []int{8, 16, 32} {
		res, err := IntegratedGradients(context.Background(), m, encs, targets, PathOptions{Steps: steps, BaselineID: maskID})
		require.NoError(t, err)
		var sum, worst, sumRel float64
		for _, r := range res {
			assert.Equal(t, steps+2, r.Evaluations)
			c := r.Completeness()
			sum += c
			worst = math.Max(worst, c)
			if d := math.Abs(r.Full - r.Baseline); d > 0 {
				sumRel += c / d
			}
		}
		mean := sum / float64(len(res))
		t.Logf("ig (gradient graph), %2d Gauss–Legendre points, n = %d sentences: completeness error mean %.2g, max %.2g, mean relative %.2g; %d rows per explanation",
			steps, len(res), mean, worst, sumRel/float64(len(res)), steps+2)
		assert.Less(t, mean, 1e-2, "mean completeness error at %d points", steps)
		if steps == 32 {
			assert.Less(t, mean, prevMean, "more points, smaller error")
		}
		prevMean = mean
	}
}

func TestGradInputAndSaliency(t *testing.T) {
	m, tok := gradientModel(t)
	x := realExplainer(t, evaluate.Logit)
	text := "a gorgeous , witty , seductive movie ."
	gi, err := x.Explain(context.Background(), Request{Text: text, Method: MethodGradInput})
	require.NoError(t, err)
	sal, err := x.Explain(context.Background(), Request{Text: text, Method: MethodSaliency})
	require.NoError(t, err)
	assert.Equal(t, 2, gi.Evaluations, "the prediction and one gradient row")
	assert.Equal(t, 2, sal.Evaluations, "the prediction and one gradient row")
	require.Len(t, sal.Features, len(gi.Features))

	// Recompute both from the raw gradient.
	enc, err := tok.Encode(text)
	require.NoError(t, err)
	emb, err := m.Embed(context.Background(), enc.IDs)
	require.NoError(t, err)
	H, T := m.Hidden(), enc.Len()
	_, g, err := m.Gradient(context.Background(), engine.EmbedBatch{Rows: 1, SeqLen: T, Hidden: H, Embeds: emb, AttentionMask: enc.AttentionMask, TokenTypeIDs: enc.TypeIDs},
		[]int{gi.TargetIndex}, engine.ScoreLogit)
	require.NoError(t, err)
	for i, f := range gi.Features {
		require.Len(t, f.Tokens, 1, "every word of this text is one token")
		pos := i + 1 // after [CLS]
		var dot, norm float64
		for h := range H {
			dot += float64(g[pos*H+h]) * float64(emb[pos*H+h])
			norm += float64(g[pos*H+h]) * float64(g[pos*H+h])
		}
		assert.InDelta(t, dot, f.Attribution, 1e-6, "grad-input of %q", f.Text)
		assert.InDelta(t, math.Sqrt(norm), sal.Features[i].Attribution, 1e-6, "saliency of %q", f.Text)
		assert.Greater(t, sal.Features[i].Attribution, 0.0)
	}
	assert.NotContains(t, gi.Diagnostics, "linearization_error", "opt-in")
	lin, err := x.Explain(context.Background(), Request{Text: text, Method: MethodGradInput, Linearization: true})
	require.NoError(t, err)
	assert.Equal(t, 3, lin.Evaluations, "prediction, input row, zero-embedding row")
	assert.Contains(t, lin.Diagnostics, "linearization_error")
	assert.False(t, lin.Settings.BaseImplied)
	for i := range gi.Features {
		assert.Equal(t, gi.Features[i].Attribution, lin.Features[i].Attribution, "the zero row does not change %q", gi.Features[i].Text)
	}
	assert.Equal(t, 1.0, func() float64 {
		r, err := x.Explain(context.Background(), Request{Text: text, Method: MethodPath})
		require.NoError(t, err)
		return r.Diagnostics["gradient_graph"]
	}(), "ig uses the gradient graph when the folder has one")
}

func TestGradientMethodsNeedTheGraph(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"model.onnx", "model_embeds.onnx", "embeddings.onnx", "tokenizer.json", "config.json"} {
		b, err := os.ReadFile(filepath.Join(defaultModel, f))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, f), b, 0o644))
	}
	c, err := models.Load(dir, onnx.WithThreads(1))
	require.NoError(t, err)
	defer c.Close()
	x := NewExplainer(c.Tokenizer, evaluate.New(c.Model, evaluate.Options{}), dir)
	for _, method := range []Method{MethodGradInput, MethodSaliency} {
		_, err = x.Explain(context.Background(), Request{Text: "a fine film", Method: method})
		assert.ErrorContains(t, err, "needs the model folder's gradient graph (model_grad.onnx")
	}
	// ig falls back to finite differences.
	r, err := x.Explain(context.Background(), Request{Text: "a fine film", Method: MethodPath})
	require.NoError(t, err)
	assert.NotContains(t, r.Diagnostics, "gradient_graph")
	assert.Equal(t, 1+2+2*3*DefaultPathSteps, r.Evaluations)
	assert.Equal(t, DerivativesFiniteDifferences, r.Settings.Derivatives, "ig says which path it took")
	assert.Contains(t, r.Settings.DerivativesReason, "no model_grad.onnx")
}

func TestIntegratedGradientsRejectsBadInput(t *testing.T) {
	m, tok := gradientModel(t)
	encs := encodeAll(t, tok, []string{"fine"})
	_, err := IntegratedGradients(context.Background(), m, encs, []int{0, 1}, PathOptions{})
	assert.ErrorContains(t, err, "1 texts and 2 targets")
	_, err = IntegratedGradients(context.Background(), m, encs, []int{5}, PathOptions{})
	assert.ErrorContains(t, err, "target label index 5")
	_, err = IntegratedGradients(context.Background(), m, encs, []int{0}, PathOptions{Steps: MaxPathSteps + 1})
	assert.ErrorContains(t, err, "more than the maximum")
	_, err = IntegratedGradients(context.Background(), m, encs, []int{0}, PathOptions{Budget: 5})
	assert.ErrorContains(t, err, "more than the budget of 5")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = IntegratedGradients(ctx, m, encs, []int{0}, PathOptions{})
	assert.ErrorIs(t, err, context.Canceled)
}

// ig per explanation, gradient graph vs finite differences, 16
// Gauss–Legendre points, on 8 SST-2 dev sentences (or the reference ones):
//
//	go test ./attribution -run '^$' -bench IntegratedGradients -benchtime 3x
func BenchmarkIntegratedGradients(b *testing.B) {
	m, tok := gradientModel(b)
	texts := []string{"a gorgeous , witty , seductive movie .", "the movie is a disaster from start to finish .",
		"it 's not a bad film , just a forgettable one .", "The acting was superb but the plot made no sense.",
		"one long string of cliches .", "I loved every minute of it!", "Boring. Predictable. Too long.",
		"unaffable characters wander through a beautiful landscape"}
	encs := encodeAll(b, tok, texts)
	targets := make([]int, len(encs))
	maskID, _ := tok.MaskID()
	b.Run("gradient", func(b *testing.B) {
		rows := 0
		// Opening model_grad.onnx (ONNX Runtime optimises ~870 nodes:
		// 0.2–1 s here) and its first runs at each batch shape are paid
		// once per process, not per explanation: at -benchtime 2x they made
		// a gradient row look 10–13× a forward row instead of 2–3×. One
		// untimed run first.
		if _, err := IntegratedGradients(context.Background(), m, encs, targets, PathOptions{Steps: 16, BaselineID: maskID}); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			res, err := IntegratedGradients(context.Background(), m, encs, targets, PathOptions{Steps: 16, BaselineID: maskID})
			if err != nil {
				b.Fatal(err)
			}
			rows = res[0].Evaluations
		}
		b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N*len(encs)), "ms/explanation")
		b.ReportMetric(float64(rows), "rows/explanation")
	})
	b.Run("finite-differences", func(b *testing.B) {
		rows := 0
		if _, err := IntegratedPath(context.Background(), m, encs[0], PathOptions{Steps: 16, BaselineID: maskID}); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			rows = 0
			for i, enc := range encs {
				res, err := IntegratedPath(context.Background(), m, enc, PathOptions{Steps: 16, BaselineID: maskID, Target: targets[i]})
				if err != nil {
					b.Fatal(err)
				}
				rows += res.Evaluations
			}
		}
		b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N*len(encs)), "ms/explanation")
		b.ReportMetric(float64(rows)/float64(len(encs)), "rows/explanation")
	})
}
