package augment

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/lucid-nlp/lucid/dataset"
	"github.com/lucid-nlp/lucid/fairness/counterfactual"
	"github.com/lucid-nlp/lucid/internal/atomicfile"
	"github.com/lucid-nlp/lucid/internal/readcap"
)

// DefaultProvenanceCol names the added column when Config.ProvenanceCol
// is empty.
const DefaultProvenanceCol = "provenance"

// MaxPerRow bounds Config.PerRow. A row rarely has more than a few dozen
// swaps (terms found × other groups); the limit only stops a typo.
const MaxPerRow = 10_000

// MaxBadRowsShown is how many bad rows a Report lists (all are counted).
const MaxBadRowsShown = 100

// Config says how to augment a file.
type Config struct {
	// Families are the identity families to swap; nil means
	// counterfactual.Families(). Their family, group and term names must
	// not contain "|", "→" or control characters (see Provenance).
	Families []counterfactual.Family
	// PerRow keeps at most this many of a row's swaps, drawn at random
	// (seeded by Seed and the row's line); 0 keeps every swap. At most
	// MaxPerRow.
	PerRow int
	// Seed seeds the draw of PerRow.
	Seed uint64
	// ProvenanceCol names the added column (default DefaultProvenanceCol).
	// The file must not have a column of that name (in any letter case).
	ProvenanceCol string
	// GroupCol, if set, names a column of group values (say gender) that a
	// copy rewrites: a value naming the group its text was swapped from
	// becomes the group it was swapped to (see groupcol.go for how values
	// are matched); any other value is copied as it is, and a value that
	// names no group of Families is reported in UnmatchedGroupValues.
	GroupCol string
	// Read says how to read the input: Format, TextCol, MaxFieldBytes and
	// Strict are used. Labels are not read (IgnoreLabels is set), so
	// LabelCol, Labels and GroupCols must be empty (use GroupCol).
	Read dataset.Options
	// MaxSkippedShare is the largest share of the input's rows (good and
	// skipped) that File may skip as bad and still write its output; above
	// it File writes nothing and returns its Report with an error wrapping
	// ErrTooManySkipped. 0 means DefaultMaxSkippedShare; 1 allows any.
	MaxSkippedShare float64
}

// DefaultMaxSkippedShare is the share of skipped rows above which File
// fails: 1%, as lucid audit's --max-skipped-share. A file that loses more
// rows than that to the reader is more likely misread (a wrong --format,
// a broken export) than merely dirty.
const DefaultMaxSkippedShare = 0.01

// ErrTooManySkipped is wrapped by File's error when more than
// MaxSkippedShare of the rows were skipped.
var ErrTooManySkipped = errors.New("too many rows skipped")

// Report counts what Run wrote. Every input line is accounted for in Read.
type Report struct {
	Format        string `json:"format"`
	TextColumn    string `json:"text_column"`
	ProvenanceCol string `json:"provenance_column"`
	PerRow        int    `json:"per_row"` // 0: every swap
	Seed          uint64 `json:"seed"`
	// Rows is the original rows read and written unchanged.
	Rows int `json:"rows"`
	// RowsWithTerms is the rows with at least one swap.
	RowsWithTerms int `json:"rows_with_terms"`
	// Candidates is the swaps found; Sampled those kept by PerRow (all of
	// them when PerRow is 0); Copies those written; Duplicates those
	// dropped as duplicates of an original row or an earlier copy.
	Candidates int `json:"candidates"`
	Sampled    int `json:"sampled"`
	Copies     int `json:"copies"`
	Duplicates int `json:"duplicates"`
	// OutputRows is Rows + Copies: the data rows of the output.
	OutputRows int `json:"output_rows"`
	// DuplicateOriginals is the original rows equal to an earlier
	// original row; they are kept.
	DuplicateOriginals int `json:"duplicate_originals"`
	// Families has one entry per family, in Config.Families' order.
	Families []FamilyCount `json:"families"`
	// Skipped is the bad rows skipped; BadRows lists the first
	// MaxBadRowsShown of them.
	Skipped int      `json:"skipped"`
	BadRows []BadRow `json:"bad_rows,omitempty"`
	// Read is the reader's account of every input line (second pass).
	Read dataset.Reconciliation `json:"read"`
	// Dedupe says how duplicates were found.
	Dedupe DedupeNote `json:"dedupe"`
	// GroupColumn is Config.GroupCol as the file spells it; GroupRewritten
	// counts the copies whose group value was changed.
	GroupColumn    string `json:"group_column,omitempty"`
	GroupRewritten int    `json:"group_rewritten,omitempty"`
	// UnmatchedGroupValues are the group values of copied rows that name
	// no group of the families (each once, in order of first sight, with
	// the copies that kept it); those copies say what their row said.
	UnmatchedGroupValues []GroupValue `json:"unmatched_group_values,omitempty"`
}

// GroupValue is a group-column value no family's group is named by.
type GroupValue struct {
	Value  string `json:"value"`
	Copies int    `json:"copies"`
}

// FamilyCount is one family's part of a Report.
type FamilyCount struct {
	Family string `json:"family"`
	// Rows is the rows with at least one swap of this family.
	Rows       int `json:"rows"`
	Candidates int `json:"candidates"`
	Sampled    int `json:"sampled"`
	Copies     int `json:"copies"`
	Duplicates int `json:"duplicates"`
	// Unswapped counts the rows in which the family found terms but made
	// no swap of them (a gender swap that could not change one person;
	// see counterfactual.CounterfactualsWithSkips), by reason.
	Unswapped int            `json:"unswapped,omitempty"`
	Reasons   map[string]int `json:"unswapped_reasons,omitempty"`
	// Directions counts the copies written per (from, to) group pair,
	// sorted by from, then to.
	Directions []DirectionCount `json:"directions"`
}

// DirectionCount is the copies written from one group to another.
type DirectionCount struct {
	From   string `json:"from"`
	To     string `json:"to"`
	Copies int    `json:"copies"`
}

// BadRow is one skipped row.
type BadRow struct {
	Line   int    `json:"line"`
	Reason string `json:"reason"`
}

// DedupeNote records how rows were compared: by Bits-bit hashes of Rows
// distinct rows, so that two different rows were taken for equal with
// probability at most CollisionBound (n²/2^(Bits+1)).
type DedupeNote struct {
	Bits           int     `json:"hash_bits"`
	Distinct       int     `json:"distinct_rows"`
	CollisionBound float64 `json:"collision_bound"`
}

// Source opens the input; Run calls it twice (two passes).
type Source func() (io.ReadCloser, error)

// Run augments the file that open gives (name is used for errors and, with
// Format Auto, to tell the format) and writes the result to out. The
// input is read twice; memory is one row plus the hash set of distinct
// rows. A fatal error (I/O, a strict bad row, a provenance column already
// present, ctx cancelled) may leave out partly written; File writes to a
// temporary file and renames it only on success.
func Run(ctx context.Context, open Source, name string, out io.Writer, cfg Config) (*Report, error) {
	c, err := cfg.resolve()
	if err != nil {
		return nil, err
	}
	seen := new(hashSet)
	dupOrig, err := c.firstPass(ctx, open, name, seen)
	if err != nil {
		return nil, err
	}
	rep, err := c.secondPass(ctx, open, name, out, seen)
	if err != nil {
		return nil, err
	}
	rep.DuplicateOriginals = dupOrig
	n := float64(seen.len())
	rep.Dedupe = DedupeNote{Bits: 64, Distinct: seen.len(), CollisionBound: n * n / (1 << 65)}
	return rep, nil
}

// File augments the file at in and writes the result to outPath, through a
// temporary file in the same folder renamed on success, so a failed run
// leaves no partial output (atomicfile). in and outPath must be different
// files, and outPath absent or a regular file. in is read through readcap,
// so ctx's cancellation is honoured even on a stalled FIFO. More than
// cfg.MaxSkippedShare of the rows skipped is a failure (see Config).
func File(ctx context.Context, in, outPath string, cfg Config) (*Report, error) {
	return runToFile(ctx, in, outPath, &cfg.Read, cfg.MaxSkippedShare,
		func(open func() (io.ReadCloser, error), w io.Writer) (*Report, error) {
			return Run(ctx, open, in, w, cfg)
		},
		func(r *Report) (int, int) { return r.Skipped, r.Rows })
}

// runToFile is File's and ReweighFile's shared road: check the files,
// write run's output to a temporary file beside outPath (atomicfile: synced
// and renamed only on success; a symlink, device or folder at outPath is
// refused), read the input through readcap (capped lines, cancellable
// opens), and fail when more than maxShare of the rows were skipped.
// read's Format is resolved in place before run sees it.
func runToFile[R any](ctx context.Context, in, outPath string, read *dataset.Options, maxShare float64,
	run func(open func() (io.ReadCloser, error), w io.Writer) (*R, error), counts func(*R) (skipped, rows int)) (*R, error) {
	format, err := checkFiles(in, outPath, read.Format)
	if err != nil {
		return nil, err
	}
	read.Format = format
	share, err := skippedShare(maxShare)
	if err != nil {
		return nil, err
	}
	tmp, err := atomicfile.Create(outPath, 0o644)
	if err != nil {
		return nil, fmt.Errorf("augment: %w", err)
	}
	defer tmp.Abort() // a no-op once committed
	rep, err := run(func() (io.ReadCloser, error) { return readcap.Open(ctx, in) }, tmp)
	if err != nil {
		return nil, err
	}
	skipped, rows := counts(rep)
	if err := tooManySkipped(skipped, rows, share, in, outPath); err != nil {
		return rep, err
	}
	if err := tmp.Commit(); err != nil {
		return nil, fmt.Errorf("augment: %w", err)
	}
	return rep, nil
}

// checkFiles is File's and ReweighFile's check of their files: the
// input's format (detected from its name when format is Auto), and an
// output that is not the input itself.
func checkFiles(in, outPath string, format dataset.Format) (dataset.Format, error) {
	if format == dataset.Auto {
		f, err := dataset.DetectFormat(in)
		if err != nil {
			return format, err
		}
		format = f
	}
	si, err := os.Stat(in)
	if err != nil {
		return format, fmt.Errorf("augment: %w", err)
	}
	if so, err := os.Stat(outPath); err == nil && os.SameFile(si, so) {
		return format, fmt.Errorf("augment: the output %s is the input file; write it elsewhere", outPath)
	}
	return format, nil
}

// skippedShare is a MaxSkippedShare checked, 0 meaning the default.
func skippedShare(share float64) (float64, error) {
	if share == 0 {
		return DefaultMaxSkippedShare, nil
	}
	if !(share > 0 && share <= 1) {
		return 0, fmt.Errorf("augment: maximum skipped share %v: want a share in (0, 1], like 0.01", share)
	}
	return share, nil
}

// tooManySkipped is the error of a run that skipped more than share of
// its rows (skipped bad, rows good): nothing is written to outPath.
func tooManySkipped(skipped, rows int, share float64, in, outPath string) error {
	total := rows + skipped
	if skipped == 0 || float64(skipped) <= share*float64(total) {
		return nil
	}
	return fmt.Errorf("augment: %d of %d rows of %s (%.1f%%) were skipped as bad, above the maximum share %g: %w; nothing written to %s",
		skipped, total, in, 100*float64(skipped)/float64(total), share, ErrTooManySkipped, outPath)
}

// nextGood returns the next row rd accepts, io.EOF at the end, checking
// ctx every 256 rows read (n counts them). A row the reader refuses is
// passed over; with skipped and bad set it is counted there too, the first
// MaxBadRowsShown quoted (the counting pass of File and ReweighFile; their
// first passes leave it to the second).
func nextGood(ctx context.Context, rd *dataset.Reader, n, skipped *int, bad *[]BadRow) (dataset.Row, error) {
	for {
		if *n%256 == 0 && ctx.Err() != nil {
			return dataset.Row{}, ctx.Err()
		}
		*n++
		row, err := rd.Next()
		var re *dataset.RowError
		if !errors.As(err, &re) {
			return row, err
		}
		if skipped != nil {
			*skipped++
			if len(*bad) < MaxBadRowsShown {
				*bad = append(*bad, BadRow{Line: re.Line, Reason: re.Reason})
			}
		}
	}
}

// run is a Config checked and filled in.
type run struct {
	Config
	famIndex map[string]int
}

func (cfg Config) resolve() (*run, error) {
	c := &run{Config: cfg}
	if c.Families == nil {
		c.Families = counterfactual.Families()
	}
	if len(c.Families) == 0 {
		return nil, errors.New("augment: no families to swap")
	}
	if c.PerRow < 0 || c.PerRow > MaxPerRow {
		return nil, fmt.Errorf("augment: %d copies per row: want 0 (every swap) to %d", c.PerRow, MaxPerRow)
	}
	if c.ProvenanceCol == "" {
		c.ProvenanceCol = DefaultProvenanceCol
	}
	if strings.TrimSpace(c.ProvenanceCol) == "" || strings.ContainsFunc(c.ProvenanceCol, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return nil, fmt.Errorf("augment: provenance column name %q: want a name without control characters", c.ProvenanceCol)
	}
	if c.Read.LabelCol != "" || len(c.Read.Labels) > 0 || len(c.Read.GroupCols) > 0 {
		return nil, errors.New("augment: labels and groups are copied, not read: leave LabelCol, Labels and GroupCols empty")
	}
	c.Read.IgnoreLabels = true
	if c.GroupCol != "" {
		if strings.TrimSpace(c.GroupCol) == "" {
			return nil, fmt.Errorf("augment: group column %q: want a column name", c.GroupCol)
		}
		if c.Read.TextCol != "" && strings.EqualFold(c.GroupCol, c.Read.TextCol) {
			return nil, fmt.Errorf("augment: the group column %q is the text column", c.GroupCol)
		}
		c.Read.GroupCols = []string{c.GroupCol}
	}
	c.famIndex = make(map[string]int, len(c.Families))
	for i, f := range c.Families {
		if _, dup := c.famIndex[f.Name]; dup {
			return nil, fmt.Errorf("augment: family %q is given twice", f.Name)
		}
		c.famIndex[f.Name] = i
		if err := checkName("family", f.Name); err != nil {
			return nil, err
		}
		for _, g := range f.Groups {
			if err := checkName(fmt.Sprintf("family %q: group", f.Name), g.Name); err != nil {
				return nil, err
			}
			for _, t := range g.Terms {
				if err := checkName(fmt.Sprintf("family %q, group %q: term", f.Name, g.Name), t); err != nil {
					return nil, err
				}
			}
		}
	}
	return c, nil
}

// open opens the input and checks that it has no provenance column.
func (c *run) open(open Source, name string) (*dataset.Reader, io.Closer, error) {
	src, err := open()
	if err != nil {
		return nil, nil, fmt.Errorf("augment: %w", err)
	}
	rd, err := dataset.NewReader(src, name, c.Read)
	if err != nil {
		src.Close()
		return nil, nil, err
	}
	for _, h := range rd.Header() {
		if strings.EqualFold(strings.TrimSpace(h), c.ProvenanceCol) {
			src.Close()
			return nil, nil, fmt.Errorf("augment: %s already has a column %q; name the provenance column otherwise (--provenance-col)", name, h)
		}
	}
	return rd, src, nil
}

// firstPass hashes every original row into seen and returns how many
// duplicate an earlier one.
func (c *run) firstPass(ctx context.Context, open Source, name string, seen *hashSet) (int, error) {
	rd, src, err := c.open(open, name)
	if err != nil {
		return 0, err
	}
	defer src.Close()
	dup := 0
	for n := 0; ; {
		row, err := nextGood(ctx, rd, &n, nil, nil)
		if err == io.EOF {
			return dup, nil
		}
		if err != nil {
			return 0, err
		}
		rec, _ := rd.Raw()
		if rd.Format() == dataset.JSONL {
			if err := c.checkJSONKeys(name, rec); err != nil {
				return 0, err
			}
		}
		if !seen.add(rowKey(rec, row.Text)) {
			dup++
		}
	}
}

// checkJSONKeys refuses a JSONL row that already has the provenance key
// (later objects may have keys the first did not).
func (c *run) checkJSONKeys(name string, rec dataset.RawRecord) error {
	for _, k := range jsonKeys(rec.Bytes) {
		if strings.EqualFold(strings.TrimSpace(k), c.ProvenanceCol) {
			return fmt.Errorf("augment: %s, line %d, already has a field %q; name the provenance column otherwise (--provenance-col)", name, rec.Line, k)
		}
	}
	return nil
}

func (c *run) secondPass(ctx context.Context, open Source, name string, out io.Writer, seen *hashSet) (*Report, error) {
	rd, src, err := c.open(open, name)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	bw := bufio.NewWriterSize(out, 256<<10)
	rw := newRowWriter(bw, rd.Format(), c.ProvenanceCol)
	if h, ending := rd.RawHeader(); rd.Format() != dataset.JSONL {
		if rd.Format() == dataset.TSV && strings.ContainsRune(c.ProvenanceCol, '\t') {
			return nil, fmt.Errorf("augment: provenance column name %q holds a tab, which TSV cannot hold", c.ProvenanceCol)
		}
		if err := rw.header(h, ending, c.ProvenanceCol); err != nil {
			return nil, fmt.Errorf("augment: writing: %w", err)
		}
	}
	rep := &Report{Format: rd.Format().String(), TextColumn: rd.Columns().Text, ProvenanceCol: c.ProvenanceCol, PerRow: c.PerRow, Seed: c.Seed}
	fams := make([]FamilyCount, len(c.Families))
	dirs := make([]map[[2]string]int, len(c.Families))
	for i, f := range c.Families {
		fams[i].Family = f.Name
		dirs[i] = make(map[[2]string]int)
	}
	mentioned := make([]bool, len(c.Families))
	var chosen []counterfactual.Swap
	var groupCol string
	unmatched := map[string]int{} // value → index in rep.UnmatchedGroupValues
	if c.GroupCol != "" {
		groupCol = rd.Columns().Groups[0]
		rep.GroupColumn = groupCol
		if strings.EqualFold(groupCol, rd.Columns().Text) {
			return nil, fmt.Errorf("augment: the group column %q is the text column", groupCol)
		}
	}
	for n := 0; ; {
		row, err := nextGood(ctx, rd, &n, &rep.Skipped, &rep.BadRows)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		rec, _ := rd.Raw()
		if rec.TextStart < 0 {
			return nil, fmt.Errorf("augment: %s, line %d: cannot find the text value in the record", name, rec.Line)
		}
		if err := rw.write(rec, nil, ""); err != nil {
			return nil, fmt.Errorf("augment: writing: %w", err)
		}
		rep.Rows++
		swaps, skips := counterfactual.CounterfactualsWithSkips(row.Text, c.Families)
		for _, sk := range skips {
			fi := c.famIndex[sk.Family]
			fams[fi].Unswapped++
			if fams[fi].Reasons == nil {
				fams[fi].Reasons = map[string]int{}
			}
			fams[fi].Reasons[reasonKind(sk.Reason)]++
		}
		if len(swaps) == 0 {
			continue
		}
		rep.RowsWithTerms++
		clear(mentioned)
		for _, s := range swaps {
			fi := c.famIndex[s.Family]
			fams[fi].Candidates++
			if !mentioned[fi] {
				mentioned[fi] = true
				fams[fi].Rows++
			}
		}
		rep.Candidates += len(swaps)
		chosen = c.sample(chosen[:0], swaps, rec.Line)
		for _, s := range chosen {
			fi := c.famIndex[s.Family]
			fams[fi].Sampled++
			rep.Sampled++
			if !seen.add(rowKey(rec, s.Text)) {
				fams[fi].Duplicates++
				rep.Duplicates++
				continue
			}
			prov := Provenance{Line: rec.Line, Family: s.Family, From: s.FromGroup, To: s.ToGroup, Term: s.Term, Replacement: s.Replacement}
			var edits []fieldEdit
			if groupCol != "" && row.Groups[0] != "" {
				v := row.Groups[0]
				if nv, ok := regroup(v, s.FromGroup, s.ToGroup); ok {
					sp, found := fieldSpan(rec, rd.Format(), rd.Header(), groupCol)
					if found && (rd.Format() != dataset.JSONL || rec.Bytes[sp.Start] == '"') {
						edits = append(edits, fieldEdit{sp, encodeField(rd.Format(), rec, sp, nv)})
						rep.GroupRewritten++
					}
				} else if !namesGroup(v, c.Families) {
					k, seen := unmatched[v]
					if !seen {
						k = len(rep.UnmatchedGroupValues)
						unmatched[v] = k
						rep.UnmatchedGroupValues = append(rep.UnmatchedGroupValues, GroupValue{Value: v})
					}
					rep.UnmatchedGroupValues[k].Copies++
				}
			}
			if err := rw.write(rec, &s.Text, prov.String(), edits...); err != nil {
				return nil, fmt.Errorf("augment: writing: %w", err)
			}
			fams[fi].Copies++
			rep.Copies++
			dirs[fi][[2]string{s.FromGroup, s.ToGroup}]++
		}
	}
	if err := bw.Flush(); err != nil {
		return nil, fmt.Errorf("augment: writing: %w", err)
	}
	for i := range fams {
		for k, v := range dirs[i] {
			fams[i].Directions = append(fams[i].Directions, DirectionCount{From: k[0], To: k[1], Copies: v})
		}
		sort.Slice(fams[i].Directions, func(a, b int) bool {
			x, y := fams[i].Directions[a], fams[i].Directions[b]
			return x.From < y.From || (x.From == y.From && x.To < y.To)
		})
	}
	rep.Families = fams
	rep.OutputRows = rep.Rows + rep.Copies
	rep.Read = rd.Reconcile()
	return rep, nil
}

// reasonKind is a skip reason without the words it quotes, so that
// reasons can be counted.
func reasonKind(r string) string {
	var b strings.Builder
	in := false
	for _, c := range r {
		switch {
		case c == '"' && !in:
			in = true
			b.WriteString("…")
		case c == '"':
			in = false
		case !in:
			b.WriteRune(c)
		}
	}
	return listOfQuoted.ReplaceAllString(b.String(), "(…)")
}

var listOfQuoted = regexp.MustCompile(`\(…(, …)+\)`)

// sample appends to dst the swaps to write: all of them, or PerRow drawn
// without replacement by a generator seeded with (Seed, line), kept in
// their original order.
func (c *run) sample(dst, swaps []counterfactual.Swap, line int) []counterfactual.Swap {
	if c.PerRow == 0 || len(swaps) <= c.PerRow {
		return append(dst, swaps...)
	}
	rng := rand.New(rand.NewPCG(c.Seed, uint64(line)))
	idx := make([]int, len(swaps))
	for i := range idx {
		idx[i] = i
	}
	for i := 0; i < c.PerRow; i++ { // partial Fisher–Yates
		j := i + rng.IntN(len(idx)-i)
		idx[i], idx[j] = idx[j], idx[i]
	}
	pick := idx[:c.PerRow]
	slices.Sort(pick)
	for _, i := range pick {
		dst = append(dst, swaps[i])
	}
	return dst
}

// rowKey hashes a row with the given text: the record's bytes before and
// after its text value, and the decoded text, each length-prefixed so that
// no two different rows give the same input to the hash.
func rowKey(rec dataset.RawRecord, text string) uint64 {
	h := sha256.New()
	var n [binary.MaxVarintLen64]byte
	put := func(b []byte) {
		h.Write(n[:binary.PutUvarint(n[:], uint64(len(b)))])
		h.Write(b)
	}
	put(rec.Bytes[:rec.TextStart])
	put(rec.Bytes[rec.TextEnd:])
	h.Write(n[:binary.PutUvarint(n[:], uint64(len(text)))])
	h.Write([]byte(text))
	var sum [sha256.Size]byte
	return binary.LittleEndian.Uint64(h.Sum(sum[:0]))
}
