package batching

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/engine"
)

// sumModel is a pure-Go model whose logits depend only on the attended
// positions of a row (their ids, positions and types), as a transformer's
// do, so padding must not change them. It counts the rows and batches it
// runs, and can be held at a gate.
type sumModel struct {
	rows, batches atomic.Int64
	entered       atomic.Int64  // Runs begun, counted before the gate
	gate          chan struct{} // when set, each Run waits for a value
	fail          error
	mu            sync.Mutex
	sizes         []int
	seqs          []int // each batch's SeqLen
}

func (m *sumModel) Labels() []string { return []string{"A", "B"} }

func (m *sumModel) Run(ctx context.Context, b engine.Batch) (engine.Logits, error) {
	if err := b.Validate(); err != nil {
		return engine.Logits{}, err
	}
	m.entered.Add(1)
	if m.gate != nil {
		<-m.gate
	}
	m.rows.Add(int64(b.Rows))
	m.batches.Add(1)
	m.mu.Lock()
	m.sizes = append(m.sizes, b.Rows)
	m.seqs = append(m.seqs, b.SeqLen)
	m.mu.Unlock()
	if m.fail != nil {
		return engine.Logits{}, m.fail
	}
	out := engine.Logits{Rows: b.Rows, Labels: 2, Data: make([]float32, 2*b.Rows)}
	for r := range b.Rows {
		var s, t float32
		for c := range b.SeqLen {
			i := r*b.SeqLen + c
			if b.AttentionMask[i] == 0 {
				continue
			}
			s += float32(b.InputIDs[i]) * float32(c+1)
			if b.TokenTypeIDs != nil {
				t += float32(b.TokenTypeIDs[i])
			}
			t++
		}
		out.Data[2*r], out.Data[2*r+1] = s, t
	}
	return out, nil
}

// randomBatch makes a batch of rows rows of length seq, some of them
// ending in padding.
func randomBatch(rng *rand.Rand, rows, seq int) engine.Batch {
	b := engine.Batch{Rows: rows, SeqLen: seq, InputIDs: make([]int64, rows*seq), AttentionMask: make([]int64, rows*seq), TokenTypeIDs: make([]int64, rows*seq)}
	for r := range rows {
		n := 1 + rng.IntN(seq)
		for c := range seq {
			i := r*seq + c
			if c < n {
				b.InputIDs[i], b.AttentionMask[i] = int64(1+rng.IntN(1000)), 1
				b.TokenTypeIDs[i] = int64(rng.IntN(2))
			}
		}
	}
	return b
}

func TestManyGoroutinesGetTheirOwnRows(t *testing.T) {
	for _, mode := range []Mode{Pad, Group} {
		t.Run(mode.String(), func(t *testing.T) {
			inner := &sumModel{}
			m := New(inner, Options{MaxBatch: 16, MaxWait: time.Millisecond, Concurrency: 2, Mode: mode})
			defer m.Close()
			const goroutines, calls = 48, 20
			var wg sync.WaitGroup
			errs := make(chan error, goroutines)
			for g := range goroutines {
				wg.Add(1)
				go func() {
					defer wg.Done()
					rng := rand.New(rand.NewPCG(uint64(g), 7))
					for range calls {
						b := randomBatch(rng, 1+rng.IntN(5), 1+rng.IntN(12))
						want, err := (&sumModel{}).Run(context.Background(), b)
						if err != nil {
							errs <- err
							return
						}
						got, err := m.Run(context.Background(), b)
						if err != nil {
							errs <- err
							return
						}
						if got.Rows != want.Rows || got.Labels != want.Labels || !equalFloats(got.Data, want.Data) {
							errs <- errors.New("batched logits differ from the unbatched run")
							return
						}
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				require.NoError(t, err)
			}
			// Every row ran exactly once, in fewer batches than calls.
			assert.Positive(t, inner.rows.Load())
			assert.Less(t, inner.batches.Load(), int64(goroutines*calls), "calls shared batches")
			for _, s := range inner.sizes {
				assert.LessOrEqual(t, s, 16, "no batch above MaxBatch")
			}
			assert.Zero(t, m.QueueRows())
		})
	}
}

func equalFloats(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestBatchesFillUpToMaxBatch(t *testing.T) {
	inner := &sumModel{}
	// A long wait: the batch runs when 8 rows are there, not at the timer.
	m := New(inner, Options{MaxBatch: 8, MaxWait: time.Minute})
	defer m.Close()
	var wg sync.WaitGroup
	rng := rand.New(rand.NewPCG(1, 2))
	for range 8 {
		b := randomBatch(rng, 1, 4)
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := m.Run(context.Background(), b)
			assert.NoError(t, err)
		}()
	}
	wg.Wait()
	assert.Equal(t, int64(1), inner.batches.Load(), "8 one-row calls made one batch")
	assert.Equal(t, []int{8}, inner.sizes)
}

func TestCancelledCallerDropsItsRowsOnly(t *testing.T) {
	inner := &sumModel{gate: make(chan struct{})}
	m := New(inner, Options{MaxBatch: 4, MaxWait: -1})
	defer m.Close()
	rng := rand.New(rand.NewPCG(3, 4))
	// The first call occupies the only runner (held at the gate).
	first := make(chan error, 1)
	go func() { _, err := m.Run(context.Background(), randomBatch(rng, 1, 3)); first <- err }()
	require.Eventually(t, func() bool { return m.QueueRows() == 0 && len(m.slots) == 1 }, 5*time.Second, time.Millisecond)

	ctx, cancel := context.WithCancel(context.Background())
	cancelled := make(chan error, 1)
	go func() { _, err := m.Run(ctx, randomBatch(rand.New(rand.NewPCG(5, 6)), 3, 3)); cancelled <- err }()
	other := randomBatch(rand.New(rand.NewPCG(7, 8)), 2, 5)
	want, _ := (&sumModel{}).Run(context.Background(), other)
	kept := make(chan engine.Logits, 1)
	go func() {
		l, err := m.Run(context.Background(), other)
		assert.NoError(t, err)
		kept <- l
	}()
	require.Eventually(t, func() bool { return m.QueueRows() == 5 }, 5*time.Second, time.Millisecond)
	cancel()
	assert.ErrorIs(t, <-cancelled, context.Canceled)
	assert.Equal(t, 2, m.QueueRows(), "the cancelled caller's 3 rows left the queue")
	inner.gate <- struct{}{} // first batch
	require.NoError(t, <-first)
	inner.gate <- struct{}{} // the other caller's batch
	got := <-kept
	assert.Equal(t, want.Data, got.Data)
	assert.Equal(t, int64(3), inner.rows.Load(), "1 + 2 rows ran; the cancelled 3 never did")
}

func TestQueueFullAndClosed(t *testing.T) {
	inner := &sumModel{gate: make(chan struct{})}
	m := New(inner, Options{MaxBatch: 2, MaxWait: -1, MaxQueueRows: 3})
	rng := rand.New(rand.NewPCG(9, 9))
	done := make(chan error, 3)
	go func() { _, err := m.Run(context.Background(), randomBatch(rng, 2, 2)); done <- err }()
	require.Eventually(t, func() bool { return inner.entered.Load() == 1 && m.QueueRows() == 0 }, 5*time.Second, time.Millisecond)
	go func() {
		_, err := m.Run(context.Background(), randomBatch(rand.New(rand.NewPCG(1, 1)), 2, 2))
		done <- err
	}()
	require.Eventually(t, func() bool { return m.QueueRows() == 2 }, 5*time.Second, time.Millisecond)
	_, err := m.Run(context.Background(), randomBatch(rng, 2, 2))
	assert.ErrorIs(t, err, ErrQueueFull)
	assert.ErrorContains(t, err, "limit of 3")
	inner.gate <- struct{}{}
	inner.gate <- struct{}{}
	require.NoError(t, <-done)
	require.NoError(t, <-done)
	m.Close()
	_, err = m.Run(context.Background(), randomBatch(rng, 1, 2))
	assert.ErrorIs(t, err, ErrClosed)
}

func TestModelErrorReachesEveryCallerOfTheBatch(t *testing.T) {
	boom := errors.New("runtime exploded")
	inner := &sumModel{fail: boom}
	var infos []BatchInfo
	var mu sync.Mutex
	m := New(inner, Options{MaxBatch: 4, MaxWait: time.Minute, OnBatch: func(i BatchInfo) { mu.Lock(); infos = append(infos, i); mu.Unlock() }})
	defer m.Close()
	var wg sync.WaitGroup
	rng := rand.New(rand.NewPCG(2, 2))
	for range 4 {
		b := randomBatch(rng, 1, 1+rng.IntN(6))
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := m.Run(context.Background(), b)
			assert.ErrorIs(t, err, boom)
		}()
	}
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, infos, 1)
	assert.Equal(t, 4, infos[0].Rows)
	assert.Equal(t, 4, infos[0].Calls)
	assert.ErrorIs(t, infos[0].Err, boom)
}

func TestBadBatchAndMode(t *testing.T) {
	m := New(&sumModel{}, Options{})
	defer m.Close()
	_, err := m.Run(context.Background(), engine.Batch{Rows: 2, SeqLen: 3, InputIDs: make([]int64, 5), AttentionMask: make([]int64, 6)})
	assert.ErrorContains(t, err, "has 5 input ids, want 6")
	_, err = ParseMode("fastest")
	assert.ErrorContains(t, err, `mode "fastest"`)
	g, err := ParseMode("group")
	require.NoError(t, err)
	assert.Equal(t, Group, g)
}

// With more rows waiting than a batch holds, Pad mode puts the oldest call
// with the calls nearest its length, so little of a batch is padding; the
// others go in the next batch, and every caller gets its own rows' logits.
func TestPadModeGroupsNearbyLengths(t *testing.T) {
	inner := &sumModel{gate: make(chan struct{})}
	m := New(inner, Options{MaxBatch: 3, MaxWait: -1, Mode: Pad})
	defer m.Close()
	rng := rand.New(rand.NewPCG(1, 2))
	type answer struct {
		got, want engine.Logits
		err       error
	}
	var wg sync.WaitGroup
	answers := make(chan answer, 7)
	send := func(seq int) {
		b := randomBatch(rng, 1, seq)
		want, err := (&sumModel{}).Run(context.Background(), b)
		require.NoError(t, err)
		wg.Add(1)
		go func() {
			defer wg.Done()
			got, err := m.Run(context.Background(), b)
			answers <- answer{got, want, err}
		}()
	}
	send(5) // runs at once and holds the runner at the gate
	// Wait until it has reached the gate: an empty queue alone could be
	// the moment before it was queued.
	require.Eventually(t, func() bool { return inner.entered.Load() == 1 && m.QueueRows() == 0 }, 5*time.Second, time.Millisecond)
	for i, seq := range []int{10, 40, 11, 39, 12, 41} {
		send(seq)
		require.Eventually(t, func() bool { return m.QueueRows() == i+1 }, 5*time.Second, time.Millisecond, "arrival order")
	}
	for range 3 {
		inner.gate <- struct{}{}
	}
	wg.Wait()
	close(answers)
	for a := range answers {
		require.NoError(t, a.err)
		assert.Equal(t, a.want.Data, a.got.Data)
	}
	inner.mu.Lock()
	defer inner.mu.Unlock()
	assert.Equal(t, []int{1, 3, 3}, inner.sizes)
	assert.Equal(t, []int{5, 12, 41}, inner.seqs, "10 with 11 and 12, then 40 with 39 and 41; in arrival order the batches would pad to 40 and 41")
}

// A lone request under light traffic is not held for MaxWait: once a batch
// has served a single call, the next lone call goes at once ("alone"),
// while the first call (no evidence yet) and calls of a busy batcher wait
// or fill batches as before.
func TestLoneCallGoesAtOnceUnderLightTraffic(t *testing.T) {
	inner := &sumModel{}
	var infos []BatchInfo
	var mu sync.Mutex
	m := New(inner, Options{MaxBatch: 8, MaxWait: 20 * time.Millisecond, OnBatch: func(i BatchInfo) { mu.Lock(); infos = append(infos, i); mu.Unlock() }})
	defer m.Close()
	rng := rand.New(rand.NewPCG(9, 9))
	for range 3 {
		_, err := m.Run(context.Background(), randomBatch(rng, 1, 4))
		require.NoError(t, err)
	}
	// Then a burst that fills a batch: it still does.
	var wg sync.WaitGroup
	for range 8 {
		b := randomBatch(rng, 1, 4)
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := m.Run(context.Background(), b)
			assert.NoError(t, err)
		}()
	}
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	require.GreaterOrEqual(t, len(infos), 4)
	assert.Equal(t, TriggerDue, infos[0].Trigger, "the first call has no evidence of light traffic, and waits")
	assert.Equal(t, TriggerAlone, infos[1].Trigger)
	assert.Equal(t, TriggerAlone, infos[2].Trigger)
	rows := 0
	for _, i := range infos[3:] {
		rows += i.Rows
		assert.Contains(t, []string{TriggerAlone, TriggerFull, TriggerDue}, i.Trigger)
	}
	assert.Equal(t, 8, rows)
}
