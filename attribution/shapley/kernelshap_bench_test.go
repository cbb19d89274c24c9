package shapley

import (
	"context"
	"fmt"
	"testing"

	"github.com/lucid-nlp/lucid/attribution/gametest"
)

// BenchmarkKernelSHAP measures KernelSHAP's own cost, the game being a
// cheap pure-Go function: what an explanation adds to its model
// evaluations. (For scale: 5,000 rows of the small default model take
// about 1.9 s at 2,700 rows/s.)
func BenchmarkKernelSHAP(b *testing.B) {
	for _, c := range []struct {
		n, budget int
		odd       bool
	}{{12, 256, false}, {14, 512, false}, {14, 512, true}, {30, 1024, false}, {100, 5000, false}} {
		g := gametest.Sentiment(c.n, 1)
		b.Run(fmt.Sprintf("n=%d/budget=%d/odd=%v", c.n, c.budget, c.odd), func(b *testing.B) {
			for b.Loop() {
				if _, err := KernelSHAP(context.Background(), g, KernelSHAPOptions{Budget: c.budget, Seed: 1, OddRefinement: c.odd}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
