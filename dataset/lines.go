package dataset

import (
	"bufio"
	"io"

	"github.com/lucid-nlp/lucid/internal/readcap"
)

// heldLine is a physical line kept so that it can be read again: the
// continuation lines of a CSV record that turned out to be malformed.
type heldLine struct {
	data    []byte // without its line ending
	tooLong bool   // the line was over the line limit and was never buffered
	ending  string // the line ending it had: "\n", "\r\n", or at the end of the file "\r" or ""
}

// lineReader hands out physical lines, first any lines pushed back by a
// CSV resync, then the rest of the stream, and numbers them. Its count is
// the reconciliation's independent side: it knows nothing of records.
type lineReader struct {
	br     *bufio.Reader
	replay []heldLine // pushed back, read before br
	buf    []byte
	// line is the number of the last line handed out, which is also the
	// number of lines consumed: a push-back rewinds it.
	line  int
	limit int
	// runaway is how far one line may run without a line end before the
	// input is refused as not lines at all (see readcap.MaxRunawayLine).
	runaway int64
	// read is the bytes taken from br, line endings included: what the
	// re-read budget of CSV resyncs is measured against.
	read int64
	// ending is the line ending of the last line handed out, kept so that
	// RawRecord can give a row back byte for byte.
	ending string
}

// next returns the next line without its line ending (\n, \r\n, or a \r at
// the end of the file). A line longer than the limit is consumed without
// being buffered and reported with tooLong set and no content. The slice is
// valid until the next call.
func (lr *lineReader) next() (content []byte, tooLong bool, err error) {
	if len(lr.replay) > 0 {
		h := lr.replay[0]
		lr.replay[0] = heldLine{}
		lr.replay = lr.replay[1:]
		lr.line++
		lr.ending = h.ending
		return h.data, h.tooLong, nil
	}
	if cap(lr.buf) > 4<<20 {
		lr.buf = nil // let one very long line's buffer go
	}
	lr.buf = lr.buf[:0]
	var n int64
	for {
		chunk, err := lr.br.ReadSlice('\n')
		lr.read += int64(len(chunk))
		n += int64(len(chunk))
		if !tooLong {
			if len(lr.buf)+len(chunk) > lr.limit {
				tooLong, lr.buf = true, nil // let the buffer go now, not after the line
			} else {
				lr.buf = append(lr.buf, chunk...)
			}
		}
		if err == bufio.ErrBufferFull {
			if lr.runaway > 0 && n > lr.runaway {
				return nil, false, &readcap.RunawayLineError{Line: lr.line + 1, Limit: lr.runaway}
			}
			continue
		}
		if err == io.EOF {
			if len(lr.buf) == 0 && !tooLong {
				return nil, false, io.EOF
			}
		} else if err != nil {
			return nil, false, err
		}
		lr.line++
		if tooLong {
			lr.ending = ""
			return nil, true, nil
		}
		b, ending := lr.buf, ""
		if n := len(b); n > 0 && b[n-1] == '\n' {
			b, ending = b[:n-1], "\n"
		}
		if n := len(b); n > 0 && b[n-1] == '\r' {
			b = b[:n-1]
			if ending == "" {
				ending = "\r"
			} else {
				ending = "\r\n"
			}
		}
		lr.ending = ending
		return b, false, nil
	}
}

// pushBack rewinds to just after line `after` and queues held, the lines
// that followed it, to be read again before anything else.
func (lr *lineReader) pushBack(after int, held []heldLine) {
	lr.line = after
	if len(held) == 0 {
		return
	}
	replay := make([]heldLine, 0, len(held)+len(lr.replay))
	replay = append(replay, held...)
	lr.replay = append(replay, lr.replay...)
}
