package readcap

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// cancelAfter returns a context cancelled after d, and the time it was.
func cancelAfter(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// within fails the test unless fn returns within limit of the context's
// cancellation at after: the point is that a blocked open or read gives up
// when told, not how fast the machine is, so the bound is a generous 1 s.
func within(t *testing.T, after, limit time.Duration, fn func()) {
	t.Helper()
	start := time.Now()
	done := make(chan struct{})
	go func() { fn(); close(done) }()
	select {
	case <-done:
	case <-time.After(after + limit + 10*time.Second):
		t.Fatalf("still blocked %v after the cancellation", limit+10*time.Second)
	}
	if el := time.Since(start); el > after+limit {
		t.Errorf("returned %v after the start, want within %v of the cancellation at %v", el, limit, after)
	}
}

func TestOpenFIFOWithoutWriterIsInterrupted(t *testing.T) {
	path := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Skipf("no FIFOs here: %v", err)
	}
	ctx := cancelAfter(t, 200*time.Millisecond)
	within(t, 200*time.Millisecond, time.Second, func() {
		f, err := Open(ctx, path)
		if err == nil {
			f.Close()
			t.Error("Open of a FIFO without a writer succeeded")
			return
		}
		if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), path) {
			t.Errorf("error %v: want the context's error, naming %s", err, path)
		}
	})
}

func TestStalledPipeReadIsInterrupted(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	defer r.Close()
	if _, err := w.Write([]byte("first line\n")); err != nil {
		t.Fatal(err)
	}
	ctx := cancelAfter(t, 200*time.Millisecond)
	lr := NewLines(NewReader(ctx, r), "stdin", 100)
	line, n, err := lr.Next()
	if err != nil || string(line) != "first line" || n != 1 {
		t.Fatalf("first line: %q %d %v", line, n, err)
	}
	// The writer stalls: the next read must give up on cancellation.
	within(t, 200*time.Millisecond, time.Second, func() {
		if _, _, err := lr.Next(); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("stalled read: %v, want the context's error", err)
		}
	})
}

func TestReadFileDevZeroIsCapped(t *testing.T) {
	if _, err := os.Stat("/dev/zero"); err != nil {
		t.Skip("no /dev/zero")
	}
	_, err := ReadFile(context.Background(), "/dev/zero", "config.json", 1<<20)
	var tl *TooLargeError
	if !errors.As(err, &tl) || tl.Limit != 1<<20 || !strings.Contains(err.Error(), "/dev/zero") || !strings.Contains(err.Error(), "1 MiB") {
		t.Fatalf("error %v: want a TooLargeError naming /dev/zero and the 1 MiB cap", err)
	}
}

func TestReadFileCapIsExact(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(path, bytes.Repeat([]byte("x"), 100), 0o600); err != nil {
		t.Fatal(err)
	}
	if b, err := ReadFile(context.Background(), path, "test file", 100); err != nil || len(b) != 100 {
		t.Fatalf("at the cap: %d bytes, %v", len(b), err)
	}
	if _, err := ReadFile(context.Background(), path, "test file", 99); err == nil {
		t.Fatal("one byte over the cap was read")
	}
	if _, err := ReadFile(context.Background(), t.TempDir(), "test file", 99); err == nil || !strings.Contains(err.Error(), "directory") {
		t.Fatalf("a directory: %v", err)
	}
}

func TestCancelledContextStopsRegularReads(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(path, []byte("abc"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	f, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cancel()
	if _, err := f.Read(make([]byte, 10)); !errors.Is(err, context.Canceled) {
		t.Fatalf("read after cancel: %v", err)
	}
}

func TestLinesCapAndRecovery(t *testing.T) {
	in := "short\r\n" + strings.Repeat("y", 5000) + "\nok\nlast\r"
	lr := NewLines(strings.NewReader(in), "in", 10)
	want := []struct {
		s       string
		n       int
		tooLong bool
	}{{"short", 1, false}, {"", 2, true}, {"ok", 3, false}, {"last", 4, false}}
	for _, w := range want {
		b, n, err := lr.Next()
		var tl *LineTooLongError
		if w.tooLong {
			if !errors.As(err, &tl) || tl.Line != w.n || !strings.Contains(err.Error(), "in line 2") {
				t.Fatalf("line %d: %v, want a LineTooLongError", w.n, err)
			}
			continue
		}
		if err != nil || string(b) != w.s || n != w.n {
			t.Fatalf("got %q %d %v, want %q %d", b, n, err, w.s, w.n)
		}
	}
	if _, _, err := lr.Next(); err != io.EOF {
		t.Fatalf("at the end: %v", err)
	}
	// Exactly at the cap is not over it.
	if b, _, err := NewLines(strings.NewReader(strings.Repeat("z", 10)+"\r\n"), "in", 10).Next(); err != nil || len(b) != 10 {
		t.Fatalf("a line at the cap: %d bytes, %v", len(b), err)
	}
}

func TestRunawayLineStops(t *testing.T) {
	f, err := os.Open("/dev/zero")
	if err != nil {
		t.Skip("no /dev/zero")
	}
	defer f.Close()
	lr := NewLines(f, "/dev/zero", 1<<10)
	lr.runaway = 8 << 20 // the real 1 GiB costs a second of reading
	_, n, err := lr.Next()
	var re *RunawayLineError
	if !errors.As(err, &re) || n != 1 || !strings.Contains(err.Error(), "/dev/zero line 1") {
		t.Fatalf("got line %d, %v: want a RunawayLineError for line 1", n, err)
	}
	if _, _, err2 := lr.Next(); !errors.Is(err2, err) {
		t.Fatalf("not sticky: %v", err2)
	}
}
