package consistency

import (
	"math/rand/v2"

	"github.com/lucid-nlp/lucid/fairness/pairtext"
)

// OrderSwapTest names the order-swap invariance test of sentence pairs.
const OrderSwapTest = "order-swap"

// PairTests adapts tests to sentence pairs, which reach the Runner as one
// string (pairtext.Join): each edit applies to the texts side names (Both:
// to each text on its own; the edit applies when it changes either), and
// with symmetric the order-swap test is added: (A, B) against (B, A),
// which should not move p(target) on a symmetric task (paraphrase,
// similarity, duplicate questions). It is an invariance test like the
// others, judged by the same rule (tolerance, failure-rate threshold,
// Holm across the run's tests).
func PairTests(tests []Test, side pairtext.Side, symmetric bool) []Test {
	out := make([]Test, 0, len(tests)+1)
	for _, t := range tests {
		edit := t.Edit
		t.Edit = func(text string, rng *rand.Rand) (string, bool) {
			return pairtext.Apply(text, side, func(s string) (string, bool) { return edit(s, rng) })
		}
		out = append(out, t)
	}
	if symmetric {
		out = append(out, Test{Name: OrderSwapTest, Edit: func(text string, _ *rand.Rand) (string, bool) { return pairtext.Swap(text) }, Expect: Invariant})
	}
	return out
}
