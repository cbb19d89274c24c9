package dataset

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// rowSource is an io.Reader that writes a data file on the fly: a header,
// then n rows of about 150 bytes, every 1000th with an unknown label. It
// holds one row at a time, so any growth in the heap while reading it is
// the reader's.
type rowSource struct {
	format Format
	n, i   int // rows to write, rows written (0 is the header)
	buf    []byte
	off    int
}

const filler = `a "quoted" sentence, with a comma, long enough to make each row about 150 bytes of text to read`

func (s *rowSource) Read(p []byte) (int, error) {
	for s.off == len(s.buf) {
		if s.i > s.n {
			return 0, io.EOF
		}
		s.buf, s.off = s.fill(s.buf[:0]), 0
		s.i++
	}
	n := copy(p, s.buf[s.off:])
	s.off += n
	return n, nil
}

func (s *rowSource) fill(b []byte) []byte {
	label := strconv.Itoa(s.i % 2)
	if s.i%1000 == 0 {
		label = "9"
	}
	group := "g" + strconv.Itoa(s.i%7)
	switch s.format {
	case CSV:
		if s.i == 0 {
			return append(b, "text,label,group\r\n"...)
		}
		return fmt.Appendf(b, "\"row %d: %s\",%s,%s\r\n", s.i, `a ""quoted"" sentence, with a comma, long enough to make each row about 150 bytes of text to read`, label, group)
	case TSV:
		if s.i == 0 {
			return append(b, "text\tlabel\tgroup\n"...)
		}
		return fmt.Appendf(b, "row %d: %s\t%s\t%s\n", s.i, filler, label, group)
	}
	if s.i == 0 {
		return b // JSONL has no header
	}
	return fmt.Appendf(b, `{"text": %q, "label": %s, "group": %q}`+"\n", fmt.Sprintf("row %d: %s", s.i, filler), label, group)
}

// TestStreamingMemory reads 200,000 generated TSV rows (about 30 MB) and
// 50,000 CSV and JSONL rows, and checks the live heap stays under 20 MB
// above where it started: a reader that kept rows or the file would blow
// through that. (The CSV and JSONL runs are shorter only to keep the test
// under a few seconds; JSONL decoding costs about 10 µs a row.)
func TestStreamingMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 300,000 generated rows")
	}
	const limit = 20 << 20 // bytes of live heap growth allowed
	for _, tc := range []struct {
		f Format
		n int
	}{{TSV, 200_000}, {CSV, 50_000}, {JSONL, 50_000}} {
		f, n := tc.f, tc.n
		t.Run(f.String(), func(t *testing.T) {
			var ms runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&ms)
			base := ms.HeapAlloc

			r, err := NewReader(&rowSource{format: f, n: n}, "gen."+f.String(), Options{Labels: []string{"neg", "pos"}, GroupCols: []string{"group"}})
			require.NoError(t, err)
			var peak uint64
			good, odd := 0, 0
			for {
				row, err := r.Next()
				if err == io.EOF {
					break
				}
				if _, ok := err.(*RowError); ok {
					continue
				}
				require.NoError(t, err)
				good++
				odd += row.Label
				if good%10_000 == 0 {
					runtime.GC()
					runtime.ReadMemStats(&ms)
					peak = max(peak, ms.HeapAlloc-min(base, ms.HeapAlloc))
				}
			}
			assert.Equal(t, n/1000, r.Skipped(), "every 1000th row has label 9")
			assert.Equal(t, n-n/1000, good)
			assert.Equal(t, n/2, odd, "odd rows are label 1")
			assert.Less(t, peak, uint64(limit), "live heap grew by %d bytes", peak)
			t.Logf("%v: peak live heap growth %.2f MB", f, float64(peak)/(1<<20))
		})
	}
}

// A line that never ends (/dev/zero) stops the reader with a fatal error
// naming the file and the line, in bounded memory, instead of reading
// forever.
func TestRunawayLineIsFatal(t *testing.T) {
	if _, err := os.Stat("/dev/zero"); err != nil {
		t.Skip("no /dev/zero")
	}
	defer func(old int64) { runawayLimit = old }(runawayLimit)
	runawayLimit = 4 << 20 // the real 1 GiB costs a second of reading
	_, err := Open("/dev/zero", Options{Format: TSV})
	if err == nil || !strings.Contains(err.Error(), "/dev/zero") || !strings.Contains(err.Error(), "line 1 runs past 4 MiB") {
		t.Fatalf("error %v: want a runaway-line error naming /dev/zero", err)
	}
	f, err := os.Open("/dev/zero")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	src := io.MultiReader(strings.NewReader("text\tlabel\nfine\t1\n"), f)
	r, err := NewReader(src, "zeros.tsv", Options{Format: TSV, Labels: []string{"0", "1"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Next(); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Next(); err == nil || !strings.Contains(err.Error(), "zeros.tsv: line 3 runs past") {
		t.Fatalf("error %v: want a fatal runaway error at line 3", err)
	}
}

// An interrupted Batches counts the rows of the batch in flight as
// Interrupted, not Rows, so Rows is what the caller received and the
// lines still balance: both when ctx is done between rows and when fn
// fails because it was.
func TestBatchesInterruptedReconciles(t *testing.T) {
	var in strings.Builder
	in.WriteString("text,label\n")
	for i := range 10 {
		fmt.Fprintf(&in, "\"row\n%d\",1\n", i) // two lines per row
	}
	for _, failInFn := range []bool{false, true} {
		r, err := NewReader(strings.NewReader(in.String()), "x.csv", Options{Labels: []string{"0", "1"}})
		require.NoError(t, err)
		ctx, cancel := context.WithCancel(context.Background())
		got := 0
		err = r.Batches(ctx, 3, func(*RowError) {}, func(rows []Row) error {
			if got == 3 {
				cancel()
				if failInFn {
					return ctx.Err()
				}
			}
			got += len(rows)
			return nil
		})
		cancel()
		require.ErrorIs(t, err, context.Canceled)
		rec := r.Reconcile()
		assert.Equal(t, got, rec.Rows, "failInFn=%v: Rows is what fn received", failInFn)
		assert.True(t, rec.Balanced, "%+v", rec)
		assert.Equal(t, 2*rec.Interrupted, rec.InterruptedLines, "%+v", rec)
		if failInFn {
			assert.Equal(t, 3, rec.Rows)
			assert.Equal(t, 3, rec.Interrupted)
		} else {
			assert.Equal(t, 6, rec.Rows)
			assert.Equal(t, 0, rec.Interrupted, "cancelled after a batch was handed on: none in flight")
		}
	}
}
