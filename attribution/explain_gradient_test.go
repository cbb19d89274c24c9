package attribution

import (
	"context"
	"math"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/engine"
	"github.com/lucid-nlp/lucid/evaluate"
)

// gradientCalls counts a gradient model's Gradient calls and rows.
type gradientCalls struct {
	engine.GradientModel
	mu          sync.Mutex
	calls, rows int
}

func (g *gradientCalls) Gradient(ctx context.Context, b engine.EmbedBatch, targets []int, score engine.Score) (engine.Logits, []float32, error) {
	g.mu.Lock()
	g.calls++
	g.rows += b.Rows
	g.mu.Unlock()
	return g.GradientModel.Gradient(ctx, b, targets, score)
}

// ExplainAll runs ig's gradient rows of all its texts in shared batches:
// 6 texts × 18 rows in 2 gradient runs of at most 64 rows, not 6 runs of
// 18, with the same attributions as one Explain per text (padding and
// batch composition change float32 rounding only: 1e-5 of the largest
// attribution).
func TestExplainAllBatchesGradientPathsAcrossTexts(t *testing.T) {
	m, tok := gradientModel(t)
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
	assert.Equal(t, 2, counted.calls, "108 rows in batches of 64")
	assert.Equal(t, len(texts)*18, counted.rows)
	for i, s := range texts {
		require.NoError(t, errs[i])
		alone, err := x.Explain(context.Background(), reqs[i])
		require.NoError(t, err)
		assert.Equal(t, alone.Target, results[i].Target)
		assert.Equal(t, 19, results[i].Evaluations, "steps + 2 gradient rows and the prediction")
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
	m, tok := gradientModel(t)
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
	assert.Equal(t, 8+2+1, g.Evaluations)
	for j, f := range fd.Features {
		assert.InDelta(t, f.Attribution, g.Features[j].Attribution, 1e-3, "word %q", f.Text)
	}
}

// The memory estimates of the gradient methods: grad-input and saliency
// hold two rows whatever the budget; ig's estimate covers the gradient
// batch as well as the finite differences' rows; both grow with tokens ×
// hidden.
func TestEstimateBytesGradientMethods(t *testing.T) {
	small := EstimateBytes(Request{Method: MethodGradInput}, 10, 12, 128)
	assert.Equal(t, small, EstimateBytes(Request{Method: MethodGradInput, Budget: MaxBudget}, 10, 12, 128), "the budget does not matter")
	assert.Equal(t, small, EstimateBytes(Request{Method: MethodSaliency}, 10, 12, 128))
	// 2 × live: 2·T·(4H+16) + 4·T·4H + 16T at T = 12, H = 128.
	assert.Equal(t, int64(2*(2*12*(128*4+16)+4*12*128*4+12*16)), small)
	assert.Greater(t, EstimateBytes(Request{Method: MethodGradInput}, 10, 512, 768), 40*small)
	ig := EstimateBytes(Request{Method: MethodPath}, 10, 12, 128)
	assert.Greater(t, ig, small)
	// The gradient batch: DefaultBatchSize rows of T × H float32.
	assert.GreaterOrEqual(t, ig, int64(2*evaluate.DefaultBatchSize*12*128*4))
}
