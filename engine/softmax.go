package engine

import "math"

// Softmax turns a row of logits into probabilities, computed in float64
// and shifted by the largest logit so large logits do not overflow.
func Softmax(logits []float32) []float64 {
	mx, sum := shiftAndSum(logits)
	p := make([]float64, len(logits))
	for i, l := range logits {
		p[i] = math.Exp(float64(l)-mx) / sum
	}
	return p
}

// SoftmaxAt is Softmax(logits)[i] without allocating, for hot paths that
// need one label's probability per row.
func SoftmaxAt(logits []float32, i int) float64 {
	mx, sum := shiftAndSum(logits)
	return math.Exp(float64(logits[i])-mx) / sum
}

// shiftAndSum returns the largest logit and Σ exp(logit − largest).
func shiftAndSum(logits []float32) (mx, sum float64) {
	mx = math.Inf(-1)
	for _, l := range logits {
		mx = math.Max(mx, float64(l))
	}
	for _, l := range logits {
		sum += math.Exp(float64(l) - mx)
	}
	return mx, sum
}

// Argmax is the index of p's largest value, the first of equals: the label
// a row of probabilities or logits predicts.
func Argmax[T float32 | float64](p []T) int {
	best := 0
	for i, v := range p {
		if v > p[best] {
			best = i
		}
	}
	return best
}
