package attribution

import (
	"context"
	"testing"

	"github.com/lucid-nlp/lucid/evaluate"
)

// BenchmarkExplainOverhead times what an explanation costs besides the
// model: the model here is the pure-Go lexicon model, which costs next to
// nothing, so the time is sampling, row building, batching and the solve.
//
//	go test ./attribution -run '^$' -bench ExplainOverhead
func BenchmarkExplainOverhead(b *testing.B) {
	c := defaultClassifier(b)
	m := &lexiconModel{weights: map[int64]float64{2204: 1, 2919: -1}}
	x := NewExplainer(c.Tokenizer, evaluate.New(m, evaluate.Options{}), "lexicon")
	text := "it 's a charming and often affecting journey , though the second half drags and the jokes are stale ."
	for _, method := range []Method{MethodKernelSHAP, MethodLIME, MethodOcclusion} {
		b.Run(string(method), func(b *testing.B) {
			var evals int
			for b.Loop() {
				res, err := x.Explain(context.Background(), Request{Text: text, Method: method, Budget: 512, Seed: 1})
				if err != nil {
					b.Fatal(err)
				}
				evals = res.Evaluations
			}
			b.ReportMetric(float64(evals), "evals/op")
		})
	}
}
