package engine

import (
	"fmt"
	"math"
	"strings"
)

// Head says how a classifier's logits become the numbers people read:
// a softmax across labels (one label per text), a sigmoid per label (any
// number of labels per text: toxicity and moderation models), or one raw
// score (regression heads: sentiment strength, a reranker's relevance).
// It comes from config.json's problem_type and num_labels.
type Head int

const (
	// SingleLabel: probabilities are the softmax of the logits.
	SingleLabel Head = iota
	// MultiLabel: each label's probability is the sigmoid of its logit.
	MultiLabel
	// Regression: one output, the score itself; it has no probability.
	Regression
)

// ParseHead reads a Hugging Face problem_type ("single_label_classification",
// "multi_label_classification", "regression") or the short names
// single-label, multi-label and regression.
func ParseHead(s string) (Head, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "single_label_classification", "single-label", "single_label", "single", "softmax":
		return SingleLabel, nil
	case "multi_label_classification", "multi-label", "multi_label", "multi", "sigmoid":
		return MultiLabel, nil
	case "regression":
		return Regression, nil
	}
	return SingleLabel, fmt.Errorf("engine: head %q: want single-label, multi-label or regression (or config.json's problem_type: single_label_classification, multi_label_classification, regression)", s)
}

// String is the short name ParseHead reads.
func (h Head) String() string {
	switch h {
	case SingleLabel:
		return "single-label"
	case MultiLabel:
		return "multi-label"
	case Regression:
		return "regression"
	}
	return fmt.Sprintf("Head(%d)", int(h))
}

// HasProbabilities is false for regression heads, whose output is a score.
func (h Head) HasProbabilities() bool { return h != Regression }

// Probabilities turns a row of logits into what the head reports: softmax
// probabilities (summing to 1), independent sigmoid probabilities, or, for
// a regression head, the raw score unchanged.
func (h Head) Probabilities(logits []float32) []float64 {
	switch h {
	case MultiLabel:
		p := make([]float64, len(logits))
		for i, l := range logits {
			p[i] = Sigmoid(float64(l))
		}
		return p
	case Regression:
		p := make([]float64, len(logits))
		for i, l := range logits {
			p[i] = float64(l)
		}
		return p
	}
	return Softmax(logits)
}

// ProbabilityAt is Probabilities(logits)[i] without allocating.
func (h Head) ProbabilityAt(logits []float32, i int) float64 {
	switch h {
	case MultiLabel:
		return Sigmoid(float64(logits[i]))
	case Regression:
		return float64(logits[i])
	}
	return SoftmaxAt(logits, i)
}

// LogOddsAt is log(p / (1 − p)) of label i: the logit itself for a sigmoid
// label, logit_i − logsumexp(other logits) for a softmax, and the raw score
// for regression (which has no odds).
func (h Head) LogOddsAt(logits []float32, i int) float64 {
	if h != SingleLabel || len(logits) == 1 {
		return float64(logits[i])
	}
	mx := math.Inf(-1)
	for j, l := range logits {
		if j != i {
			mx = math.Max(mx, float64(l))
		}
	}
	var sum float64
	for j, l := range logits {
		if j != i {
			sum += math.Exp(float64(l) - mx)
		}
	}
	return float64(logits[i]) - (mx + math.Log(sum))
}

// Sigmoid is 1 / (1 + e^−x), computed so large |x| neither overflows nor
// loses the small tail.
func Sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

// HeadModel is a Model that says its head. Models that do not implement it
// are single-label (softmax) classifiers.
type HeadModel interface {
	Model
	Head() Head
}

// HeadOf returns m's head: m.Head() where m says, SingleLabel otherwise.
func HeadOf(m Model) Head {
	if hm, ok := m.(HeadModel); ok {
		return hm.Head()
	}
	return SingleLabel
}
