package group

import (
	"fmt"
	"math"
	"strings"
)

// Defaults for the zero Options.
const (
	DefaultConfidence   = 0.95
	DefaultResamples    = 1000
	DefaultMinGroupSize = 30
	DefaultMaxCIWidth   = 0.5
)

// Options configures an Accumulator. The zero value is usable.
type Options struct {
	// Column and Positive name the group column and the positive label;
	// they are only copied into the report, to make it self-describing.
	Column, Positive string
	// Groups are reported even when no row has them, so that a group
	// expected but absent shows up as an empty group instead of vanishing.
	Groups []string
	// Reference is the group disparate impact is measured against. Empty
	// means the group with the highest positive rate (four-fifths rule).
	Reference string
	// Confidence is the interval's level, in (0, 1); default 0.95.
	Confidence float64
	// Resamples is the number of bootstrap resamples; default 1000.
	Resamples int
	// MinGroupSize: groups with fewer rows are flagged Small; default 30.
	MinGroupSize int
	// MaxCIWidth: an interval wider than this is flagged; default 0.5.
	MaxCIWidth float64
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
	return o, nil
}

// Accumulator gathers per-group confusion tables row by row. It is not safe
// for concurrent use; for several group columns use one Accumulator each.
type Accumulator struct {
	opts   Options
	groups map[string]*cells
}

// NewAccumulator checks opts and starts an empty accumulator.
func NewAccumulator(opts Options) (*Accumulator, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	a := &Accumulator{opts: o, groups: make(map[string]*cells)}
	for _, g := range o.Groups {
		a.table(g)
	}
	return a, nil
}

// Add counts one labelled row: whether its true label is the positive one,
// whether the prediction is, and its group.
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
	n := 0
	for _, c := range a.groups {
		n += c.n()
	}
	return n
}

func (a *Accumulator) table(group string) *cells {
	c, ok := a.groups[group]
	if !ok {
		c = new(cells)
		// The caller's string may be a slice of a long line it has read;
		// a copy keeps the map from pinning the line.
		a.groups[strings.Clone(group)] = c
	}
	return c
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
