package report

import (
	"html/template"
	"math"
	"strconv"

	"github.com/lucid-nlp/lucid/fairness/group"
)

// Chart is a horizontal bar chart of one rate, one row per group, each bar
// with its confidence interval as an error bar, on a 0–1 scale.
type Chart struct {
	Title   string
	Caption template.HTML
	W, H    int
	// Geometry: the label column ends at LabelX; the plot spans X0–X1
	// between Top and Bottom; values are written at ValueX.
	LabelX, X0, X1, ValueX, Top, Bottom float64
	Ticks                               []Tick
	Rows                                []ChartRow
	Marks                               []Mark
}

// Tick is an axis tick with its gridline.
type Tick struct {
	X     float64
	Label string
}

// Mark is a vertical reference line (the overall rate, four-fifths of the
// reference group's rate).
type Mark struct {
	X, LabelY  float64
	Label      string
	Class      string
	Anchor     string
	LabelShift float64
}

// ChartRow is one group's bar. Label, Full and Value are plain text with
// data strings already isolated (see isolate).
type ChartRow struct {
	Label, Full string
	// Y is the row's centre; BarY the bar's top; CapLo and CapHi the
	// error bar caps' ends.
	Y, BarY, CapLo, CapHi float64
	Defined               bool
	// BarW is the bar's width; LX and HX the interval's ends.
	BarW, LX, HX float64
	HasCI        bool
	Value        string
	Reason       string
	Class        string
}

const (
	chartW      = 560
	chartRowH   = 26
	chartTop    = 26
	chartBottom = 28
	chartLabelX = 140
	chartX0     = 150
	chartX1     = 440
	chartValueX = 448
)

// xOf maps a rate in [0, 1] to the plot.
func xOf(v float64) float64 {
	v = math.Max(0, math.Min(1, v))
	return round1(chartX0 + v*(chartX1-chartX0))
}

// rateChart charts one metric of every group; pick selects it. Groups in
// flagged are drawn in the "flag" colour.
func rateChart(title string, caption template.HTML, r *group.Report, pick func(*group.GroupStats) group.Metric, flagged func(*group.GroupStats) bool) Chart {
	n := len(r.Groups)
	h := chartTop + n*chartRowH + chartBottom
	c := Chart{Title: title, Caption: caption, W: chartW, H: h, LabelX: chartLabelX, X0: chartX0, X1: chartX1, ValueX: chartValueX,
		Top: chartTop - 8, Bottom: float64(chartTop + n*chartRowH)}
	for _, t := range []float64{0, 0.25, 0.5, 0.75, 1} {
		c.Ticks = append(c.Ticks, Tick{X: xOf(t), Label: strconv.FormatFloat(t, 'f', -1, 64)})
	}
	for i := range r.Groups {
		g := &r.Groups[i]
		m := pick(g)
		suffix := ""
		if g.Small {
			suffix = " (small)"
		}
		y := float64(chartTop + i*chartRowH + chartRowH/2)
		row := ChartRow{Label: isolate(truncate(g.Group, 20-len(suffix))) + suffix, Full: isolate(g.Group) + suffix,
			Y: y, BarY: y - 7, CapLo: y - 5, CapHi: y + 5}
		switch {
		case !finite(m.Value):
			row.Reason = m.Undefined
			if row.Reason == "" {
				row.Reason = "undefined"
			}
			row.Value = "n/a: " + isolate(truncate(row.Reason, 36))
		default:
			row.Defined = true
			row.BarW = round1(xOf(m.Value) - chartX0)
			row.Value = fmtFloat(m.Value, digitsRate)
			if finite(m.Low) && finite(m.High) {
				row.HasCI, row.LX, row.HX = true, xOf(m.Low), xOf(m.High)
			}
		}
		switch {
		case flagged != nil && flagged(g):
			row.Class = "flag"
		case g.Small:
			row.Class = "small"
		}
		c.Rows = append(c.Rows, row)
	}
	return c
}

// addMark adds a labelled vertical line at v, when v is defined.
func (c *Chart) addMark(v float64, label, class string) {
	if !finite(v) {
		return
	}
	m := Mark{X: xOf(v), LabelY: chartTop - 12, Label: label, Class: class, Anchor: "middle"}
	// Keep the label inside the plot and clear of the other marks'.
	switch {
	case m.X < chartX0+30:
		m.Anchor = "start"
	case m.X > chartX1-30:
		m.Anchor = "end"
	}
	for _, o := range c.Marks {
		if math.Abs(o.X-m.X) < 90 {
			m.LabelY = float64(c.H) - 4
		}
	}
	c.Marks = append(c.Marks, m)
}

// Bar is a small inline bar with an error bar, for a table cell.
type Bar struct {
	W, H         int
	BarW, LX, HX float64
	HasCI        bool
	Class        string
	Defined      bool
}

const barW, barH = 160, 16

// bar draws v with interval [lo, hi] on a 0–max scale.
func bar(v, lo, hi, max float64, class string) Bar {
	b := Bar{W: barW, H: barH, Class: class}
	if !finite(v) || !(max > 0) {
		return b
	}
	x := func(u float64) float64 { return round1(math.Max(0, math.Min(1, u/max)) * (barW - 2)) }
	b.Defined, b.BarW = true, x(v)
	if finite(lo) && finite(hi) {
		b.HasCI, b.LX, b.HX = true, x(lo)+1, x(hi)+1
	}
	return b
}

// niceMax rounds the largest value up to a tenth (at least 0.1, at most 1)
// for a common bar scale.
func niceMax(vs ...float64) float64 {
	m := 0.1
	for _, v := range vs {
		if finite(v) && v > m {
			m = v
		}
	}
	return math.Min(1, math.Ceil(m*10-1e-9)/10)
}
