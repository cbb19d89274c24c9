package report

import (
	"strconv"

	"github.com/lucid-nlp/lucid/fairness/databias"
)

// weightedV is the data scan's weighted group-by-label table
// (--weight-col), one table per group column.
type weightedV struct {
	R       *databias.WeightedReport
	Rows    Num
	Bad     Num
	Columns []weightedColV
}

type weightedColV struct {
	Name   string
	Gap    Num
	Labels []string
	Total  []Num
	Groups []weightedGroupV
}

type weightedGroupV struct {
	Name  string
	Cells []weightedCellV
}

type weightedCellV struct{ Rows, Weight, Share Num }

// gapNum prints a gap with two significant digits, so that the rounding
// error left by reweighing (about 1e-16) reads as what it is.
func gapNum(key string, v float64) Num {
	return Num{Key: key, Text: strconv.FormatFloat(v, 'g', 2, 64), NA: !finite(v)}
}

func buildWeighted(r *databias.WeightedReport) *weightedV {
	v := &weightedV{R: r, Rows: count("databias-weighted:rows", r.Rows), Bad: count("databias-weighted:bad_weights", r.BadWeights)}
	for _, c := range r.Columns {
		k := "databias-weighted:" + c.Column + ":"
		cv := weightedColV{Name: c.Column, Gap: gapNum(k+"max_gap", c.MaxGap), Labels: r.Labels}
		for y := range r.Labels {
			cv.Total = append(cv.Total, num(k+"label_share:"+strconv.Itoa(y), c.LabelShare[y]))
		}
		for _, g := range c.Groups {
			gk := k + g.Group + ":"
			gv := weightedGroupV{Name: visible(g.Group)}
			if g.Group == "" {
				gv.Name = "(missing)"
			}
			for y := range r.Labels {
				i := strconv.Itoa(y)
				gv.Cells = append(gv.Cells, weightedCellV{Rows: count(gk+"rows:"+i, g.Rows[y]),
					Weight: numD(gk+"weight:"+i, g.Weight[y], 2), Share: num(gk+"share:"+i, float64(g.Share[y]))})
			}
			cv.Groups = append(cv.Groups, gv)
		}
		v.Columns = append(v.Columns, cv)
	}
	return v
}
