// Package scoring is what the fairness audits share: the small Classifier
// interface they score texts through (never ONNX Runtime), the choice of
// the target label, and a Batcher that hands the classifier full batches
// however the texts arrive.
package scoring

import (
	"context"
	"fmt"
	"math"
	"strings"

	"github.com/lucid-nlp/lucid/engine"
)

// Classifier gives class probabilities for texts (one row per text,
// columns = Labels()).
type Classifier interface {
	Labels() []string
	Probabilities(ctx context.Context, texts []string) ([][]float64, error)
}

// DefaultBatchSize is how many texts go to the classifier per call when
// none is set.
const DefaultBatchSize = 256

// TargetIndex resolves the label whose probability an audit measures: target by
// name (case-insensitive), or when target is empty a label named
// "positive", or else the last label (the positive class of a binary
// classifier labelled [negative, positive] in any spelling).
func TargetIndex(labels []string, target string) (int, error) {
	if len(labels) == 0 {
		return 0, fmt.Errorf("scoring: classifier has no labels")
	}
	if target == "" {
		for i, l := range labels {
			if strings.EqualFold(l, "positive") {
				return i, nil
			}
		}
		return len(labels) - 1, nil
	}
	for i, l := range labels {
		if strings.EqualFold(l, target) {
			return i, nil
		}
	}
	return 0, fmt.Errorf("scoring: target label %q is not one of the classifier's labels %q", target, labels)
}

// Batcher queues groups of texts (an original with its edits, say) and
// scores them in calls of exactly size texts (the last call of a flush may
// be shorter), so the classifier always sees full batches however texts
// arrive. Groups complete in the order they were added, so what a caller
// accounts does not depend on where batches happened to end.
type Batcher struct {
	clf     Classifier
	size    int
	nLabels int
	rows    []string
	probs   [][]float64 // probs[i] belongs to rows[i], for i < len(probs)
	groups  []queuedGroup
}

type queuedGroup struct {
	n    int
	done func(probs [][]float64)
}

// NewBatcher scores through clf in calls of size texts; nLabels is the
// number of probabilities each text must get.
func NewBatcher(clf Classifier, size, nLabels int) *Batcher {
	return &Batcher{clf: clf, size: size, nLabels: nLabels}
}

// Add queues a group of texts; done receives their probabilities, in the
// same order, once all of them are scored (the slice is valid only during
// the call).
func (b *Batcher) Add(texts []string, done func(probs [][]float64)) {
	b.rows = append(b.rows, texts...)
	b.groups = append(b.groups, queuedGroup{n: len(texts), done: done})
}

// Run scores the full batches that are ready (with all set, the remainder
// too) and completes every group whose texts are all scored. If scoring
// fails the texts stay queued and a later Run tries them again.
func (b *Batcher) Run(ctx context.Context, all bool) error {
	if err := b.score(ctx, all); err != nil {
		return err
	}
	done, rows := 0, 0
	for _, g := range b.groups {
		if rows+g.n > len(b.probs) {
			break
		}
		g.done(b.probs[rows : rows+g.n])
		rows += g.n
		done++
	}
	b.groups = b.groups[:copy(b.groups, b.groups[done:])]
	b.drop(rows)
	return nil
}

// Pending is the number of queued texts not yet scored.
func (b *Batcher) Pending() int { return len(b.rows) - len(b.probs) }

// score runs full batches; with all set it also runs the remainder.
func (b *Batcher) score(ctx context.Context, all bool) error {
	for b.Pending() >= b.size || (all && b.Pending() > 0) {
		if err := ctx.Err(); err != nil {
			return err
		}
		lo := len(b.probs)
		hi := min(lo+b.size, len(b.rows))
		ps, err := b.clf.Probabilities(ctx, b.rows[lo:hi])
		if err != nil {
			return fmt.Errorf("scoring: scoring %d texts: %w", hi-lo, err)
		}
		if len(ps) != hi-lo {
			return fmt.Errorf("scoring: classifier returned %d rows of probabilities for %d texts", len(ps), hi-lo)
		}
		for k, p := range ps {
			if len(p) != b.nLabels {
				return fmt.Errorf("scoring: classifier returned %d probabilities for text %q, want %d (one per label)", len(p), b.rows[lo+k], b.nLabels)
			}
			for _, v := range p {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					return fmt.Errorf("scoring: classifier returned probability %v for text %q", v, b.rows[lo+k])
				}
			}
		}
		b.probs = append(b.probs, ps...)
	}
	return nil
}

// drop forgets the first n texts, which must be scored.
func (b *Batcher) drop(n int) {
	// Copy down rather than reslice so the backing arrays do not grow
	// without bound over a long stream; clear the tail so the dropped
	// texts can be collected.
	m := copy(b.rows, b.rows[n:])
	clear(b.rows[m:])
	b.rows = b.rows[:m]
	m = copy(b.probs, b.probs[n:])
	clear(b.probs[m:])
	b.probs = b.probs[:m]
}

// HeadClassifier is a Classifier that says its head: a multi-label
// classifier's Probabilities are one sigmoid per label (each in [0, 1],
// not summing to 1), a regression head's one raw score. A Classifier
// without the method is single-label (softmax).
type HeadClassifier interface {
	Classifier
	Head() engine.Head
}

// HeadOf is c's head: c.Head() where c says, engine.SingleLabel otherwise.
func HeadOf(c Classifier) engine.Head {
	if h, ok := c.(HeadClassifier); ok {
		return h.Head()
	}
	return engine.SingleLabel
}
