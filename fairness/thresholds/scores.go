package thresholds

import (
	"fmt"
	"math"
	"sort"
	"strings"
)

// The score histogram's bins: NumBins bins of equal width on the logit
// scale over [LogitMin, LogitMax], the first and last open-ended.
const (
	NumBins  = 4000
	LogitMin = -20.0
	LogitMax = 20.0
)

// MaxGroups is the most groups whose histograms Scores keeps (64 KB each,
// 16 MB at most); rows of further groups are counted, not fitted.
const MaxGroups = 256

// edges[k] is the probability at which bin k starts: edges[0] = 0 (every
// score is at least it), edges[1..NumBins−1] the sigmoid of the logit
// edges, edges[NumBins] = +Inf (no score reaches it). A score is in bin
// k when edges[k] ≤ score < edges[k+1], so "bin ≥ k" and "score ≥
// edges[k]" are the same test, with no rounding between them.
var edges = func() []float64 {
	e := make([]float64, NumBins+1)
	w := (LogitMax - LogitMin) / NumBins
	for k := 1; k < NumBins; k++ {
		e[k] = 1 / (1 + math.Exp(-(LogitMin + float64(k)*w)))
	}
	e[NumBins] = math.Inf(1)
	return e
}()

// binOf is the bin of a score in [0, 1].
func binOf(score float64) int {
	// The number of edges 1..NumBins−1 at or below the score.
	return sort.Search(NumBins-1, func(i int) bool { return edges[i+1] > score })
}

// histogram is one group's labelled rows: score counts by bin for the
// positives and the negatives, and the model's own confusion table.
type histogram struct {
	pos, neg       [NumBins]int64
	tp, fp, fn, tn int
}

func (h *histogram) positives() int { return h.tp + h.fn }
func (h *histogram) negatives() int { return h.fp + h.tn }
func (h *histogram) rows() int      { return h.positives() + h.negatives() }

// Scores gathers, row by row, what Fit needs: per group, histograms of the
// positive-class score of the labelled positives and negatives. Memory is
// 64 KB per group, at most MaxGroups groups. It is not safe for concurrent
// use.
//
// Scores merge (Merge, MarshalBinary, UnmarshalBinary) exactly, adding
// histograms, so Fit on merged parts gives the single pass's File, while
// the parts together have at most MaxGroups groups. Past that, which
// groups are fitted is the first MaxGroups seen, an order-dependent
// choice: Merge then refuses with an error rather than give a different
// answer.
type Scores struct {
	groups map[string]*histogram
	// Rows that cannot be fitted, counted: an empty group value, a group
	// beyond MaxGroups, no label.
	missing, unlabelled int
	beyond              map[string]int // rows of the first groups beyond MaxGroups, by name
	beyondRows          int            // rows of every group beyond MaxGroups
}

// maxBeyondNames bounds the names of groups beyond MaxGroups remembered
// for the report (all are counted).
const maxBeyondNames = 20

// NewScores starts an empty accumulator.
func NewScores() *Scores {
	return &Scores{groups: map[string]*histogram{}, beyond: map[string]int{}}
}

// Add counts one labelled row: its group, the positive-class score in
// [0, 1], whether its true label is the positive one, and whether the
// model predicted the positive label. A score outside [0, 1] (or NaN) is
// an error naming the value.
func (s *Scores) Add(group string, score float64, positive, modelPositive bool) error {
	if !(score >= 0 && score <= 1) {
		return fmt.Errorf("thresholds: score %v of a row of group %q: want a probability in [0, 1]", score, group)
	}
	if strings.TrimSpace(group) == "" {
		s.missing++
		return nil
	}
	h, ok := s.groups[group]
	if !ok {
		if len(s.groups) >= MaxGroups {
			s.beyondRows++
			if _, named := s.beyond[group]; named || len(s.beyond) < maxBeyondNames {
				if !named {
					group = strings.Clone(group)
				}
				s.beyond[group]++
			}
			return nil
		}
		h = new(histogram)
		s.groups[strings.Clone(group)] = h
	}
	b := binOf(score)
	switch {
	case positive && modelPositive:
		h.tp++
		h.pos[b]++
	case positive:
		h.fn++
		h.pos[b]++
	case modelPositive:
		h.fp++
		h.neg[b]++
	default:
		h.tn++
		h.neg[b]++
	}
	return nil
}

// AddUnlabelled counts a row without a true label: it cannot be fitted on
// (the objective is accuracy), and is reported as such.
func (s *Scores) AddUnlabelled() { s.unlabelled++ }

// Rows is the number of rows added, labelled or not.
func (s *Scores) Rows() int {
	n := s.missing + s.unlabelled + s.beyondRows
	for _, h := range s.groups {
		n += h.rows()
	}
	return n
}
