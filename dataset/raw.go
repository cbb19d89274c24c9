package dataset

import (
	"bytes"
	"encoding/json"
	"strings"
)

// RawRecord is a row as it is written in the file, for tools that copy
// rows and must keep every field byte for byte (lucid augment writes a
// file's rows back with one field changed and one column added).
type RawRecord struct {
	// Line is the row's first line, as in Row.Line.
	Line int
	// Bytes is the record as written, without the line ending after it:
	// one line for TSV and JSONL; for CSV every line of the record, with
	// the line endings inside quoted fields as they are in the file.
	Bytes []byte
	// TextStart and TextEnd are the byte span of the text column's value
	// in Bytes: the CSV field as written (its quotes included when it is
	// quoted), the TSV field, or the JSON string literal (its quotes
	// included) that Row.Text was decoded from.
	TextStart, TextEnd int
	// Ending is the line ending after the record: "\n", "\r\n", or, on the
	// last line of a file, "\r" or "" (no ending).
	Ending string
}

// rawLast is the raw form of the row Next last returned.
type rawLast struct {
	ok     bool
	line   int
	bytes  []byte
	ending string
	// text is the text span, or {-1, -1} until Raw computes it (TSV and
	// JSONL compute it on demand; CSV has it from the parser).
	text [2]int
}

// noteRaw records the row Next is about to return; nextTSV and nextJSONL
// have set the bytes, CSV's parser holds them.
func (r *Reader) noteRaw(line int) {
	r.last.ok, r.last.line, r.last.text = true, line, [2]int{-1, -1}
	if r.format == CSV {
		r.last.bytes, r.last.ending = r.csv.raw, r.csv.ending
		i := 2 * r.at.text
		r.last.text = [2]int{r.csv.spans[i], r.csv.spans[i+1]}
	}
}

// Raw returns the row Next last returned as it is written in the file. ok
// is false when the last call to Next returned no row (a bad row, the end
// of the file, an error) or Next has not been called. Bytes is valid until
// the next call to Next; copy it to keep it.
func (r *Reader) Raw() (rec RawRecord, ok bool) {
	if !r.last.ok {
		return RawRecord{}, false
	}
	if r.last.text[0] < 0 {
		switch r.format {
		case TSV:
			r.last.text = tsvField(r.last.bytes, r.at.text)
		case JSONL:
			r.last.text = jsonValueSpan(r.last.bytes, r.cols.Text)
		}
	}
	return RawRecord{Line: r.last.line, Bytes: r.last.bytes, TextStart: r.last.text[0], TextEnd: r.last.text[1], Ending: r.last.ending}, true
}

// RawHeader returns the header row of a CSV or TSV file as written
// (without its line ending) and the line ending after it; nil for JSONL,
// which has none.
func (r *Reader) RawHeader() (header []byte, ending string) {
	return r.header, r.headerEnding
}

// tsvField is the span of field i of a TSV line (the reader has checked
// that the line has the header's width).
func tsvField(line []byte, i int) [2]int {
	start := 0
	for range i {
		start += bytes.IndexByte(line[start:], '\t') + 1
	}
	end := len(line)
	if j := bytes.IndexByte(line[start:], '\t'); j >= 0 {
		end = start + j
	}
	return [2]int{start, end}
}

// jsonValueSpan finds the span of the value that lookup(obj, key) returns
// for the object on line (which parseObject has accepted): the exact key
// if present, else the smallest key equal to it case-insensitively; of
// several members with that key, the last, as encoding/json keeps.
func jsonValueSpan(line []byte, key string) [2]int {
	type member struct {
		key        string
		start, end int
	}
	var ms []member
	dec := json.NewDecoder(bytes.NewReader(line))
	if _, err := dec.Token(); err != nil { // {
		return [2]int{-1, -1}
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return [2]int{-1, -1}
		}
		k, _ := t.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return [2]int{-1, -1}
		}
		end := int(dec.InputOffset())
		ms = append(ms, member{k, end - len(v), end})
	}
	best := -1
	for i, m := range ms {
		if m.key == key {
			best = i
		}
	}
	if best < 0 {
		for i, m := range ms {
			if strings.EqualFold(m.key, key) && (best < 0 || m.key <= ms[best].key) {
				best = i
			}
		}
	}
	if best < 0 {
		return [2]int{-1, -1}
	}
	return [2]int{ms[best].start, ms[best].end}
}

// Header returns the file's column names: the header row's names as
// written (CSV, TSV), or the keys of the first JSON object, sorted (JSONL;
// later objects may have other keys). The slice is the reader's; do not
// change it.
func (r *Reader) Header() []string { return r.names }
