package thresholds

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"math"
)

// Rule is one group's decision rule, a non-decreasing step function of the
// positive-class score: P(positive | score) = Probabilities[i], where i is
// the number of Cuts at or below the score. Cuts ascend strictly within
// [0, 1]; Probabilities has one more entry than Cuts, each in [0, 1]. A
// plain threshold t is Cuts [t], Probabilities [0, 1].
type Rule struct {
	Cuts          []float64 `json:"cuts"`
	Probabilities []float64 `json:"probabilities"`
}

// Probability is P(positive | score).
func (r Rule) Probability(score float64) float64 {
	i := 0
	for i < len(r.Cuts) && score >= r.Cuts[i] {
		i++
	}
	return r.Probabilities[i]
}

// Randomized reports whether some score gets a probability strictly
// between 0 and 1, so its decision is a draw.
func (r Rule) Randomized() bool {
	for _, p := range r.Probabilities {
		if p > 0 && p < 1 {
			return true
		}
	}
	return false
}

// validate checks the rule's shape; the error names the bad value.
func (r Rule) validate() error {
	if len(r.Probabilities) != len(r.Cuts)+1 {
		return fmt.Errorf("%d cuts need %d probabilities, got %d", len(r.Cuts), len(r.Cuts)+1, len(r.Probabilities))
	}
	for i, c := range r.Cuts {
		if !(c >= 0 && c <= 1) {
			return fmt.Errorf("cut %v: want a score in [0, 1]", c)
		}
		if i > 0 && !(c > r.Cuts[i-1]) {
			return fmt.Errorf("cuts %v then %v: want them strictly ascending", r.Cuts[i-1], c)
		}
	}
	for _, p := range r.Probabilities {
		if !(p >= 0 && p <= 1) {
			return fmt.Errorf("probability %v: want a value in [0, 1]", p)
		}
	}
	return nil
}

// ruleFromBins builds a rule from per-region probabilities over bin
// thresholds: probs[i] applies to bins in [ks[i−1], ks[i]) (ks ascending
// bin indexes in [0, NumBins], probs one longer). Regions that no score can
// reach (below bin 0, at or above NumBins) and equal neighbours are
// dropped, so the rule is as short as it can be.
func ruleFromBins(ks []int, probs []float64) Rule {
	var r Rule
	cur := probs[0] // the probability of the region being built
	from := 0       // the first bin of that region
	for i, k := range ks {
		k = min(max(k, 0), NumBins)
		if k == from {
			// The region below k is empty (k is bin 0, or repeats the
			// previous cut): the next region starts here instead.
			cur = probs[i+1]
			continue
		}
		if k == NumBins {
			break // no score reaches the regions from NumBins up
		}
		if probs[i+1] != cur {
			r.Cuts = append(r.Cuts, edges[k])
			r.Probabilities = append(r.Probabilities, cur)
			cur, from = probs[i+1], k
		}
	}
	r.Probabilities = append(r.Probabilities, cur)
	return r
}

// draw is the row's uniform number in [0, 1): a hash of the seed, the
// group and the text, so a decision does not depend on the order rows come
// in and the same text in the same group always draws the same number.
func draw(seed uint64, group, text string) float64 {
	h := fnv.New64a()
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], seed)
	h.Write(b[:])
	h.Write([]byte(group))
	h.Write([]byte{0})
	h.Write([]byte(text))
	return float64(splitmix64(h.Sum64())>>11) / (1 << 53)
}

// splitmix64's finaliser spreads FNV's weak low bits over the word.
func splitmix64(z uint64) uint64 {
	z += 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// clamp01 keeps a probability computed in floating point inside [0, 1].
func clamp01(p float64) float64 { return math.Min(1, math.Max(0, p)) }
