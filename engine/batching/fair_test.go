package batching

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/engine"
)

// markModel is a pure-Go model that records, for each batch, the first
// input id of each of its rows (the tests mark each call's rows with one
// id), and can hold each batch at a gate after saying it has entered.
type markModel struct {
	gate    chan struct{}
	entered atomic.Int64
	mu      sync.Mutex
	batches [][]int64
}

func (m *markModel) Labels() []string { return []string{"A", "B"} }

func (m *markModel) Run(ctx context.Context, b engine.Batch) (engine.Logits, error) {
	m.entered.Add(1)
	if m.gate != nil {
		<-m.gate
	}
	ids := make([]int64, b.Rows)
	for r := range b.Rows {
		ids[r] = b.InputIDs[r*b.SeqLen]
	}
	m.mu.Lock()
	m.batches = append(m.batches, ids)
	m.mu.Unlock()
	return engine.Logits{Rows: b.Rows, Labels: 2, Data: make([]float32, 2*b.Rows)}, nil
}

// marked is a batch of rows rows of length 3 whose ids are all id.
func marked(rows int, id int64) engine.Batch {
	b := engine.Batch{Rows: rows, SeqLen: 3, InputIDs: make([]int64, rows*3), AttentionMask: make([]int64, rows*3)}
	for i := range b.InputIDs {
		b.InputIDs[i], b.AttentionMask[i] = id, 1
	}
	return b
}

// waitUntil polls cond; it fails the test if cond is still false after a
// minute (a liveness bound, far above any expected wait).
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("still waiting for %s after a minute", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestClassOf(t *testing.T) {
	ctx := context.Background()
	assert.Equal(t, Predict, ClassOf(ctx))
	assert.Equal(t, Explain, ClassOf(WithClass(ctx, Explain)))
	assert.Equal(t, Predict, ClassOf(WithClass(WithClass(ctx, Explain), Predict)))
	assert.Equal(t, "explain", Explain.String())
	assert.Equal(t, "predict", Predict.String())
}

// With a flood of explanation rows queued, a prediction waits for the
// batch running when it arrived and at most one explanation batch, not
// for the flood: whichever class the running batch belongs to.
func TestPredictionWaitsAtMostOneExplanationBatch(t *testing.T) {
	const predictID, floodID, firstID = 3, 2, 1
	for _, running := range []Class{Explain, Predict} {
		t.Run("running "+running.String(), func(t *testing.T) {
			inner := &markModel{gate: make(chan struct{})}
			var mu sync.Mutex
			var infos []BatchInfo
			m := New(inner, Options{MaxBatch: 8, MaxWait: -1, OnBatch: func(i BatchInfo) { mu.Lock(); infos = append(infos, i); mu.Unlock() }})
			defer m.Close()
			ectx := WithClass(context.Background(), Explain)
			var wg sync.WaitGroup
			submit := func(ctx context.Context, b engine.Batch) {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, err := m.Run(ctx, b)
					assert.NoError(t, err)
				}()
			}
			// A first batch the runner takes and holds at the gate.
			submit(WithClass(context.Background(), running), marked(8, firstID))
			waitUntil(t, "the first batch to start", func() bool { return inner.entered.Load() == 1 && m.QueueRows() == 0 })
			// The flood: 30 explanation calls of 8 rows.
			for range 30 {
				submit(ectx, marked(8, floodID))
			}
			waitUntil(t, "the flood to queue", func() bool { return m.QueueDepth(Explain) == 240 })
			submit(context.Background(), marked(1, predictID))
			waitUntil(t, "the prediction to queue", func() bool { return m.QueueDepth(Predict) == 1 })
			assert.Equal(t, 241, m.QueueRows())
			close(inner.gate)
			wg.Wait()

			inner.mu.Lock()
			defer inner.mu.Unlock()
			at := slices.IndexFunc(inner.batches, func(ids []int64) bool { return slices.Contains(ids, predictID) })
			require.GreaterOrEqual(t, at, 0)
			// Batch 0 is the running one. After an explanation batch a
			// waiting prediction leads the next; after a prediction batch
			// the explanations, owed their share, may lead one first.
			want := 1
			if running == Predict {
				want = 2
			}
			assert.Equal(t, want, at, "batches run before and with the prediction: %v", inner.batches)
			assert.Equal(t, 32, len(inner.batches), "every explanation call ran, 8 rows a batch, plus the first batch and the prediction's")
			mu.Lock()
			defer mu.Unlock()
			assert.Equal(t, Predict, infos[at].Class)
			assert.Equal(t, 1, infos[at].Rows, "explanation rows do not join a batch led by a prediction")
			assert.Equal(t, 0, m.QueueDepth(Explain))
			assert.Equal(t, 0, m.QueueDepth(Predict))
		})
	}
}

// Under a flood of closed-loop predictions that always keeps
// predictions waiting, an explanation's rows still run: strict priority
// would never let them lead a batch.
func TestExplanationProgressesUnderPredictionFlood(t *testing.T) {
	const predictID, explainID = 1, 2
	inner := &markModel{}
	var explainLed atomic.Int64
	m := New(inner, Options{MaxBatch: 8, MaxWait: -1, OnBatch: func(i BatchInfo) {
		if i.Class == Explain {
			explainLed.Add(1)
		}
	}})
	defer m.Close()
	stop := make(chan struct{})
	var predictions atomic.Int64
	var wg sync.WaitGroup
	// 32 clients and batches of 8: at every batch's start at least 24
	// predictions wait.
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				_, err := m.Run(context.Background(), marked(1, predictID))
				if !assert.NoError(t, err) {
					return
				}
				predictions.Add(1)
			}
		}()
	}
	waitUntil(t, "predictions to flow", func() bool { return predictions.Load() > 100 })
	// An explanation: 20 calls of 8 rows, four at a time as an evaluator
	// sends them.
	ectx := WithClass(context.Background(), Explain)
	done := make(chan struct{})
	go func() {
		defer close(done)
		var ew sync.WaitGroup
		sem := make(chan struct{}, 4)
		for range 20 {
			sem <- struct{}{}
			ew.Add(1)
			go func() {
				defer ew.Done()
				defer func() { <-sem }()
				_, err := m.Run(ectx, marked(8, explainID))
				assert.NoError(t, err)
			}()
		}
		ew.Wait()
	}()
	before := predictions.Load()
	select {
	case <-done:
	case <-time.After(time.Minute):
		t.Fatal("the explanation did not finish within a minute under the prediction flood")
	}
	during := predictions.Load() - before
	close(stop)
	wg.Wait()
	assert.GreaterOrEqual(t, explainLed.Load(), int64(20), "each explanation call (8 rows, a full batch) led its own batch")
	assert.Positive(t, during, "predictions went on while the explanation ran")
	t.Logf("%d predictions ran while the explanation's 160 rows did", during)
}

// Classed marks its Run calls, so an evaluator that runs batches under
// context.Background still queues its rows as explanations.
func TestClassedMarksRunsAndKeepsInterfaces(t *testing.T) {
	inner := &markModel{gate: make(chan struct{})}
	m := New(inner, Options{MaxBatch: 8, MaxWait: -1})
	defer m.Close()
	cm := Classed(m, Explain)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); _, err := m.Run(context.Background(), marked(1, 1)); assert.NoError(t, err) }()
	waitUntil(t, "the first batch to start", func() bool { return inner.entered.Load() == 1 })
	go func() { defer wg.Done(); _, err := cm.Run(context.Background(), marked(5, 2)); assert.NoError(t, err) }()
	waitUntil(t, "the classed call to queue", func() bool { return m.QueueDepth(Explain) == 5 })
	assert.Equal(t, 0, m.QueueDepth(Predict))
	close(inner.gate)
	wg.Wait()
	_, isEmbedding := cm.(engine.EmbeddingModel)
	assert.False(t, isEmbedding, "a plain model stays plain")
}
