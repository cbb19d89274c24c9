package lucid

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/models"
	"github.com/lucid-nlp/lucid/tokenize"
)

func openDefault(t testing.TB, opts ...Option) *Model {
	t.Helper()
	m, err := OpenDefault(opts...)
	require.NoError(t, err, "the embedded model must open (ONNX Runtime from scripts/setup_ort.sh)")
	t.Cleanup(func() { m.Close() })
	return m
}

var sentences = []string{
	"a gorgeous , witty , seductive movie .",
	"the plot made no sense and the acting was wooden",
	"not bad at all",
	"a dull , lifeless film .",
	"an utterly charming and hilarious film that reaffirms your faith in humanity",
	"it 's a mess",
	"fine",
	"the movie is a disaster from start to finish , and nobody should see it .",
}

// job is one call of the concurrency test: a prediction or an explanation.
type job struct {
	text    string
	predict bool
	opts    []ExplainOption
	name    string
}

func jobs() []job {
	var js []job
	for i, s := range sentences {
		js = append(js,
			job{text: s, predict: true, name: fmt.Sprintf("predict %d", i)},
			job{text: s, opts: []ExplainOption{WithMethod(KernelSHAP), WithBudget(64), WithSeed(uint64(i + 1))}, name: fmt.Sprintf("kernelshap %d", i)},
			job{text: s, opts: []ExplainOption{WithMethod(Occlusion), WithOutput("logodds")}, name: fmt.Sprintf("occlusion %d", i)},
			job{text: s, opts: []ExplainOption{WithMethod(KernelSHAP), WithBudget(64), WithSeed(99), WithOutput("logit")}, name: fmt.Sprintf("kernelshap logit %d", i)},
		)
	}
	return js
}

// run does one job; timings are cleared so results can be compared whole.
func (j job) run(ctx context.Context, m *Model) (any, error) {
	if j.predict {
		p, err := m.Predict(ctx, []string{j.text})
		if err != nil {
			return nil, err
		}
		return p[0], p[0].Err
	}
	ex, err := m.Explain(ctx, j.text, j.opts...)
	if err != nil {
		return nil, err
	}
	ex.WallSeconds, ex.RuntimeSeconds = 0, 0
	return ex, nil
}

// 32 goroutines mixing Predict and Explain on one Model give exactly the
// results of the same calls run one at a time: shared batches change
// neither the seeded sampling nor the numbers.
func TestConcurrentCallsEqualSerial(t *testing.T) {
	m := openDefault(t, WithThreads(2))
	ctx := context.Background()
	js := jobs()
	require.Len(t, js, 32)
	serial := make([]any, len(js))
	for i, j := range js {
		r, err := j.run(ctx, m)
		require.NoError(t, err, j.name)
		serial[i] = r
	}
	for round := range 2 {
		got := make([]any, len(js))
		errs := make([]error, len(js))
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i, j := range js {
			wg.Go(func() {
				<-start
				got[i], errs[i] = j.run(ctx, m)
			})
		}
		close(start)
		wg.Wait()
		for i, j := range js {
			require.NoError(t, errs[i], j.name)
			assert.Equal(t, serial[i], got[i], "round %d, %s: concurrent result differs from the serial one", round, j.name)
		}
	}
	// The explanations' rows did share batches: more rows than batches.
	for _, x := range m.explainers {
		total, batches := x.Eval.Total()
		assert.Greater(t, total.Evaluations, batches, "rows per batch above 1")
	}
}

func TestExplainBatchEqualsExplain(t *testing.T) {
	m := openDefault(t)
	ctx := context.Background()
	opts := []ExplainOption{WithMethod(LIME), WithBudget(96), WithSeed(5), WithFeatures("tokens")}
	exs, errs := m.ExplainBatch(ctx, sentences, opts...)
	require.Nil(t, errs)
	for i, s := range sentences {
		one, err := m.Explain(ctx, s, opts...)
		require.NoError(t, err)
		one.WallSeconds, one.RuntimeSeconds = 0, 0
		exs[i].WallSeconds, exs[i].RuntimeSeconds = 0, 0
		// A batch also says how it shared its run; the numbers must not differ.
		assert.Equal(t, len(sentences), exs[i].BatchTexts)
		exs[i].BatchTexts, exs[i].BatchWallSeconds, exs[i].WallShareSeconds = 0, 0, 0
		assert.Equal(t, one, exs[i], s)
		assert.Equal(t, "tokens", exs[i].Settings.Features)
	}
}

// The JSON of a Prediction is a line of `lucid predict --json`.
func TestPredictionJSON(t *testing.T) {
	m := openDefault(t)
	long := strings.Repeat("a wonderful film . ", 400)
	preds, err := m.Predict(context.Background(), []string{"fine", long, "caf\xe9"})
	require.NoError(t, err, "one bad text does not fail the others")
	require.Len(t, preds, 3)
	b, err := json.Marshal(preds[0])
	require.NoError(t, err)
	var got map[string]any
	require.NoError(t, json.Unmarshal(b, &got))
	assert.ElementsMatch(t, []string{"text", "head", "label", "probabilities", "logits"}, keys(got))
	assert.Equal(t, "single-label", got["head"])
	assert.Equal(t, "fine", got["text"])
	probs := got["probabilities"].(map[string]any)
	assert.InDelta(t, 1.0, probs["NEGATIVE"].(float64)+probs["POSITIVE"].(float64), 1e-9)
	assert.Equal(t, got["label"], preds[0].Label)

	assert.True(t, preds[1].Truncated)
	b, err = json.Marshal(preds[1])
	require.NoError(t, err)
	assert.Contains(t, string(b), `"truncated":true`)

	assert.ErrorIs(t, preds[2].Err, tokenize.ErrInvalidUTF8)
	assert.Empty(t, preds[2].Label)
}

func keys(m map[string]any) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}

func TestBadOptions(t *testing.T) {
	for _, tc := range []struct {
		opt  Option
		want string
	}{
		{WithDevice("tpu"), `device "tpu"`},
		{WithSessions(0), "sessions 0: want 1 to 64"},
		{WithSessions(65), "sessions 65"},
		{WithThreads(-1), "threads -1"},
		{WithThreads(MaxThreads() + 1), fmt.Sprintf("threads %d", MaxThreads()+1)},
		{WithBatchSize(0), "batch size 0"},
		{WithBatchSize(MaxBatchSize + 1), "batch size 4097"},
		{WithMaxMemory(-5), "max memory -5"},
		{WithHead("ranking"), `head "ranking"`},
	} {
		_, err := OpenDefault(tc.opt)
		assert.ErrorContains(t, err, tc.want)
	}
	_, err := OpenDefault(WithORTLibrary("/nonexistent/libonnxruntime.so"))
	assert.ErrorContains(t, err, "/nonexistent/libonnxruntime.so")

	m := openDefault(t)
	ctx := context.Background()
	for _, tc := range []struct {
		opt  ExplainOption
		want string
	}{
		{WithMethod("shapley-ish"), `method "shapley-ish"`},
		{WithBudget(-1), "budget -1"},
		{WithBudget(1<<20 + 1), "budget 1048577"},
		{WithOutput("odds"), `output "odds"`},
		{WithFeatures("paragraphs"), `feature level "paragraphs"`},
		{WithMask("blank"), `masking "blank"`},
		{WithSteps(0), "steps 0"},
		{WithTarget("NEUTRAL"), `unknown target label "NEUTRAL"`},
	} {
		_, err := m.Explain(ctx, "a fine film", tc.opt)
		assert.ErrorContains(t, err, tc.want)
		_, errs := m.ExplainBatch(ctx, []string{"a", "b"}, tc.opt)
		require.Len(t, errs, 2)
		assert.ErrorContains(t, errs[1], tc.want)
	}
	_, err = m.Explain(ctx, "a fine film", WithMethod(IntegratedGradients), WithMask("delete"))
	assert.ErrorContains(t, err, "baseline token")
	const long = "the plot drags , but the final twenty minutes are genuinely thrilling and beautifully shot"
	ex, err := m.Explain(ctx, long, WithBudget(256))
	require.NoError(t, err)
	assert.True(t, ex.Settings.Refine, "refined by default")
	ex, err = m.Explain(ctx, long, WithBudget(256), WithRefine(false))
	require.NoError(t, err)
	assert.False(t, ex.Settings.Refine)
}

func TestCancellation(t *testing.T) {
	m := openDefault(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := m.Predict(ctx, []string{"fine"})
	assert.ErrorIs(t, err, context.Canceled)
	_, err = m.Explain(ctx, "a fine film")
	assert.ErrorIs(t, err, context.Canceled)
	_, errs := m.ExplainBatch(ctx, []string{"a fine film", "a bad film"})
	require.Len(t, errs, 2)
	for _, e := range errs {
		assert.ErrorIs(t, e, context.Canceled)
	}

	// Cancelled part-way: a large explanation stops early instead of
	// spending its budget.
	ctx, cancel = context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := m.Explain(ctx, strings.Repeat("a long and winding sentence . ", 12), WithBudget(1<<18))
		done <- err
	}()
	cancel()
	assert.ErrorIs(t, <-done, context.Canceled)
}

func TestCloseWaitsAndRefuses(t *testing.T) {
	m, err := OpenDefault()
	require.NoError(t, err)
	var wg sync.WaitGroup
	results := make([]error, 4)
	for i := range results {
		wg.Go(func() {
			_, results[i] = m.Explain(context.Background(), sentences[i], WithBudget(64))
		})
	}
	wg.Wait()
	require.NoError(t, m.Close())
	for _, err := range results {
		assert.NoError(t, err)
	}
	assert.NoError(t, m.Close(), "a second Close is harmless")
	_, err = m.Predict(context.Background(), []string{"fine"})
	assert.ErrorIs(t, err, ErrClosed)
	_, err = m.Explain(context.Background(), "fine")
	assert.ErrorIs(t, err, ErrClosed)
	_, errs := m.ExplainBatch(context.Background(), []string{"fine"})
	assert.ErrorIs(t, errs[0], ErrClosed)
}

// Open from disk and OpenDefault from the embedded copy give the same
// numbers, and ig works from the embedded copy's embedding graphs.
func TestEmbeddedEqualsDisk(t *testing.T) {
	disk, err := Open(filepath.Join("models", models.DefaultName))
	require.NoError(t, err)
	defer disk.Close()
	emb := openDefault(t)
	ctx := context.Background()
	a, err := disk.Predict(ctx, sentences)
	require.NoError(t, err)
	b, err := emb.Predict(ctx, sentences)
	require.NoError(t, err)
	assert.Equal(t, a, b)

	x, err := disk.Explain(ctx, "not bad at all", WithMethod(IntegratedGradients), WithSteps(8))
	require.NoError(t, err)
	y, err := emb.Explain(ctx, "not bad at all", WithMethod(IntegratedGradients), WithSteps(8))
	require.NoError(t, err)
	assert.Equal(t, filepath.Join("models", models.DefaultName), x.Model)
	assert.Equal(t, models.EmbeddedName, y.Model)
	require.Len(t, y.Features, 4)
	for i := range x.Features {
		assert.Equal(t, x.Features[i].Attribution, y.Features[i].Attribution, x.Features[i].Text)
	}
	assert.Equal(t, x.Diagnostics, y.Diagnostics)
}

func TestExplainUsesMaxMemory(t *testing.T) {
	m := openDefault(t, WithMaxMemory(1<<20))
	_, err := m.Explain(context.Background(), strings.Repeat("word ", 60), WithBudget(1<<20))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "1048576")
}

// A binary built from cmd/lucid and copied anywhere finds its default
// model without the checkout: it is embedded.
func TestRelocatableBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the lucid binary (tens of seconds); skipped with -short")
	}
	bin := filepath.Join(t.TempDir(), "lucid")
	build := exec.Command("go", "build", "-o", bin, "./cmd/lucid")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "go build: %s", out)

	elsewhere := t.TempDir()
	run := exec.Command(bin, "predict", "--json", "--threads", "1", "fine", "a dull , lifeless film .")
	run.Dir = elsewhere
	run.Env = withoutEnv(os.Environ(), models.ModelEnv)
	var stdout, stderr strings.Builder
	run.Stdout, run.Stderr = &stdout, &stderr
	require.NoError(t, run.Run(), "stderr: %s", stderr.String())
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	require.Len(t, lines, 2)
	var p Prediction
	require.NoError(t, json.Unmarshal([]byte(lines[1]), &p))
	assert.Equal(t, "NEGATIVE", p.Label)
	assert.Greater(t, p.Probabilities["NEGATIVE"], 0.5)

	// ig needs the embedding graphs: they are embedded too.
	run = exec.Command(bin, "explain", "--json", "--method", "ig", "--steps", "4", "--threads", "1", "not bad")
	run.Dir = "/"
	run.Env = withoutEnv(os.Environ(), models.ModelEnv)
	out, err = run.Output()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		t.Fatalf("lucid explain --method ig from /: %v: %s", err, ee.Stderr)
	}
	require.NoError(t, err)
	var ex Explanation
	require.NoError(t, json.Unmarshal(out, &ex))
	assert.Equal(t, models.DefaultName, ex.Model, "the built-in model by its name")
	assert.Len(t, ex.Features, 2)

	// --model DIR still reads a folder from disk.
	abs, err := filepath.Abs(filepath.Join("models", models.DefaultName))
	require.NoError(t, err)
	run = exec.Command(bin, "explain", "--json", "--method", "occlusion", "--model", abs, "not bad")
	run.Dir = elsewhere
	out, err = run.Output()
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(out, &ex))
	// A folder outside the working directory is named by its base name.
	assert.Equal(t, models.DefaultName, ex.Model)
	assert.NotEqual(t, abs, ex.Model, "never the absolute path")
}

func withoutEnv(env []string, name string) []string {
	var out []string
	for _, e := range env {
		if !strings.HasPrefix(e, name+"=") {
			out = append(out, e)
		}
	}
	return out
}

// WithHead overrides config.json: the regression test graph (one output)
// read as a one-label multi-label model gives the sigmoid of its score.
func TestWithHead(t *testing.T) {
	const dir = "engine/onnx/testdata/regression"
	m, err := Open(dir)
	require.NoError(t, err)
	defer m.Close()
	assert.Equal(t, "regression", m.Head())
	preds, err := m.Predict(context.Background(), []string{"love"}) // [CLS] 0.125 + love 1.25
	require.NoError(t, err)
	require.NotNil(t, preds[0].Score)
	assert.InDelta(t, 1.375, *preds[0].Score, 1e-6)
	assert.Nil(t, preds[0].Probabilities, "a score is not a probability")

	ml, err := Open(dir, WithHead("multi-label"))
	require.NoError(t, err)
	defer ml.Close()
	assert.Equal(t, "multi-label", ml.Head())
	preds, err = ml.Predict(context.Background(), []string{"love"})
	require.NoError(t, err)
	assert.InDelta(t, 1/(1+math.Exp(-1.375)), preds[0].Probabilities["LABEL_0"], 1e-6)
	ex, err := ml.Explain(context.Background(), "love", WithMethod(ExactShapley))
	require.NoError(t, err)
	assert.InDelta(t, 1/(1+math.Exp(-1.375))-1/(1+math.Exp(-0.125)), ex.Features[0].Attribution, 1e-6, "one word: its Shapley value is f(x) − f(∅)")
}
