package shapley_test

import (
	"context"
	"fmt"
	"math"

	"github.com/lucid-nlp/lucid/attribution/shapley"
	"github.com/lucid-nlp/lucid/perturb"
)

// glove is the glove game: feature 0 holds a left glove, 1 and 2 a right
// one, and a pair is worth 1.
type glove struct{}

func (glove) NumFeatures() int { return 3 }

func (glove) Values(_ context.Context, cs []perturb.Coalition) ([]float64, error) {
	out := make([]float64, len(cs))
	for k, c := range cs {
		if c.Has(0) && (c.Has(1) || c.Has(2)) {
			out[k] = 1
		}
	}
	return out, nil
}

func ExampleExactShapley() {
	a, err := shapley.ExactShapley(context.Background(), glove{}, 1<<10)
	if err != nil {
		panic(err)
	}
	fmt.Printf("φ = %.4f, v(N) − v(∅) = %g, %d evaluations\n", a.Values, a.Full-a.Base, a.Evaluations)
	// Output: φ = [0.6667 0.1667 0.1667], v(N) − v(∅) = 1, 8 evaluations
}

// words scores a sentence of 20 words: the sigmoid of their summed scores,
// with word 4 ("not") turning word 5 around.
type words []float64

func (w words) NumFeatures() int { return len(w) }

func (w words) Values(_ context.Context, cs []perturb.Coalition) ([]float64, error) {
	out := make([]float64, len(cs))
	for k, c := range cs {
		logit := -0.5
		for i, x := range w {
			if c.Has(i) {
				logit += x
			}
		}
		if c.Has(4) && c.Has(5) {
			logit -= 2 * w[5]
		}
		out[k] = 1 / (1 + math.Exp(-logit))
	}
	return out, nil
}

func ExampleKernelSHAP() {
	g := words{1.2, -0.3, 0.1, 0.05, -2, 0.4, 0, 0.2, -0.1, 0.3, 0.6, -0.4, 0.1, 0, 0.2, 0.9, -0.6, 0.1, 0.3, -0.2}
	a, err := shapley.KernelSHAP(context.Background(), g, shapley.KernelSHAPOptions{Budget: 512, Seed: 1})
	if err != nil {
		panic(err)
	}
	fmt.Printf("%d evaluations; word 0: %.3f ± %.3f, word 4: %.3f ± %.3f\n",
		a.Evaluations, a.Values[0], a.StdErr[0], a.Values[4], a.StdErr[4])
	// (Exact: 0.221 and −0.446.)
	// Output: 512 evaluations; word 0: 0.222 ± 0.001, word 4: -0.446 ± 0.000
}
