// Package readcap is the one way Lucid reads the files and streams it is
// given: every read has a size cap and honours cancellation.
//
// Three hazards come with input a user (or an attacker) names, and each has
// one answer here:
//
//   - Size. A whole-file read (ReadFile, ReadAll) stops at a cap chosen per
//     kind of file (the Max* constants) and fails with a *TooLargeError
//     naming the file, its kind and the cap, instead of reading a huge file
//     or /dev/zero into memory. Line-by-line reading (Lines) caps each line
//     and skips the rest of an over-long one without holding it.
//   - Stalls. Open and the readers it returns give up when their context is
//     done: a FIFO with no writer, a terminal, a pipe whose writer has
//     stalled. Reads of anything that is not a regular file run on a helper
//     goroutine that the caller can abandon, because a blocked read(2)
//     cannot be interrupted from Go; the process is about to exit when that
//     happens, and the goroutine ends with it (or with the read).
//   - Devices. Open follows the path once, opening it on a helper goroutine
//     when it is not a regular file, so an open(2) that blocks (a FIFO
//     waiting for its writer) is abandoned on cancellation too.
//
// Regular files are read directly, with the context checked before every
// read, so the common case costs nothing extra.
package readcap

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// Caps per kind of file, documented in README.md ("Limits on input").
// Each is far above any real file of its kind and far below what would
// hurt a machine.
const (
	// MaxTokenizerBytes caps tokenizer.json (the largest multilingual
	// tokenizers, 250k-token vocabularies, are about 20 MB).
	MaxTokenizerBytes = 256 << 20
	// MaxConfigBytes caps a model's config.json (a few KB in practice).
	MaxConfigBytes = 16 << 20
	// MaxFamiliesBytes caps a counterfactual families file (--families).
	MaxFamiliesBytes = 16 << 20
	// MaxTextBytes caps one text read from standard input by predict and
	// explain: the model reads at most a few thousand characters of it, and
	// tokenizing costs tens of bytes of memory per byte of text.
	MaxTextBytes = 1 << 20
	// MaxSuiteBytes caps a test-suite file (lucid audit --suite): templates
	// and lexicons, a few KB to a few MB.
	MaxSuiteBytes = 16 << 20
	// MaxStateBytes caps a saved accumulator state (lucid explain --global
	// --save-state / --merge): about 1.4 KB per word type, 140 MB at the
	// default cap of 100,000 types.
	MaxStateBytes = 1 << 30
)

// TooLargeError is a file or stream over its kind's cap.
type TooLargeError struct {
	Name  string // the file, as given
	Kind  string // what it was read as: "tokenizer.json", "history file"
	Limit int64  // the cap, in bytes
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("%s: over the %s cap of %s (%d bytes); is it the right file?", e.Name, e.Kind, FormatBytes(e.Limit), e.Limit)
}

// FormatBytes writes n in the largest binary unit that divides it, for
// messages about caps.
func FormatBytes(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// File is a file opened by Open: its reads return ctx's error once ctx is
// done, even while the file has nothing to give.
type File struct {
	f    *os.File
	name string
	r    io.Reader // f itself (regular files) or a pump over it
	pump *pump
}

// Open opens path for reading under ctx. A directory is refused with an
// error naming it. A FIFO, device or socket is opened on a helper
// goroutine, so that ctx's cancellation ends an open that waits for a
// writer; its reads are abandonable too.
func Open(ctx context.Context, path string) (*File, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		return nil, &fs.PathError{Op: "open", Path: path, Err: errors.New("is a directory, not a file")}
	}
	if st.Mode().IsRegular() {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		return &File{f: f, name: path, r: ctxReader{ctx, f}}, nil
	}
	type opened struct {
		f   *os.File
		err error
	}
	ch := make(chan opened, 1)
	go func() {
		f, err := os.Open(path)
		ch <- opened{f, err}
	}()
	select {
	case o := <-ch:
		if o.err != nil {
			return nil, o.err
		}
		p := newPump(ctx, o.f)
		return &File{f: o.f, name: path, r: p, pump: p}, nil
	case <-ctx.Done():
		// The open may still complete (a writer comes): close what it
		// gives then.
		go func() {
			if o := <-ch; o.f != nil {
				o.f.Close()
			}
		}()
		return nil, fmt.Errorf("opening %s: %w", path, ctx.Err())
	}
}

// Read reads from the file; once ctx is done it returns ctx's error.
func (f *File) Read(p []byte) (int, error) { return f.r.Read(p) }

// Name is the path the file was opened by.
func (f *File) Name() string { return f.name }

// Stat describes the open file.
func (f *File) Stat() (os.FileInfo, error) { return f.f.Stat() }

// Close closes the file. A read still blocked on the helper goroutine
// returns with an error then (or never, for a device that ignores close;
// the goroutine is abandoned).
func (f *File) Close() error {
	if f.pump != nil {
		f.pump.close()
	}
	return f.f.Close()
}

// NewReader returns a reader of r whose reads return ctx's error once ctx
// is done. A regular *os.File is read directly (its reads do not block);
// anything else (standard input, a pipe, a network stream) is read on a
// helper goroutine so that a stalled read can be abandoned.
func NewReader(ctx context.Context, r io.Reader) io.Reader {
	if f, ok := r.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
			return ctxReader{ctx, f}
		}
	}
	if _, ok := r.(*File); ok {
		return ctxReader{ctx, r}
	}
	return newPump(ctx, r)
}

// ctxReader checks ctx before every read of a reader that does not block.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// pump reads r on a goroutine of its own, one chunk per request, so that
// the caller can stop waiting for a read when ctx is done.
type pump struct {
	ctx  context.Context
	req  chan struct{}
	resp chan chunk
	buf  []byte // what is left of the last chunk
	err  error  // sticky: the reader's error, once the chunk before it is used
	done bool   // the goroutine was told to stop
}

type chunk struct {
	b   []byte
	err error
}

const pumpChunk = 64 << 10

func newPump(ctx context.Context, r io.Reader) *pump {
	p := &pump{ctx: ctx, req: make(chan struct{}), resp: make(chan chunk, 1)}
	go func() {
		// Each chunk is a fresh slice: a chunk handed out is the caller's,
		// and an abandoned read may still be writing into its own.
		for range p.req {
			b := make([]byte, pumpChunk)
			n, err := r.Read(b)
			p.resp <- chunk{b[:n], err}
			if err != nil {
				return
			}
		}
	}()
	return p
}

func (p *pump) Read(b []byte) (int, error) {
	for len(p.buf) == 0 {
		if p.err != nil {
			return 0, p.err
		}
		if err := p.ctx.Err(); err != nil {
			return 0, err
		}
		select {
		case p.req <- struct{}{}:
		case <-p.ctx.Done():
			return 0, p.ctx.Err()
		}
		select {
		case c := <-p.resp:
			p.buf, p.err = c.b, c.err
		case <-p.ctx.Done():
			// The read goes on without us; its reply lands in resp's
			// buffer and is dropped with the pump.
			p.err = p.ctx.Err()
			return 0, p.err
		}
	}
	n := copy(b, p.buf)
	p.buf = p.buf[n:]
	return n, nil
}

func (p *pump) close() {
	if !p.done {
		p.done = true
		close(p.req)
	}
}

// ReadFile reads the whole file at path, as kind (for messages), refusing
// one longer than limit bytes with a *TooLargeError, without reading past
// the cap. It honours ctx as Open does.
func ReadFile(ctx context.Context, path, kind string, limit int64) ([]byte, error) {
	f, err := Open(ctx, path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadAll(f, path, kind, limit)
}

// ReadAll reads r to its end, refusing more than limit bytes with a
// *TooLargeError naming name and kind. Memory grows with what is read, at
// most limit+1 bytes.
func ReadAll(r io.Reader, name, kind string, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, &TooLargeError{Name: name, Kind: kind, Limit: limit}
	}
	return b, nil
}
