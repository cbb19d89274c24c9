package onnx

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

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

// BenchmarkBareORT is the floor: one AdvancedSession with its tensors made
// once, Run in a loop, nothing else.
func BenchmarkBareORT(b *testing.B) {
	skipWithoutModel(b)
	m, err := Open(benchModel) // loads the runtime the same way
	if err != nil {
		b.Fatal(err)
	}
	inputs := m.Inputs()
	nLabels := len(m.Labels())
	m.Close()
	batches, lengths := benchShapes()
	for _, seq := range lengths {
		for _, rows := range batches {
			batch := randomBatch(rows, seq)
			b.Run(fmt.Sprintf("seq=%d/batch=%d", seq, rows), func(b *testing.B) {
				shape := ort.NewShape(int64(rows), int64(seq))
				var in []ort.Value
				for _, name := range inputs {
					data := map[string][]int64{"input_ids": batch.InputIDs, "attention_mask": batch.AttentionMask, "token_type_ids": batch.TokenTypeIDs}[name]
					t, err := ort.NewTensor(shape, data)
					if err != nil {
						b.Fatal(err)
					}
					defer t.Destroy()
					in = append(in, t)
				}
				out, err := ort.NewEmptyTensor[float32](ort.NewShape(int64(rows), int64(nLabels)))
				if err != nil {
					b.Fatal(err)
				}
				defer out.Destroy()
				so, _ := ort.NewSessionOptions()
				defer so.Destroy()
				_ = so.SetIntraOpNumThreads(defaults().threads)
				_ = so.SetInterOpNumThreads(1)
				s, err := ort.NewAdvancedSession(filepath.Join(benchModel, ModelFile), inputs, []string{"logits"}, in, []ort.Value{out}, so)
				if err != nil {
					b.Fatal(err)
				}
				defer s.Destroy()
				for b.Loop() {
					if err := s.Run(); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "rows/s")
			})
		}
	}
}
