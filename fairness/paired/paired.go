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
// estimate's), Holm-corrected across the pairs of the column: stats.Decide
// judges each pair's t interval, drawn at the level its Holm step gives
// it (stats.HolmFamily), against the band ±Options.Tolerance, so FAIL is
// the corrected test that the mean difference lies outside the band.
package paired

import (
	"cmp"
	"container/heap"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math"
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
	// MaxFrames bounds memory: above this many frames, only the MaxFrames
	// whose names hash lowest are analysed (a sample of frames that does
	// not depend on row order) and the other frames' rows are counted as
	// dropped (default 1,000,000).
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

// cell is one group's rows within one frame: counts and an exact sum, so
// that cells merge without rounding.
type cell struct {
	n        int
	sum      stats.ExactSum
	positive int
}

// mean is the cell's mean score.
func (c *cell) mean() float64 { return c.sum.Value() / float64(c.n) }

// frame is one frame's cells by group, and its place in the frame sample.
type frame struct {
	key   frameKey
	cells map[string]*cell
	rows  int
}

// Accumulator gathers scores by frame and group. Not safe for concurrent use.
//
// Memory is bounded by Options.MaxFrames: the frames analysed are the
// MaxFrames whose names hash lowest (bottom-k), a uniform sample of the
// frames that does not depend on the order rows arrive in; the rows of
// every other frame are counted as dropped. Everything kept is counts and
// exact sums, and Result iterates frames and groups in sorted order, so
// accumulators fed any partition of a row stream, merged in any order
// (Merge, MarshalBinary, UnmarshalBinary), give a Result identical byte
// for byte to a single pass, with or without frames dropped.
type Accumulator struct {
	opts    Options
	frames  map[string]*frame
	sample  frameHeap // the kept frames' keys, largest on top
	cut     *frameKey // the smallest key evicted so far: frames at or above it are dropped
	rows    int
	dropped int // rows of frames outside the sample
	noFrame int // rows with an empty frame value
	skipped int // rows of a skipped group value
}

// NewAccumulator checks opts and starts an empty accumulator.
func NewAccumulator(opts Options) (*Accumulator, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	return &Accumulator{opts: o, frames: make(map[string]*frame)}, nil
}

// Add counts one row: its frame, its group, the score of the audited label
// and whether that label was predicted.
func (a *Accumulator) Add(frameName, group string, score float64, predictedPositive bool) {
	a.rows++
	frameName = strings.TrimSpace(frameName)
	switch {
	case frameName == "":
		a.noFrame++
		return
	case slices.Contains(a.opts.Skip, group):
		a.skipped++
		return
	}
	f := a.frame(frameName)
	if f == nil {
		a.dropped++
		return
	}
	c, ok := f.cells[group]
	if !ok {
		c = new(cell)
		f.cells[strings.Clone(group)] = c
	}
	f.rows++
	c.n++
	c.sum.Add(score)
	if predictedPositive {
		c.positive++
	}
}

// frame returns the named frame's cells, admitting it to the sample if it
// belongs there (evicting the highest-keyed frame when full), or nil when
// the frame is outside the sample.
func (a *Accumulator) frame(name string) *frame {
	if f, ok := a.frames[name]; ok {
		return f
	}
	k := keyOf(name)
	if a.cut != nil && !k.less(*a.cut) {
		return nil
	}
	if len(a.frames) >= a.opts.MaxFrames {
		if !k.less(a.sample[0]) {
			a.evict(k)
			return nil
		}
		a.evict(heap.Pop(&a.sample).(frameKey))
	}
	k.name = strings.Clone(name)
	f := &frame{key: k, cells: make(map[string]*cell)}
	a.frames[k.name] = f
	heap.Push(&a.sample, k)
	return f
}

// evict drops frame k (kept or not), moving its rows to the dropped count
// and lowering the cut to its key.
func (a *Accumulator) evict(k frameKey) {
	if f, ok := a.frames[k.name]; ok {
		a.dropped += f.rows
		delete(a.frames, k.name)
	}
	if a.cut == nil || k.less(*a.cut) {
		a.cut = &k
	}
}

// frameKey orders frames for the sample: by a hash of the name, then the
// name itself, so the order is total.
type frameKey struct {
	hash uint64
	name string
}

func keyOf(name string) frameKey {
	h := fnv.New64a()
	h.Write([]byte(name))
	return frameKey{hash: h.Sum64(), name: name}
}

func (k frameKey) less(o frameKey) bool {
	return k.hash < o.hash || (k.hash == o.hash && k.name < o.name)
}

// frameHeap is a max-heap of frame keys (container/heap).
type frameHeap []frameKey

func (h frameHeap) Len() int           { return len(h) }
func (h frameHeap) Less(i, j int) bool { return h[j].less(h[i]) }
func (h frameHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *frameHeap) Push(x any)        { *h = append(*h, x.(frameKey)) }
func (h *frameHeap) Pop() any {
	old := *h
	k := old[len(old)-1]
	*h = old[:len(old)-1]
	return k
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
	// Family is the Holm family the verdict was corrected over: every
	// pair with an interval.
	Family stats.Family `json:"family"`
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
	PAdjusted float64 `json:"p_adjusted"`
	// PMaterialHolm is the materiality test's p-value (H0: the mean
	// difference lies within ±Tolerance), Holm-corrected across the
	// column's pairs; Confidence the level of the interval in Evidence
	// that it agrees with (0 without an interval). Score's interval is
	// the plain one, at Report.Confidence.
	PMaterialHolm float64        `json:"-"` // written by MarshalJSON, null when NaN
	Confidence    float64        `json:"interval_confidence"`
	Evidence      stats.Evidence `json:"evidence"`
	Verdict       stats.Verdict  `json:"verdict"`
}

// Result computes the paired statistics of every pair of the kept groups.
func (a *Accumulator) Result() *Report {
	o := a.opts
	r := &Report{Column: o.Column, FrameColumn: o.FrameColumn, Rows: a.rows, NoFrameRows: a.noFrame,
		SkippedRows: a.skipped, DroppedRows: a.dropped, Tolerance: o.Tolerance, Confidence: o.Confidence,
		Alpha: o.Alpha, Test: "paired t-test on per-frame score differences, Holm-corrected across pairs"}
	if a.dropped > 0 {
		r.Warnings = append(r.Warnings, fmt.Sprintf("%d rows were not analysed: more than %d frames, so only the %d whose names hash lowest were kept (a sample of frames, for the memory bound)", a.dropped, o.MaxFrames, o.MaxFrames))
	}
	type tally struct {
		rows, frames int
		sum          stats.ExactSum
	}
	names := make([]string, 0, len(a.frames))
	for name := range a.frames {
		names = append(names, name)
	}
	slices.Sort(names)
	tallies := map[string]*tally{}
	for _, name := range names {
		f := a.frames[name]
		if len(f.cells) >= 2 {
			r.MatchedFrames++
		}
		for g, c := range f.cells {
			t, ok := tallies[g]
			if !ok {
				t = new(tally)
				tallies[g] = t
			}
			t.rows += c.n
			t.frames++
			t.sum.Merge(&c.sum)
		}
	}
	r.Frames = len(a.frames)
	for g, t := range tallies {
		r.Groups = append(r.Groups, Group{Group: g, Rows: t.rows, Frames: t.frames, MeanScore: t.sum.Value() / float64(t.rows)})
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
			var d []float64
			var dp stats.ExactSum
			for _, name := range names {
				f := a.frames[name]
				ca, okA := f.cells[ga]
				cb, okB := f.cells[gb]
				if !okA || !okB {
					continue
				}
				d = append(d, ca.mean()-cb.mean())
				dp.Add(float64(ca.positive)/float64(ca.n) - float64(cb.positive)/float64(cb.n))
			}
			if len(d) == 0 {
				continue
			}
			p := Pair{A: ga, B: gb, Score: stats.PairedSummary(d, o.Confidence)}
			p.PositiveRateDifference = dp.Value() / float64(len(d))
			r.Pairs = append(r.Pairs, p)
			ps = append(ps, p.Score.TP)
		}
	}
	adj := stats.Holm(ps)
	// The column's pairs are one Holm family: each pair's t interval is
	// drawn at the level the correction gives it, so FAIL (the interval
	// wholly outside ±Tolerance) is the corrected materiality test.
	members := make([]stats.Member, len(r.Pairs))
	for i, p := range r.Pairs {
		members[i] = stats.Member{Interval: p.Score.IntervalAt(o.Confidence), Lower: -o.Tolerance, Upper: o.Tolerance}
	}
	corrected := stats.HolmFamily(members, o.Alpha)
	r.Family = stats.Family{Of: fmt.Sprintf("every pair of groups compared within frames (%d)", len(r.Pairs)), Correction: "holm", Alpha: o.Alpha}
	r.Verdict = stats.Verdict{Status: stats.Info, Reason: "no two groups share a frame"}
	for i := range r.Pairs {
		p := &r.Pairs[i]
		p.PAdjusted = adj[i]
		c := corrected[i]
		p.PMaterialHolm, p.Confidence = c.PHolm, c.Confidence
		p.Evidence = stats.Evidence{Estimate: p.Score.Mean, Low: c.Interval.Low, High: c.Interval.High, P: adj[i],
			Lower: -o.Tolerance, Upper: o.Tolerance, Alpha: o.Alpha}
		if members[i].Interval != nil {
			p.Evidence.Confidence = c.Confidence
			r.Family.Size++
			r.Family.Members = append(r.Family.Members, p.A+" − "+p.B)
		} else {
			p.Confidence = 0
		}
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

// pairJSON is Pair with PAdjusted as a pointer, so that an undefined
// p-value (a pair sharing a single frame has no t-test) is written as
// JSON null, which encoding/json would otherwise refuse as NaN.
type pairJSON struct {
	plainPair
	PAdjusted     *float64 `json:"p_adjusted"`
	PMaterialHolm *float64 `json:"p_material_holm"`
}

type plainPair Pair

// MarshalJSON writes an undefined PAdjusted as null.
func (p Pair) MarshalJSON() ([]byte, error) {
	out := pairJSON{plainPair: plainPair(p)}
	if !math.IsNaN(p.PAdjusted) {
		out.PAdjusted = &p.PAdjusted
	}
	if !math.IsNaN(p.PMaterialHolm) {
		out.PMaterialHolm = &p.PMaterialHolm
	}
	return json.Marshal(out)
}

// UnmarshalJSON reads null PAdjusted back as NaN.
func (p *Pair) UnmarshalJSON(b []byte) error {
	var in pairJSON
	if err := json.Unmarshal(b, &in); err != nil {
		return err
	}
	*p = Pair(in.plainPair)
	p.PAdjusted, p.PMaterialHolm = math.NaN(), math.NaN()
	if in.PAdjusted != nil {
		p.PAdjusted = *in.PAdjusted
	}
	if in.PMaterialHolm != nil {
		p.PMaterialHolm = *in.PMaterialHolm
	}
	return nil
}
