package dataset

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// balanced asserts the reconciliation of a drained reader adds up, and
// that it consumed wantLines physical lines.
func balanced(t *testing.T, r *Reader, wantLines int) Reconciliation {
	t.Helper()
	c := r.Reconcile()
	assert.True(t, c.Balanced, "%+v", c)
	assert.True(t, c.Complete, "%+v", c)
	assert.Equal(t, wantLines, c.Lines, "%+v", c)
	assert.Equal(t, r.Rows(), c.Rows)
	assert.Equal(t, r.Skipped(), c.Skipped)
	return c
}

func TestCSVQuoting(t *testing.T) {
	tests := []struct {
		name    string
		content string
		want    []Row
		bad     map[int]string // line → part of its reason
		lines   int            // physical lines
	}{
		{
			name:    "legal multi-line field, doubled quotes, CRLF inside quotes",
			content: "text,label\r\n\"say \"\"hi\"\"\r\nand\n\nbye\",1\r\n\"\",0\r\nafter,0\r\n",
			want:    []Row{{Line: 2, Text: "say \"hi\"\nand\n\nbye", Label: 1, LabelRaw: "1"}, {Line: 7, Text: "after", Label: 0, LabelRaw: "0"}},
			bad:     map[int]string{6: `empty text in column "text"`},
			lines:   7,
		},
		{
			name:    "a bare quote inside an unquoted field is a literal",
			content: "text,label\na 5\" screen,1\nsays \"no\",0\nends with quote\",1\n",
			want: []Row{
				{Line: 2, Text: `a 5" screen`, Label: 1, LabelRaw: "1"},
				{Line: 3, Text: `says "no"`, Label: 0, LabelRaw: "0"},
				{Line: 4, Text: `ends with quote"`, Label: 1, LabelRaw: "1"},
			},
			lines: 4,
		},
		{
			name:    "a quote inside quotes not doubled is malformed, and the next line is its own row",
			content: "text,label\n\"unterminated text,1\nshe said \"great\" twice,0\nlast,1\n",
			want: []Row{
				{Line: 3, Text: `she said "great" twice`, Label: 0, LabelRaw: "0"},
				{Line: 4, Text: "last", Label: 1, LabelRaw: "1"},
			},
			bad:   map[int]string{2: `line 3, column 10: a quote inside the quoted field opened on line 2 is followed by 'g'`},
			lines: 4,
		},
		{
			name:    "text after a closing quote is malformed",
			content: "text,label\n\"quoted\" tail,1\nok,0\n",
			want:    []Row{{Line: 3, Text: "ok", Label: 0, LabelRaw: "0"}},
			bad:     map[int]string{2: `line 2, column 8: a quote inside the quoted field opened on line 2 is followed by ' '`},
			lines:   3,
		},
		{
			name:    "a quote never closed is malformed at the end of the file",
			content: "text,label\na,1\n\"open,0\nb,1\nc,0",
			want: []Row{
				{Line: 2, Text: "a", Label: 1, LabelRaw: "1"},
				{Line: 4, Text: "b", Label: 1, LabelRaw: "1"},
				{Line: 5, Text: "c", Label: 0, LabelRaw: "0"},
			},
			bad:   map[int]string{3: "the quoted field opened on line 3 is never closed: the file ends inside it; line 3 is skipped and reading goes on at line 4"},
			lines: 5,
		},
		{
			name:    "the second field's quote opens the malformed record",
			content: "label,text\n1,\"x\n0,y\n",
			want:    []Row{{Line: 3, Text: "y", Label: 0, LabelRaw: "0"}},
			bad:     map[int]string{2: "never closed"},
			lines:   3,
		},
		{
			name:    "trailing separator after a quoted field, blank lines between rows",
			content: "text,label,extra\n\n\"a\",1,\n\r\n\"b\",0,\"\"\n",
			want:    []Row{{Line: 3, Text: "a", Label: 1, LabelRaw: "1"}, {Line: 5, Text: "b", Label: 0, LabelRaw: "0"}},
			lines:   5,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := open(t, "q.csv", tc.content, Options{})
			rows, bad := readAll(t, r)
			assert.Equal(t, tc.want, rows)
			require.Len(t, bad, len(tc.bad), "%v", bad)
			for _, e := range bad {
				want, ok := tc.bad[e.Line]
				require.True(t, ok, "unexpected %v", e)
				assert.Contains(t, e.Reason, want)
			}
			balanced(t, r, tc.lines)
		})
	}
}

func TestCSVMalformedHeader(t *testing.T) {
	_, err := NewReader(strings.NewReader("\"text,label\nx,1\n"), "h.csv", Options{})
	assert.ErrorContains(t, err, "h.csv: reading the header: line 1: malformed CSV")
}

// TestUnterminatedQuote200 is the silent merge of issue 7: in a 200-row
// file an unterminated quote on line 11 must cost line 11 only, and line 12
// must keep its own text and label, whether the rows after it hold quotes
// (caught at the next quote) or none (caught at the end of the file).
func TestUnterminatedQuote200(t *testing.T) {
	for _, quotes := range []bool{true, false} {
		t.Run(fmt.Sprintf("later rows quoted %v", quotes), func(t *testing.T) {
			var b strings.Builder
			b.WriteString("text,label\n")
			for i := 1; i <= 200; i++ {
				text := fmt.Sprintf("row %d text", i)
				switch {
				case i == 10: // line 11
					text = `"row 10 text`
				case quotes && i%3 == 0:
					text = fmt.Sprintf(`row %d says "hi"`, i)
				}
				fmt.Fprintf(&b, "%s,%d\n", text, i%2)
			}
			r := open(t, "m.csv", b.String(), Options{})
			rows, bad := readAll(t, r)
			require.Len(t, bad, 1)
			assert.Equal(t, 11, bad[0].Line)
			assert.Contains(t, bad[0].Reason, "quoted field opened on line 11")
			require.Len(t, rows, 199)
			for _, row := range rows {
				i := row.Line - 1
				assert.Equal(t, i%2, row.Label, "line %d", row.Line)
				assert.True(t, strings.HasPrefix(row.Text, fmt.Sprintf("row %d ", i)), "line %d: %q", row.Line, row.Text)
				assert.NotContains(t, row.Text, "\n", "no row is merged with the next")
			}
			assert.Equal(t, 12, rows[9].Line)
			c := balanced(t, r, 201)
			assert.Equal(t, Reconciliation{Lines: 201, HeaderLines: 1, Rows: 199, RowLines: 199, Skipped: 1, SkippedLines: 1,
				Malformed: 1, Complete: true, Balanced: true}, c)
		})
	}
}

// TestStrayQuote1M is issue 7's worst case: one stray quote at the start of
// data row 5 of an unquoted 1,000,000-row CSV used to swallow the rest of
// the file. Now it costs that one line: the quoted field grows to the 1 MiB
// cap, the record is reported against line 6 and reading resumes at line 7.
// The file is written to disk and read back through Open, streaming both
// ways.
func TestStrayQuote1M(t *testing.T) {
	if testing.Short() {
		t.Skip("writes and reads a 1,000,000-row CSV (about 40 MB)")
	}
	const n = 1_000_000
	path := filepath.Join(t.TempDir(), "stray.csv")
	f, err := os.Create(path)
	require.NoError(t, err)
	w := bufio.NewWriter(f)
	fmt.Fprintln(w, "text,label,group")
	for i := 1; i <= n; i++ {
		if i == 5 {
			w.WriteString(`"`)
		}
		fmt.Fprintf(w, "row %d is plain text with no quotes,%d,g%d\n", i, i%2, i%3)
	}
	require.NoError(t, w.Flush())
	require.NoError(t, f.Close())

	began := time.Now()
	r, err := Open(path, Options{GroupCols: []string{"group"}})
	require.NoError(t, err)
	defer r.Close()
	rows, ones := 0, 0
	var bad []*RowError
	prev := 1
	for {
		row, err := r.Next()
		if err == io.EOF {
			break
		}
		var re *RowError
		if errors.As(err, &re) {
			bad = append(bad, re)
			continue
		}
		if err != nil || row.Line <= prev { // plain checks: testify per row would dominate the run time
			t.Fatalf("after line %d: row %+v, error %v", prev, row, err)
		}
		prev = row.Line
		rows++
		ones += row.Label
	}
	assert.Equal(t, n-1, rows)
	assert.Equal(t, n/2-1, ones, "row 5 (label 1) is the one lost")
	require.Len(t, bad, 1)
	assert.Equal(t, 6, bad[0].Line)
	assert.Contains(t, bad[0].Reason, "the quoted field opened on line 6 is still open")
	assert.Contains(t, bad[0].Reason, "over the cap of 1048576 bytes")
	c := balanced(t, r, n+1)
	assert.Equal(t, Reconciliation{Lines: n + 1, HeaderLines: 1, Rows: n - 1, RowLines: n - 1, Skipped: 1, SkippedLines: 1,
		Malformed: 1, Complete: true, Balanced: true}, c)
	t.Logf("read in %v: %+v; %s", time.Since(began).Round(time.Millisecond), c, bad[0])
}

func TestFieldCap(t *testing.T) {
	o := Options{MaxFieldBytes: 10}
	tests := []struct {
		name, file, content string
		good                []int
		bad                 map[int]string
		malformed           int
	}{
		{
			name:    "csv unquoted and quoted fields over the cap",
			file:    "c.csv",
			content: "text,label\nshort,1\n0123456789A,1\n\"0123456789\"\"\",0\n\"01234\n56789\",1\nok,0\n",
			good:    []int{2, 7},
			bad: map[int]string{
				3: `field 1 (column "text") is 11 bytes, over the cap of 10 bytes`,
				4: `field 1 (column "text") is 11 bytes, over the cap of 10 bytes`,
				5: `field 1 (column "text") is 11 bytes, over the cap of 10 bytes`,
			},
		},
		{
			name:      "csv quoted field still open past the cap is malformed",
			file:      "c.csv",
			content:   "text,label\n\"0123,1\n4567,0\n89AB,1\nx,1\n",
			good:      []int{3, 4, 5},
			bad:       map[int]string{2: "malformed CSV: the quoted field opened on line 2 is still open at line 3 after 14 bytes, over the cap of 10 bytes"},
			malformed: 1,
		},
		{
			name:    "tsv",
			file:    "c.tsv",
			content: "text\tlabel\n0123456789A\t1\nok\t0\nok\t0123456789A\n",
			good:    []int{3},
			bad: map[int]string{
				2: `column "text" is 11 bytes, over the cap of 10 bytes`,
				4: `column "label" is 11 bytes, over the cap of 10 bytes`,
			},
		},
		{
			name:    "jsonl",
			file:    "c.jsonl",
			content: `{"text":"ok"}` + "\n" + `{"text":"0123456789\u00e9"}` + "\n",
			good:    []int{1},
			bad:     map[int]string{2: `column "text" is 12 bytes, over the cap of 10 bytes`},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := open(t, tc.file, tc.content, o)
			rows, bad := readAll(t, r)
			var got []int
			for _, row := range rows {
				got = append(got, row.Line)
			}
			assert.Equal(t, tc.good, got)
			require.Len(t, bad, len(tc.bad), "%v", bad)
			for _, e := range bad {
				assert.Contains(t, e.Reason, tc.bad[e.Line], "line %d", e.Line)
			}
			c := balanced(t, r, strings.Count(tc.content, "\n"))
			assert.Equal(t, tc.malformed, c.Malformed)
		})
	}
	for _, bad := range []int{-1, MaxLineBytes + 1} {
		_, err := NewReader(strings.NewReader("text\nx\n"), "c.csv", Options{MaxFieldBytes: bad})
		assert.ErrorContains(t, err, fmt.Sprintf("field cap %d bytes: want 1 to %d", bad, MaxLineBytes))
	}
}

func TestUnlabelledAndMissingGroups(t *testing.T) {
	tests := []struct{ file, content string }{
		{"u.csv", "text,label,g\na,positive, x \nb,, \nc,  ,\nd,0,y\n"},
		{"u.tsv", "text\tlabel\tg\na\tpositive\t x \nb\t\t \nc\t  \t\nd\t0\ty\n"},
		{"u.jsonl", `{"text":"a","label":"positive","g":" x "}` + "\n" + `{"text":"b","label":null,"g":null}` + "\n" +
			`{"text":"c","label":" "}` + "\n" + `{"text":"d","label":0,"g":"y"}` + "\n"},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			r := open(t, tc.file, tc.content, Options{Labels: posNeg, GroupCols: []string{"g"}})
			rows, bad := readAll(t, r)
			assert.Empty(t, bad)
			first := rows[0].Line
			assert.Equal(t, []Row{
				{Line: first, Text: "a", Label: 1, LabelRaw: "positive", Groups: []string{"x"}},
				{Line: first + 1, Text: "b", Label: -1, Groups: []string{MissingGroup}},
				{Line: first + 2, Text: "c", Label: -1, Groups: []string{MissingGroup}},
				{Line: first + 3, Text: "d", Label: 0, LabelRaw: "0", Groups: []string{"y"}},
			}, rows)
			assert.Equal(t, 2, r.Unlabelled())
			assert.Equal(t, 2, r.Reconcile().Unlabelled)
		})
	}
	// An unknown non-empty label is still a bad row.
	r := open(t, "u.csv", "text,label\na,neutral\n", Options{Labels: posNeg})
	_, bad := readAll(t, r)
	require.Len(t, bad, 1)
	assert.Contains(t, bad[0].Reason, `unknown label "neutral"`)
	assert.Equal(t, 0, r.Unlabelled())
}

func TestStrict(t *testing.T) {
	tests := []struct {
		file, content string
		good          []int
		badLine       int
		reason        string
	}{
		{"s.csv", "text,label\na,1\n\"b,0\nc,1\n", []int{2}, 3, "malformed CSV"},
		{"s.tsv", "text\tlabel\na\t1\nb\t7\nc\t1\n", []int{2}, 3, `unknown label "7"`},
		{"s.jsonl", "{oops\n{\"text\":\"a\"}\n", nil, 1, "invalid JSON"},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			r := open(t, tc.file, tc.content, Options{Strict: true, Labels: posNeg})
			var got []int
			var err error
			for {
				var row Row
				if row, err = r.Next(); err != nil {
					break
				}
				got = append(got, row.Line)
			}
			assert.Equal(t, tc.good, got)
			require.ErrorIs(t, err, ErrStrict)
			var re *RowError
			assert.False(t, errors.As(err, &re), "a strict stop must not read as a row to skip")
			var se *StrictError
			require.ErrorAs(t, err, &se)
			assert.Equal(t, tc.badLine, se.Row.Line)
			assert.Contains(t, se.Row.Reason, tc.reason)
			assert.Contains(t, err.Error(), fmt.Sprintf("%s: strict mode: stopped at the first bad row at line %d: ", tc.file, tc.badLine))
			_, again := r.Next()
			assert.Equal(t, err, again, "the stop is sticky")
			c := r.Reconcile()
			assert.True(t, c.Balanced, "%+v", c)
			assert.False(t, c.Complete)
			assert.Equal(t, tc.badLine, c.Lines, "nothing past the bad row is counted as read")
		})
	}
}

func TestUnknownFormat(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "data.txt")
	require.NoError(t, os.WriteFile(path, []byte("text\nx\n"), 0o600))
	_, err := Open(path, Options{})
	assert.ErrorIs(t, err, ErrUnknownFormat)
	assert.ErrorContains(t, err, `extension ".txt"`)
	_, err = NewReader(strings.NewReader("text\nx\n"), "noext", Options{})
	assert.ErrorIs(t, err, ErrUnknownFormat)
	_, err = ParseFormat("xml")
	assert.ErrorIs(t, err, ErrUnknownFormat)
	_, err = NewReader(strings.NewReader("text\nx\n"), "x.csv", Options{Format: Format(9)})
	assert.ErrorIs(t, err, ErrUnknownFormat)
	r, err := Open(path, Options{Format: CSV})
	require.NoError(t, err, "a named format reads any extension")
	require.NoError(t, r.Close())
}

func TestReconcile(t *testing.T) {
	tests := []struct {
		file, content string
		want          Reconciliation
	}{
		{
			file:    "r.csv",
			content: "\ufeff\ntext,label\n\na,1\n\"multi\nline\",0\nx,y,z\n\"bad\" q,1\n\n\"two\nline\",\n",
			want: Reconciliation{Lines: 11, HeaderLines: 1, BlankLines: 3, Rows: 3, RowLines: 5, Unlabelled: 1,
				Skipped: 2, SkippedLines: 2, Malformed: 1, Complete: true, Balanced: true},
		},
		{
			file:    "r.tsv",
			content: "\ntext\tlabel\n\na\t1\nb\n\t\nc\t\n",
			want: Reconciliation{Lines: 7, HeaderLines: 1, BlankLines: 2, Rows: 2, RowLines: 2, Unlabelled: 1,
				Skipped: 2, SkippedLines: 2, Complete: true, Balanced: true},
		},
		{
			file:    "r.jsonl",
			content: " \nnope\n{\"text\":\"a\",\"label\":1}\n\n{\"text\":\"b\"}\n[]",
			want: Reconciliation{Lines: 6, BlankLines: 2, Rows: 2, RowLines: 2, Unlabelled: 1,
				Skipped: 2, SkippedLines: 2, Complete: true, Balanced: true},
		},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			r := open(t, tc.file, tc.content, Options{})
			if tc.file == "r.jsonl" {
				c := r.Reconcile()
				assert.Equal(t, 1, c.Lines, "the lines read ahead at Open are not counted until handed out")
				assert.True(t, c.Balanced, "%+v", c)
			}
			readAll(t, r)
			assert.Equal(t, tc.want, r.Reconcile())
		})
	}
}

// TestRereadBudget reads a file where every line, read from the start of a
// record, leaves a quote open, and read inside a quoted field keeps it
// open: each record runs to the end of the file. Resyncing each one would
// re-read the file once per line; the budget keeps the re-reading within
// four caps plus twice the file, and the lines skipped together are still
// counted.
func TestRereadBudget(t *testing.T) {
	const n = 3000
	content := "text,label\n" + strings.Repeat("a\",\"\n", n)
	r := open(t, "b.csv", content, Options{})
	rows, bad := readAll(t, r)
	assert.Empty(t, rows)
	require.NotEmpty(t, bad)
	assert.Less(t, len(bad), n, "some lines were skipped together")
	assert.Contains(t, bad[0].Reason, "reading goes on at line 3", "the first malformed records are resynced")
	last := bad[len(bad)-1]
	assert.Contains(t, last.Reason, fmt.Sprintf("lines %d to %d are skipped together", last.Line, n+1))
	assert.LessOrEqual(t, r.csv.reread, r.csv.rereadBudget())
	assert.LessOrEqual(t, r.csv.reread, 4*int64(DefaultMaxFieldBytes)+2*int64(len(content)))
	c := balanced(t, r, n+1)
	assert.Equal(t, len(bad), c.Malformed)
	assert.Equal(t, n, c.SkippedLines)
}
