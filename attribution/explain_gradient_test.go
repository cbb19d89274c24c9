package attribution

import (
	"context"
	"math"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/attribution/path"
	"github.com/lucid-nlp/lucid/engine"
	"github.com/lucid-nlp/lucid/engine/onnx"
	"github.com/lucid-nlp/lucid/evaluate"
	"github.com/lucid-nlp/lucid/models"
	"github.com/lucid-nlp/lucid/models/modeltest"
	"github.com/lucid-nlp/lucid/tokenize"
)

// gradientCalls counts a gradient model's Gradient calls and rows, and
// its forward runs and their rows.
type gradientCalls struct {
	engine.GradientModel
	mu                sync.Mutex
	calls, rows       int
	runs, forwardRows int
}

func (g *gradientCalls) Run(ctx context.Context, b engine.Batch) (engine.Logits, error) {
	g.mu.Lock()
	g.runs++
	g.forwardRows += b.Rows
	g.mu.Unlock()
	return g.GradientModel.Run(ctx, b)
}

func (g *gradientCalls) Gradient(ctx context.Context, b engine.EmbedBatch, targets []int, score engine.Score) (engine.Logits, []float32, error) {
	g.mu.Lock()
	g.calls++
	g.rows += b.Rows
	g.mu.Unlock()
	return g.GradientModel.Gradient(ctx, b, targets, score)
}

// ExplainAll runs ig's gradient rows of all its texts in shared batches:
// 6 texts × 17 rows (16 steps and the baseline; f(x) is the prediction's)
// in 2 gradient runs of at most 64 rows, not 6 runs of 17, and the 6
// predictions in one forward run, with the same attributions as one
// Explain per text (padding and batch composition change float32 rounding
// only: 1e-5 of the largest attribution).
func TestExplainAllBatchesGradientPathsAcrossTexts(t *testing.T) {
	m, tok := shippedGradients(t)
	counted := &gradientCalls{GradientModel: m}
	x := NewExplainer(tok, evaluate.New(counted, evaluate.Options{PadID: tok.PadID()}), "default")
	texts := []string{"a gorgeous , witty , seductive movie .", "the movie is a disaster from start to finish .",
		"it 's not a bad film , just a forgettable one .", "The acting was superb but the plot made no sense.",
		"one long string of cliches .", "I loved every minute of it!"}
	reqs := make([]Request, len(texts))
	for i, s := range texts {
		reqs[i] = Request{Text: s, Method: MethodPath, Steps: 16}
	}
	results, errs := x.ExplainAll(context.Background(), reqs, 0)
	assert.Equal(t, 2, counted.calls, "102 rows in batches of 64")
	assert.Equal(t, len(texts)*17, counted.rows)
	assert.Equal(t, 1, counted.runs, "the 6 predictions in one forward run")
	assert.Equal(t, len(texts), counted.forwardRows)
	for i, s := range texts {
		require.NoError(t, errs[i])
		alone, err := x.Explain(context.Background(), reqs[i])
		require.NoError(t, err)
		assert.Equal(t, alone.Target, results[i].Target)
		assert.Equal(t, 18, results[i].Evaluations, "16 steps, the baseline row and the prediction")
		assert.Equal(t, alone.Evaluations, results[i].Evaluations)
		assert.Equal(t, DerivativesGradientGraph, results[i].Settings.Derivatives)
		assert.InDelta(t, alone.FX, results[i].FX, 1e-6)
		largest := 0.0
		for _, f := range alone.Features {
			largest = max(largest, math.Abs(f.Attribution))
		}
		for j, f := range alone.Features {
			assert.InDelta(t, f.Attribution, results[i].Features[j].Attribution, 1e-5*largest, "%q word %q", s, f.Text)
		}
		assert.InDelta(t, alone.Diagnostics["completeness_error"], results[i].Diagnostics["completeness_error"], 1e-5)
	}
}

// FiniteDifferences forces the finite-difference path on a model that has
// the gradient graph: 2 + 2·tokens·steps rows, no gradient call, and the
// same attributions within the finite differences' error.
func TestRequestFiniteDifferences(t *testing.T) {
	m, tok := shippedGradients(t)
	counted := &gradientCalls{GradientModel: m}
	x := NewExplainer(tok, evaluate.New(counted, evaluate.Options{PadID: tok.PadID()}), "default")
	text := "a gorgeous , witty , seductive movie ."
	fd, err := x.Explain(context.Background(), Request{Text: text, Method: MethodPath, Steps: 8, FiniteDifferences: true})
	require.NoError(t, err)
	assert.Zero(t, counted.calls)
	enc, err := tok.Encode(text)
	require.NoError(t, err)
	active := 0
	for _, sp := range enc.Special {
		if !sp {
			active++
		}
	}
	assert.Equal(t, 2+2*active*8+1, fd.Evaluations, "2 + 2·tokens·steps rows and the prediction")
	assert.NotContains(t, fd.Diagnostics, "gradient_graph")
	g, err := x.Explain(context.Background(), Request{Text: text, Method: MethodPath, Steps: 8})
	require.NoError(t, err)
	assert.Equal(t, 1, counted.calls)
	assert.Equal(t, 8+1+1, g.Evaluations, "8 steps, the baseline row and the prediction")
	assert.Equal(t, DerivativesFiniteDifferences, fd.Settings.Derivatives)
	assert.Contains(t, fd.Settings.DerivativesReason, "asked for")
	assert.Equal(t, DerivativesGradientGraph, g.Settings.Derivatives)
	assert.Empty(t, g.Settings.DerivativesReason)
	for j, f := range fd.Features {
		assert.InDelta(t, f.Attribution, g.Features[j].Attribution, 1e-3, "word %q", f.Text)
	}
}

// The memory estimates of the gradient methods: grad-input and saliency
// hold one row (two with Linearization) whatever the budget; ig's estimate covers the gradient
// batch as well as the finite differences' rows; both grow with tokens ×
// hidden.
func TestEstimateBytesGradientMethods(t *testing.T) {
	small := EstimateBytes(Request{Method: MethodGradInput}, 10, 12, 128)
	assert.Equal(t, small, EstimateBytes(Request{Method: MethodGradInput, Budget: MaxBudget}, 10, 12, 128), "the budget does not matter")
	assert.Equal(t, small, EstimateBytes(Request{Method: MethodSaliency}, 10, 12, 128))
	// 2 × live: T·(4H+16) + 3·T·4H + 16T at T = 12, H = 128; with
	// Linearization 2·T·(4H+16) + 4·T·4H + 16T.
	assert.Equal(t, int64(2*(12*(128*4+16)+3*12*128*4+12*16)), small)
	assert.Equal(t, int64(2*(2*12*(128*4+16)+4*12*128*4+12*16)), EstimateBytes(Request{Method: MethodGradInput, Linearization: true}, 10, 12, 128))
	assert.Greater(t, EstimateBytes(Request{Method: MethodGradInput}, 10, 512, 768), 40*small)
	ig := EstimateBytes(Request{Method: MethodPath}, 10, 12, 128)
	assert.Greater(t, ig, small)
	// The gradient batch: DefaultBatchSize rows of T × H float32.
	assert.GreaterOrEqual(t, ig, int64(2*evaluate.DefaultBatchSize*12*128*4))
}

// ExplainAll runs grad-input's and saliency's texts together: one forward
// run for the predictions and one gradient run of one row per text, with
// the attributions of one Explain per text; 2 evaluations per text (the
// prediction and the gradient row), 3 with Linearization.
func TestExplainAllBatchesGradientAttributions(t *testing.T) {
	m, tok := shippedGradients(t)
	texts := []string{"a gorgeous , witty , seductive movie .", "the movie is a disaster from start to finish .",
		"it 's not a bad film , just a forgettable one .", "The acting was superb but the plot made no sense.",
		"one long string of cliches .", "I loved every minute of it!"}
	for _, method := range []Method{MethodGradInput, MethodSaliency} {
		for _, lin := range []bool{false, true} {
			counted := &gradientCalls{GradientModel: m}
			x := NewExplainer(tok, evaluate.New(counted, evaluate.Options{PadID: tok.PadID(), Output: evaluate.Logit}), "default")
			reqs := make([]Request, len(texts))
			for i, s := range texts {
				reqs[i] = Request{Text: s, Method: method, Linearization: lin}
			}
			perText := 1
			if lin {
				perText = 2
			}
			results, errs := x.ExplainAll(context.Background(), reqs, 0)
			assert.Equal(t, 1, counted.calls, "%s: one gradient run for all texts", method)
			assert.Equal(t, perText*len(texts), counted.rows, "%s linearization %v", method, lin)
			assert.Equal(t, 1, counted.runs, "%s: the predictions in one forward run", method)
			for i, s := range texts {
				require.NoError(t, errs[i])
				alone, err := x.Explain(context.Background(), reqs[i])
				require.NoError(t, err)
				r := results[i]
				assert.Equal(t, 1+perText, r.Evaluations)
				assert.Equal(t, alone.Evaluations, r.Evaluations)
				assert.Equal(t, alone.Target, r.Target)
				assert.Equal(t, !lin, r.Settings.BaseImplied)
				_, hasLin := r.Diagnostics["linearization_error"]
				assert.Equal(t, lin && method == MethodGradInput, hasLin)
				var sum float64
				for j, f := range alone.Features {
					assert.InDelta(t, f.Attribution, r.Features[j].Attribution, 1e-5*math.Max(1, math.Abs(f.Attribution)), "%s %q word %q", method, s, f.Text)
					sum += r.Features[j].Attribution
				}
				if !lin {
					assert.InDelta(t, r.FX-sum, r.BaseValue, 1e-9, "the implied base is f(x) − Σ")
				}
			}
		}
	}
}

func TestGradInputAndSaliency(t *testing.T) {
	m, tok := shippedGradients(t)
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
	dir := modeltest.ShippedSubset(t, "model.onnx", "model_embeds.onnx", "embeddings.onnx", "tokenizer.json", "config.json")
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
	assert.Equal(t, 1+2+2*3*path.DefaultSteps, r.Evaluations)
	assert.Equal(t, DerivativesFiniteDifferences, r.Settings.Derivatives, "ig says which path it took")
	assert.Contains(t, r.Settings.DerivativesReason, "no model_grad.onnx")
}

// shippedGradients is the shipped model with its gradient graph, or skips.
func shippedGradients(t testing.TB) (engine.GradientModel, *tokenize.Tokenizer) {
	c := modeltest.ShippedWithGradients(t)
	return c.Model, c.Tokenizer
}
