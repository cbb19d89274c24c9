package dataset

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
)

// MaxLineBytes bounds one TSV or JSONL line. A longer line is skipped with a
// RowError instead of being buffered, so a file with no newlines (a binary
// file given by mistake) cannot take all memory.
const MaxLineBytes = 64 << 20

// lineLimit is MaxLineBytes, lowered by a test to reach the limit cheaply.
var lineLimit = MaxLineBytes

// jsonlLookahead is how many bad lines Open reads past while looking for the
// first JSON object, whose keys give the columns, before giving up on the
// file as not JSONL at all.
const jsonlLookahead = 100

var (
	// ErrEmpty is returned by Open for a file with no header row (CSV, TSV)
	// or no object (JSONL).
	ErrEmpty = errors.New("empty file: no header row (CSV, TSV) or JSON object (JSONL)")
	// ErrMissingColumn is wrapped by the error Open returns when a column
	// asked for, or any text column, is absent.
	ErrMissingColumn = errors.New("missing column")
)

// DefaultTextCols are the text column names tried, in order, when
// Options.TextCol is empty.
var DefaultTextCols = []string{"text", "sentence", "content"}

// DefaultLabelCol is the label column used when Options.LabelCol is empty
// and the file has it; without it the file is read unlabelled.
const DefaultLabelCol = "label"

// Options says how to read a file. The zero value reads a file whose format
// matches its extension, with the default text and label columns and labels
// given as class indexes.
type Options struct {
	// Format of the file; Auto detects it from the extension.
	Format Format
	// TextCol names the text column (default: the first of DefaultTextCols
	// present).
	TextCol string
	// LabelCol names the label column. Empty means DefaultLabelCol when the
	// file has it, else no labels (Row.Label is -1).
	LabelCol string
	// GroupCols name the columns to read group values from (for fairness
	// metrics); each must exist.
	GroupCols []string
	// Labels are the model's label names, index i being class i. Label
	// values are matched against them case-insensitively, then read as
	// class indexes. Without them only indexes are accepted.
	Labels []string
}

// Row is one good row of the file.
type Row struct {
	// Line is the 1-based line of the file where the row starts (the
	// header is line 1 in CSV and TSV).
	Line int
	// Text is the text to classify, as it is in the file.
	Text string
	// Label is the class index of the row's label, or -1 when the file has
	// no label column.
	Label int
	// LabelRaw is the label as written in the file (spaces trimmed; a JSON
	// number or boolean as its JSON text); empty without a label column.
	LabelRaw string
	// Groups holds the group values, aligned with Options.GroupCols (and
	// Reader.Columns().Groups), spaces trimmed. A JSONL row without the
	// field, or with null, has "".
	Groups []string
}

// RowError is a malformed row: Next returns it, counts it in Skipped and
// goes on with the next row on the following call.
type RowError struct {
	Line   int
	Reason string
}

func (e *RowError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Reason) }

// Columns are the names the reader resolved, as spelled in the file.
type Columns struct {
	// Text is the text column.
	Text string
	// Label is the label column, or "" when the file is read unlabelled.
	Label string
	// Groups are the group columns, aligned with Options.GroupCols.
	Groups []string
}

// Reader streams the rows of one file. It is not safe for concurrent use.
type Reader struct {
	name   string
	format Format
	closer io.Closer
	br     *bufio.Reader
	cr     *csv.Reader
	labels labelSet
	cols   Columns

	// CSV and TSV: the header width and the columns' positions in it.
	width int
	at    layout

	// TSV and JSONL: lines consumed so far, and the current line.
	line int
	buf  []byte

	// JSONL: the bad lines met before the first object, and that object,
	// read at Open to learn the columns and handed out first by Next.
	pending   []error
	first     map[string]json.RawMessage
	firstLine int

	rows, skipped int
	err           error // sticky: io.EOF or the first fatal error
}

// Open opens the file at path and reads its header (or, for JSONL, its first
// object) to resolve the columns. Close the reader when done.
func Open(path string, o Options) (*Reader, error) {
	if o.Format == Auto {
		f, err := DetectFormat(path)
		if err != nil {
			return nil, err
		}
		o.Format = f
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	r, err := NewReader(f, path, o)
	if err != nil {
		f.Close()
		return nil, err
	}
	r.closer = f
	return r, nil
}

// NewReader reads rows from src; name is used in errors and, when o.Format
// is Auto, to detect the format by extension. The caller keeps ownership of
// src: Close does not close it.
func NewReader(src io.Reader, name string, o Options) (*Reader, error) {
	if o.Format == Auto {
		f, err := DetectFormat(name)
		if err != nil {
			return nil, err
		}
		o.Format = f
	}
	r := &Reader{name: name, format: o.Format, br: bufio.NewReaderSize(src, 64<<10), labels: newLabelSet(o.Labels)}
	// A byte-order mark is an encoding marker some editors (Excel, Notepad)
	// write, not part of the first column's name.
	if b, _ := r.br.Peek(3); bytes.Equal(b, []byte("\xef\xbb\xbf")) {
		r.br.Discard(3)
	}
	var err error
	switch o.Format {
	case CSV:
		err = r.openCSV(o)
	case TSV:
		err = r.openTSV(o)
	case JSONL:
		err = r.openJSONL(o)
	default:
		err = fmt.Errorf("unknown format %v", o.Format)
	}
	if err != nil {
		return nil, fmt.Errorf("dataset: %s: %w", name, err)
	}
	return r, nil
}

// Next returns the next row. At the end of the file it returns io.EOF. For a
// malformed row it returns a *RowError: report it and call Next again. Any
// other error is fatal, and Next keeps returning it.
func (r *Reader) Next() (Row, error) {
	if r.err != nil {
		return Row{}, r.err
	}
	var row Row
	var err error
	switch r.format {
	case CSV:
		row, err = r.nextCSV()
	case TSV:
		row, err = r.nextTSV()
	default:
		row, err = r.nextJSONL()
	}
	if err == nil {
		r.rows++
		return row, nil
	}
	if _, ok := err.(*RowError); ok {
		r.skipped++
		return Row{}, err
	}
	if err != io.EOF {
		err = fmt.Errorf("dataset: %s: %w", r.name, err)
	}
	r.err = err
	return Row{}, err
}

// Rows is the number of good rows Next has returned so far.
func (r *Reader) Rows() int { return r.rows }

// Skipped is the number of RowErrors Next has returned so far.
func (r *Reader) Skipped() int { return r.skipped }

// Columns are the resolved column names.
func (r *Reader) Columns() Columns { return r.cols }

// Format is the format the file is read as.
func (r *Reader) Format() Format { return r.format }

// Close closes the file opened by Open; for a NewReader it does nothing.
func (r *Reader) Close() error {
	if r.closer == nil {
		return nil
	}
	err := r.closer.Close()
	r.closer = nil
	return err
}

func (r *Reader) openCSV(o Options) error {
	r.cr = csv.NewReader(r.br)
	r.cr.LazyQuotes = true
	// Field counts are checked here so that a short row is a RowError with
	// its line instead of a csv.ErrFieldCount.
	r.cr.FieldsPerRecord = -1
	r.cr.ReuseRecord = true
	header, err := r.cr.Read()
	if err == io.EOF {
		return ErrEmpty
	}
	if err != nil {
		return fmt.Errorf("reading the header: %w", err)
	}
	return r.setHeader(slices.Clone(header), o)
}

func (r *Reader) openTSV(o Options) error {
	for {
		line, err := r.readLine()
		if err == io.EOF {
			return ErrEmpty
		}
		if err != nil {
			return fmt.Errorf("reading the header: %w", err)
		}
		if len(line) > 0 {
			return r.setHeader(strings.Split(string(line), "\t"), o)
		}
	}
}

func (r *Reader) setHeader(header []string, o Options) error {
	at, err := resolve(header, o)
	if err != nil {
		return err
	}
	r.width, r.at = len(header), at
	r.cols = at.names(header)
	return nil
}

func (r *Reader) openJSONL(o Options) error {
	var bad []error
	for {
		line, err := r.readLine()
		if err == io.EOF {
			if len(bad) == 0 {
				return ErrEmpty
			}
			return fmt.Errorf("no line is a JSON object (%v)", bad[0])
		}
		var obj map[string]json.RawMessage
		if err == nil {
			if len(bytes.TrimSpace(line)) == 0 {
				continue
			}
			obj, err = parseObject(r.line, line)
		}
		if _, ok := err.(*RowError); ok {
			if bad = append(bad, err); len(bad) >= jsonlLookahead {
				return fmt.Errorf("the first %d lines are not JSON objects (%v)", len(bad), bad[0])
			}
			continue
		}
		if err != nil {
			return fmt.Errorf("reading the first object: %w", err)
		}
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		at, err := resolve(keys, o)
		if err != nil {
			return fmt.Errorf("first object, line %d: %w", r.line, err)
		}
		r.cols = at.names(keys)
		r.pending, r.first, r.firstLine = bad, obj, r.line
		return nil
	}
}

func (r *Reader) nextCSV() (Row, error) {
	rec, err := r.cr.Read()
	if err != nil {
		// With LazyQuotes and FieldsPerRecord -1, encoding/csv reports no
		// parse errors today; keep reading past one if a later Go adds some.
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return Row{}, &RowError{Line: pe.StartLine, Reason: "malformed CSV: " + pe.Err.Error()}
		}
		return Row{}, err
	}
	line, _ := r.cr.FieldPos(0)
	return r.fromFields(line, rec)
}

func (r *Reader) nextTSV() (Row, error) {
	for {
		line, err := r.readLine()
		if err != nil {
			return Row{}, err
		}
		// Only a truly empty line is blank: a line of tabs is a row of
		// empty fields, and gets reported.
		if len(line) > 0 {
			return r.fromFields(r.line, strings.Split(string(line), "\t"))
		}
	}
}

func (r *Reader) nextJSONL() (Row, error) {
	if len(r.pending) > 0 {
		err := r.pending[0]
		r.pending = r.pending[1:]
		return Row{}, err
	}
	if r.first != nil {
		obj := r.first
		r.first = nil
		return r.fromObject(r.firstLine, obj)
	}
	for {
		line, err := r.readLine()
		if err != nil {
			return Row{}, err
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		obj, err := parseObject(r.line, line)
		if err != nil {
			return Row{}, err
		}
		return r.fromObject(r.line, obj)
	}
}

// fromFields builds a row from the fields of a CSV or TSV record.
func (r *Reader) fromFields(line int, f []string) (Row, error) {
	if len(f) != r.width {
		return Row{}, &RowError{Line: line, Reason: fmt.Sprintf("%d fields, but the header has %d", len(f), r.width)}
	}
	label := ""
	if r.at.label >= 0 {
		label = f[r.at.label]
	}
	var groups []string
	if len(r.at.groups) > 0 {
		groups = make([]string, len(r.at.groups))
		for i, c := range r.at.groups {
			groups[i] = f[c]
		}
	}
	return r.build(line, f[r.at.text], label, groups)
}

// fromObject builds a row from a JSONL object.
func (r *Reader) fromObject(line int, obj map[string]json.RawMessage) (Row, error) {
	fail := func(format string, a ...any) (Row, error) {
		return Row{}, &RowError{Line: line, Reason: fmt.Sprintf(format, a...)}
	}
	raw, ok := lookup(obj, r.cols.Text)
	if !ok {
		return fail("no %q field", r.cols.Text)
	}
	if len(raw) == 0 || raw[0] != '"' {
		return fail("field %q is not a string (got %s)", r.cols.Text, clip(string(raw)))
	}
	var text string
	if err := json.Unmarshal(raw, &text); err != nil {
		return fail("field %q: %v", r.cols.Text, err)
	}
	label := ""
	if r.cols.Label != "" {
		raw, ok := lookup(obj, r.cols.Label)
		if !ok {
			return fail("no %q field", r.cols.Label)
		}
		s, null, err := scalar(raw)
		if err != nil {
			return fail("field %q: %v", r.cols.Label, err)
		}
		if null {
			return fail("field %q is null", r.cols.Label)
		}
		label = s
	}
	var groups []string
	if len(r.cols.Groups) > 0 {
		groups = make([]string, len(r.cols.Groups))
		for i, name := range r.cols.Groups {
			raw, ok := lookup(obj, name)
			if !ok {
				continue // a missing group value is the group ""
			}
			s, _, err := scalar(raw)
			if err != nil {
				return fail("field %q: %v", name, err)
			}
			groups[i] = s
		}
	}
	return r.build(line, text, label, groups)
}

// build checks the fields every format shares and maps the label.
func (r *Reader) build(line int, text, label string, groups []string) (Row, error) {
	fail := func(reason string) (Row, error) { return Row{}, &RowError{Line: line, Reason: reason} }
	if reason := checkUTF8(r.cols.Text, text); reason != "" {
		return fail(reason)
	}
	if strings.TrimSpace(text) == "" {
		return fail(fmt.Sprintf("empty text in column %q", r.cols.Text))
	}
	row := Row{Line: line, Text: text, Label: -1, Groups: groups}
	if r.cols.Label != "" {
		label = strings.TrimSpace(label)
		if reason := checkUTF8(r.cols.Label, label); reason != "" {
			return fail(reason)
		}
		if label == "" {
			return fail(fmt.Sprintf("empty label in column %q", r.cols.Label))
		}
		idx, reason := r.labels.lookup(label)
		if reason != "" {
			return fail(reason)
		}
		row.Label, row.LabelRaw = idx, label
	}
	for i, g := range groups {
		if reason := checkUTF8(r.cols.Groups[i], g); reason != "" {
			return fail(reason)
		}
		groups[i] = strings.TrimSpace(g)
	}
	return row, nil
}

// readLine returns the next line without its line ending, counting lines.
// The slice is valid until the next call.
func (r *Reader) readLine() ([]byte, error) {
	if cap(r.buf) > 4<<20 {
		r.buf = nil // let one very long line's buffer go
	}
	r.buf = r.buf[:0]
	tooLong := false
	for {
		chunk, err := r.br.ReadSlice('\n')
		if !tooLong {
			if len(r.buf)+len(chunk) > lineLimit {
				tooLong, r.buf = true, r.buf[:0]
			} else {
				r.buf = append(r.buf, chunk...)
			}
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err == io.EOF {
			if len(r.buf) == 0 && !tooLong {
				return nil, io.EOF
			}
		} else if err != nil {
			return nil, err
		}
		r.line++
		if tooLong {
			return nil, &RowError{Line: r.line, Reason: fmt.Sprintf("line longer than %d bytes, skipped unread", lineLimit)}
		}
		b := bytes.TrimSuffix(r.buf, []byte("\n"))
		return bytes.TrimSuffix(b, []byte("\r")), nil
	}
}
