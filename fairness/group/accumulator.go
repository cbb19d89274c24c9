package group

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/lucid-nlp/lucid/fairness/stats"
)

// Defaults for the zero Options.
const (
	DefaultConfidence      = 0.95
	DefaultResamples       = 1000
	DefaultMinGroupSize    = 30
	DefaultMaxCIWidth      = 0.5
	DefaultParityTolerance = 0.1
	DefaultMaxPairGroups   = 20
	DefaultMaxGroups       = 1000
)

// MissingGroup names the row of the rows whose group value is empty or
// only whitespace. It is reported like any group but, unless
// Options.MissingAsGroup, is never the reference and is left out of the
// disparities and the pairwise tests: "no value" is not a group whose
// treatment can be compared.
const MissingGroup = "(missing)"

// trackedFactor bounds the accumulator's table of groups while rows stream
// in: once it holds more than trackedFactor × MaxGroups groups, the
// smallest are pooled (see Accumulator).
const trackedFactor = 10

// Options configures an Accumulator. The zero value is usable.
type Options struct {
	// Column and Positive name the group column and the positive label;
	// they are only copied into the report, to make it self-describing.
	Column, Positive string
	// Groups are reported even when no row has them, so that a group
	// expected but absent shows up as an empty group instead of vanishing.
	// They are never pooled into "other".
	Groups []string
	// Reference is the group disparate impact is measured against. Empty
	// means the group with the highest positive rate (four-fifths rule).
	Reference string
	// Confidence is the interval's level, in (0, 1); default 0.95.
	Confidence float64
	// Resamples is the number of bootstrap resamples; default 1000.
	Resamples int
	// MinGroupSize: groups with fewer rows are flagged Small and left out
	// of the pairwise tests; default 30.
	MinGroupSize int
	// MaxCIWidth: an interval wider than this is flagged; default 0.5.
	MaxCIWidth float64
	// ParityTolerance T: a pairwise difference in a rate inside [−T, T]
	// is too small to matter (stats.Decide's tolerance region); default
	// 0.1, the common parity threshold.
	ParityTolerance float64
	// Alpha is the significance level of the pairwise tests, after Holm's
	// correction; default stats.DefaultAlpha (0.05).
	Alpha float64
	// MaxPairGroups caps the groups compared pairwise to the largest this
	// many (of those with at least MinGroupSize rows); default 20, so at
	// most 190 pairs per metric.
	MaxPairGroups int
	// MaxGroups caps the groups reported: above it the largest are kept
	// and the rest pooled into one "other (N groups)" row; default 1000.
	MaxGroups int
	// MissingAsGroup treats the rows with an empty group value as a group
	// like the others (CLI: --missing-group as-group) instead of leaving
	// them out of the comparisons.
	MissingAsGroup bool
}

// withDefaults fills the zero fields and rejects impossible values.
func (o Options) withDefaults() (Options, error) {
	if o.Confidence == 0 {
		o.Confidence = DefaultConfidence
	}
	if !(o.Confidence > 0 && o.Confidence < 1) {
		return o, fmt.Errorf("group: confidence %v: want a level between 0 and 1, like 0.95", o.Confidence)
	}
	if o.Resamples == 0 {
		o.Resamples = DefaultResamples
	}
	if o.Resamples < 0 {
		return o, fmt.Errorf("group: resamples %d: want a positive count, like 1000", o.Resamples)
	}
	if o.MinGroupSize == 0 {
		o.MinGroupSize = DefaultMinGroupSize
	}
	if o.MinGroupSize < 0 {
		return o, fmt.Errorf("group: minimum group size %d: want 0 (the default, %d) or more", o.MinGroupSize, DefaultMinGroupSize)
	}
	if o.MaxCIWidth == 0 {
		o.MaxCIWidth = DefaultMaxCIWidth
	}
	if !(o.MaxCIWidth > 0) || math.IsInf(o.MaxCIWidth, 0) {
		return o, fmt.Errorf("group: maximum interval width %v: want a positive width, like 0.5", o.MaxCIWidth)
	}
	if o.ParityTolerance == 0 {
		o.ParityTolerance = DefaultParityTolerance
	}
	if !(o.ParityTolerance > 0 && o.ParityTolerance < 1) {
		return o, fmt.Errorf("group: parity tolerance %v: want a difference between 0 and 1, like 0.1", o.ParityTolerance)
	}
	err := defaultTestLimits(&o.Alpha, &o.MaxPairGroups, &o.MaxGroups)
	return o, err
}

// isMissing reports whether a group value is empty or only whitespace.
func isMissing(group string) bool { return strings.TrimSpace(group) == "" }

// Accumulator gathers per-group confusion tables row by row. It is not safe
// for concurrent use; for several group columns use one Accumulator each.
//
// Memory is bounded however many distinct group values stream through:
// when more than 10 × Options.MaxGroups groups are tracked, the smallest
// (by rows so far) are pooled into one "other" table until MaxGroups are
// left, and their names go into a fixed-size Bloom filter (512 KiB) so that
// their later rows go to "other" too. A group that is named in the report
// therefore has its exact table. What is approximate, once this happened,
// is which groups are kept: a group whose rows mostly arrive after it was
// pooled stays in "other" even if it ends up among the largest, and a new
// name that collides in the filter (rare until millions of names are
// pooled) is pooled too. The number of groups in "other" is then an
// estimate from the filter's fill. With at most 10 × MaxGroups distinct
// values nothing is pooled while streaming and the kept groups are exactly
// the largest.
type Accumulator struct {
	opts     Options
	groups   map[string]*cells
	declared map[string]bool // Options.Groups: never pooled
	missing  *cells          // rows with an empty group value; nil if none
	other    cells           // rows of groups pooled while streaming
	pooled   *bloom          // names pooled while streaming; nil until then
}

// NewAccumulator checks opts and starts an empty accumulator.
func NewAccumulator(opts Options) (*Accumulator, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	a := &Accumulator{opts: o, groups: make(map[string]*cells), declared: make(map[string]bool)}
	for _, g := range o.Groups {
		if !isMissing(g) {
			a.declared[g] = true
		}
		a.table(g)
	}
	return a, nil
}

// Add counts one labelled row: whether its true label is the positive one,
// whether the prediction is, and its group. An empty or whitespace group
// value counts towards the MissingGroup row.
func (a *Accumulator) Add(yTrue, yPred bool, group string) {
	c := a.table(group)
	switch {
	case yTrue && yPred:
		c[tp]++
	case yTrue:
		c[fn]++
	case yPred:
		c[fp]++
	default:
		c[tn]++
	}
}

// AddUnlabelled counts a row whose true label is unknown; it counts only
// towards the positive rate and the metrics built on it.
func (a *Accumulator) AddUnlabelled(yPred bool, group string) {
	c := a.table(group)
	if yPred {
		c[up]++
	} else {
		c[un]++
	}
}

// Rows is the number of rows added.
func (a *Accumulator) Rows() int {
	n := a.other.n()
	if a.missing != nil {
		n += a.missing.n()
	}
	for _, c := range a.groups {
		n += c.n()
	}
	return n
}

func (a *Accumulator) table(group string) *cells {
	if isMissing(group) {
		if a.missing == nil {
			a.missing = new(cells)
		}
		return a.missing
	}
	if c, ok := a.groups[group]; ok {
		return c
	}
	if a.pooled != nil && a.pooled.has(group) {
		return &a.other
	}
	if len(a.groups) >= trackedFactor*a.opts.MaxGroups {
		a.pool()
	}
	c := new(cells)
	// The caller's string may be a slice of a long line it has read;
	// a copy keeps the map from pinning the line.
	a.groups[strings.Clone(group)] = c
	return c
}

// pool folds the smallest groups into a.other until MaxGroups remain
// (declared groups are never folded), remembering their names.
func (a *Accumulator) pool() {
	names := make([]string, 0, len(a.groups))
	for g := range a.groups {
		if !a.declared[g] {
			names = append(names, g)
		}
	}
	slices.SortFunc(names, func(x, y string) int {
		return cmp.Or(cmp.Compare(a.groups[y].n(), a.groups[x].n()), strings.Compare(x, y))
	})
	if a.pooled == nil {
		a.pooled = newBloom()
	}
	for _, g := range names[min(len(names), a.opts.MaxGroups):] {
		a.other.add(a.groups[g])
		a.pooled.add(g)
		delete(a.groups, g)
	}
}

// cells is one group's confusion table, plus the predicted-positive and
// predicted-negative counts of its unlabelled rows.
type cells [nCells]int

const (
	tp = iota // labelled positive, predicted positive
	fp        // labelled negative, predicted positive
	fn        // labelled positive, predicted negative
	tn        // labelled negative, predicted negative
	up        // unlabelled, predicted positive
	un        // unlabelled, predicted negative
	nCells
)

func (c *cells) n() int        { return c[tp] + c[fp] + c[fn] + c[tn] + c[up] + c[un] }
func (c *cells) labelled() int { return c[tp] + c[fp] + c[fn] + c[tn] }

func (c *cells) add(d *cells) {
	for i := range c {
		c[i] += d[i]
	}
}

// rate is a per-group metric.
type rate int

const (
	accuracy rate = iota
	positiveRate
	tpr
	fpr
	fnr
	precision
	baseRate
	nRates
)

var rateNames = [nRates]string{"accuracy", "positive_rate", "tpr", "fpr", "fnr", "precision", "base_rate"}

// Reasons a metric is undefined.
const (
	whyEmpty         = "empty group"
	whyNoLabels      = "no labels"
	whyNoPositives   = "no positive labels"
	whyNoNegatives   = "no negative labels"
	whyNoPredictions = "no predicted positives among labelled rows"
)

// rate computes metric k from the table, or says why it is undefined.
func (c *cells) rate(k rate) (float64, string) {
	n, lab := c.n(), c.labelled()
	if n == 0 {
		return math.NaN(), whyEmpty
	}
	if k == positiveRate {
		return frac(c[tp]+c[fp]+c[up], n), ""
	}
	if lab == 0 {
		return math.NaN(), whyNoLabels
	}
	switch k {
	case accuracy:
		return frac(c[tp]+c[tn], lab), ""
	case baseRate:
		return frac(c[tp]+c[fn], lab), ""
	case tpr, fnr:
		if c[tp]+c[fn] == 0 {
			return math.NaN(), whyNoPositives
		}
		if k == tpr {
			return frac(c[tp], c[tp]+c[fn]), ""
		}
		return frac(c[fn], c[tp]+c[fn]), ""
	case fpr:
		if c[fp]+c[tn] == 0 {
			return math.NaN(), whyNoNegatives
		}
		return frac(c[fp], c[fp]+c[tn]), ""
	case precision:
		if c[tp]+c[fp] == 0 {
			return math.NaN(), whyNoPredictions
		}
		return frac(c[tp], c[tp]+c[fp]), ""
	}
	panic(fmt.Sprintf("group: unknown rate %d", k))
}

func frac(a, b int) float64 { return float64(a) / float64(b) }

// count is rate k as successes over trials, the counts its score
// interval is built from (rate returns their ratio, or why there is
// none).
func (c *cells) count(k rate) (int, int) {
	switch k {
	case positiveRate:
		return c[tp] + c[fp] + c[up], c.n()
	case accuracy:
		return c[tp] + c[tn], c.labelled()
	case baseRate:
		return c[tp] + c[fn], c.labelled()
	case tpr:
		return c[tp], c[tp] + c[fn]
	case fnr:
		return c[fn], c[tp] + c[fn]
	case fpr:
		return c[fp], c[fp] + c[tn]
	case precision:
		return c[tp], c[tp] + c[fp]
	}
	panic(fmt.Sprintf("group: unknown rate %d", k))
}

// defaultTestLimits fills the significance level and the group caps that
// the rate and the mean audits share with their defaults, and checks them.
func defaultTestLimits(alpha *float64, maxPairGroups, maxGroups *int) error {
	if *alpha == 0 {
		*alpha = stats.DefaultAlpha
	}
	if !(*alpha > 0 && *alpha < 1) {
		return fmt.Errorf("group: significance level %v: want a level between 0 and 1, like 0.05", *alpha)
	}
	if *maxPairGroups == 0 {
		*maxPairGroups = DefaultMaxPairGroups
	}
	if *maxPairGroups < 2 {
		return fmt.Errorf("group: maximum pairwise groups %d: want 2 or more (the default is %d)", *maxPairGroups, DefaultMaxPairGroups)
	}
	if *maxGroups == 0 {
		*maxGroups = DefaultMaxGroups
	}
	if *maxGroups < 1 {
		return fmt.Errorf("group: maximum groups %d: want 1 or more (the default is %d)", *maxGroups, DefaultMaxGroups)
	}
	return nil
}
