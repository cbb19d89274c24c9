package dataset

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/lucid-nlp/lucid/internal/readcap"
)

// MaxLineBytes bounds one TSV or JSONL line, and one CSV record (all its
// lines together). A longer line is skipped with a RowError instead of
// being buffered, so a file with no newlines (a binary file given by
// mistake) cannot take all memory.
const MaxLineBytes = 64 << 20

// DefaultMaxFieldBytes is the field cap used when Options.MaxFieldBytes is
// 0: 1 MiB, a hundred times the longest text a BERT-class model reads
// whole, and small enough that a quote left open in a CSV file is caught
// after a few thousand lines instead of at the end of the file.
const DefaultMaxFieldBytes = 1 << 20

// lineLimit is MaxLineBytes, lowered by a test to reach the limit cheaply.
var lineLimit = MaxLineBytes

// runawayLimit is how far a line may run without a line end before the
// file is refused (a fatal error: /dev/zero, a binary file);
// readcap.MaxRunawayLine, lowered by a test.
var runawayLimit int64 = readcap.MaxRunawayLine

// jsonlLookahead is how many bad lines Open reads past while looking for the
// first JSON object, whose keys give the columns, before giving up on the
// file as not JSONL at all.
const jsonlLookahead = 100

// MissingGroup is the group value of a row whose group cell is empty or
// blank (or, in JSONL, null or absent): the value is missing, which is not
// the same as a group named "".
const MissingGroup = ""

var (
	// ErrEmpty is returned by Open for a file with no header row (CSV, TSV)
	// or no object (JSONL).
	ErrEmpty = errors.New("empty file: no header row (CSV, TSV) or JSON object (JSONL)")
	// ErrMissingColumn is wrapped by the error Open returns when a column
	// asked for, or any text column, is absent.
	ErrMissingColumn = errors.New("missing column")
	// ErrUnknownFormat is wrapped by the error DetectFormat, ParseFormat,
	// Open and NewReader return when the format is not given and the file
	// name does not tell it, or is not one of csv, tsv and jsonl: the caller
	// must name it.
	ErrUnknownFormat = errors.New("unknown data format")
	// ErrStrict is wrapped by the fatal error Next returns in strict mode
	// at the first bad row; the error is a *StrictError.
	ErrStrict = errors.New("strict mode: stopped at the first bad row")
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
	// GroupRoles, when set, says what each of GroupCols is for (say
	// "--pair-col"), so that a missing one is named as the user asked for
	// it: "--pair-col column "x"". The default role is "group".
	GroupRoles []string
	// Labels are the model's label names, index i being class i. Label
	// values are matched against them case-insensitively, then read as
	// class indexes. Without them only indexes are accepted.
	Labels []string
	// MaxFieldBytes caps one field (0 means DefaultMaxFieldBytes; at most
	// MaxLineBytes). A row with a longer text, label or group value is
	// skipped with a RowError giving the size and the cap. In CSV it is
	// also how an unclosed quote is caught: a quoted field still open past
	// the cap is malformed.
	MaxFieldBytes int
	// Strict makes the first bad row fatal: Next returns a *StrictError
	// (wrapping ErrStrict) instead of a *RowError, and stops.
	Strict bool
	// IgnoreLabels reads the file as unlabelled whatever its columns
	// (LabelCol must be empty): label cells are neither looked up nor
	// checked, so a tool that copies rows (lucid augment) keeps rows whose
	// labels no model has named. Every row has Label -1.
	IgnoreLabels bool
}

// Row is one good row of the file.
type Row struct {
	// Line is the 1-based line of the file where the row starts (the
	// header is line 1 in CSV and TSV).
	Line int
	// Text is the text to classify, as it is in the file.
	Text string
	// Label is the class index of the row's label, or -1 when the row is
	// unlabelled: the file has no label column, or the row's label cell is
	// empty or blank (JSONL: null or absent).
	Label int
	// LabelRaw is the label as written in the file (spaces trimmed; a JSON
	// number or boolean as its JSON text); empty when unlabelled.
	LabelRaw string
	// Groups holds the group values, aligned with Options.GroupCols (and
	// Reader.Columns().Groups), spaces trimmed. An empty or blank cell (a
	// JSONL null or absent field) is MissingGroup ("").
	Groups []string
}

// RowError is a bad row: Next returns it, counts it in Skipped and goes on
// with the next row on the following call.
type RowError struct {
	// Line is where the row starts; for malformed CSV quoting, the one
	// line skipped (reading goes on at Line+1).
	Line   int
	Reason string
}

func (e *RowError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Reason) }

// StrictError is the fatal error Next returns in strict mode at the first
// bad row. It wraps ErrStrict, not the *RowError: a loop that skips every
// *RowError it meets (errors.As) must not skip this one.
type StrictError struct {
	Name string    // the file
	Row  *RowError // the bad row
}

func (e *StrictError) Error() string {
	return fmt.Sprintf("dataset: %s: %v at line %d: %s", e.Name, ErrStrict, e.Row.Line, e.Row.Reason)
}

// Unwrap returns ErrStrict.
func (e *StrictError) Unwrap() error { return ErrStrict }

// Columns are the names the reader resolved, as spelled in the file.
type Columns struct {
	// Text is the text column.
	Text string
	// Label is the label column, or "" when the file is read unlabelled.
	Label string
	// Groups are the group columns, aligned with Options.GroupCols.
	Groups []string
}

// Reconciliation accounts for every physical line the reader consumed, so
// that a report can show that no row was lost without being counted. Each
// line is exactly one of: part of the header, blank, part of a row, or
// part of a skipped row. A malformed CSV record counts one skipped line
// (the one it started on): the lines after it are read again as records
// (unless the file has spent its re-read budget; see the package doc).
type Reconciliation struct {
	// Lines is the number of physical lines consumed (a last line without
	// a newline counts; lines read ahead at Open for JSONL and not yet
	// handed out do not).
	Lines int `json:"lines"`
	// HeaderLines is the lines of the CSV or TSV header (usually 1; 0 for
	// JSONL).
	HeaderLines int `json:"header_lines"`
	// BlankLines is the empty lines between records (JSONL: blank ones),
	// which hold no row.
	BlankLines int `json:"blank_lines"`
	// Rows is the rows Next returned, labelled or not.
	Rows int `json:"rows"`
	// RowLines is the lines those rows span (more than Rows when a quoted
	// CSV field holds newlines).
	RowLines int `json:"row_lines"`
	// Unlabelled is the rows among Rows returned with Label -1: an empty
	// label cell, or every row of a file read without a label column.
	Unlabelled int `json:"unlabelled"`
	// Skipped is the RowErrors Next returned (the one a strict reader
	// stopped at included).
	Skipped int `json:"skipped"`
	// SkippedLines is the lines those skipped rows span.
	SkippedLines int `json:"skipped_lines"`
	// Malformed is the skipped CSV records whose quoting was broken (a
	// stray or unclosed quote, or a quoted field past the cap), after each
	// of which reading went on at the next line. They are among Skipped.
	Malformed int `json:"malformed"`
	// Interrupted is the rows read but never handed on because the run was
	// interrupted (the batch in flight when Batches' context was done);
	// InterruptedLines is the lines they span. They are not among Rows, so
	// that Rows is what a caller received, and Balanced counts their
	// lines.
	Interrupted      int `json:"interrupted,omitempty"`
	InterruptedLines int `json:"interrupted_lines,omitempty"`
	// Complete is true once Next has returned io.EOF: the whole file was
	// read.
	Complete bool `json:"complete"`
	// Balanced is true when HeaderLines + BlankLines + RowLines +
	// SkippedLines + InterruptedLines == Lines: every line consumed is
	// accounted for.
	Balanced bool `json:"balanced"`
}

// Add accounts for o's lines too, as for one input made of both (two
// files, or two parts of one): counts add up, the whole is Complete when
// both are, and Balanced is recomputed.
func (c *Reconciliation) Add(o Reconciliation) {
	c.Lines += o.Lines
	c.HeaderLines += o.HeaderLines
	c.BlankLines += o.BlankLines
	c.Rows += o.Rows
	c.RowLines += o.RowLines
	c.Unlabelled += o.Unlabelled
	c.Skipped += o.Skipped
	c.SkippedLines += o.SkippedLines
	c.Malformed += o.Malformed
	c.Interrupted += o.Interrupted
	c.InterruptedLines += o.InterruptedLines
	c.Complete = c.Complete && o.Complete
	c.Balanced = c.HeaderLines+c.BlankLines+c.RowLines+c.SkippedLines+c.InterruptedLines == c.Lines
}

// Reader streams the rows of one file. It is not safe for concurrent use.
type Reader struct {
	name     string
	format   Format
	strict   bool
	maxField int
	closer   io.Closer
	lr       *lineReader
	csv      *csvParser
	labels   labelSet
	cols     Columns

	// CSV and TSV: the header width and the columns' positions in it.
	width int
	at    layout

	// JSONL: the bad lines met before the first object, and that object,
	// read at Open to learn the columns and handed out first by Next.
	pending     []error
	first       map[string]json.RawMessage
	firstLine   int
	firstRaw    []byte // the first object's line, for Raw
	firstEnding string

	// The raw form of the CSV or TSV header, and of the last row Next
	// returned (see Raw).
	header       []byte
	headerEnding string
	names        []string // the header's names, or the first object's keys
	last         rawLast

	rows, skipped, unlabelled, malformed int
	headerLines, blank                   int // blank: TSV and JSONL; CSV counts its own
	rowLines, skippedLines               int
	interrupted, interruptedLines        int   // rows taken back by Batches on interruption
	done                                 bool  // Next returned io.EOF
	err                                  error // sticky: io.EOF or the first fatal error
}

// Open opens the file at path and reads its header (or, for JSONL, its first
// object) to resolve the columns. Close the reader when done.
func Open(path string, o Options) (*Reader, error) {
	return OpenContext(context.Background(), path, o)
}

// OpenContext is Open under ctx: the open and every read give up with
// ctx's error once ctx is done, even on a FIFO without a writer or a
// stalled pipe (readcap.Open).
func OpenContext(ctx context.Context, path string, o Options) (*Reader, error) {
	if o.Format == Auto {
		f, err := DetectFormat(path)
		if err != nil {
			return nil, err
		}
		o.Format = f
	}
	f, err := readcap.Open(ctx, path)
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
	switch {
	case o.MaxFieldBytes == 0:
		o.MaxFieldBytes = DefaultMaxFieldBytes
	case o.MaxFieldBytes < 0 || o.MaxFieldBytes > MaxLineBytes:
		return nil, fmt.Errorf("dataset: field cap %d bytes: want 1 to %d", o.MaxFieldBytes, MaxLineBytes)
	}
	br := bufio.NewReaderSize(src, 64<<10)
	r := &Reader{name: name, format: o.Format, strict: o.Strict, maxField: o.MaxFieldBytes,
		lr: &lineReader{br: br, limit: lineLimit, runaway: runawayLimit}, labels: newLabelSet(o.Labels)}
	// A byte-order mark is an encoding marker some editors (Excel, Notepad)
	// write, not part of the first column's name.
	if b, _ := br.Peek(3); bytes.Equal(b, []byte("\xef\xbb\xbf")) {
		br.Discard(3)
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
		err = fmt.Errorf("%w %v", ErrUnknownFormat, o.Format)
	}
	if err != nil {
		return nil, fmt.Errorf("dataset: %s: %w", name, err)
	}
	return r, nil
}

// Next returns the next row. At the end of the file it returns io.EOF. For a
// bad row it returns a *RowError: report it and call Next again (in strict
// mode it returns a *StrictError instead, and stops). Any other error is
// fatal, and Next keeps returning it.
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
	// Lines spanned: a CSV record can hold newlines; a malformed one has
	// rewound to its first line, so it spans one.
	span := func(start int) int {
		if r.format == CSV {
			return r.lr.line - start + 1
		}
		return 1
	}
	r.last.ok = false
	if err == nil {
		r.noteRaw(row.Line)
		r.rows++
		r.rowLines += span(row.Line)
		if row.Label < 0 {
			r.unlabelled++
		}
		return row, nil
	}
	if re, ok := err.(*RowError); ok {
		r.skipped++
		r.skippedLines += span(re.Line)
		if r.csv != nil && r.csv.malformed {
			r.malformed++
		}
		if r.strict {
			r.err = &StrictError{Name: r.name, Row: re}
			return Row{}, r.err
		}
		return Row{}, err
	}
	if err == io.EOF {
		r.done = true
	} else {
		err = fmt.Errorf("dataset: %s: %w", r.name, err)
	}
	r.err = err
	return Row{}, err
}

// Batches reads the rest of the file and hands its good rows to fn in
// batches of size (the last may be shorter), and each malformed row to
// skip. fn must not keep the slice: it is reused. It stops at the first
// error fn returns, at a fatal read error, or, checked before every row,
// when ctx is done: then it returns ctx's error without handing on the
// rows of the unfinished batch, so a caller can tell an interruption from
// a failure. The rows of that batch, and of a batch whose fn failed once
// ctx was done (fn must then have kept none of it), are counted as
// Interrupted in the reconciliation, not as Rows, so that Rows stays what
// the caller received.
func (r *Reader) Batches(ctx context.Context, size int, skip func(*RowError), fn func([]Row) error) error {
	if size < 1 {
		return fmt.Errorf("dataset: batch size %d: want at least 1", size)
	}
	batch := make([]Row, 0, size)
	batchLines := 0
	takeBack := func() {
		for _, row := range batch {
			if row.Label < 0 {
				r.unlabelled--
			}
		}
		r.rows -= len(batch)
		r.rowLines -= batchLines
		r.interrupted += len(batch)
		r.interruptedLines += batchLines
		batch, batchLines = batch[:0], 0
	}
	send := func() error {
		err := fn(batch)
		if err != nil && ctx.Err() != nil {
			takeBack()
			return err
		}
		batch, batchLines = batch[:0], 0
		return err
	}
	for {
		if err := ctx.Err(); err != nil {
			takeBack()
			return err
		}
		before := r.rowLines
		row, err := r.Next()
		if err == io.EOF {
			break
		}
		var re *RowError
		if errors.As(err, &re) {
			skip(re)
			continue
		}
		if err != nil {
			if ctx.Err() != nil {
				takeBack()
			}
			return err
		}
		batch = append(batch, row)
		batchLines += r.rowLines - before
		if len(batch) == size {
			if err := send(); err != nil {
				return err
			}
		}
	}
	if len(batch) == 0 {
		return nil
	}
	return send()
}

// Rows is the number of good rows Next has returned so far, labelled or
// not.
func (r *Reader) Rows() int { return r.rows }

// Skipped is the number of RowErrors Next has returned so far.
func (r *Reader) Skipped() int { return r.skipped }

// Unlabelled is the number of rows Next has returned with Label -1.
func (r *Reader) Unlabelled() int { return r.unlabelled }

// Reconcile accounts for the lines read so far; call it after Next has
// returned io.EOF (or a fatal error) for the whole file's account.
func (r *Reader) Reconcile() Reconciliation {
	held := len(r.pending)
	if r.first != nil {
		held++
	}
	blank := r.blank
	if r.csv != nil {
		blank += r.csv.blank
	}
	c := Reconciliation{
		Lines: r.lr.line - held, HeaderLines: r.headerLines, BlankLines: blank,
		Rows: r.rows, RowLines: r.rowLines, Unlabelled: r.unlabelled,
		Skipped: r.skipped, SkippedLines: r.skippedLines, Malformed: r.malformed,
		Interrupted: r.interrupted, InterruptedLines: r.interruptedLines,
		Complete: r.done,
	}
	c.Balanced = c.HeaderLines+c.BlankLines+c.RowLines+c.SkippedLines+c.InterruptedLines == c.Lines
	return c
}

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
	r.csv = &csvParser{lr: r.lr, sep: ',', maxField: r.maxField, maxRecord: r.lr.limit}
	header, start, err := r.csv.read()
	if err == io.EOF {
		return ErrEmpty
	}
	if err != nil {
		return fmt.Errorf("reading the header: %w", err)
	}
	r.headerLines = r.lr.line - start + 1
	r.header, r.headerEnding = slices.Clone(r.csv.raw), r.csv.ending
	header = slices.Clone(header)
	r.csv.names = header
	return r.setHeader(header, o)
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
			r.headerLines = 1
			r.header, r.headerEnding = slices.Clone(line), r.lr.ending
			return r.setHeader(strings.Split(string(line), "\t"), o)
		}
		r.blank++
	}
}

func (r *Reader) setHeader(header []string, o Options) error {
	at, err := resolve(header, o)
	if err != nil {
		return err
	}
	r.width, r.at, r.names = len(header), at, header
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
				r.blank++
				continue
			}
			obj, err = parseObject(r.lr.line, line)
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
			return fmt.Errorf("first object, line %d: %w", r.lr.line, err)
		}
		r.cols, r.names = at.names(keys), keys
		r.pending, r.first, r.firstLine = bad, obj, r.lr.line
		r.firstRaw, r.firstEnding = slices.Clone(line), r.lr.ending
		return nil
	}
}

func (r *Reader) nextCSV() (Row, error) {
	rec, start, err := r.csv.read()
	if err != nil {
		return Row{}, err
	}
	return r.fromFields(start, rec)
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
			r.last.bytes, r.last.ending = line, r.lr.ending
			return r.fromFields(r.lr.line, strings.Split(string(line), "\t"))
		}
		r.blank++
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
		r.last.bytes, r.last.ending = r.firstRaw, r.firstEnding
		return r.fromObject(r.firstLine, obj)
	}
	for {
		line, err := r.readLine()
		if err != nil {
			return Row{}, err
		}
		if len(bytes.TrimSpace(line)) == 0 {
			r.blank++
			continue
		}
		obj, err := parseObject(r.lr.line, line)
		if err != nil {
			return Row{}, err
		}
		r.last.bytes, r.last.ending = line, r.lr.ending
		return r.fromObject(r.lr.line, obj)
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
		// An absent or null label is an unlabelled row, as an empty cell is
		// in CSV: JSON writers drop or null a missing value.
		if raw, ok := lookup(obj, r.cols.Label); ok {
			s, _, err := scalar(raw)
			if err != nil {
				return fail("field %q: %v", r.cols.Label, err)
			}
			label = s
		}
	}
	var groups []string
	if len(r.cols.Groups) > 0 {
		groups = make([]string, len(r.cols.Groups))
		for i, name := range r.cols.Groups {
			raw, ok := lookup(obj, name)
			if !ok {
				continue // a missing group value is MissingGroup
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
	if reason := r.checkSize(r.cols.Text, text); reason != "" {
		return fail(reason)
	}
	if reason := checkUTF8(r.cols.Text, text); reason != "" {
		return fail(reason)
	}
	if strings.TrimSpace(text) == "" {
		return fail(fmt.Sprintf("empty text in column %q", r.cols.Text))
	}
	row := Row{Line: line, Text: text, Label: -1, Groups: groups}
	if r.cols.Label != "" {
		if reason := r.checkSize(r.cols.Label, label); reason != "" {
			return fail(reason)
		}
		label = strings.TrimSpace(label)
		if reason := checkUTF8(r.cols.Label, label); reason != "" {
			return fail(reason)
		}
		if label != "" { // an empty label cell is an unlabelled row
			idx, reason := r.labels.lookup(label)
			if reason != "" {
				return fail(reason)
			}
			row.Label, row.LabelRaw = idx, label
		}
	}
	for i, g := range groups {
		if reason := r.checkSize(r.cols.Groups[i], g); reason != "" {
			return fail(reason)
		}
		if reason := checkUTF8(r.cols.Groups[i], g); reason != "" {
			return fail(reason)
		}
		groups[i] = strings.TrimSpace(g)
	}
	return row, nil
}

// checkSize says why a value over the field cap cannot be read, or "".
func (r *Reader) checkSize(col, v string) string {
	if len(v) <= r.maxField {
		return ""
	}
	return fmt.Sprintf("column %q is %d bytes, over the cap of %d bytes", col, len(v), r.maxField)
}

// readLine returns the next TSV or JSONL line without its line ending; a
// line over the limit is a RowError. The slice is valid until the next
// call.
func (r *Reader) readLine() ([]byte, error) {
	line, tooLong, err := r.lr.next()
	if err != nil {
		return nil, err
	}
	if tooLong {
		return nil, &RowError{Line: r.lr.line, Reason: fmt.Sprintf("line longer than %d bytes, skipped unread", r.lr.limit)}
	}
	return line, nil
}
