package databias

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/lucid-nlp/lucid/fairness/stats"
	"github.com/lucid-nlp/lucid/internal/gobsnap"
)

// WeightedTable is the data scan's weighted group-by-label table: for each
// group column, the sum of a weight column over the labelled rows of each
// (group, label) cell, and from it P_w(label | group), the weighted share
// of each label within the group. Row weights made by reweighing (lucid
// augment --reweigh: Kamiran & Calders 2012, AIF360's Reweighing) make
// P_w(label | group) equal to P(label) in every group, so MaxGap, the
// largest |P_w(label | group) − P_w(label)|, is 0 up to rounding: the
// weighted data shows group and label independent.
//
// Sums are stats.ExactSum, so the table is the same, to the bit, however
// the rows are split, scanned and merged (Merge, MarshalBinary). Each
// column keeps at most maxGroups distinct values; rows with a value beyond
// that are counted in Pooled and left out of the table (which values are
// kept then depends on row order). Only labelled rows are counted; a
// labelled row whose weight is empty, not a number, negative or infinite
// is counted in BadWeights (its first lines quoted) and left out.
type WeightedTable struct {
	weightCol string
	labels    []string
	cols      []string
	maxGroups int
	cells     []map[string]*weightedCell
	rows      int
	pooled    []int
	bad       int
	badLines  []string
}

type weightedCell struct {
	rows []int
	sum  []stats.ExactSum
}

// maxBadQuoted bounds the bad weights a table quotes.
const maxBadQuoted = 5

// NewWeightedTable starts an empty table of weightCol over the group
// columns cols, for the labels named; maxGroups caps each column's
// distinct values (at least 2).
func NewWeightedTable(weightCol string, cols, labels []string, maxGroups int) (*WeightedTable, error) {
	if strings.TrimSpace(weightCol) == "" {
		return nil, errors.New("databias: the weight column has no name")
	}
	if len(cols) == 0 {
		return nil, fmt.Errorf("databias: the weight column %q weighs the group-by-label table of a group column: name one", weightCol)
	}
	if len(labels) < 2 {
		return nil, fmt.Errorf("databias: need at least two labels, got %q", labels)
	}
	if maxGroups < 2 {
		return nil, fmt.Errorf("databias: maximum groups %d: want at least 2", maxGroups)
	}
	t := &WeightedTable{weightCol: weightCol, labels: slices.Clone(labels), cols: slices.Clone(cols), maxGroups: maxGroups,
		cells: make([]map[string]*weightedCell, len(cols)), pooled: make([]int, len(cols))}
	for i := range t.cells {
		t.cells[i] = map[string]*weightedCell{}
	}
	return t, nil
}

// ParseWeight reads a weight cell: a finite number ≥ 0.
func ParseWeight(cell string) (float64, error) {
	w, err := strconv.ParseFloat(strings.TrimSpace(cell), 64)
	if err != nil || math.IsNaN(w) || math.IsInf(w, 0) || w < 0 {
		return 0, fmt.Errorf("weight %q: want a finite number, 0 or more", cell)
	}
	return w, nil
}

// Add counts one row: its label index (−1: unlabelled, not counted), its
// values in the table's group columns, its weight cell and its line (for
// a bad weight's message).
func (t *WeightedTable) Add(label int, groups []string, weight string, line int) error {
	if len(groups) != len(t.cols) {
		return fmt.Errorf("databias: %d group values for %d columns", len(groups), len(t.cols))
	}
	if label < 0 {
		return nil
	}
	if label >= len(t.labels) {
		return fmt.Errorf("databias: label index %d of %d labels", label, len(t.labels))
	}
	w, err := ParseWeight(weight)
	if err != nil {
		t.bad++
		if len(t.badLines) < maxBadQuoted {
			t.badLines = append(t.badLines, fmt.Sprintf("line %d: %v", line, err))
		}
		return nil
	}
	t.rows++
	for i, g := range groups {
		c := t.cells[i][g]
		if c == nil {
			if len(t.cells[i]) >= t.maxGroups {
				t.pooled[i]++
				continue
			}
			c = &weightedCell{rows: make([]int, len(t.labels)), sum: make([]stats.ExactSum, len(t.labels))}
			t.cells[i][g] = c
		}
		c.rows[label]++
		c.sum[label].Add(w)
	}
	return nil
}

// Merge adds o's rows into t; o must be set up the same way.
func (t *WeightedTable) Merge(o *WeightedTable) error {
	if t.weightCol != o.weightCol || !slices.Equal(t.cols, o.cols) || !slices.Equal(t.labels, o.labels) || t.maxGroups != o.maxGroups {
		return errors.New("databias: weighted tables over different columns, labels or caps cannot be merged")
	}
	t.rows += o.rows
	t.bad += o.bad
	for _, l := range o.badLines {
		if len(t.badLines) < maxBadQuoted {
			t.badLines = append(t.badLines, l)
		}
	}
	for i := range t.cols {
		t.pooled[i] += o.pooled[i]
		for _, g := range sortedKeys(o.cells[i]) {
			oc := o.cells[i][g]
			c := t.cells[i][g]
			if c == nil {
				if len(t.cells[i]) >= t.maxGroups {
					for _, n := range oc.rows {
						t.pooled[i] += n
					}
					continue
				}
				c = &weightedCell{rows: make([]int, len(t.labels)), sum: make([]stats.ExactSum, len(t.labels))}
				t.cells[i][g] = c
			}
			for y := range t.labels {
				c.rows[y] += oc.rows[y]
				c.sum[y].Merge(&oc.sum[y])
			}
		}
	}
	return nil
}

func sortedKeys(m map[string]*weightedCell) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// WeightedReport is a WeightedTable's result.
type WeightedReport struct {
	WeightColumn string   `json:"weight_column"`
	Labels       []string `json:"labels"`
	// Rows is the labelled rows counted; BadWeights those left out for a
	// bad weight cell, the first quoted in BadWeightLines.
	Rows           int              `json:"rows"`
	BadWeights     int              `json:"bad_weights"`
	BadWeightLines []string         `json:"bad_weight_lines,omitempty"`
	Columns        []WeightedColumn `json:"columns"`
}

// WeightedColumn is one group column's weighted group-by-label table.
type WeightedColumn struct {
	Column string `json:"column"`
	// Weight is the total weight; LabelShare P_w(label) over all of the
	// column's groups, by label.
	Weight     float64         `json:"weight"`
	LabelShare []float64       `json:"label_share"`
	Groups     []WeightedGroup `json:"groups"`
	// MaxGap is the largest |P_w(label | group) − P_w(label)| over the
	// groups with weight and the labels: 0 when group and label are
	// independent under the weights.
	MaxGap float64 `json:"max_gap"`
	// Pooled counts rows whose value was beyond the column's cap.
	Pooled int `json:"pooled_rows,omitempty"`
}

// WeightedGroup is one group's row of the table.
type WeightedGroup struct {
	Group string `json:"group"`
	// Rows and Weight are by label; Share is P_w(label | group), null
	// (NaN) when the group's weight is 0.
	Rows   []int     `json:"rows"`
	Weight []float64 `json:"weight"`
	Share  []Number  `json:"share"`
}

// Result computes the table.
func (t *WeightedTable) Result() *WeightedReport {
	r := &WeightedReport{WeightColumn: t.weightCol, Labels: slices.Clone(t.labels), Rows: t.rows, BadWeights: t.bad,
		BadWeightLines: slices.Clone(t.badLines), Columns: []WeightedColumn{}}
	k := len(t.labels)
	for i, col := range t.cols {
		wc := WeightedColumn{Column: col, LabelShare: make([]float64, k), Groups: []WeightedGroup{}, Pooled: t.pooled[i]}
		total := make([]stats.ExactSum, k)
		var all stats.ExactSum
		for _, g := range sortedKeys(t.cells[i]) {
			c := t.cells[i][g]
			wg := WeightedGroup{Group: g, Rows: slices.Clone(c.rows), Weight: make([]float64, k), Share: make([]Number, k)}
			var gsum stats.ExactSum
			for y := range k {
				wg.Weight[y] = c.sum[y].Value()
				gsum.Merge(&c.sum[y])
				total[y].Merge(&c.sum[y])
				all.Merge(&c.sum[y])
			}
			gw := gsum.Value()
			for y := range k {
				wg.Share[y] = Number(math.NaN())
				if gw > 0 {
					wg.Share[y] = Number(wg.Weight[y] / gw)
				}
			}
			wc.Groups = append(wc.Groups, wg)
		}
		wc.Weight = all.Value()
		for y := range k {
			wc.LabelShare[y] = math.NaN()
			if wc.Weight > 0 {
				wc.LabelShare[y] = total[y].Value() / wc.Weight
			}
		}
		for _, g := range wc.Groups {
			for y := range k {
				if s := float64(g.Share[y]); !math.IsNaN(s) {
					wc.MaxGap = math.Max(wc.MaxGap, math.Abs(s-wc.LabelShare[y]))
				}
			}
		}
		r.Columns = append(r.Columns, wc)
	}
	return r
}

// weightedSnapshot is a WeightedTable's encoded form.
type weightedSnapshot struct {
	WeightCol    string
	Labels, Cols []string
	MaxGroups    int
	Rows, Bad    int
	BadLines     []string
	Pooled       []int
	Groups       [][]string
	CellRows     [][][]int
	CellSums     [][][]stats.ExactSum
}

// MarshalBinary encodes the table (every partial sum kept exactly).
func (t *WeightedTable) MarshalBinary() ([]byte, error) {
	s := weightedSnapshot{WeightCol: t.weightCol, Labels: t.labels, Cols: t.cols, MaxGroups: t.maxGroups, Rows: t.rows, Bad: t.bad,
		BadLines: t.badLines, Pooled: t.pooled, Groups: make([][]string, len(t.cols)), CellRows: make([][][]int, len(t.cols)), CellSums: make([][][]stats.ExactSum, len(t.cols))}
	for i := range t.cols {
		for _, g := range sortedKeys(t.cells[i]) {
			c := t.cells[i][g]
			s.Groups[i] = append(s.Groups[i], g)
			s.CellRows[i] = append(s.CellRows[i], c.rows)
			s.CellSums[i] = append(s.CellSums[i], c.sum)
		}
	}
	return gobsnap.Encode("databias", "the weighted table", s)
}

// UnmarshalBinary decodes what MarshalBinary wrote into t, replacing it.
func (t *WeightedTable) UnmarshalBinary(data []byte) error {
	var s weightedSnapshot
	if err := gobsnap.Decode("databias", "a weighted table", data, &s); err != nil {
		return err
	}
	n := len(s.Cols)
	if len(s.Pooled) != n || len(s.Groups) != n || len(s.CellRows) != n || len(s.CellSums) != n {
		return errors.New("databias: decoding a weighted table: inconsistent column counts")
	}
	u := &WeightedTable{weightCol: s.WeightCol, labels: s.Labels, cols: s.Cols, maxGroups: s.MaxGroups, rows: s.Rows, bad: s.Bad,
		badLines: s.BadLines, pooled: s.Pooled, cells: make([]map[string]*weightedCell, n)}
	for i := range n {
		u.cells[i] = map[string]*weightedCell{}
		if len(s.CellRows[i]) != len(s.Groups[i]) || len(s.CellSums[i]) != len(s.Groups[i]) {
			return errors.New("databias: decoding a weighted table: inconsistent cell counts")
		}
		for j, g := range s.Groups[i] {
			if len(s.CellRows[i][j]) != len(s.Labels) || len(s.CellSums[i][j]) != len(s.Labels) {
				return errors.New("databias: decoding a weighted table: a cell without one count per label")
			}
			u.cells[i][g] = &weightedCell{rows: s.CellRows[i][j], sum: s.CellSums[i][j]}
		}
	}
	*t = *u
	return nil
}
