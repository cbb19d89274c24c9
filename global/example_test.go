package global_test

import (
	"fmt"

	"github.com/lucid-nlp/lucid/attribution"
	"github.com/lucid-nlp/lucid/global"
)

// explained is an explanation of both labels of a two-word text, as
// Explainer.Explain returns with Request.AllTargets.
func explained(text, w1, w2 string, a1, a2 float64) *attribution.Result {
	return &attribution.Result{Text: text,
		Features: []attribution.FeatureAttribution{{Text: w1}, {Text: w2}},
		Labels: []attribution.LabelAttribution{
			{Label: "NEGATIVE", Index: 0, Attributions: []float64{-a1, -a2}},
			{Label: "POSITIVE", Index: 1, Attributions: []float64{a1, a2}},
		}}
}

// Two workers aggregate their own texts; merged, they give the figures
// of one pass over all of them.
func Example() {
	opt := global.Options{Labels: []string{"NEGATIVE", "POSITIVE"}}
	a, _ := global.New(opt)
	b, _ := global.New(opt)
	_ = a.Add(explained("Great fun", "Great", "fun", 0.5, 0.2))
	_ = a.Add(explained("great cast", "great", "cast", 0.3, 0.0))
	_ = b.Add(explained("dull plot", "dull", "plot", -0.4, -0.1))
	_ = b.Add(explained("great plot", "great", "plot", 0.4, 0.1))

	// b travels as bytes, as from another machine.
	data, _ := b.MarshalBinary()
	var fromB global.Accumulator
	_ = fromB.UnmarshalBinary(data)
	_ = a.Merge(&fromB)

	rep, _ := a.Report(3, 2, false)
	for _, w := range rep.Top[1].Towards {
		s := w.Stats
		fmt.Printf("%s: n=%d mean %.2f [%.2f, %.2f]\n", w.Word, w.Count, s.Mean, s.Low, s.High)
	}
	// Output:
	// great: n=3 mean 0.40 [0.15, 0.65]
}
