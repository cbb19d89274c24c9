package attribution

import (
	"context"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/lucid-nlp/lucid/attribution/gametest"
	"github.com/lucid-nlp/lucid/attribution/lime"
	"github.com/lucid-nlp/lucid/attribution/path"
	"github.com/lucid-nlp/lucid/attribution/shapley"
	"github.com/lucid-nlp/lucid/internal/bytesize"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/engine"
	"github.com/lucid-nlp/lucid/evaluate"
	"github.com/lucid-nlp/lucid/tokenize"
)

// countingModel is a pure-Go embedding model that counts the rows it runs
// and, once it has run cancelAfter rows (when positive), cancels the
// context it was given, so tests can count what runs after a cancel.
// Its embedding of token id k is (k mod 7, k mod 5, 1, 0) and its POSITIVE
// logit the mean of the embeddings' first two coordinates over attended
// positions, a smooth nonlinear-enough function for the path method.
type countingModel struct {
	mu                            sync.Mutex
	rows                          int
	batches                       int
	cancelAfter                   int
	cancel                        context.CancelFunc
	rowsAtCancel, batchesAtCancel int
}

func (m *countingModel) Labels() []string { return []string{"NEGATIVE", "POSITIVE"} }
func (m *countingModel) Hidden() int      { return 4 }

func (m *countingModel) count(rows int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.rows += rows
	m.batches++
	if m.cancelAfter > 0 && m.cancel != nil && m.rows >= m.cancelAfter && m.rowsAtCancel == 0 {
		m.rowsAtCancel, m.batchesAtCancel = m.rows, m.batches
		m.cancel()
	}
}

func (m *countingModel) Run(_ context.Context, b engine.Batch) (engine.Logits, error) {
	emb := make([]float32, 0, b.Rows*b.SeqLen*4)
	for _, id := range b.InputIDs {
		e, _ := m.Embed(context.Background(), []int64{id})
		emb = append(emb, e...)
	}
	return m.score(engine.EmbedBatch{Rows: b.Rows, SeqLen: b.SeqLen, Hidden: 4, Embeds: emb, AttentionMask: b.AttentionMask}), nil
}

func (m *countingModel) Embed(_ context.Context, ids []int64) ([]float32, error) {
	out := make([]float32, 0, 4*len(ids))
	for _, id := range ids {
		out = append(out, float32(id%7), float32(id%5), 1, 0)
	}
	return out, nil
}

func (m *countingModel) RunEmbeds(_ context.Context, b engine.EmbedBatch) (engine.Logits, error) {
	return m.score(b), nil
}

func (m *countingModel) score(b engine.EmbedBatch) engine.Logits {
	m.count(b.Rows)
	out := engine.Logits{Rows: b.Rows, Labels: 2, Data: make([]float32, 2*b.Rows)}
	for r := range b.Rows {
		var s, k float64
		for c := range b.SeqLen {
			if b.AttentionMask[r*b.SeqLen+c] == 0 {
				continue
			}
			e := b.Embeds[(r*b.SeqLen+c)*4:]
			s += math.Tanh(float64(e[0])-3) + 0.5*math.Sin(float64(e[1]))
			k++
		}
		out.Data[2*r+1] = float32(s / max(k, 1))
	}
	return out
}

func pureTokenizer(t *testing.T) *tokenize.Tokenizer {
	t.Helper()
	tok, err := tokenize.Load(filepath.Join(defaultModel, "tokenizer.json"))
	require.NoError(t, err)
	return tok
}

func words(n int) string {
	vocab := []string{"good", "bad", "film", "plot", "actors", "great", "dull", "story", "music", "slow", "fine", "witty"}
	ws := make([]string, n)
	for i := range ws {
		ws[i] = vocab[i%len(vocab)]
	}
	return strings.Join(ws, " ")
}

func TestExplainStopsWithinOneBatchOfCancel(t *testing.T) {
	// Each method, cancelled by the model itself after its second batch of
	// 64 rows, returns context.Canceled and runs no further batch. Counts,
	// not times: the evaluator finishes the batch it is in and starts no
	// other.
	tok := pureTokenizer(t)
	cases := []struct {
		method Method
		text   string
		budget int
	}{
		{MethodKernelSHAP, words(30), 20000},
		{MethodExact, words(14), 1 << 14},
		{MethodLIME, words(30), 20000},
		{MethodOcclusion, words(400), 0},
		{MethodPath, words(40), 0},
	}
	for _, tc := range cases {
		t.Run(string(tc.method), func(t *testing.T) {
			m := &countingModel{cancelAfter: 1 + 2*evaluate.DefaultBatchSize}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			m.cancel = cancel
			x := NewExplainer(tok, evaluate.New(m, evaluate.Options{PadID: tok.PadID()}), "counting")
			_, err := x.Explain(ctx, Request{Text: tc.text, Method: tc.method, Budget: tc.budget})
			require.Error(t, err)
			assert.True(t, errors.Is(err, context.Canceled), "got %v", err)
			require.NotZero(t, m.rowsAtCancel, "the cancel happened inside a batch")
			assert.Equal(t, m.batchesAtCancel, m.batches, "no batch started after the cancel (%d rows then, %d now)", m.rowsAtCancel, m.rows)
		})
	}
}

func TestExplainCancelledBeforeStartRunsNothing(t *testing.T) {
	tok := pureTokenizer(t)
	m := &countingModel{}
	x := NewExplainer(tok, evaluate.New(m, evaluate.Options{PadID: tok.PadID()}), "counting")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, method := range Methods {
		_, err := x.Explain(ctx, Request{Text: words(10), Method: method})
		assert.ErrorIs(t, err, context.Canceled, "%s", method)
	}
	assert.Zero(t, m.rows)
}

func TestRequestValidate(t *testing.T) {
	cases := []struct {
		req  Request
		want string
	}{
		{Request{Budget: MaxBudget + 1}, fmt.Sprintf("budget %d is more than the maximum of %d", MaxBudget+1, MaxBudget)},
		{Request{Budget: 1_000_000_000}, "budget 1000000000 is more than the maximum"},
		{Request{Budget: -3}, "budget -3"},
		{Request{Steps: MaxPathSteps + 1}, "steps 1025 is more than the maximum of 1024"},
		{Request{Steps: 100_000_000}, "steps 100000000"},
		{Request{Steps: -1}, "steps -1"},
		{Request{KernelWidth: -1}, "kernel width -1"},
		{Request{KernelWidth: math.NaN()}, "kernel width NaN"},
		{Request{MaxMemoryBytes: -1}, "memory limit -1"},
		{Request{Method: "shapley"}, `method "shapley"`},
	}
	for _, tc := range cases {
		assert.ErrorContains(t, tc.req.Validate(), tc.want)
	}
	assert.NoError(t, Request{Budget: MaxBudget, Steps: MaxPathSteps, KernelWidth: 25, MaxMemoryBytes: 1 << 30}.Validate())

	// Explain refuses them before any model run.
	tok := pureTokenizer(t)
	m := &countingModel{}
	x := NewExplainer(tok, evaluate.New(m, evaluate.Options{PadID: tok.PadID()}), "counting")
	_, err := x.Explain(context.Background(), Request{Text: words(40), Method: MethodLIME, Budget: 1_000_000_000})
	assert.ErrorContains(t, err, "MaxBudget")
	_, err = x.Explain(context.Background(), Request{Text: words(5), Method: MethodPath, Steps: 100_000_000})
	assert.ErrorContains(t, err, "MaxPathSteps")
	assert.Zero(t, m.rows)
	// The functions refuse them too.
	_, err = lime.LIME(context.Background(), gametest.Additive(0, make([]float64, 40)), lime.Options{Budget: 1_000_000_000})
	assert.ErrorContains(t, err, "MaxBudget")
	_, err = shapley.KernelSHAP(context.Background(), gametest.Additive(0, make([]float64, 40)), shapley.KernelSHAPOptions{Budget: 1_000_000_000})
	assert.ErrorContains(t, err, "MaxBudget")
}

func TestMemoryLimitRefusesBeforeAllocating(t *testing.T) {
	tok := pureTokenizer(t)
	m := &countingModel{}
	x := NewExplainer(tok, evaluate.New(m, evaluate.Options{PadID: tok.PadID()}), "counting")
	req := Request{Text: words(40), Method: MethodKernelSHAP, Budget: MaxBudget, MaxMemoryBytes: 256 << 20}
	est := EstimateBytes(req, 40, 42, 0)
	assert.Greater(t, est, int64(256<<20), "2^20 coalitions of 40 words take more than 256 MiB")
	_, err := x.Explain(context.Background(), req)
	require.Error(t, err)
	assert.Contains(t, err.Error(), bytesize.Format(est))
	assert.Contains(t, err.Error(), "memory limit of 256.0 MiB")
	assert.Zero(t, m.rows, "refused before the first model run")

	// The same request fits at a small budget.
	req.Budget = 512
	_, err = x.Explain(context.Background(), req)
	assert.NoError(t, err)

	// Every method's estimate grows with its budget, and none is absurd
	// for the default settings of a 20-word sentence (under 64 MiB).
	for _, method := range Methods {
		small := EstimateBytes(Request{Method: method, Budget: 1024}, 20, 22, 256)
		large := EstimateBytes(Request{Method: method, Budget: 1 << 18}, 20, 22, 256)
		assert.LessOrEqual(t, small, large, "%s", method)
		assert.Less(t, EstimateBytes(Request{Method: method}, 20, 22, 256), int64(64<<20), "%s", method)
	}
}

func TestPathRespectsBudget(t *testing.T) {
	tok := pureTokenizer(t)
	ctx := context.Background()
	m := &countingModel{}
	x := NewExplainer(tok, evaluate.New(m, evaluate.Options{PadID: tok.PadID()}), "counting")

	// 40 tokens at 16 steps: 1,282 rows fit the default 4,096.
	res, err := x.Explain(ctx, Request{Text: words(40), Method: MethodPath})
	require.NoError(t, err)
	assert.Equal(t, 16, res.Settings.Steps)
	assert.Equal(t, path.Rows(40, 16), res.Settings.Budget)
	assert.Empty(t, res.Warnings)

	// A budget of 600 rows: 7 steps (562 rows), with a warning.
	m.rows = 0
	res, err = x.Explain(ctx, Request{Text: words(40), Method: MethodPath, Budget: 600})
	require.NoError(t, err)
	assert.Equal(t, 7, res.Settings.Steps)
	assert.Equal(t, path.Rows(40, 7), res.Settings.Budget)
	assert.Equal(t, path.Rows(40, 7)+1, m.rows, "the path's rows and the prediction")
	require.Len(t, res.Warnings, 1)
	assert.Contains(t, res.Warnings[0], "lowered to 7 steps")
	assert.Contains(t, res.Warnings[0], "1282 rows")

	// Below MinPathSteps it refuses, naming rows and budget.
	_, err = x.Explain(ctx, Request{Text: words(40), Method: MethodPath, Budget: 300})
	assert.ErrorContains(t, err, "40 tokens need 1282 rows at 16 steps, and at least 322 rows at the minimum of 4 steps; the budget is 300 rows")

	// A 5,000-word text (truncated to 510 tokens) no longer plans 16,322
	// rows: the default budget gives it 4 steps.
	m.rows = 0
	res, err = x.Explain(ctx, Request{Text: words(5000), Method: MethodPath})
	require.NoError(t, err)
	assert.Equal(t, MinPathSteps, res.Settings.Steps)
	assert.LessOrEqual(t, res.Settings.Budget, DefaultPathBudget)
	assert.LessOrEqual(t, m.rows, DefaultPathBudget+1)
}

func TestSettingsBudgetIsWhatRan(t *testing.T) {
	// KernelSHAP on 10 words with a budget of 2^20 is exact: 1,024
	// coalitions ran, and the settings say 1,024, not 1,048,576.
	tok := pureTokenizer(t)
	m := &countingModel{}
	x := NewExplainer(tok, evaluate.New(m, evaluate.Options{PadID: tok.PadID()}), "counting")
	res, err := x.Explain(context.Background(), Request{Text: words(10), Method: MethodKernelSHAP, Budget: MaxBudget})
	require.NoError(t, err)
	assert.Equal(t, 1024, res.Settings.Budget)
	assert.Equal(t, 1.0, res.Diagnostics[shapley.DiagExact])
}

func TestExplainWarnsOfUncalibratedStdErr(t *testing.T) {
	// 16 words at 64 evaluations: standard errors reported, marked
	// uncalibrated, and the warning names the budget that calibrates them;
	// at that budget there is no warning.
	tok := pureTokenizer(t)
	x := NewExplainer(tok, evaluate.New(&countingModel{}, evaluate.Options{PadID: tok.PadID()}), "counting")
	res, err := x.Explain(context.Background(), Request{Text: words(16), Method: MethodKernelSHAP, Budget: 64})
	require.NoError(t, err)
	require.NotNil(t, res.Features[0].StdErr)
	assert.Equal(t, 0.0, res.Diagnostics[shapley.DiagStdErrCalibrated])
	require.Len(t, res.Warnings, 1)
	assert.Contains(t, res.Warnings[0], "not calibrated")
	assert.Contains(t, res.Warnings[0], "use --budget 114 or more")
	res, err = x.Explain(context.Background(), Request{Text: words(16), Method: MethodKernelSHAP, Budget: 114})
	require.NoError(t, err)
	assert.Equal(t, 1.0, res.Diagnostics[shapley.DiagStdErrCalibrated])
	assert.Empty(t, res.Warnings)
}
