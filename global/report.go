package global

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
)

const (
	// Confidence is the level of every interval in a Report.
	Confidence = 0.95
	// DefaultTop is how many words each top list holds by default.
	DefaultTop = 20
	// DefaultMinCount is the fewest occurrences a word needs to enter a
	// top list by default: a word seen once or twice has no usable
	// interval, and its mean is one text's noise.
	DefaultMinCount = 5
)

// Report is the dataset-level view (global.json). Its JSON form is
// documented in README.md ("Global explanations").
type Report struct {
	Model    string   `json:"model"`
	Method   string   `json:"method"`
	Output   string   `json:"output"`
	Features string   `json:"features"`
	Budget   int      `json:"budget"`
	Labels   []string `json:"labels"`
	// CaseSensitive: words as written; otherwise case-folded.
	CaseSensitive bool `json:"case_sensitive"`
	// Data names the file and Seconds the run's wall time; Skipped counts
	// its malformed rows (set by the caller: a merge of parts has no one
	// wall time).
	Data    string  `json:"data,omitempty"`
	Seconds float64 `json:"seconds,omitempty"`
	Skipped int     `json:"skipped,omitempty"`
	// Partial marks a report of the texts read before an interruption.
	Partial bool `json:"partial"`
	// Texts explained, and texts that could not be; Evaluations is the
	// model evaluations the explanations took.
	Texts       int `json:"texts"`
	Failed      int `json:"failed"`
	Evaluations int `json:"evaluations"`
	// Occurrences counts the words of the explained texts; WordTypes the
	// types kept, at most MaxWords; DroppedOccurrences the occurrences of
	// the types not kept (0 unless the cap was reached: then the kept
	// types are the MaxWords with the smallest hash, each counted
	// exactly).
	Occurrences        int `json:"occurrences"`
	WordTypes          int `json:"word_types"`
	MaxWords           int `json:"max_words"`
	DroppedOccurrences int `json:"dropped_occurrences"`
	// Confidence is the level of the intervals (0.95); Interval says how
	// they are computed.
	Confidence float64 `json:"confidence"`
	Interval   string  `json:"interval"`
	// MinCount and TopN say how the top lists were drawn.
	MinCount int `json:"min_count"`
	TopN     int `json:"top_n"`
	// Top holds, per label, the words with the largest mean attribution
	// towards it and against it, and the largest mean |attribution|.
	Top []LabelTop `json:"top"`
	// Words holds every kept word type, most frequent first (ties by the
	// word).
	Words []Word `json:"words"`
}

// LabelTop is one label's top lists; each entry is a word with its
// figures for this label.
type LabelTop struct {
	Label   string    `json:"label"`
	Towards []TopWord `json:"towards"`
	Against []TopWord `json:"against"`
	// Importance ranks by mean |attribution| (shap's bar plot).
	Importance []TopWord `json:"importance"`
}

// TopWord is a word in a top list.
type TopWord struct {
	Word  string     `json:"word"`
	Count int        `json:"count"`
	Stats LabelStats `json:"stats"`
}

// Word is one word type's figures.
type Word struct {
	Word  string `json:"word"`
	Count int    `json:"count"`
	// Labels holds the figures towards each label, in label order.
	Labels []LabelStats `json:"labels"`
	// Examples are up to three texts holding the word: those with the
	// smallest content hash, so the choice is the same however the
	// texts were split and merged (cut to 240 bytes).
	Examples []string `json:"examples"`
}

// LabelStats are a word's attributions towards one label over its
// occurrences.
type LabelStats struct {
	Label string `json:"label"`
	// Mean attribution, with a Student-t interval over the occurrences
	// (NaN, written null, with fewer than two).
	Mean float64 `json:"mean"`
	Low  float64 `json:"low"`
	High float64 `json:"high"`
	// MeanAbs is the mean |attribution|.
	MeanAbs float64 `json:"mean_abs"`
	// Positive and Negative count occurrences pushing towards and against
	// the label (|attribution| above 1e-6).
	Positive int `json:"positive"`
	Negative int `json:"negative"`
}

// labelStatsJSON is LabelStats with NaN written as null.
type labelStatsJSON struct {
	Label    string   `json:"label"`
	Mean     *float64 `json:"mean"`
	Low      *float64 `json:"low"`
	High     *float64 `json:"high"`
	MeanAbs  *float64 `json:"mean_abs"`
	Positive int      `json:"positive"`
	Negative int      `json:"negative"`
}

// MarshalJSON writes NaN (an interval of fewer than two occurrences) as
// null, which JSON has and NaN is not.
func (s LabelStats) MarshalJSON() ([]byte, error) {
	return json.Marshal(labelStatsJSON{s.Label, nullable(s.Mean), nullable(s.Low), nullable(s.High), nullable(s.MeanAbs), s.Positive, s.Negative})
}

// UnmarshalJSON reads null back as NaN.
func (s *LabelStats) UnmarshalJSON(b []byte) error {
	var p labelStatsJSON
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	val := func(v *float64) float64 {
		if v == nil {
			return math.NaN()
		}
		return *v
	}
	*s = LabelStats{Label: p.Label, Mean: val(p.Mean), Low: val(p.Low), High: val(p.High), MeanAbs: val(p.MeanAbs), Positive: p.Positive, Negative: p.Negative}
	return nil
}

func nullable(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

// IntervalRule states how the intervals are computed.
const IntervalRule = "Student t over a word's occurrences: mean ± t(0.975, n−1)·s/√n; occurrences in one text are counted as independent, and the spread includes the explainer's sampling error"

// Report computes the figures. top is how many words each top list holds
// (0: DefaultTop); minCount the fewest occurrences a word needs to enter
// one (0: DefaultMinCount). partial marks an interrupted run (as
// MarkPartial does).
func (a *Accumulator) Report(top, minCount int, partial bool) (*Report, error) {
	if top == 0 {
		top = DefaultTop
	}
	if minCount == 0 {
		minCount = DefaultMinCount
	}
	if top < 0 || minCount < 0 {
		return nil, fmt.Errorf("global: Report: top %d and min count %d must not be negative", top, minCount)
	}
	o := a.opt
	rep := &Report{Model: o.Model, Method: o.Method, Output: o.Output, Features: o.Features, Budget: o.Budget,
		Labels: slices.Clone(o.Labels), CaseSensitive: o.CaseSensitive, Partial: partial || a.partial,
		Texts: a.texts, Failed: a.failed, Evaluations: a.evaluations, Occurrences: a.occurrences,
		WordTypes: len(a.words), MaxWords: o.MaxWords, DroppedOccurrences: a.dropped,
		Confidence: Confidence, Interval: IntervalRule, MinCount: minCount, TopN: top, Words: make([]Word, 0, len(a.words))}
	for _, w := range a.sorted() {
		word := Word{Word: w.key.word, Count: w.n, Labels: make([]LabelStats, len(o.Labels)), Examples: make([]string, len(w.examples))}
		for i, e := range w.examples {
			word.Examples[i] = e.Text
		}
		for l, name := range o.Labels {
			s := w.attr[l].Summary(Confidence)
			word.Labels[l] = LabelStats{Label: name, Mean: s.Mean, Low: s.Low, High: s.High,
				MeanAbs: w.abs[l].Value() / float64(w.n), Positive: s.Positive, Negative: s.Negative}
		}
		rep.Words = append(rep.Words, word)
	}
	slices.SortStableFunc(rep.Words, func(x, y Word) int {
		if c := cmp.Compare(y.Count, x.Count); c != 0 {
			return c
		}
		return strings.Compare(x.Word, y.Word)
	})
	for l, name := range o.Labels {
		lt := LabelTop{Label: name}
		lt.Towards = topBy(rep.Words, l, top, minCount, func(s LabelStats) float64 { return s.Mean }, func(s LabelStats) bool { return s.Mean > 0 })
		lt.Against = topBy(rep.Words, l, top, minCount, func(s LabelStats) float64 { return -s.Mean }, func(s LabelStats) bool { return s.Mean < 0 })
		lt.Importance = topBy(rep.Words, l, top, minCount, func(s LabelStats) float64 { return s.MeanAbs }, func(s LabelStats) bool { return s.MeanAbs > 0 })
		rep.Top = append(rep.Top, lt)
	}
	return rep, nil
}

// topBy returns the top words of label l by key, largest first, among
// those with at least minCount occurrences that pass keep; ties by count,
// then by the word.
func topBy(words []Word, l, top, minCount int, key func(LabelStats) float64, keep func(LabelStats) bool) []TopWord {
	var out []TopWord
	for _, w := range words {
		s := w.Labels[l]
		if w.Count >= minCount && keep(s) && !math.IsNaN(key(s)) {
			out = append(out, TopWord{Word: w.Word, Count: w.Count, Stats: s})
		}
	}
	slices.SortStableFunc(out, func(x, y TopWord) int {
		if c := cmp.Compare(key(y.Stats), key(x.Stats)); c != 0 {
			return c
		}
		if c := cmp.Compare(y.Count, x.Count); c != 0 {
			return c
		}
		return strings.Compare(x.Word, y.Word)
	})
	if len(out) > top {
		out = out[:top]
	}
	return out
}
