package onnx

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	ort "github.com/yalue/onnxruntime_go"

	"github.com/lucid-nlp/lucid/engine"
)

// The engine's batched throughput beside a bare onnxruntime_go loop on the
// same model, same threads: go test ./engine/onnx -bench . -run '^$'
// Each reports rows/s; the ratio of the two at equal batch and length is
// the engine's overhead.

var benchModel = filepath.Join("..", "..", "models", "sst2-mini-bert")

func benchShapes() (batches, lengths []int) { return []int{1, 8, 32, 128}, []int{16, 64} }

func randomBatch(rows, seq int) engine.Batch {
	r := rand.New(rand.NewPCG(1, 2))
	b := engine.Batch{Rows: rows, SeqLen: seq, InputIDs: make([]int64, rows*seq), AttentionMask: make([]int64, rows*seq), TokenTypeIDs: make([]int64, rows*seq)}
	for i := range b.InputIDs {
		b.InputIDs[i] = 1000 + r.Int64N(20000)
		b.AttentionMask[i] = 1
	}
	return b
}

func skipWithoutModel(b *testing.B) {
	if _, err := os.Stat(filepath.Join(benchModel, ModelFile)); err != nil {
		b.Skipf("the default model %s is not there: %v", benchModel, err)
	}
}

func BenchmarkEngine(b *testing.B) {
	skipWithoutModel(b)
	m, err := Open(benchModel)
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	batches, lengths := benchShapes()
	for _, seq := range lengths {
		for _, rows := range batches {
			batch := randomBatch(rows, seq)
			b.Run(fmt.Sprintf("seq=%d/batch=%d", seq, rows), func(b *testing.B) {
				for b.Loop() {
					if _, err := m.Run(context.Background(), batch); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "rows/s")
			})
		}
	}
}

// bareSession is the floor: one AdvancedSession with its tensors made once,
// Run in a loop, nothing else.
type bareSession struct {
	s       *ort.AdvancedSession
	destroy []func() error
}

func newBareSession(b *testing.B, inputs []string, nLabels int, batch engine.Batch) *bareSession {
	shape := ort.NewShape(int64(batch.Rows), int64(batch.SeqLen))
	bs := &bareSession{}
	var in []ort.Value
	for _, name := range inputs {
		data := map[string][]int64{"input_ids": batch.InputIDs, "attention_mask": batch.AttentionMask, "token_type_ids": batch.TokenTypeIDs}[name]
		t, err := ort.NewTensor(shape, data)
		if err != nil {
			b.Fatal(err)
		}
		bs.destroy = append(bs.destroy, t.Destroy)
		in = append(in, t)
	}
	out, err := ort.NewEmptyTensor[float32](ort.NewShape(int64(batch.Rows), int64(nLabels)))
	if err != nil {
		b.Fatal(err)
	}
	bs.destroy = append(bs.destroy, out.Destroy)
	so, err := ort.NewSessionOptions()
	if err != nil {
		b.Fatal(err)
	}
	defer so.Destroy()
	_ = so.SetIntraOpNumThreads(defaults().threads)
	_ = so.SetInterOpNumThreads(1)
	bs.s, err = ort.NewAdvancedSession(filepath.Join(benchModel, ModelFile), inputs, []string{"logits"}, in, []ort.Value{out}, so)
	if err != nil {
		b.Fatal(err)
	}
	bs.destroy = append(bs.destroy, bs.s.Destroy)
	return bs
}

func (bs *bareSession) close() {
	for i := len(bs.destroy) - 1; i >= 0; i-- {
		_ = bs.destroy[i]()
	}
}

// BenchmarkBareORT runs the bare loop on the shapes of BenchmarkEngine.
func BenchmarkBareORT(b *testing.B) {
	skipWithoutModel(b)
	m, err := Open(benchModel) // loads the runtime the same way
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	batches, lengths := benchShapes()
	for _, seq := range lengths {
		for _, rows := range batches {
			bs := newBareSession(b, m.Inputs(), len(m.Labels()), randomBatch(rows, seq))
			b.Run(fmt.Sprintf("seq=%d/batch=%d", seq, rows), func(b *testing.B) {
				for b.Loop() {
					if err := bs.s.Run(); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "rows/s")
			})
			bs.close()
		}
	}
}

// BenchmarkOverhead measures what the engine adds to ONNX Runtime itself:
// on each shape it alternates, in rounds, the engine's Run and a bare
// onnxruntime_go loop over the same session (tensors made once, Run in a
// loop), and reports the engine's time over the bare loop's, each the best
// of its rounds. Same session, same thread pool: two sessions would have two
// intra-op pools whose spinning threads steal the cores from each other,
// and alternating in rounds with best-of cancels most of the noise of a
// shared machine that separate benchmarks minutes apart do not.
//
//	go test ./engine/onnx -run '^$' -bench Overhead -benchtime 1x -count 3
func BenchmarkOverhead(b *testing.B) {
	skipWithoutModel(b)
	m, err := Open(benchModel)
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	sess := m.main.all[0].s
	batches, lengths := benchShapes()
	for _, seq := range lengths {
		for _, rows := range batches {
			batch := randomBatch(rows, seq)
			shape := ort.NewShape(int64(rows), int64(seq))
			var in []ort.Value
			for _, name := range m.Inputs() {
				data := map[string][]int64{"input_ids": batch.InputIDs, "attention_mask": batch.AttentionMask, "token_type_ids": batch.TokenTypeIDs}[name]
				t, err := ort.NewTensor(shape, data)
				if err != nil {
					b.Fatal(err)
				}
				defer t.Destroy()
				in = append(in, t)
			}
			out, err := ort.NewEmptyTensor[float32](ort.NewShape(int64(rows), int64(len(m.Labels()))))
			if err != nil {
				b.Fatal(err)
			}
			defer out.Destroy()
			outs := []ort.Value{out}
			b.Run(fmt.Sprintf("seq=%d/batch=%d", seq, rows), func(b *testing.B) {
				per := max(1, 12800/(rows*seq)) // about 200 ms a round on two cores
				bestEngine, bestBare := time.Duration(1<<62), time.Duration(1<<62)
				for b.Loop() {
					for range 7 {
						start := time.Now()
						for range per {
							if err := sess.Run(in, outs); err != nil {
								b.Fatal(err)
							}
						}
						bestBare = min(bestBare, time.Since(start))
						start = time.Now()
						for range per {
							if _, err := m.Run(context.Background(), batch); err != nil {
								b.Fatal(err)
							}
						}
						bestEngine = min(bestEngine, time.Since(start))
					}
				}
				b.ReportMetric(float64(rows*per)/bestEngine.Seconds(), "engine_rows/s")
				b.ReportMetric(float64(rows*per)/bestBare.Seconds(), "bare_rows/s")
				b.ReportMetric(100*(bestEngine.Seconds()/bestBare.Seconds()-1), "overhead_%")
			})
		}
	}
}

// randomEmbedBatch is randomBatch looked up through embeddings.onnx: real
// token embeddings, so the gradient graph sees the activations it sees in use.
func randomEmbedBatch(b *testing.B, m *Model, rows, seq int) engine.EmbedBatch {
	ids := randomBatch(rows, seq)
	e, err := m.Embed(context.Background(), ids.InputIDs)
	if err != nil {
		b.Fatal(err)
	}
	return engine.EmbedBatch{Rows: rows, SeqLen: seq, Hidden: m.Hidden(), Embeds: e, AttentionMask: ids.AttentionMask, TokenTypeIDs: ids.TokenTypeIDs}
}

// BenchmarkGradientCost is the per-row cost of model_grad.onnx against
// model_embeds.onnx at the same batch and length: gradient rows/s, forward
// rows/s and their ratio (forward + backward is about 3× a forward pass
// when written well). The two alternate in rounds, best of 5 each, for the
// reason BenchmarkOverhead gives.
//
//	go test ./engine/onnx -run '^$' -bench GradientCost -benchtime 1x
func BenchmarkGradientCost(b *testing.B) {
	skipWithoutModel(b)
	m, err := Open(benchModel)
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	if !m.HasGradientGraph() {
		b.Skipf("%s has no %s", benchModel, GradFile)
	}
	ctx := context.Background()
	for _, seq := range []int{16, 64} {
		for _, rows := range []int{1, 8, 32} {
			batch := randomEmbedBatch(b, m, rows, seq)
			targets := make([]int, rows)
			b.Run(fmt.Sprintf("seq=%d/batch=%d", seq, rows), func(b *testing.B) {
				per := max(1, 6400/(rows*seq))
				bestFwd, bestGrad := time.Duration(1<<62), time.Duration(1<<62)
				for b.Loop() {
					for range 5 {
						start := time.Now()
						for range per {
							if _, err := m.RunEmbeds(ctx, batch); err != nil {
								b.Fatal(err)
							}
						}
						bestFwd = min(bestFwd, time.Since(start))
						start = time.Now()
						for range per {
							if _, _, err := m.Gradient(ctx, batch, targets, engine.ScoreProbability); err != nil {
								b.Fatal(err)
							}
						}
						bestGrad = min(bestGrad, time.Since(start))
					}
				}
				b.ReportMetric(float64(rows*per)/bestFwd.Seconds(), "forward_rows/s")
				b.ReportMetric(float64(rows*per)/bestGrad.Seconds(), "gradient_rows/s")
				b.ReportMetric(bestGrad.Seconds()/bestFwd.Seconds(), "gradient/forward")
			})
		}
	}
}
