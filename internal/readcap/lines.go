package readcap

import (
	"bufio"
	"fmt"
	"io"
)

// MaxRunawayLine is how far a line may run without a line end before the
// input is refused as not line-oriented at all (/dev/zero, a binary file,
// a disk image): an over-long line is skipped unread up to here, and
// reading stops here, so such an input ends a run in bounded time and
// memory rather than never.
const MaxRunawayLine = 1 << 30

// LineTooLongError is a line over the cap of a Lines reader. It was
// consumed without being held; the next line can be read.
type LineTooLongError struct {
	Name  string
	Line  int   // 1-based
	Limit int64 // the cap, in bytes
}

func (e *LineTooLongError) Error() string {
	return fmt.Sprintf("%s line %d is longer than the cap of %s (%d bytes): skipped", e.Name, e.Line, FormatBytes(e.Limit), e.Limit)
}

// RunawayLineError is a line that ran MaxRunawayLine bytes without a line
// end: the input is not text in lines, and reading stops.
type RunawayLineError struct {
	Name  string
	Line  int
	Limit int64
}

func (e *RunawayLineError) Error() string {
	if e.Name == "" {
		return fmt.Sprintf("line %d runs past %s without a line end: not a text file of lines? (reading stopped)", e.Line, FormatBytes(e.Limit))
	}
	return fmt.Sprintf("%s line %d runs past %s without a line end: not a text file of lines? (reading stopped)", e.Name, e.Line, FormatBytes(e.Limit))
}

// Lines reads a stream line by line, each line capped: memory stays at
// the cap plus a buffer whatever the input holds.
type Lines struct {
	name    string
	br      *bufio.Reader
	max     int
	runaway int64
	line    int
	buf     []byte
	err     error // sticky fatal error
	ended   bool  // the last line read ended with a newline
}

// EndedWithNewline reports whether the last line Next returned had a
// newline after it (false for a last line cut short).
func (l *Lines) EndedWithNewline() bool { return l.ended }

// NewLines reads lines of at most max bytes from r (wrap r with NewReader
// for cancellation); name labels it in errors.
func NewLines(r io.Reader, name string, max int) *Lines {
	return &Lines{name: name, br: bufio.NewReaderSize(r, 64<<10), max: max, runaway: MaxRunawayLine}
}

// Next returns the next line without its line ending (\n, \r\n, or a \r at the end) and its
// 1-based number. A line over the cap comes back as a *LineTooLongError
// (read past, not held; call Next again); a line without an end past
// MaxRunawayLine as a *RunawayLineError, after which Next keeps returning
// it. io.EOF follows the last line. The slice is valid until the next
// call.
func (l *Lines) Next() ([]byte, int, error) {
	if l.err != nil {
		return nil, l.line, l.err
	}
	if cap(l.buf) > 4*l.max && cap(l.buf) > 1<<20 {
		l.buf = nil // let an earlier long line's buffer go
	}
	l.buf = l.buf[:0]
	var n int64
	tooLong := false
	for {
		chunk, err := l.br.ReadSlice('\n')
		n += int64(len(chunk))
		if !tooLong {
			if len(l.buf)+len(chunk) > l.max+2 { // +2: the line ending is not counted
				tooLong, l.buf = true, l.buf[:0]
			} else {
				l.buf = append(l.buf, chunk...)
			}
		}
		if err == bufio.ErrBufferFull {
			if n > l.runaway {
				l.err = &RunawayLineError{Name: l.name, Line: l.line + 1, Limit: l.runaway}
				return nil, l.line + 1, l.err
			}
			continue
		}
		if err == io.EOF && n == 0 {
			l.err = io.EOF
			return nil, l.line, io.EOF
		}
		if err != nil && err != io.EOF {
			l.err = err
			return nil, l.line, err
		}
		l.line++
		b := l.buf
		l.ended = err == nil
		if k := len(b); k > 0 && b[k-1] == '\n' {
			b = b[:k-1]
		}
		if k := len(b); k > 0 && b[k-1] == '\r' {
			b = b[:k-1]
		}
		if tooLong || len(b) > l.max {
			return nil, l.line, &LineTooLongError{Name: l.name, Line: l.line, Limit: int64(l.max)}
		}
		return b, l.line, nil
	}
}
