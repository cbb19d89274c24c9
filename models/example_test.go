package models_test

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/lucid-nlp/lucid/attribution"
	"github.com/lucid-nlp/lucid/engine/onnx"
	"github.com/lucid-nlp/lucid/evaluate"
	"github.com/lucid-nlp/lucid/models"
)

// Load a model folder, classify texts, then explain one prediction.
func Example() {
	dir := filepath.Join(models.DefaultName) // models/sst2-mini-bert, from this package's folder
	clf, err := models.Load(dir, onnx.WithThreads(2))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer clf.Close()

	preds, err := clf.Predict(context.Background(), []string{"a gorgeous , witty , seductive movie .", "a dull , lifeless film ."})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, p := range preds {
		fmt.Println(p.Label, p.Text)
	}

	ev := evaluate.New(clf.Model, evaluate.Options{Output: evaluate.Probability})
	x := attribution.NewExplainer(clf.Tokenizer, ev, dir)
	res, err := x.Explain(context.Background(), attribution.Request{Text: "a gorgeous , witty , seductive movie .", Method: attribution.MethodExact})
	if err != nil {
		fmt.Println(err)
		return
	}
	top := res.Features[0]
	for _, f := range res.Features {
		if f.Attribution > top.Attribution {
			top = f
		}
	}
	fmt.Printf("%s: %d words, most positive %q\n", res.Method, len(res.Features), top.Text)
	// Output:
	// POSITIVE a gorgeous , witty , seductive movie .
	// NEGATIVE a dull , lifeless film .
	// exact: 8 words, most positive "gorgeous"
}
