package dataset

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"
)

// csvParser reads RFC 4180 records one physical line at a time.
//
// It is strict where encoding/csv's LazyQuotes is lax, because laxness is
// what loses rows: a quote inside a quoted field must be doubled or end the
// field (followed by the separator or the line end), a quoted field must
// close before the end of the file, and it may not grow past the field cap.
// A record that breaks one of these rules is malformed: the parser reports
// it against the line where it started, pushes the lines it read after that
// one back into the line reader, and the next record starts on the
// following line. So a stray quote costs one line, never the rest of the
// file, and cannot glue two rows together. The lines pushed back are at
// most one record (bounded by the record limit), so memory stays bounded.
//
// A quote inside an unquoted field is kept as a literal (5" screen), as
// encoding/csv's LazyQuotes does; RFC 4180 forbids it, but files have it.
type csvParser struct {
	lr        *lineReader
	sep       byte
	maxField  int      // bytes in one field
	maxRecord int      // bytes in one record, all its lines together
	names     []string // header names for messages; nil while reading the header

	rec    []byte // the fields' bytes, unescaped, back to back
	ends   []int  // end of each field in rec
	fields []string
	held   []heldLine // continuation lines of the current record
	arena  []byte     // backing store for held

	// raw is the record as written, its inner line endings included, and
	// spans the start and end of each field in it (quotes included), for
	// RawRecord; ending is the line ending after the record.
	raw    []byte
	spans  []int
	ending string

	blank     int   // blank lines met between records
	malformed bool  // the last RowError was a malformed record
	reread    int64 // bytes pushed back by resyncs so far
}

// rereadBudget bounds the bytes resyncs may push back, so that reading
// stays linear in the file's size: a few records' worth (four field caps)
// plus twice what has been read. One stray quote, or one every few
// thousand lines, is always resynced; a file built so that every line
// opens a quote that runs past the next one (""""," on every line) would
// otherwise be re-read once per line.
func (p *csvParser) rereadBudget() int64 {
	return 4*int64(p.maxField) + 2*p.lr.read
}

var newline = []byte{'\n'}

// read returns the next record's fields and the line it starts on. A bad
// record is a *RowError (with the start line; malformed tells whether its
// quoting broke); io.EOF ends the file. The fields are valid until the
// next call.
func (p *csvParser) read() ([]string, int, error) {
	p.rec, p.ends, p.held, p.malformed = p.rec[:0], p.ends[:0], p.held[:0], false
	if cap(p.arena) > 4<<20 {
		p.arena = nil
	}
	if cap(p.raw) > 4<<20 {
		p.raw = nil
	}
	p.raw, p.spans = p.raw[:0], p.spans[:0]
	p.arena = p.arena[:0]

	var line []byte
	var tooLong bool
	var err error
	for {
		if line, tooLong, err = p.lr.next(); err != nil {
			return nil, 0, err
		}
		if tooLong || len(line) > 0 {
			break
		}
		p.blank++
	}
	start := p.lr.line
	if tooLong {
		return nil, start, &RowError{Line: start, Reason: fmt.Sprintf("line longer than %d bytes, skipped unread", p.lr.limit)}
	}

	lineNo, recBytes := start, len(line)
	base := 0 // where line starts in p.raw
	p.raw = append(p.raw, line...)
	quoted, quoteLine, fieldLen := false, 0, 0
	over, overLen := -1, 0 // the first field over the cap, and its size
	add := func(b []byte) {
		if fieldLen+len(b) <= p.maxField {
			p.rec = append(p.rec, b...)
		}
		fieldLen += len(b)
	}
	endField := func(rawEnd int) {
		p.spans = append(p.spans, rawEnd)
		p.ends = append(p.ends, len(p.rec))
		if fieldLen > p.maxField && over < 0 {
			over, overLen = len(p.ends)-1, fieldLen
		}
		quoted, fieldLen = false, 0
	}

	for {
		for i := 0; ; {
			if !quoted {
				p.spans = append(p.spans, base+i)
				if i < len(line) && line[i] == '"' {
					quoted, quoteLine = true, lineNo
					i++
				} else {
					end := len(line)
					if j := bytes.IndexByte(line[i:], p.sep); j >= 0 {
						end = i + j
					}
					add(line[i:end])
					endField(base + end)
					if end == len(line) {
						return p.finish(start, over, overLen)
					}
					i = end + 1
					continue
				}
			}
			j := bytes.IndexByte(line[i:], '"')
			if j < 0 {
				add(line[i:])
				add(newline) // the line ending is part of the field; \r\n reads as \n
				break
			}
			add(line[i : i+j])
			i += j + 1
			switch {
			case i < len(line) && line[i] == '"':
				add(line[i : i+1])
				i++
			case i == len(line):
				endField(base + i)
				return p.finish(start, over, overLen)
			case line[i] == p.sep:
				endField(base + i)
				i++ // at the line end, the loop reads one more, empty, field
			default:
				r, _ := utf8.DecodeRune(line[i:])
				return p.fail(start, fmt.Sprintf("line %d, column %d: a quote inside the quoted field opened on line %d is followed by %s; inside quotes a quote must be doubled (\"\") or end the field before %s or the line end",
					lineNo, i, quoteLine, strconv.QuoteRune(r), strconv.QuoteRune(rune(p.sep))))
			}
		}

		// A quoted field is still open at the end of line lineNo.
		if fieldLen > p.maxField {
			return p.fail(start, fmt.Sprintf("the quoted field opened on line %d is still open at line %d after %d bytes, over the cap of %d bytes (a stray or unclosed quote?)",
				quoteLine, lineNo, fieldLen, p.maxField))
		}
		p.raw = append(p.raw, p.lr.ending...)
		line, tooLong, err = p.lr.next()
		if err == io.EOF {
			return p.fail(start, fmt.Sprintf("the quoted field opened on line %d is never closed: the file ends inside it", quoteLine))
		}
		if err != nil {
			return nil, start, err
		}
		lineNo = p.lr.line
		base = len(p.raw)
		p.raw = append(p.raw, line...)
		p.hold(line, tooLong)
		if tooLong {
			return p.fail(start, fmt.Sprintf("line %d, inside the quoted field opened on line %d, is longer than %d bytes", lineNo, quoteLine, p.lr.limit))
		}
		if recBytes += len(line) + 1; recBytes > p.maxRecord {
			return p.fail(start, fmt.Sprintf("the record is longer than %d bytes at line %d, inside the quoted field opened on line %d", p.maxRecord, lineNo, quoteLine))
		}
	}
}

// hold keeps a continuation line, to be read again if the record turns out
// to be malformed.
func (p *csvParser) hold(line []byte, tooLong bool) {
	s := len(p.arena)
	p.arena = append(p.arena, line...)
	p.held = append(p.held, heldLine{data: p.arena[s:len(p.arena):len(p.arena)], tooLong: tooLong, ending: p.lr.ending})
}

// fail reports a malformed record and rewinds to the line after its first,
// unless the re-read budget is spent: then the record's lines are skipped
// together (and counted), and reading goes on after them.
func (p *csvParser) fail(start int, reason string) ([]string, int, error) {
	p.malformed = true
	var held int64
	for _, h := range p.held {
		held += int64(len(h.data)) + 1
	}
	if end := p.lr.line; end > start && p.reread+held > p.rereadBudget() {
		p.held = p.held[:0]
		return nil, start, &RowError{Line: start, Reason: fmt.Sprintf("malformed CSV: %s; lines %d to %d are skipped together, because this file's malformed records have already been re-read more than its size allows", reason, start, end)}
	}
	p.reread += held
	p.lr.pushBack(start, p.held)
	if len(p.held) > 0 {
		p.arena = nil // the replayed lines live in it now
	}
	p.held = p.held[:0]
	return nil, start, &RowError{Line: start, Reason: fmt.Sprintf("malformed CSV: %s; line %d is skipped and reading goes on at line %d", reason, start, start+1)}
}

// finish turns a complete record into fields, or reports its first field
// over the cap (the record is well formed, so it is skipped whole).
func (p *csvParser) finish(start, over, overLen int) ([]string, int, error) {
	if over >= 0 {
		name := fmt.Sprintf("field %d", over+1)
		if over < len(p.names) {
			name = fmt.Sprintf("field %d (column %q)", over+1, p.names[over])
		}
		return nil, start, &RowError{Line: start, Reason: fmt.Sprintf("%s is %d bytes, over the cap of %d bytes", name, overLen, p.maxField)}
	}
	p.ending = p.lr.ending
	s := string(p.rec)
	p.fields = p.fields[:0]
	prev := 0
	for _, e := range p.ends {
		p.fields = append(p.fields, s[prev:e])
		prev = e
	}
	return p.fields, start, nil
}
