package onnx

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/engine"
)

// The testdata graphs come from scripts/make_test_models.py. In additive/,
// logits[b,k] = sum_s mask*W[id,k] + 0.5*k*sum_s type, W[i,k] = (i+1)(k-1)/8.
func additiveLogit(ids, mask, types []int64, k int) float32 {
	var sum float64
	for s := range ids {
		sum += float64(mask[s]) * float64(ids[s]+1) * float64(k-1) / 8
		sum += 0.5 * float64(k) * float64(types[s])
	}
	return float32(sum)
}

func openAdditive(t *testing.T, opts ...Option) *Model {
	t.Helper()
	m, err := Open("testdata/additive", opts...)
	require.NoError(t, err, "ONNX Runtime must be installed: run scripts/setup_ort.sh")
	t.Cleanup(func() { m.Close() })
	return m
}

func TestRunMatchesKnownLogits(t *testing.T) {
	m := openAdditive(t, WithLabels([]string{"a", "b", "c"}))
	assert.Equal(t, []string{"a", "b", "c"}, m.Labels())
	assert.Equal(t, []string{"input_ids", "attention_mask", "token_type_ids"}, m.Inputs())
	b := engine.Batch{Rows: 3, SeqLen: 4,
		InputIDs:      []int64{1, 5, 7, 2, 1, 3, 2, 0, 15, 2, 0, 0},
		AttentionMask: []int64{1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 0, 0},
		TokenTypeIDs:  []int64{0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0},
	}
	got, err := m.Run(context.Background(), b)
	require.NoError(t, err)
	require.Equal(t, 3, got.Rows)
	require.Equal(t, 3, got.Labels)
	assert.Positive(t, got.Elapsed, "the run reports how long the session ran")
	for r := range 3 {
		for k := range 3 {
			want := additiveLogit(b.InputIDs[r*4:r*4+4], b.AttentionMask[r*4:r*4+4], b.TokenTypeIDs[r*4:r*4+4], k)
			assert.InDelta(t, want, got.Row(r)[k], 1e-6, "row %d label %d", r, k)
		}
	}
	// nil token types mean zeros
	b.TokenTypeIDs = nil
	got2, err := m.Run(context.Background(), b)
	require.NoError(t, err)
	assert.InDelta(t, additiveLogit(b.InputIDs[:4], b.AttentionMask[:4], make([]int64, 4), 2), got2.Row(0)[2], 1e-6)
}

func TestDefaultLabelsAndMismatch(t *testing.T) {
	m := openAdditive(t)
	assert.Equal(t, []string{"LABEL_0", "LABEL_1", "LABEL_2"}, m.Labels())
	_, err := Open("testdata/additive", WithLabels([]string{"NEG", "POS"}))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "outputs 3 logits but 2 labels")
}

func TestRunIsSafeForConcurrentUse(t *testing.T) {
	m := openAdditive(t, WithSessions(2))
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for g := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := int64(g % 16)
			b := engine.Batch{Rows: 1, SeqLen: 2, InputIDs: []int64{id, id}, AttentionMask: []int64{1, 1}}
			for range 50 {
				l, err := m.Run(context.Background(), b)
				if err != nil {
					errs <- err
					return
				}
				if want := float32(2*(id+1)) / 8; l.Row(0)[2] != want {
					errs <- errors.New("wrong logit under concurrency")
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func TestRunHonoursCancellation(t *testing.T) {
	m := openAdditive(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := m.Run(ctx, engine.Batch{Rows: 1, SeqLen: 1, InputIDs: []int64{1}, AttentionMask: []int64{1}})
	assert.ErrorIs(t, err, context.Canceled)
	// the session is still usable afterwards
	_, err = m.Run(context.Background(), engine.Batch{Rows: 1, SeqLen: 1, InputIDs: []int64{1}, AttentionMask: []int64{1}})
	assert.NoError(t, err)
}

func TestRunRejectsMalformedBatch(t *testing.T) {
	m := openAdditive(t)
	for name, b := range map[string]engine.Batch{
		"empty":      {},
		"short ids":  {Rows: 2, SeqLen: 2, InputIDs: []int64{1}, AttentionMask: []int64{1, 1, 1, 1}},
		"short mask": {Rows: 1, SeqLen: 2, InputIDs: []int64{1, 1}, AttentionMask: []int64{1}},
		"long types": {Rows: 1, SeqLen: 1, InputIDs: []int64{1}, AttentionMask: []int64{1}, TokenTypeIDs: []int64{0, 0}},
	} {
		_, err := m.Run(context.Background(), b)
		assert.Error(t, err, name)
	}
}

func TestEmbeddingGraphsAgreeWithIDs(t *testing.T) {
	m := openAdditive(t)
	require.True(t, m.HasEmbeddingGraphs())
	require.Equal(t, 3, m.Hidden())
	ids := []int64{3, 9, 0}
	emb, err := m.Embed(context.Background(), ids)
	require.NoError(t, err)
	require.Len(t, emb, 9)
	for i, id := range ids {
		for k := range 3 {
			assert.InDelta(t, float32(id+1)*float32(k-1)/8, emb[i*3+k], 1e-7)
		}
	}
	mask := []int64{1, 1, 0}
	fromEmb, err := m.RunEmbeds(context.Background(), engine.EmbedBatch{Rows: 1, SeqLen: 3, Hidden: 3, Embeds: emb, AttentionMask: mask})
	require.NoError(t, err)
	fromIDs, err := m.Run(context.Background(), engine.Batch{Rows: 1, SeqLen: 3, InputIDs: ids, AttentionMask: mask})
	require.NoError(t, err)
	assert.InDeltaSlice(t, fromIDs.Data, fromEmb.Data, 1e-6)
	_, err = m.RunEmbeds(context.Background(), engine.EmbedBatch{Rows: 1, SeqLen: 3, Hidden: 4, Embeds: emb, AttentionMask: mask})
	assert.ErrorContains(t, err, "hidden size 4")
}

func TestFolderWithoutEmbeddingGraphs(t *testing.T) {
	dir := t.TempDir()
	copyFile(t, "testdata/additive/model.onnx", filepath.Join(dir, "model.onnx"))
	m, err := Open(dir)
	require.NoError(t, err)
	defer m.Close()
	assert.False(t, m.HasEmbeddingGraphs())
	assert.Equal(t, 0, m.Hidden())
	_, err = m.Embed(context.Background(), []int64{1})
	assert.ErrorContains(t, err, "lacks model_embeds.onnx and embeddings.onnx")
	assert.ErrorContains(t, err, "/usr/bin/python3 scripts/export_models.py grad "+dir+"` writes them (and model_grad.onnx)", "the command that writes them")

	// One of the two missing: only it is named.
	dir = t.TempDir()
	copyFile(t, "testdata/additive/model.onnx", filepath.Join(dir, "model.onnx"))
	copyFile(t, "testdata/additive/model.onnx", filepath.Join(dir, "model_embeds.onnx"))
	m2, err := Open(dir)
	require.NoError(t, err)
	defer m2.Close()
	_, err = m2.Embed(context.Background(), []int64{1})
	assert.ErrorContains(t, err, "lacks embeddings.onnx, which")
}

func TestOpenRejectsModelsOutsideTheContract(t *testing.T) {
	corrupt := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(corrupt, "model.onnx"), []byte("this is not a protobuf"), 0o644))
	for _, tc := range []struct{ dir, want string }{
		{"testdata/no_input_ids", `no "input_ids" input (its inputs: attention_mask, token_type_ids, tokens)`},
		{"testdata/extra_input", "input(s) position_ids that the model contract does not know"},
		{"testdata/no_logits", `no "logits" output (its outputs: scores)`},
		{"testdata/int32_ids", `input "input_ids" is`},
		{"testdata/does_not_exist", "no such file or directory"},
		{corrupt, "is not a model ONNX Runtime can read"},
	} {
		_, err := Open(tc.dir)
		require.Error(t, err, tc.dir)
		assert.Contains(t, err.Error(), tc.want, tc.dir)
	}
}

func TestMissingRuntimeLibrary(t *testing.T) {
	_, err := Open("testdata/additive", WithLibrary("/nonexistent/libonnxruntime.so"))
	require.ErrorIs(t, err, ErrNoRuntime)
	assert.Contains(t, err.Error(), "/nonexistent/libonnxruntime.so")
	assert.Contains(t, err.Error(), "scripts/setup_ort.sh")

	t.Setenv(LibraryEnv, "")
	t.Setenv("LUCID_CACHE_DIR", t.TempDir())
	_, err = FindLibrary("", false)
	require.ErrorIs(t, err, ErrNoRuntime)
	assert.Contains(t, err.Error(), "run scripts/setup_ort.sh")
	_, err = FindLibrary("", true)
	assert.Contains(t, err.Error(), "scripts/setup_ort.sh --gpu")
}

func TestCUDAWithoutCUDA(t *testing.T) {
	if os.Getenv("LUCID_TEST_CUDA") != "" {
		t.Skip("LUCID_TEST_CUDA is set: this machine is expected to have CUDA")
	}
	_, err := Open("testdata/additive", WithDevice(Device{CUDA: true}))
	require.Error(t, err)
	// Either no CUDA build of the library is installed, or the provider
	// cannot start; both must say so, not crash.
	if !errors.Is(err, ErrNoCUDA) {
		assert.Contains(t, err.Error(), "already loaded")
	}
}

func TestParseDevice(t *testing.T) {
	for in, want := range map[string]Device{"": {}, "cpu": {}, "cuda": {CUDA: true}, "cuda:3": {CUDA: true, ID: 3}} {
		got, err := ParseDevice(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	for _, bad := range []string{"gpu:1", "cuda:x", "cuda:-1", "tpu"} {
		_, err := ParseDevice(bad)
		assert.Error(t, err, bad)
	}
	assert.Equal(t, "cuda:2", Device{CUDA: true, ID: 2}.String())
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(to, b, 0o644))
}

func TestPositionTableRows(t *testing.T) {
	assert.Equal(t, 512, positionTableRows("../../models/sst2-mini-bert/model.onnx"))
	assert.Equal(t, 512, positionTableRows("../../models/sst2-mini-bert/model_embeds.onnx"))
	assert.Equal(t, 0, positionTableRows("testdata/additive/model.onnx"), "no position embeddings")
	assert.Equal(t, 0, positionTableRows("testdata/nonexistent.onnx"))
	junk := filepath.Join(t.TempDir(), "junk.onnx")
	require.NoError(t, os.WriteFile(junk, []byte("\x3a\xff\xff\xff\xff\x0fnot protobuf"), 0o644))
	assert.Equal(t, 0, positionTableRows(junk), "a claimed length past the end is not trusted")
}

// A sequence longer than the position-embedding table fails with
// ErrSequenceTooLong, once, instead of ONNX Runtime's raw Gather error.
func TestSequenceLongerThanPositionsIsNamed(t *testing.T) {
	m, err := Open("../../models/sst2-mini-bert")
	require.NoError(t, err)
	defer m.Close()
	assert.Equal(t, 512, m.Positions())
	const seq = 600
	b := engine.Batch{Rows: 1, SeqLen: seq, InputIDs: make([]int64, seq), AttentionMask: make([]int64, seq)}
	for i := range b.AttentionMask {
		b.AttentionMask[i] = 1
	}
	_, err = m.Run(context.Background(), b)
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrSequenceTooLong)
}
