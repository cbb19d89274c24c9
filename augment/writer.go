package augment

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/lucid-nlp/lucid/dataset"
)

// rowWriter writes rows in the input's format with the provenance column
// added, copying every byte of a record but its text value.
type rowWriter struct {
	w      *bufio.Writer
	format dataset.Format
	// ending is written after a record whose own ending is missing (the
	// last line of a file without one, or a lone "\r" there).
	ending string
	// provKey is the provenance column's JSON key, encoded (JSONL).
	provKey []byte
	// number writes the added column's JSONL value as a JSON number (null
	// when empty) rather than a string: the reweighing weight.
	number bool
	buf    bytes.Buffer
}

func newRowWriter(w *bufio.Writer, format dataset.Format, provCol string) *rowWriter {
	rw := &rowWriter{w: w, format: format, ending: "\n"}
	if format == dataset.JSONL {
		rw.provKey = jsonString(provCol)
	}
	return rw
}

// header writes the CSV or TSV header with the provenance column added,
// and takes the file's line ending from it.
func (rw *rowWriter) header(raw []byte, ending, provCol string) error {
	if ending == "\r\n" {
		rw.ending = ending
	}
	rw.w.Write(raw)
	switch rw.format {
	case dataset.CSV:
		rw.w.WriteByte(',')
		rw.w.WriteString(csvField(provCol, false))
	case dataset.TSV:
		rw.w.WriteByte('\t')
		rw.w.WriteString(provCol)
	}
	_, err := rw.w.WriteString(rw.endingOf(ending))
	return err
}

func (rw *rowWriter) endingOf(e string) string {
	if e == "\n" || e == "\r\n" {
		return e
	}
	return rw.ending
}

// fieldEdit replaces the bytes at span of a record by value, as written.
type fieldEdit struct {
	span  span
	value []byte
}

// write writes rec with its text replaced by text when text is not nil,
// the field edits in other (the group column; never overlapping the
// text) applied, and prov in the provenance column.
func (rw *rowWriter) write(rec dataset.RawRecord, text *string, prov string, other ...fieldEdit) error {
	b := rec.Bytes
	rw.buf.Reset()
	edits := append([]fieldEdit(nil), other...)
	if text != nil {
		var enc []byte
		switch rw.format {
		case dataset.CSV:
			quoted := rec.TextEnd > rec.TextStart && b[rec.TextStart] == '"'
			enc = []byte(csvField(*text, quoted))
		case dataset.TSV:
			if strings.ContainsAny(*text, "\t\r\n") {
				return fmt.Errorf("augment: line %d: the swapped text holds a tab or line break, which TSV cannot hold: %q", rec.Line, *text)
			}
			enc = []byte(*text)
		case dataset.JSONL:
			enc = jsonString(*text)
		}
		edits = append(edits, fieldEdit{span{rec.TextStart, rec.TextEnd}, enc})
	}
	sort.Slice(edits, func(i, j int) bool { return edits[i].span.Start < edits[j].span.Start })
	end := len(b)
	if rw.format == dataset.JSONL {
		end = len(bytes.TrimRight(b, " \t\r\n")) - 1 // the closing brace
		if end < rec.TextEnd || b[end] != '}' {
			return fmt.Errorf("augment: line %d: cannot find the end of the JSON object", rec.Line)
		}
	}
	prev := 0
	for _, e := range edits {
		if e.span.Start < prev || e.span.End > end {
			return fmt.Errorf("augment: line %d: overlapping fields", rec.Line)
		}
		rw.buf.Write(b[prev:e.span.Start])
		rw.buf.Write(e.value)
		prev = e.span.End
	}
	rw.buf.Write(b[prev:end])
	switch rw.format {
	case dataset.CSV:
		rw.buf.WriteByte(',')
		rw.buf.WriteString(csvField(prov, false))
	case dataset.TSV:
		rw.buf.WriteByte('\t')
		rw.buf.WriteString(prov)
	case dataset.JSONL:
		rw.buf.WriteByte(',')
		rw.buf.Write(rw.provKey)
		rw.buf.WriteByte(':')
		switch {
		case rw.number && prov == "":
			rw.buf.WriteString("null")
		case rw.number:
			rw.buf.WriteString(prov)
		default:
			rw.buf.Write(jsonString(prov))
		}
		rw.buf.Write(b[end:])
	}
	rw.buf.WriteString(rw.endingOf(rec.Ending))
	_, err := rw.w.Write(rw.buf.Bytes())
	return err
}

// csvField writes v as one CSV field, quoted (quotes doubled) when asked
// or when it holds a comma, a quote or a line break.
func csvField(v string, quote bool) string {
	if !quote && !strings.ContainsAny(v, ",\"\r\n") {
		return v
	}
	return `"` + strings.ReplaceAll(v, `"`, `""`) + `"`
}

// jsonString encodes s as a JSON string literal, leaving <, > and & as
// they are (encoding/json's HTML escaping is for HTML, not data files).
func jsonString(s string) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}
