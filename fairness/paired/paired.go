// Package paired is the matched analysis of an audit: when texts come in
// frames (a template filled with different names, a sentence and its
// counterfactual twins), groups are compared within each frame, so the
// frame's own content cancels out. Pooling rates across frames can hide a
// consistent bias (every template scores group B higher, yet the pooled
// rates stay close) and opposite effects in one column; a paired test on
// the per-frame differences cannot.
//
// For each pair of groups (A, B) the per-frame difference is
// d = mean score of A's rows in the frame − mean score of B's rows in it,
// over the frames that have both. The report gives its mean with a t
// interval, how many frames favour each side, the sign test, the paired
// t-test and the Wilcoxon signed-rank test; the verdict uses the paired
// t-test (it tests the mean that is reported, and its interval is the
// estimate's), Holm-corrected across the pairs of the column.
package paired

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/lucid-nlp/lucid/fairness/stats"
)

// Defaults for the zero Options.
const (
	DefaultTolerance  = 0.1
	DefaultConfidence = 0.95
	DefaultMaxFrames  = 1_000_000
	DefaultMaxGroups  = 20
)

// Options configures an Accumulator. The zero value is usable.
type Options struct {
	// Column and FrameColumn name the group column and the frame column;
	// they are copied into the report.
	Column, FrameColumn string
	// Tolerance: a mean paired score difference within ±Tolerance is too
	// small to matter (default 0.1, CheckList's tolerance for a
	// probability change).
	Tolerance float64
	// Confidence of the intervals (default 0.95); Alpha of the tests
	// (default stats.DefaultAlpha).
	Confidence, Alpha float64
	// MaxFrames bounds memory: rows of frames first seen after this many
	// are counted as dropped, not analysed (default 1,000,000).
	MaxFrames int
	// MaxGroups: pairs are formed among the MaxGroups groups present in the
	// most frames (default 20, at most 190 pairs).
	MaxGroups int
	// Skip names group values left out of the pairs (the missing value,
	// say); their rows are counted.
	Skip []string
}

func (o Options) withDefaults() (Options, error) {
	if o.Tolerance == 0 {
		o.Tolerance = DefaultTolerance
	}
	if !(o.Tolerance > 0) {
		return o, fmt.Errorf("paired: tolerance %v: want a positive score difference, like 0.1", o.Tolerance)
	}
	if o.Confidence == 0 {
		o.Confidence = DefaultConfidence
	}
	if !(o.Confidence > 0 && o.Confidence < 1) {
		return o, fmt.Errorf("paired: confidence %v: want a level between 0 and 1, like 0.95", o.Confidence)
	}
	if o.Alpha == 0 {
		o.Alpha = stats.DefaultAlpha
	}
	if !(o.Alpha > 0 && o.Alpha < 1) {
		return o, fmt.Errorf("paired: alpha %v: want a level between 0 and 1, like 0.05", o.Alpha)
	}
	if o.MaxFrames == 0 {
		o.MaxFrames = DefaultMaxFrames
	}
	if o.MaxGroups == 0 {
		o.MaxGroups = DefaultMaxGroups
	}
	if o.MaxFrames < 0 || o.MaxGroups < 2 {
		return o, fmt.Errorf("paired: max frames %d and max groups %d: want at least 1 and 2", o.MaxFrames, o.MaxGroups)
	}
	return o, nil
}

// cell is one group's rows within one frame.
type cell struct {
	n        int
	sum      float64
	positive int
}

// Accumulator gathers scores by frame and group. Not safe for concurrent use.
type Accumulator struct {
	opts    Options
	frames  map[string]map[string]*cell
	order   []string // frames in first-seen order, for determinism
	rows    int
	dropped int // rows of frames beyond MaxFrames
	noFrame int // rows with an empty frame value
	skipped int // rows of a skipped group value
}

// NewAccumulator checks opts and starts an empty accumulator.
func NewAccumulator(opts Options) (*Accumulator, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	return &Accumulator{opts: o, frames: make(map[string]map[string]*cell)}, nil
}

// Add counts one row: its frame, its group, the score of the audited label
// and whether that label was predicted.
func (a *Accumulator) Add(frame, group string, score float64, predictedPositive bool) {
	a.rows++
	frame = strings.TrimSpace(frame)
	switch {
	case frame == "":
		a.noFrame++
		return
	case slices.Contains(a.opts.Skip, group):
		a.skipped++
		return
	}
	f, ok := a.frames[frame]
	if !ok {
		if len(a.frames) >= a.opts.MaxFrames {
			a.dropped++
			return
		}
		frame = strings.Clone(frame)
		f = make(map[string]*cell)
		a.frames[frame] = f
		a.order = append(a.order, frame)
	}
	c, ok := f[group]
	if !ok {
		c = new(cell)
		f[strings.Clone(group)] = c
	}
	c.n++
	c.sum += score
	if predictedPositive {
		c.positive++
	}
}

// Report is the matched analysis of one group column.
type Report struct {
	Column      string `json:"column"`
	FrameColumn string `json:"frame_column"`
	// Rows added; Frames analysed (with at least one row of a kept group);
	// MatchedFrames those with at least two groups.
	Rows          int `json:"rows"`
	Frames        int `json:"frames"`
	MatchedFrames int `json:"matched_frames"`
	// Rows not analysed, by reason.
	NoFrameRows int `json:"no_frame_rows"`
	SkippedRows int `json:"skipped_group_rows"`
	DroppedRows int `json:"dropped_rows"`

	Tolerance  float64 `json:"tolerance"`
	Confidence float64 `json:"confidence"`
	Alpha      float64 `json:"alpha"`
	// Test names the test the verdicts use.
	Test string `json:"test"`

	Groups []Group `json:"groups"`
	Pairs  []Pair  `json:"pairs"`
	// Verdict is the worst pair's; Failing lists the failing pairs as "A − B".
	Verdict  stats.Verdict `json:"verdict"`
	Failing  []string      `json:"failing,omitempty"`
	Warnings []string      `json:"warnings,omitempty"`
}

// Group is one group's presence across frames.
type Group struct {
	Group  string `json:"group"`
	Rows   int    `json:"rows"`
	Frames int    `json:"frames"`
	// MeanScore is the mean of the group's rows' scores (pooled, for
	// reference; the pairs are what to judge by).
	MeanScore float64 `json:"mean_score"`
	// InPairs is false when the group was left out of the pairs (beyond
	// MaxGroups, or in fewer than two matched frames).
	InPairs bool `json:"in_pairs"`
}

// Pair compares groups A and B within frames: d = A − B per frame.
type Pair struct {
	A string `json:"a"`
	B string `json:"b"`
	// Score holds the per-frame score differences' mean, interval,
	// A > B / A < B / tie counts and the three tests.
	Score stats.Paired `json:"score"`
	// PositiveRateDifference is the mean per-frame difference in the
	// share of rows predicted as the audited label.
	PositiveRateDifference float64 `json:"positive_rate_difference"`
	// PAdjusted is the paired t-test's p-value, Holm-corrected across the
	// column's pairs.
	PAdjusted float64        `json:"p_adjusted"`
	Evidence  stats.Evidence `json:"evidence"`
	Verdict   stats.Verdict  `json:"verdict"`
}

// Result computes the paired statistics of every pair of the kept groups.
func (a *Accumulator) Result() *Report {
	o := a.opts
	r := &Report{Column: o.Column, FrameColumn: o.FrameColumn, Rows: a.rows, NoFrameRows: a.noFrame,
		SkippedRows: a.skipped, DroppedRows: a.dropped, Tolerance: o.Tolerance, Confidence: o.Confidence,
		Alpha: o.Alpha, Test: "paired t-test on per-frame score differences, Holm-corrected across pairs"}
	if a.dropped > 0 {
		r.Warnings = append(r.Warnings, fmt.Sprintf("%d rows of frames beyond the first %d were not analysed (memory bound)", a.dropped, o.MaxFrames))
	}
	type tally struct {
		rows, frames int
		sum          float64
	}
	tallies := map[string]*tally{}
	for _, name := range a.order {
		f := a.frames[name]
		if len(f) >= 2 {
			r.MatchedFrames++
		}
		for g, c := range f {
			t, ok := tallies[g]
			if !ok {
				t = new(tally)
				tallies[g] = t
			}
			t.rows += c.n
			t.frames++
			t.sum += c.sum
		}
	}
	r.Frames = len(a.order)
	for g, t := range tallies {
		r.Groups = append(r.Groups, Group{Group: g, Rows: t.rows, Frames: t.frames, MeanScore: t.sum / float64(t.rows)})
	}
	slices.SortFunc(r.Groups, func(x, y Group) int {
		return cmp.Or(cmp.Compare(y.Frames, x.Frames), strings.Compare(x.Group, y.Group))
	})
	var kept []string
	for i := range r.Groups {
		if len(kept) < o.MaxGroups && r.Groups[i].Frames >= 2 {
			r.Groups[i].InPairs = true
			kept = append(kept, r.Groups[i].Group)
		}
	}
	if n := len(r.Groups) - len(kept); n > 0 {
		r.Warnings = append(r.Warnings, fmt.Sprintf("%d groups left out of the pairs (present in fewer than 2 frames, or beyond the %d groups in the most frames)", n, o.MaxGroups))
	}
	// Pairs are ordered by name so "A − B" reads the same run to run.
	slices.Sort(kept)
	var ps []float64
	for i, ga := range kept {
		for _, gb := range kept[i+1:] {
			var d, dp []float64
			for _, name := range a.order {
				f := a.frames[name]
				ca, okA := f[ga]
				cb, okB := f[gb]
				if !okA || !okB {
					continue
				}
				d = append(d, ca.sum/float64(ca.n)-cb.sum/float64(cb.n))
				dp = append(dp, float64(ca.positive)/float64(ca.n)-float64(cb.positive)/float64(cb.n))
			}
			if len(d) == 0 {
				continue
			}
			p := Pair{A: ga, B: gb, Score: stats.PairedSummary(d, o.Confidence)}
			var s float64
			for _, v := range dp {
				s += v
			}
			p.PositiveRateDifference = s / float64(len(dp))
			r.Pairs = append(r.Pairs, p)
			ps = append(ps, p.Score.TP)
		}
	}
	adj := stats.Holm(ps)
	r.Verdict = stats.Verdict{Status: stats.Info, Reason: "no two groups share a frame"}
	for i := range r.Pairs {
		p := &r.Pairs[i]
		p.PAdjusted = adj[i]
		p.Evidence = stats.Evidence{Estimate: p.Score.Mean, Low: p.Score.Low, High: p.Score.High, P: adj[i],
			Lower: -o.Tolerance, Upper: o.Tolerance, Alpha: o.Alpha}
		p.Verdict = stats.Decide(p.Evidence)
		if i == 0 || p.Verdict.Status.Severity() > r.Verdict.Status.Severity() {
			r.Verdict = stats.Verdict{Status: p.Verdict.Status, Reason: fmt.Sprintf("%s − %s: %s", p.A, p.B, p.Verdict.Reason)}
		}
		if p.Verdict.Status == stats.Fail {
			r.Failing = append(r.Failing, p.A+" − "+p.B)
		}
	}
	return r
}
