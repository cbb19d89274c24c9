package augment

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/lucid-nlp/lucid/dataset"
)

// DefaultWeightCol names the column Reweigh adds when none is given.
const DefaultWeightCol = "weight"

// MaxReweighCells bounds the (group, label) cells Reweigh counts: the
// counts are held in memory, and a reweighed "group" with more distinct
// values than this is not a group.
const MaxReweighCells = 1_000_000

// ReweighConfig says how to reweigh a file.
type ReweighConfig struct {
	// LabelCol names the label column (default dataset.DefaultLabelCol,
	// which the file must then have). Labels are compared as text, with
	// case and surrounding space ignored; an empty cell is unlabelled.
	LabelCol string
	// GroupCols name the group columns: one, or several, whose
	// intersection ("x | y") is the group.
	GroupCols []string
	// WeightCol names the added column (default DefaultWeightCol); the
	// file must not have one of that name (in any letter case).
	WeightCol string
	// Read says how to read the input: Format, TextCol, MaxFieldBytes and
	// Strict are used; LabelCol, Labels and GroupCols must be empty.
	Read dataset.Options
	// MaxSkippedShare is as in Config: above it ReweighFile writes
	// nothing and returns its report with an error wrapping
	// ErrTooManySkipped (0 means DefaultMaxSkippedShare).
	MaxSkippedShare float64
}

// ReweighReport says what Reweigh counted and wrote.
type ReweighReport struct {
	Format       string   `json:"format"`
	LabelColumn  string   `json:"label_column"`
	GroupColumns []string `json:"group_columns"`
	WeightColumn string   `json:"weight_column"`
	// Rows is the rows written; Labelled those with a label (and so a
	// weight), Unlabelled those with an empty label cell (an empty
	// weight); Skipped the rows the reader rejected (not written), the
	// first MaxBadRowsShown listed.
	Rows       int      `json:"rows"`
	Labelled   int      `json:"labelled_rows"`
	Unlabelled int      `json:"unlabelled_rows"`
	Skipped    int      `json:"skipped_rows"`
	BadRows    []BadRow `json:"bad_rows,omitempty"`
	// Labels and Groups are the values seen in the labelled rows, sorted
	// (labels lower-cased and trimmed; an empty group value is a group).
	Labels []string `json:"labels"`
	Groups []string `json:"groups"`
	// Cells are the (group, label) cells with rows, by group then label.
	Cells []ReweighCell `json:"cells"`
	// EmptyCells are the (group, label) pairs with no row: no weight can
	// make group and label independent there, and the weighted data still
	// shows the group without that label.
	EmptyCells []string               `json:"empty_cells,omitempty"`
	Read       dataset.Reconciliation `json:"read"`
}

// ReweighCell is one (group, label) cell: its rows, the rows it would
// hold were group and label independent, n(g)·n(y)/N, and the weight of
// each of its rows, their ratio.
type ReweighCell struct {
	Group    string  `json:"group"`
	Label    string  `json:"label"`
	Rows     int     `json:"rows"`
	Expected float64 `json:"expected_rows"`
	Weight   float64 `json:"weight"`
}

type cellKey struct{ group, label string }

// reweigh is a checked ReweighConfig.
type reweigh struct {
	ReweighConfig
	defaultLabel bool
}

func (cfg ReweighConfig) resolve() (*reweigh, error) {
	c := &reweigh{ReweighConfig: cfg}
	if c.Read.LabelCol != "" || len(c.Read.Labels) > 0 || len(c.Read.GroupCols) > 0 {
		return nil, errors.New("augment: reweigh: give the label and group columns in ReweighConfig, not Read")
	}
	if len(c.GroupCols) == 0 {
		return nil, errors.New("augment: reweighing needs a group column (--group-col, or --group-cross a,b for an intersection)")
	}
	if c.LabelCol == "" {
		c.LabelCol, c.defaultLabel = dataset.DefaultLabelCol, true
	}
	if c.WeightCol == "" {
		c.WeightCol = DefaultWeightCol
	}
	if strings.TrimSpace(c.WeightCol) == "" || strings.ContainsFunc(c.WeightCol, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return nil, fmt.Errorf("augment: weight column name %q: want a name without control characters", c.WeightCol)
	}
	for _, g := range c.GroupCols {
		if strings.EqualFold(g, c.LabelCol) {
			return nil, fmt.Errorf("augment: the group column %q is the label column", g)
		}
	}
	c.Read.IgnoreLabels = true
	c.Read.GroupCols = append([]string{c.LabelCol}, c.GroupCols...)
	c.Read.GroupRoles = []string{"--label-col"}
	for range c.GroupCols {
		c.Read.GroupRoles = append(c.Read.GroupRoles, "--group-col")
	}
	return c, nil
}

func (c *reweigh) open(open Source, name string) (*dataset.Reader, io.Closer, error) {
	src, err := open()
	if err != nil {
		return nil, nil, fmt.Errorf("augment: %w", err)
	}
	rd, err := dataset.NewReader(src, name, c.Read)
	if err != nil {
		src.Close()
		if c.defaultLabel && errors.Is(err, dataset.ErrMissingColumn) && strings.Contains(err.Error(), `--label-col column "label"`) {
			return nil, nil, fmt.Errorf("augment: reweighing needs labels: %s has no column %q; name the label column with --label-col (%w)", name, dataset.DefaultLabelCol, err)
		}
		return nil, nil, err
	}
	for _, h := range rd.Header() {
		if strings.EqualFold(strings.TrimSpace(h), c.WeightCol) {
			src.Close()
			return nil, nil, fmt.Errorf("augment: %s already has a column %q; name the weight column otherwise (--weight-col)", name, h)
		}
	}
	return rd, src, nil
}

// rowCell is a row's (group, label) cell; ok is false for an unlabelled
// row. Intersections join their values with " | ", as the audit names
// them.
func rowCell(groups []string) (cellKey, bool) {
	label := strings.ToLower(strings.TrimSpace(groups[0]))
	return cellKey{group: strings.Join(groups[1:], " | "), label: label}, label != ""
}

// Reweigh writes the file open gives to out, in its format, with one
// column added: each labelled row's weight w(g, y) = P(g)·P(y) / P(g, y)
// = n(g)·n(y) / (N·n(g, y)), the probabilities estimated over the
// labelled rows (N of them), g the row's group and y its label; an
// unlabelled row gets an empty weight. This is AIF360's Reweighing
// (Kamiran & Calders, "Data preprocessing techniques for classification
// without discrimination", KAIS 2012): under these weights every group
// has the same label distribution, P_w(y | g) = P(y), so group and label
// are independent and a trainer that takes sample weights learns from
// data in which neither predicts the other. The input is read twice (the
// first pass counts the cells); every byte of a row is copied, the weight
// written as the shortest decimal that reads back as the same float64.
func Reweigh(ctx context.Context, open Source, name string, out io.Writer, cfg ReweighConfig) (*ReweighReport, error) {
	c, err := cfg.resolve()
	if err != nil {
		return nil, err
	}
	counts, err := c.count(ctx, open, name)
	if err != nil {
		return nil, err
	}
	rep := &ReweighReport{WeightColumn: c.WeightCol, Labels: []string{}, Groups: []string{}, Cells: []ReweighCell{}}
	nG, nY, n := map[string]int{}, map[string]int{}, 0
	for k, v := range counts {
		nG[k.group] += v
		nY[k.label] += v
		n += v
	}
	for g := range nG {
		rep.Groups = append(rep.Groups, g)
	}
	for y := range nY {
		rep.Labels = append(rep.Labels, y)
	}
	slices.Sort(rep.Groups)
	slices.Sort(rep.Labels)
	weights := make(map[cellKey]float64, len(counts))
	for _, g := range rep.Groups {
		for _, y := range rep.Labels {
			k := cellKey{g, y}
			ngy := counts[k]
			if ngy == 0 {
				rep.EmptyCells = append(rep.EmptyCells, fmt.Sprintf("%s / %s", g, y))
				continue
			}
			exp := float64(nG[g]) * float64(nY[y]) / float64(n)
			w := exp / float64(ngy)
			weights[k] = w
			rep.Cells = append(rep.Cells, ReweighCell{Group: g, Label: y, Rows: ngy, Expected: exp, Weight: w})
		}
	}
	if err := c.write(ctx, open, name, out, weights, rep); err != nil {
		return nil, err
	}
	return rep, nil
}

// count is the first pass: the labelled rows of each (group, label) cell.
func (c *reweigh) count(ctx context.Context, open Source, name string) (map[cellKey]int, error) {
	rd, src, err := c.open(open, name)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	counts := map[cellKey]int{}
	for n := 0; ; {
		row, err := nextGood(ctx, rd, &n, nil, nil)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if rd.Format() == dataset.JSONL {
			rec, _ := rd.Raw()
			for _, k := range jsonKeys(rec.Bytes) {
				if strings.EqualFold(strings.TrimSpace(k), c.WeightCol) {
					return nil, fmt.Errorf("augment: %s, line %d, already has a field %q; name the weight column otherwise (--weight-col)", name, rec.Line, k)
				}
			}
		}
		k, ok := rowCell(row.Groups)
		if !ok {
			continue
		}
		if _, seen := counts[k]; !seen && len(counts) >= MaxReweighCells {
			return nil, fmt.Errorf("augment: more than %d (group, label) cells by line %d: is %q a group column?", MaxReweighCells, row.Line, c.GroupCols)
		}
		counts[k]++
	}
	if len(counts) == 0 {
		return nil, fmt.Errorf("augment: reweighing needs labels: %s has no labelled row in column %q", name, c.LabelCol)
	}
	return counts, nil
}

// write is the second pass: every good row with its weight.
func (c *reweigh) write(ctx context.Context, open Source, name string, out io.Writer, weights map[cellKey]float64, rep *ReweighReport) error {
	rd, src, err := c.open(open, name)
	if err != nil {
		return err
	}
	defer src.Close()
	bw := bufio.NewWriterSize(out, 256<<10)
	rw := newRowWriter(bw, rd.Format(), c.WeightCol)
	rw.number = true
	if h, ending := rd.RawHeader(); rd.Format() != dataset.JSONL {
		if rd.Format() == dataset.TSV && strings.ContainsRune(c.WeightCol, '\t') {
			return fmt.Errorf("augment: weight column name %q holds a tab, which TSV cannot hold", c.WeightCol)
		}
		if err := rw.header(h, ending, c.WeightCol); err != nil {
			return fmt.Errorf("augment: writing: %w", err)
		}
	}
	cols := rd.Columns()
	rep.Format, rep.LabelColumn, rep.GroupColumns = rd.Format().String(), cols.Groups[0], slices.Clone(cols.Groups[1:])
	for n := 0; ; {
		row, err := nextGood(ctx, rd, &n, &rep.Skipped, &rep.BadRows)
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		rec, _ := rd.Raw()
		cell := ""
		if k, ok := rowCell(row.Groups); ok {
			w, found := weights[k]
			if !found {
				return fmt.Errorf("augment: %s changed between the two passes (line %d's cell %s / %s was not counted)", name, rec.Line, k.group, k.label)
			}
			cell = strconv.FormatFloat(w, 'g', -1, 64)
			rep.Labelled++
		} else {
			rep.Unlabelled++
		}
		if err := rw.write(rec, nil, cell); err != nil {
			return fmt.Errorf("augment: writing: %w", err)
		}
		rep.Rows++
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("augment: writing: %w", err)
	}
	rep.Read = rd.Reconcile()
	return nil
}

// ReweighFile reweighs the file at in into outPath, through a temporary
// file renamed on success (as File does).
func ReweighFile(ctx context.Context, in, outPath string, cfg ReweighConfig) (*ReweighReport, error) {
	return runToFile(ctx, in, outPath, &cfg.Read, cfg.MaxSkippedShare,
		func(open func() (io.ReadCloser, error), w io.Writer) (*ReweighReport, error) {
			return Reweigh(ctx, open, in, w, cfg)
		},
		func(r *ReweighReport) (int, int) { return r.Skipped, r.Rows })
}
