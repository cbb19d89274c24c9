package path

import (
	"context"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/engine"
	"github.com/lucid-nlp/lucid/evaluate"
	"github.com/lucid-nlp/lucid/models/modeltest"
	"github.com/lucid-nlp/lucid/tokenize"
)

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
	m, tok := shippedGradients(t)
	texts := []string{"a gorgeous , witty , seductive movie .", "the movie is a disaster from start to finish .",
		"it 's not a bad film , just a forgettable one .", "The acting was superb but the plot made no sense."}
	encs := encodeAll(t, tok, texts)
	maskID, _ := tok.MaskID()
	for _, out := range []evaluate.Output{evaluate.Probability, evaluate.Logit} {
		targets := []int{1, 0, 1, 0}
		got, err := IntegratedGradients(context.Background(), m, encs, targets, Options{Steps: 16, BaselineID: maskID, Output: out, BatchSize: 16})
		require.NoError(t, err)
		worst := 0.0
		for i, enc := range encs {
			fd, err := IntegratedPath(context.Background(), m, enc, Options{Steps: 16, BaselineID: maskID, Target: targets[i], Output: out})
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

// Completeness (convergence delta) of gradient ig at 8, 16 and 32
// Gauss–Legendre points on 24 SST-2 dev sentences, probability output,
// mask baseline, predicted label. The error must shrink with the order and
// be small at the default 16 points.
func TestIntegratedGradientsCompletenessBySteps(t *testing.T) {
	m, tok := shippedGradients(t)
	texts := modeltest.SST2Dev(t, 24)
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
		res, err := IntegratedGradients(context.Background(), m, encs, targets, Options{Steps: steps, BaselineID: maskID})
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

func TestIntegratedGradientsRejectsBadInput(t *testing.T) {
	m, tok := shippedGradients(t)
	encs := encodeAll(t, tok, []string{"fine"})
	_, err := IntegratedGradients(context.Background(), m, encs, []int{0, 1}, Options{})
	assert.ErrorContains(t, err, "1 texts and 2 targets")
	_, err = IntegratedGradients(context.Background(), m, encs, []int{5}, Options{})
	assert.ErrorContains(t, err, "target label index 5")
	_, err = IntegratedGradients(context.Background(), m, encs, []int{0}, Options{Steps: MaxSteps + 1})
	assert.ErrorContains(t, err, "more than the maximum")
	_, err = IntegratedGradients(context.Background(), m, encs, []int{0}, Options{Budget: 5})
	assert.ErrorContains(t, err, "more than the budget of 5")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = IntegratedGradients(ctx, m, encs, []int{0}, Options{})
	assert.ErrorIs(t, err, context.Canceled)
}

// ig per explanation, gradient graph vs finite differences, 16
// Gauss–Legendre points, on 8 SST-2 dev sentences (or the reference ones):
//
//	go test ./attribution/path -run '^$' -bench IntegratedGradients -benchtime 3x
func BenchmarkIntegratedGradients(b *testing.B) {
	m, tok := shippedGradients(b)
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
		if _, err := IntegratedGradients(context.Background(), m, encs, targets, Options{Steps: 16, BaselineID: maskID}); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			res, err := IntegratedGradients(context.Background(), m, encs, targets, Options{Steps: 16, BaselineID: maskID})
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
		if _, err := IntegratedPath(context.Background(), m, encs[0], Options{Steps: 16, BaselineID: maskID}); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			rows = 0
			for i, enc := range encs {
				res, err := IntegratedPath(context.Background(), m, enc, Options{Steps: 16, BaselineID: maskID, Target: targets[i]})
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

// shippedGradients is the shipped model with its gradient graph, or skips.
func shippedGradients(t testing.TB) (engine.GradientModel, *tokenize.Tokenizer) {
	c := modeltest.ShippedWithGradients(t)
	return c.Model, c.Tokenizer
}
