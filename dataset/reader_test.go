package dataset

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lucid-nlp/lucid/models/modeltest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// readAll drains r, returning the good rows and the RowErrors; a fatal error
// fails the test.
func readAll(t *testing.T, r *Reader) ([]Row, []*RowError) {
	t.Helper()
	var rows []Row
	var bad []*RowError
	for {
		row, err := r.Next()
		if err == io.EOF {
			return rows, bad
		}
		var re *RowError
		if errors.As(err, &re) {
			bad = append(bad, re)
			continue
		}
		require.NoError(t, err)
		rows = append(rows, row)
	}
}

func open(t *testing.T, name, content string, o Options) *Reader {
	t.Helper()
	r, err := NewReader(strings.NewReader(content), name, o)
	require.NoError(t, err)
	return r
}

func lines(bad []*RowError) []int {
	var out []int
	for _, e := range bad {
		out = append(out, e.Line)
	}
	return out
}

var posNeg = []string{"negative", "positive"}

func TestFormats(t *testing.T) {
	tests := []struct {
		name    string
		file    string
		content string
		opts    Options
		want    []Row
		bad     []int // lines of the expected RowErrors
	}{
		{
			name:    "csv with quotes and a newline inside a field",
			file:    "a.csv",
			content: "text,label,lang\n\"hello, world\",positive,en\n\"two\nlines\",0,fr\nplain \"quoted\" word,1,en\n",
			opts:    Options{GroupCols: []string{"lang"}, Labels: posNeg},
			want: []Row{
				{Line: 2, Text: "hello, world", Label: 1, LabelRaw: "positive", Groups: []string{"en"}},
				{Line: 3, Text: "two\nlines", Label: 0, LabelRaw: "0", Groups: []string{"fr"}},
				{Line: 5, Text: `plain "quoted" word`, Label: 1, LabelRaw: "1", Groups: []string{"en"}},
			},
		},
		{
			name:    "csv with CRLF and a BOM",
			file:    "a.CSV",
			content: "\ufefftext,label\r\ngood,1\r\nbad,0\r\n",
			want: []Row{
				{Line: 2, Text: "good", Label: 1, LabelRaw: "1"},
				{Line: 3, Text: "bad", Label: 0, LabelRaw: "0"},
			},
		},
		{
			name:    "tsv keeps quotes and skips blank lines",
			file:    "dev.tsv",
			content: "label\tcontent\n0\tit 's \"fine\n\n1\t\"great\" film\n",
			want: []Row{
				{Line: 2, Text: `it 's "fine`, Label: 0, LabelRaw: "0"},
				{Line: 4, Text: `"great" film`, Label: 1, LabelRaw: "1"},
			},
		},
		{
			name:    "tsv with CRLF, BOM and no label column",
			file:    "x.tsv",
			content: "\ufeffsentence\tid\r\nfirst\t1\r\nsecond\t2",
			want: []Row{
				{Line: 2, Text: "first", Label: -1},
				{Line: 3, Text: "second", Label: -1},
			},
		},
		{
			name: "jsonl with string, number and float labels and a missing group",
			file: "x.jsonl",
			content: `{"text": "a", "label": "Positive", "g": "x"}` + "\n" +
				`{"text": "b", "label": 0, "g": 7}` + "\n\n" +
				`{"text": "c\u00e9", "label": 1.0}` + "\r\n",
			opts: Options{GroupCols: []string{"g"}, Labels: posNeg},
			want: []Row{
				{Line: 1, Text: "a", Label: 1, LabelRaw: "Positive", Groups: []string{"x"}},
				{Line: 2, Text: "b", Label: 0, LabelRaw: "0", Groups: []string{"7"}},
				{Line: 4, Text: "cé", Label: 1, LabelRaw: "1.0", Groups: []string{""}},
			},
		},
		{
			name:    "ndjson without labels",
			file:    "x.ndjson",
			content: "\ufeff{\"content\": \"only text\"}\n",
			want:    []Row{{Line: 1, Text: "only text", Label: -1}},
		},
		{
			name:    "explicit format overrides the extension",
			file:    "data.txt",
			content: "text|label\na|1\n",
			opts:    Options{Format: TSV, TextCol: "text|label"},
			want:    []Row{{Line: 2, Text: "a|1", Label: -1}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := open(t, tc.file, tc.content, tc.opts)
			rows, bad := readAll(t, r)
			assert.Equal(t, tc.want, rows)
			assert.Equal(t, tc.bad, lines(bad))
			assert.Equal(t, len(tc.want), r.Rows())
			assert.Equal(t, len(tc.bad), r.Skipped())
			_, err := r.Next()
			assert.Equal(t, io.EOF, err, "EOF is sticky")
		})
	}
}

func TestHeaderMatching(t *testing.T) {
	tests := []struct {
		name   string
		header string
		opts   Options
		want   Columns
	}{
		{"defaults", "label,text", Options{}, Columns{Text: "text", Label: "label"}},
		{"text preferred over sentence and content", "content,sentence,text", Options{}, Columns{Text: "text"}},
		{"sentence preferred over content", "content,sentence", Options{}, Columns{Text: "sentence"}},
		{"case-insensitive defaults", " Sentence ,LABEL", Options{}, Columns{Text: " Sentence ", Label: "LABEL"}},
		{"exact beats case-insensitive", "Review,review,Label,label", Options{TextCol: "review", LabelCol: "Label"}, Columns{Text: "review", Label: "Label"}},
		{"case-insensitive named columns", "Review,Stars,Gender,Age", Options{TextCol: "review", LabelCol: "stars", GroupCols: []string{"age", "GENDER"}}, Columns{Text: "Review", Label: "Stars", Groups: []string{"Age", "Gender"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := open(t, "h.csv", tc.header+"\n", tc.opts)
			assert.Equal(t, tc.want, r.Columns())
			assert.Equal(t, CSV, r.Format())
		})
	}
}

func TestLabels(t *testing.T) {
	stars := []string{"1", "2", "3", "4", "5"}
	tests := []struct {
		name   string
		labels []string
		value  string // as written in a JSONL "label" field
		want   int
		errHas []string // non-empty: a RowError containing these
	}{
		{"name", posNeg, `"positive"`, 1, nil},
		{"name, any case, spaces", posNeg, `" NEGATIVE "`, 0, nil},
		{"index string", posNeg, `"1"`, 1, nil},
		{"index number", posNeg, `0`, 0, nil},
		{"integral float", posNeg, `1.0`, 1, nil},
		{"names before indexes", stars, `"1"`, 0, nil},
		{"index without names", nil, `"7"`, 7, nil},
		{"unknown name", posNeg, `"neutral"`, -1, []string{`"neutral"`, `"negative", "positive"`, "0 to 1"}},
		{"index out of range", posNeg, `2`, -1, []string{`"2"`, "0 to 1"}},
		{"negative index", posNeg, `-1`, -1, []string{`"-1"`}},
		{"fraction", posNeg, `0.5`, -1, []string{`"0.5"`}},
		{"name without names", nil, `"positive"`, -1, []string{`"positive"`, "no label names"}},
		{"empty is unlabelled", posNeg, `" "`, -1, nil},
		{"null is unlabelled", posNeg, `null`, -1, nil},
		{"object", posNeg, `{"a":1}`, -1, []string{"want a string, number or boolean"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			content := `{"text":"t","label":` + tc.value + "}\n"
			r := open(t, "l.jsonl", content, Options{Labels: tc.labels})
			rows, bad := readAll(t, r)
			if len(tc.errHas) == 0 {
				require.Empty(t, bad)
				require.Len(t, rows, 1)
				assert.Equal(t, tc.want, rows[0].Label)
				return
			}
			require.Len(t, bad, 1)
			assert.Equal(t, 1, bad[0].Line)
			for _, s := range tc.errHas {
				assert.Contains(t, bad[0].Error(), s)
			}
		})
	}
}

func TestMissingColumns(t *testing.T) {
	tests := []struct {
		name    string
		file    string
		content string
		opts    Options
		errHas  []string
	}{
		{
			name:    "named columns",
			file:    "m.csv",
			content: "review,label,gender\nx,1,f\n",
			opts:    Options{TextCol: "body", LabelCol: "stars", GroupCols: []string{"gender", "age"}},
			errHas:  []string{"m.csv", `text column "body"`, `label column "stars"`, `group column "age"`, `the columns are "review", "label", "gender"`},
		},
		{
			name:    "no default text column",
			file:    "m.tsv",
			content: "review\tlabel\nx\t1\n",
			errHas:  []string{`none of "text", "sentence", "content"`, "--text-col", `the columns are "review", "label"`},
		},
		{
			name:    "jsonl keys of the first object",
			file:    "m.jsonl",
			content: "not json\n{\"body\":\"x\",\"label\":1}\n",
			opts:    Options{GroupCols: []string{"age"}},
			errHas:  []string{"line 2", `a text column`, `group column "age"`, `the columns are "body", "label"`},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewReader(strings.NewReader(tc.content), tc.file, tc.opts)
			require.Error(t, err)
			assert.ErrorIs(t, err, ErrMissingColumn)
			for _, s := range tc.errHas {
				assert.Contains(t, err.Error(), s)
			}
		})
	}
	_, err := NewReader(strings.NewReader("text,label\n"), "same.csv", Options{LabelCol: "TEXT"})
	assert.ErrorContains(t, err, `the text and the label are the same column "text"`)
}

func TestBadRows(t *testing.T) {
	long := strings.Repeat("word ", 300_000) // 1.5 MB, far past the 64 KiB read buffer
	wide := Options{MaxFieldBytes: 4 << 20}  // over the default field cap, 1 MiB
	tests := []struct {
		name    string
		file    string
		content string
		opts    Options
		bad     map[int]string // line → part of its reason
		good    []int          // lines of the rows read
	}{
		{
			name:    "csv field count, empty text; an empty label is unlabelled",
			file:    "b.csv",
			content: "text,label\na,1\nb,1,extra\n   ,0\nc,\nd,0\n",
			bad:     map[int]string{3: "3 fields, but the header has 2", 4: `empty text in column "text"`},
			good:    []int{2, 5, 6},
		},
		{
			name:    "tsv field count and a row of tabs",
			file:    "b.tsv",
			content: "label\ttext\n1\ta\n1\n\t\n0\td\n",
			bad:     map[int]string{3: "1 fields, but the header has 2", 4: "empty text"},
			good:    []int{2, 5},
		},
		{
			name: "jsonl bad json, not an object, missing text, wrong type",
			file: "b.jsonl",
			content: `{"text":"a","label":1}` + "\n" + `{"text":"b",` + "\n" + `[1,2]` + "\n" +
				`{"label":1}` + "\n" + `{"text":5,"label":1}` + "\n" + `{"text":"f","label":0}` + "\n",
			bad:  map[int]string{2: "invalid JSON", 3: "not a JSON object", 4: `no "text" field`, 5: `field "text" is not a string (got 5)`},
			good: []int{1, 6},
		},
		{
			name:    "jsonl bad lines before the first object are reported first",
			file:    "b.jsonl",
			content: "{oops\n\n{\"text\":\"a\"}\n{\"text\":\"\"}\n",
			bad:     map[int]string{1: "invalid JSON at byte", 4: "empty text"},
			good:    []int{3},
		},
		{
			name:    "very long rows are read",
			file:    "b.tsv",
			content: "text\tlabel\n" + long + "\t1\n" + "short\t0\n",
			opts:    wide,
			good:    []int{2, 3},
		},
		{
			name:    "very long jsonl rows, the last without a newline",
			file:    "b.jsonl",
			content: `{"text":"` + long + `"}` + "\n" + `{"text":"x"}`,
			opts:    wide,
			good:    []int{1, 2},
		},
		{
			name:    "very long quoted csv rows",
			file:    "b.csv",
			content: "text,label\n\"" + long + "\n" + long + "\",1\nx,0\n",
			opts:    wide,
			good:    []int{2, 4},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := open(t, tc.file, tc.content, tc.opts)
			rows, bad := readAll(t, r)
			var got []int
			for _, row := range rows {
				got = append(got, row.Line)
			}
			assert.Equal(t, tc.good, got, "rows after a bad row are still read")
			require.Len(t, bad, len(tc.bad))
			for _, e := range bad {
				assert.Contains(t, e.Reason, tc.bad[e.Line], "line %d", e.Line)
			}
			assert.Equal(t, len(tc.bad), r.Skipped())
		})
	}
}

// TestLineLimit lowers the line limit to reach it cheaply: an overlong line
// is a RowError, skipped without being buffered, and the next line is read.
func TestLineLimit(t *testing.T) {
	defer func(n int) { lineLimit = n }(lineLimit)
	lineLimit = 100
	long := strings.Repeat("x", 1000)
	tests := []struct{ file, content string }{
		{"t.tsv", "text\tlabel\na\t1\n" + long + "\t1\nb\t0"},
		{"t.jsonl", `{"text":"a","label":1}` + "\n" + `{"text":"` + long + `","label":1}` + "\n" + `{"text":"b","label":0}`},
	}
	for _, tc := range tests {
		r := open(t, tc.file, tc.content, Options{})
		rows, bad := readAll(t, r)
		require.Len(t, rows, 2, tc.file)
		assert.Equal(t, "b", rows[1].Text, tc.file)
		require.Len(t, bad, 1, tc.file)
		assert.Equal(t, rows[0].Line+1, bad[0].Line, tc.file)
		assert.Contains(t, bad[0].Reason, "line longer than 100 bytes", tc.file)
	}
}

func TestLatin1(t *testing.T) {
	// "café" and "naïve" in Latin-1: 0xE9 and 0xEF are not UTF-8. CSV and
	// TSV name the column and the offset in the field; JSONL checks the
	// whole line, because encoding/json would quietly turn the byte into
	// U+FFFD.
	tests := []struct {
		file, content string
		badLines      []int
		reason        string
	}{
		{"l.csv", "text,label\ncaf\xe9,1\nok,0\nna\xefve,1\n", []int{2, 4}, `column "text" is not valid UTF-8 (byte 0xE9 at offset 3)`},
		{"l.tsv", "text\tlabel\ncaf\xe9\t1\nok\t0\nna\xefve\t1\n", []int{2, 4}, `column "text" is not valid UTF-8 (byte 0xE9 at offset 3)`},
		{"l.jsonl", "{\"text\":\"caf\xe9\",\"label\":1}\n{\"text\":\"ok\",\"label\":0}\n{\"text\":\"na\xefve\",\"label\":1}\n", []int{1, 3}, "the line is not valid UTF-8 (byte 0xE9 at offset 12)"},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			r := open(t, tc.file, tc.content, Options{})
			rows, bad := readAll(t, r)
			require.Len(t, rows, 1)
			assert.Equal(t, "ok", rows[0].Text)
			assert.Equal(t, tc.badLines, lines(bad))
			require.NotEmpty(t, bad)
			assert.Contains(t, bad[0].Reason, tc.reason)
			assert.Contains(t, bad[0].Reason, "iconv -f latin1 -t utf-8")
		})
	}
}

func TestEmptyFile(t *testing.T) {
	for _, tc := range []struct{ file, content string }{
		{"e.csv", ""}, {"e.csv", "\ufeff"}, {"e.csv", "\n\r\n"},
		{"e.tsv", ""}, {"e.tsv", "\n\n"},
		{"e.jsonl", ""}, {"e.jsonl", "\ufeff \n\t\n"},
	} {
		_, err := NewReader(strings.NewReader(tc.content), tc.file, Options{})
		assert.ErrorIs(t, err, ErrEmpty, "%s %q", tc.file, tc.content)
		assert.ErrorContains(t, err, tc.file)
	}
	_, err := NewReader(strings.NewReader("nope\n[]\n"), "e.jsonl", Options{})
	assert.ErrorContains(t, err, "no line is a JSON object (line 1: not a JSON object: nope)")
}

func TestDetectFormat(t *testing.T) {
	tests := []struct {
		path   string
		want   Format
		errHas string
	}{
		{"a/b/dev.csv", CSV, ""},
		{"DEV.TSV", TSV, ""},
		{"x.jsonl", JSONL, ""},
		{"x.NDJSON", JSONL, ""},
		{"notes.txt", Auto, `extension ".txt"; give --format csv, tsv or jsonl`},
		{"x.json", Auto, `extension ".json"`},
		{"data", Auto, "no extension"},
	}
	for _, tc := range tests {
		f, err := DetectFormat(tc.path)
		if tc.errHas != "" {
			assert.ErrorContains(t, err, tc.errHas, tc.path)
			assert.ErrorContains(t, err, tc.path)
			continue
		}
		require.NoError(t, err, tc.path)
		assert.Equal(t, tc.want, f, tc.path)
	}
	for s, want := range map[string]Format{"": Auto, "CSV": CSV, "tsv": TSV, "ndjson": JSONL} {
		f, err := ParseFormat(s)
		require.NoError(t, err)
		assert.Equal(t, want, f)
	}
	_, err := ParseFormat("xml")
	assert.ErrorContains(t, err, `format "xml"`)
}

func TestOpen(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "d.csv")
	require.NoError(t, os.WriteFile(path, []byte("text,label,g\nhi,positive,a\n"), 0o600))
	r, err := Open(path, Options{Labels: posNeg, GroupCols: []string{"g"}})
	require.NoError(t, err)
	rows, bad := readAll(t, r)
	assert.Empty(t, bad)
	assert.Equal(t, []Row{{Line: 2, Text: "hi", Label: 1, LabelRaw: "positive", Groups: []string{"a"}}}, rows)
	require.NoError(t, r.Close())
	require.NoError(t, r.Close(), "a second Close is a no-op")

	_, err = Open(filepath.Join(dir, "missing.csv"), Options{})
	assert.ErrorIs(t, err, os.ErrNotExist)
	_, err = Open(filepath.Join(dir, "d.txt"), Options{})
	assert.ErrorContains(t, err, "--format")
}

// TestSST2Dev reads the real SST-2 dev split: 872 rows under a
// label/content header, 428 negative and 444 positive.
func TestSST2Dev(t *testing.T) {
	path := modeltest.SharedFile(t, "data/sst2/dev.tsv")
	r, err := Open(path, Options{Labels: posNeg})
	require.NoError(t, err)
	defer r.Close()
	assert.Equal(t, Columns{Text: "content", Label: "label"}, r.Columns())
	rows, bad := readAll(t, r)
	assert.Empty(t, bad)
	require.Len(t, rows, 872)
	counts := map[int]int{}
	for _, row := range rows {
		counts[row.Label]++
	}
	assert.Equal(t, map[int]int{0: 428, 1: 444}, counts)
	assert.Equal(t, "one long string of cliches .", rows[0].Text)
	assert.Equal(t, 2, rows[0].Line)
	assert.Equal(t, 873, rows[871].Line)
}

func TestBatches(t *testing.T) {
	csv := "text,label\na,0\nb,1\nc,2,extra\nd,0\ne,1\n"
	rd, err := NewReader(strings.NewReader(csv), "b.csv", Options{})
	require.NoError(t, err)
	var sizes []int
	var texts []string
	var skipped []int
	err = rd.Batches(context.Background(), 2, func(re *RowError) { skipped = append(skipped, re.Line) }, func(b []Row) error {
		sizes = append(sizes, len(b))
		for _, r := range b {
			texts = append(texts, r.Text)
		}
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, []int{2, 2}, sizes)
	assert.Equal(t, []string{"a", "b", "d", "e"}, texts)
	assert.Equal(t, []int{4}, skipped)

	// Interrupted: ctx's error, and the unfinished batch is not handed on.
	ctx, cancel := context.WithCancel(context.Background())
	rd, err = NewReader(strings.NewReader(csv), "b.csv", Options{})
	require.NoError(t, err)
	calls := 0
	err = rd.Batches(ctx, 3, func(*RowError) {}, func(b []Row) error {
		calls++
		cancel()
		return nil
	})
	assert.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, 1, calls)

	rd, err = NewReader(strings.NewReader(csv), "b.csv", Options{})
	require.NoError(t, err)
	assert.ErrorContains(t, rd.Batches(context.Background(), 0, nil, nil), "batch size 0")
}

// Two files' accounts add up to one account of both.
func TestReconciliationAdd(t *testing.T) {
	a := Reconciliation{Lines: 10, HeaderLines: 1, BlankLines: 1, Rows: 7, RowLines: 7, Skipped: 1, SkippedLines: 1, Complete: true, Balanced: true}
	b := Reconciliation{Lines: 5, HeaderLines: 1, Rows: 3, RowLines: 3, Unlabelled: 2, Skipped: 1, SkippedLines: 2, Malformed: 1, Complete: false}
	a.Add(b)
	assert.Equal(t, Reconciliation{Lines: 15, HeaderLines: 2, BlankLines: 1, Rows: 10, RowLines: 10, Unlabelled: 2, Skipped: 2, SkippedLines: 3,
		Malformed: 1, Complete: false, Balanced: false}, a, "16 lines accounted for, 15 read: not balanced")
	b.Lines = 6
	c := Reconciliation{Lines: 10, HeaderLines: 1, BlankLines: 1, Rows: 7, RowLines: 7, Skipped: 1, SkippedLines: 1, Complete: true, Balanced: true}
	c.Add(b)
	assert.True(t, c.Balanced)
}
