package lucid_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/lucid-nlp/lucid"
)

// topFeature returns the feature with the largest attribution.
func topFeature(ex *lucid.Explanation) lucid.FeatureAttribution {
	top := ex.Features[0]
	for _, f := range ex.Features {
		if f.Attribution > top.Attribution {
			top = f
		}
	}
	return top
}

// Open the model embedded in the binary; nothing beside ONNX Runtime is
// read from disk.
func ExampleOpenDefault() {
	m, err := lucid.OpenDefault(lucid.WithThreads(2))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer m.Close()
	fmt.Println(m.Name(), m.Labels(), m.MaxLength())
	// Output:
	// embedded:sst2-mini-bert [NEGATIVE POSITIVE] 512
}

// Open a model folder on disk, here the checkout's copy of the default
// model; any folder scripts/export_models.py writes opens the same way.
func ExampleOpen() {
	m, err := lucid.Open("models/sst2-mini-bert", lucid.WithThreads(2), lucid.WithSessions(1))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer m.Close()
	fmt.Println(m.Labels())

	_, err = lucid.Open("models/no-such-model")
	fmt.Println(err)
	// Output:
	// [NEGATIVE POSITIVE]
	// models: model folder models/no-such-model: stat models/no-such-model: no such file or directory
}

func ExampleModel_Predict() {
	m, err := lucid.OpenDefault()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer m.Close()
	preds, err := m.Predict(context.Background(), []string{"a gorgeous , witty , seductive movie .", "a dull , lifeless film ."})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, p := range preds {
		fmt.Printf("%s %.2f %s\n", p.Label, p.Probabilities[p.Label], p.Text)
	}
	// The JSON is a line of `lucid predict --json`: text, head, label,
	// probabilities and logits.
	b, _ := json.Marshal(preds[0])
	var line map[string]any
	_ = json.Unmarshal(b, &line)
	fmt.Println(len(line), line["label"])
	// Output:
	// POSITIVE 0.95 a gorgeous , witty , seductive movie .
	// NEGATIVE 0.94 a dull , lifeless film .
	// 5 POSITIVE
}

func ExampleModel_Explain() {
	m, err := lucid.OpenDefault()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer m.Close()
	ex, err := m.Explain(context.Background(), "a gorgeous , witty , seductive movie .",
		lucid.WithMethod(lucid.ExactShapley), lucid.WithOutput("logit"))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%s %s: %d words, %d evaluations, most positive %q\n",
		ex.Method, ex.Target, len(ex.Features), ex.Evaluations, topFeature(ex).Text)

	// The same result as `lucid explain --json`, one line per explanation.
	enc := json.NewEncoder(os.Stdout)
	_ = enc.Encode(map[string]any{"method": ex.Method, "target": ex.Target, "output": ex.Output, "settings": ex.Settings})
	// Output:
	// exact POSITIVE: 8 words, 256 evaluations, most positive "gorgeous"
	// {"method":"exact","output":"logit","settings":{"budget":256,"features":"words","mask":"mask","seed":1},"target":"POSITIVE"}
}

// Explain several texts at once: their perturbed texts share ONNX Runtime
// batches, and each seeded result equals the one Explain gives alone. A
// five-word text has only 2^5 = 32 coalitions, so KernelSHAP values them
// all (exactly) instead of spending the whole budget.
func ExampleModel_ExplainBatch() {
	m, err := lucid.OpenDefault()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer m.Close()
	texts := []string{"a gorgeous , witty , seductive movie .", "the plot made no sense", "caf\xe9"}
	exs, errs := m.ExplainBatch(context.Background(), texts, lucid.WithMethod(lucid.KernelSHAP), lucid.WithBudget(64), lucid.WithSeed(7))
	for i, ex := range exs {
		if errs != nil && errs[i] != nil {
			fmt.Println("error:", errs[i])
			continue
		}
		fmt.Printf("%s %s, %d evaluations\n", ex.Predicted, ex.Method, ex.Evaluations)
	}
	// Output:
	// POSITIVE kernelshap, 64 evaluations
	// NEGATIVE kernelshap, 32 evaluations
	// error: tokenize: text is not valid UTF-8: invalid byte 0xe9 at byte offset 3
}
