package dataset

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"unicode/utf8"
)

// FuzzReader reads any bytes as CSV, TSV and JSONL, as given and behind a
// header (or first object) that names the columns, with the default limits
// and with tiny ones (an 8-byte field cap, a 48-byte line limit) so the cap
// and resync paths are reached. For every reader that opens it checks: no
// panic; Next ends in io.EOF after at most one call per line; rows and
// skips come in strictly increasing line order; every row is valid UTF-8
// within the cap; the reconciliation is balanced and counts exactly the
// file's physical lines; and a strict reader stops at the first bad row the
// lenient one reported, having returned the same rows before it.
//
// Run it with: go test -run '^$' -fuzz '^FuzzReader$' -fuzztime 10s ./dataset
func FuzzReader(f *testing.F) {
	f.Add([]byte("text,label\na,1\n\"b,0\nc,1\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, format := range []Format{CSV, TSV, JSONL} {
			var header string
			switch format {
			case CSV:
				header = "text,label,g\n"
			case TSV:
				header = "text\tlabel\tg\n"
			case JSONL:
				header = `{"text":"t","label":1,"g":"x"}` + "\n"
			}
			withHeader := append([]byte(header), data...)
			for _, tiny := range []bool{false, true} {
				o := Options{Format: format}
				if tiny {
					o.MaxFieldBytes = 8
				}
				checkReader(t, data, o, tiny)
				o.GroupCols, o.Labels = []string{"g"}, []string{"neg", "pos"}
				checkReader(t, withHeader, o, tiny)
			}
		}
	})
}

// physicalLines counts lines as a reader should: a final line without a
// newline counts, and a leading byte-order mark is not a line.
func physicalLines(data []byte) int {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	n := bytes.Count(data, []byte("\n"))
	if len(data) > 0 && data[len(data)-1] != '\n' {
		n++
	}
	return n
}

type event struct {
	line int
	row  Row
	bad  *RowError
}

func checkReader(t *testing.T, data []byte, o Options, tiny bool) {
	if tiny {
		defer func(n int) { lineLimit = n }(lineLimit)
		lineLimit = 48
	}
	events, r, err := drain(t, data, o)
	if r == nil {
		return // not openable as this format: an error, not a panic, is all we ask
	}
	if err != io.EOF {
		t.Fatalf("%v: Next ended with %v, want io.EOF", o.Format, err)
	}
	cap := o.MaxFieldBytes
	if cap == 0 {
		cap = DefaultMaxFieldBytes
	}
	prev := 0
	for _, e := range events {
		if e.line <= prev {
			t.Fatalf("%v: line %d returned after line %d", o.Format, e.line, prev)
		}
		prev = e.line
		if e.bad != nil {
			continue
		}
		row := e.row
		if !utf8.ValidString(row.Text) || len(row.Text) > cap {
			t.Fatalf("%v: line %d: text %q is not valid UTF-8 or over the cap %d", o.Format, row.Line, row.Text, cap)
		}
		if row.Label < -1 || (len(o.Labels) > 0 && row.Label >= len(o.Labels)) {
			t.Fatalf("%v: line %d: label %d", o.Format, row.Line, row.Label)
		}
		if len(row.Groups) != len(o.GroupCols) {
			t.Fatalf("%v: line %d: %d group values for %d columns", o.Format, row.Line, len(row.Groups), len(o.GroupCols))
		}
	}
	c := r.Reconcile()
	if want := physicalLines(data); !c.Balanced || !c.Complete || c.Lines != want {
		t.Fatalf("%v: reconciliation %+v, want balanced over %d lines", o.Format, c, want)
	}
	if c.Rows+c.Skipped != len(events) || c.RowLines < c.Rows || c.SkippedLines < c.Skipped || c.Malformed > c.Skipped {
		t.Fatalf("%v: reconciliation %+v for %d rows and skips", o.Format, c, len(events))
	}

	// The strict reader agrees up to the first bad row, and stops there.
	o.Strict = true
	strict, _, serr := drain(t, data, o)
	firstBad := -1
	for i, e := range events {
		if e.bad != nil {
			firstBad = i
			break
		}
	}
	if firstBad < 0 {
		if serr != io.EOF || len(strict) != len(events) {
			t.Fatalf("%v: strict read %d events and %v; lenient read %d and no bad row", o.Format, len(strict), serr, len(events))
		}
		return
	}
	var se *StrictError
	if !errors.As(serr, &se) || se.Row.Line != events[firstBad].line || len(strict) != firstBad {
		t.Fatalf("%v: strict stopped with %v after %d rows; lenient's first bad row is %v after %d", o.Format, serr, len(strict), events[firstBad].bad, firstBad)
	}
}

// drain reads every row and skip, failing on a loop that does not end.
func drain(t *testing.T, data []byte, o Options) ([]event, *Reader, error) {
	r, err := NewReader(bytes.NewReader(data), "fuzz", o)
	if err != nil {
		return nil, nil, err
	}
	var events []event
	for calls := 0; ; calls++ {
		if calls > physicalLines(data)+1 {
			t.Fatalf("%v: %d calls to Next on %d lines", o.Format, calls, physicalLines(data))
		}
		row, err := r.Next()
		var re *RowError
		switch {
		case err == nil:
			events = append(events, event{line: row.Line, row: row})
		case errors.As(err, &re):
			events = append(events, event{line: re.Line, bad: re})
		default:
			return events, r, err
		}
	}
}
