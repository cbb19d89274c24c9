package dataset

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// rawAll drains r, returning each good row's raw record (bytes copied) and
// the lines of the bad rows.
func rawAll(t *testing.T, r *Reader) ([]RawRecord, []int) {
	t.Helper()
	var recs []RawRecord
	var bad []int
	for {
		row, err := r.Next()
		if err == io.EOF {
			_, ok := r.Raw()
			assert.False(t, ok, "no raw record after EOF")
			return recs, bad
		}
		var re *RowError
		if errors.As(err, &re) {
			_, ok := r.Raw()
			assert.False(t, ok, "no raw record after a bad row (line %d)", re.Line)
			bad = append(bad, re.Line)
			continue
		}
		require.NoError(t, err)
		rec, ok := r.Raw()
		require.True(t, ok)
		require.Equal(t, row.Line, rec.Line)
		rec.Bytes = append([]byte(nil), rec.Bytes...)
		recs = append(recs, rec)
	}
}

func TestRawCSV(t *testing.T) {
	src := "id,text,label\r\n" +
		"1,plain text,0\r\n" +
		"2,\"quoted, with \"\"quotes\"\"\",1\n" +
		"3,\"two\r\nlines\",0\r\n" +
		"\r\n" +
		"4,\"stray \" quote\",1\n" + // malformed: skipped, reading goes on at the next line
		"5, spaced ,\"1\"" // last line, no ending
	r := open(t, "x.csv", src, Options{})
	h, he := r.RawHeader()
	assert.Equal(t, "id,text,label", string(h))
	assert.Equal(t, "\r\n", he)
	recs, bad := rawAll(t, r)
	assert.Equal(t, []int{7}, bad)
	want := []struct{ bytes, text, ending string }{
		{"1,plain text,0", "plain text", "\r\n"},
		{"2,\"quoted, with \"\"quotes\"\"\",1", "\"quoted, with \"\"quotes\"\"\"", "\n"},
		{"3,\"two\r\nlines\",0", "\"two\r\nlines\"", "\r\n"},
		{"5, spaced ,\"1\"", " spaced ", ""},
	}
	require.Len(t, recs, len(want))
	for i, w := range want {
		assert.Equal(t, w.bytes, string(recs[i].Bytes), "record %d", i)
		assert.Equal(t, w.text, string(recs[i].Bytes[recs[i].TextStart:recs[i].TextEnd]), "record %d", i)
		assert.Equal(t, w.ending, recs[i].Ending, "record %d", i)
	}
	assert.True(t, r.Reconcile().Balanced)
}

// A malformed record's continuation lines are read again; their raw form
// (endings included) must come back as written.
func TestRawCSVResync(t *testing.T) {
	src := "text,label\n" +
		"\"open,0\r\n" + // never closes: malformed, the lines after it are replayed
		"after,1\r\n" +
		"\"x\ny\",0\n"
	r := open(t, "x.csv", src, Options{MaxFieldBytes: 64})
	recs, bad := rawAll(t, r)
	assert.Equal(t, []int{2}, bad)
	require.Len(t, recs, 2)
	assert.Equal(t, "after,1", string(recs[0].Bytes))
	assert.Equal(t, "\r\n", recs[0].Ending)
	assert.Equal(t, "\"x\ny\",0", string(recs[1].Bytes))
	assert.Equal(t, "\"x\ny\"", string(recs[1].Bytes[recs[1].TextStart:recs[1].TextEnd]))
}

func TestRawTSV(t *testing.T) {
	src := "sentence\tlabel\tnote\n" +
		"a \"quoted\" word\t1\tx\r\n" +
		"bad row\n" +
		"last\t0\t" // empty last field, no ending
	r := open(t, "x.tsv", src, Options{})
	h, _ := r.RawHeader()
	assert.Equal(t, "sentence\tlabel\tnote", string(h))
	recs, bad := rawAll(t, r)
	assert.Equal(t, []int{3}, bad)
	require.Len(t, recs, 2)
	assert.Equal(t, "a \"quoted\" word\t1\tx", string(recs[0].Bytes))
	assert.Equal(t, "a \"quoted\" word", string(recs[0].Bytes[recs[0].TextStart:recs[0].TextEnd]))
	assert.Equal(t, "\r\n", recs[0].Ending)
	assert.Equal(t, "last", string(recs[1].Bytes[recs[1].TextStart:recs[1].TextEnd]))
	assert.Equal(t, "", recs[1].Ending)
}

func TestRawTSVTextNotFirst(t *testing.T) {
	r := open(t, "x.tsv", "id\tgroup\ttext\n7\tg\tthe text\n", Options{})
	recs, _ := rawAll(t, r)
	require.Len(t, recs, 1)
	assert.Equal(t, "the text", string(recs[0].Bytes[recs[0].TextStart:recs[0].TextEnd]))
}

func TestRawJSONL(t *testing.T) {
	src := "not json\n" +
		`{"label": 1, "text" :  "caf\u00e9 \"x\"" , "id":[1,2]}` + "\n" +
		`{"text":"first","TEXT":"no","text":"last wins"}` + "\r\n" +
		`{"Text":"case-insensitive","label":0}`
	r := open(t, "x.jsonl", src, Options{})
	h, _ := r.RawHeader()
	assert.Nil(t, h)
	recs, bad := rawAll(t, r)
	assert.Equal(t, []int{1}, bad)
	require.Len(t, recs, 3)
	text := func(i int) string { return string(recs[i].Bytes[recs[i].TextStart:recs[i].TextEnd]) }
	assert.Equal(t, `"caf\u00e9 \"x\""`, text(0))
	assert.Equal(t, `"last wins"`, text(1))
	assert.Equal(t, "\r\n", recs[1].Ending)
	assert.Equal(t, `"case-insensitive"`, text(2))
	assert.Equal(t, "", recs[2].Ending)
}

func TestIgnoreLabels(t *testing.T) {
	r := open(t, "x.csv", "text,label\nfine,positive\nalso,\n", Options{IgnoreLabels: true})
	rows, bad := readAll(t, r)
	assert.Empty(t, bad)
	require.Len(t, rows, 2)
	assert.Equal(t, -1, rows[0].Label)
	assert.Equal(t, "", r.Columns().Label)
	_, err := NewReader(strings.NewReader("text,label\n"), "x.csv", Options{IgnoreLabels: true, LabelCol: "label"})
	assert.ErrorContains(t, err, "IgnoreLabels")
}

// FuzzRaw checks Raw against Next on any bytes in every format: each good
// row's raw text span decodes to Row.Text (CSV: unquoted, a CRLF inside
// quotes read as LF; TSV: as is; JSONL: the string literal), and the raw
// records with their endings, plus the header, the blank lines and the
// bad rows' lines, are the file: for TSV and JSONL (no resync) the good
// rows' bytes are exactly lines of the input.
//
// Run it with: go test -run '^$' -fuzz '^FuzzRaw$' -fuzztime 10s ./dataset
func FuzzRaw(f *testing.F) {
	f.Add([]byte("a,\"b\r\nc\",1\n\"x\"\"y\",z,0\r\n"))
	f.Add([]byte("a\tb\t1\n"))
	f.Add([]byte(`{"text":"a\"b","label":1}` + "\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		headers := map[Format]string{CSV: "x,text,label\n", TSV: "x\ttext\tlabel\n", JSONL: `{"text":"t"}` + "\n"}
		for format, header := range headers {
			in := append([]byte(header), data...)
			r, err := NewReader(bytes.NewReader(in), "fuzz", Options{Format: format, IgnoreLabels: true, MaxFieldBytes: 64})
			if err != nil {
				continue
			}
			for {
				row, err := r.Next()
				if err == io.EOF {
					break
				}
				if _, bad := err.(*RowError); bad {
					continue
				}
				if err != nil {
					t.Fatal(err)
				}
				rec, ok := r.Raw()
				if !ok || rec.TextStart < 0 || rec.TextEnd > len(rec.Bytes) || rec.TextStart > rec.TextEnd {
					t.Fatalf("%v line %d: raw %+v", format, row.Line, rec)
				}
				span := string(rec.Bytes[rec.TextStart:rec.TextEnd])
				var got string
				switch format {
				case TSV:
					got = span
				case CSV:
					got = span
					if strings.HasPrefix(span, `"`) {
						got = strings.ReplaceAll(strings.ReplaceAll(span[1:len(span)-1], `""`, `"`), "\r\n", "\n")
					}
				case JSONL:
					if err := json.Unmarshal([]byte(span), &got); err != nil {
						t.Fatalf("line %d: span %q: %v", row.Line, span, err)
					}
				}
				if got != row.Text {
					t.Fatalf("%v line %d: span %q decodes to %q, row text %q", format, row.Line, span, got, row.Text)
				}
				if format != CSV && !bytes.Contains(in, append(append([]byte(nil), rec.Bytes...), rec.Ending...)) {
					t.Fatalf("%v line %d: raw %q%q is not in the input", format, row.Line, rec.Bytes, rec.Ending)
				}
			}
		}
	})
}
