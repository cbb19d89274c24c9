package main

// Hostile inputs and outputs (issue 20): inputs that used to hang a run or
// exhaust memory, outputs that used to be written through links or torn by
// a full disk. The process tests run this test binary as lucid (TestMain,
// LUCID_TEST_AS_MAIN) so that signals, exit codes and peak memory are a
// real process's. The 1 s bound on an interrupt is the issue's
// requirement, not a speed measurement: the commands wait on nothing that
// takes time once told to stop, and the bound is checked only without
// -short.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// proc is a lucid process started by startLucid.
type proc struct {
	cmd            *exec.Cmd
	stdout, stderr bytes.Buffer
}

func startLucid(t *testing.T, stdin io.Reader, args ...string) *proc {
	t.Helper()
	p := &proc{cmd: exec.Command(os.Args[0], append([]string{"-test.run=^$", "--"}, args...)...)}
	p.cmd.Env = append(os.Environ(), "LUCID_TEST_AS_MAIN=1")
	p.cmd.Stdin = stdin
	p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
	require.NoError(t, p.cmd.Start())
	t.Cleanup(func() { _ = p.cmd.Process.Kill() })
	return p
}

// wait waits for the process (at most limit, then kills it and fails)
// and returns its exit code and peak RSS in KiB.
func (p *proc) wait(t *testing.T, limit time.Duration) (code int, maxRSSKiB int64) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(limit):
		_ = p.cmd.Process.Kill()
		<-done
		t.Fatalf("lucid %v still running after %v; stderr: %s", p.cmd.Args, limit, p.stderr.String())
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else {
		require.NoError(t, err)
	}
	if ru, ok := p.cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		maxRSSKiB = ru.Maxrss
	}
	return code, maxRSSKiB
}

// interrupt sends SIGINT after delay and returns the exit code and how
// long the process took to exit after the signal.
func (p *proc) interrupt(t *testing.T, delay time.Duration) (int, time.Duration) {
	t.Helper()
	time.Sleep(delay)
	sent := time.Now()
	require.NoError(t, p.cmd.Process.Signal(syscall.SIGINT))
	code, _ := p.wait(t, 30*time.Second)
	return code, time.Since(sent)
}

func checkLatency(t *testing.T, what string, latency time.Duration) {
	t.Helper()
	t.Logf("%s: exited %v after SIGINT", what, latency)
	if !testing.Short() && latency > time.Second {
		t.Errorf("%s: exited %v after SIGINT, want within 1 s", what, latency)
	}
}

// waitRead waits until process pid has read at least n bytes (rchar in
// /proc/PID/io), or skips the test where that cannot be read.
func waitRead(t *testing.T, pid int, n int64) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/io", pid))
		if err != nil {
			t.Skipf("cannot watch the process's reads: %v", err)
		}
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "rchar: "); ok {
				if got, _ := strconv.ParseInt(v, 10, 64); got >= n {
					return
				}
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("process %d read under %d bytes in 2 minutes", pid, n)
}

// partialReport reads OUT/report.json and checks that it is marked
// partial and that its rows agree with its reconciliation.
func partialReport(t *testing.T, out string) {
	t.Helper()
	js, err := os.ReadFile(filepath.Join(out, "report.json"))
	require.NoError(t, err, "the partial report is written")
	var rep struct {
		Partial        bool `json:"partial"`
		Rows           int  `json:"rows"`
		Reconciliation *struct {
			Rows     int  `json:"rows"`
			Balanced bool `json:"balanced"`
		} `json:"reconciliation"`
	}
	require.NoError(t, json.Unmarshal(js, &rep))
	assert.True(t, rep.Partial)
	if rep.Reconciliation != nil {
		assert.Equal(t, rep.Rows, rep.Reconciliation.Rows, "rows agree with the reconciliation")
		assert.True(t, rep.Reconciliation.Balanced)
	}
}

// A FIFO nobody writes to used to block audit in open(2) beyond the reach
// of Ctrl-C; now SIGINT ends it (exit 130) with a partial report.
func TestHostileFIFOWithoutWriter(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "rows.tsv")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("no FIFOs here: %v", err)
	}
	out := filepath.Join(dir, "out")
	p := startLucid(t, nil, "audit", "--data", fifo, "--checks", "data", "--out", out)
	// It blocks on the FIFO for good: a second is only to be past
	// start-up (its signal handler set) on a loaded machine.
	code, latency := p.interrupt(t, time.Second)
	require.Equal(t, exitInterrupted, code, p.stderr.String())
	checkLatency(t, "audit on a FIFO without a writer", latency)
	partialReport(t, out)
}

// /dev/zero as data: one line that never ends. It used to run forever
// ignoring SIGTERM; now reading stops at 1 GiB with an error naming the
// file and the cap (exit 1) in bounded memory, and SIGINT before that
// exits 130 with a partial report.
func TestHostileDevZeroData(t *testing.T) {
	if _, err := os.Stat("/dev/zero"); err != nil {
		t.Skip("no /dev/zero")
	}
	dir := t.TempDir()
	p := startLucid(t, nil, "audit", "--data", "/dev/zero", "--format", "tsv", "--checks", "data", "--out", filepath.Join(dir, "a"))
	code, rss := p.wait(t, 2*time.Minute)
	assert.Equal(t, exitFailure, code, p.stderr.String())
	assert.Contains(t, p.stderr.String(), "/dev/zero")
	assert.Contains(t, p.stderr.String(), "runs past 1 GiB without a line end")
	t.Logf("audit --data /dev/zero: exit %d, peak RSS %d MiB", code, rss>>10)
	// The 64 MiB line cap, held while the line is read past: bounded, far
	// under the gigabyte read.
	assert.Less(t, rss, int64(768<<10), "peak RSS in KiB")

	out := filepath.Join(dir, "b")
	p = startLucid(t, nil, "audit", "--data", "/dev/zero", "--format", "tsv", "--checks", "data", "--out", out)
	// Signal once it is reading (so past start-up, its handler set), long
	// before the 1 GiB stop.
	waitRead(t, p.cmd.Process.Pid, 8<<20)
	code, latency := p.interrupt(t, 0)
	require.Equal(t, exitInterrupted, code, p.stderr.String())
	checkLatency(t, "audit on /dev/zero", latency)
	partialReport(t, out)
}

// longLine is left bytes of 'w' ending in a newline: one long line,
// streamed without holding it in the test.
type longLine struct{ left int64 }

func (l *longLine) Read(p []byte) (int, error) {
	if l.left == 0 {
		return 0, io.EOF
	}
	n := int64(len(p))
	if n > l.left {
		n = l.left
	}
	for i := range p[:n] {
		p[i] = 'w'
	}
	l.left -= n
	if l.left == 0 {
		p[n-1] = '\n'
	}
	return int(n), nil
}

// One 300 MB line on predict's standard input used to take ~64 bytes of
// memory per byte (out of memory); now it is a per-text error for line 2
// and the texts around it are classified, in bounded memory.
func TestHostileLongStdinLine(t *testing.T) {
	if testing.Short() {
		t.Skip("streams 300 MB through a process")
	}
	stdin := io.MultiReader(strings.NewReader("a fine film\n"), &longLine{left: 300_000_000}, strings.NewReader("a dull film\n"))
	p := startLucid(t, stdin, "predict", "--json")
	code, rss := p.wait(t, 5*time.Minute)
	require.Equal(t, exitFailure, code, p.stderr.String())
	lines := jsonLines(t, p.stdout.String())
	require.Len(t, lines, 3)
	assert.Equal(t, "a fine film", lines[0]["text"])
	assert.Equal(t, float64(2), lines[1]["line"])
	assert.Contains(t, lines[1]["error"], "longer than the cap of 1 MiB")
	assert.Equal(t, "a dull film", lines[2]["text"])
	t.Logf("predict with a 300 MB line: peak RSS %d MiB", rss>>10)
	assert.Less(t, rss, int64(1<<20), "peak RSS in KiB: the model and a 1 MiB line, not the 300 MB one")
}

// A pipe whose writer stalls used to hold predict until the writer closed;
// now SIGINT ends it. With --batch 1 predict classifies every 8 lines, so
// its first line of output says the model is loaded and the 8 texts done:
// the signal then finds it waiting on the stalled pipe, not loading.
func TestHostileStalledStdin(t *testing.T) {
	r, w, err := os.Pipe()
	require.NoError(t, err)
	defer r.Close()
	defer w.Close()
	_, err = w.Write([]byte(strings.Repeat("a fine film\n", 8) + "and then nothing more for a long"))
	require.NoError(t, err)
	cmd := exec.Command(os.Args[0], "-test.run=^$", "--", "predict", "--batch", "1")
	cmd.Env = append(os.Environ(), "LUCID_TEST_AS_MAIN=1")
	cmd.Stdin = r
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	first := make(chan error, 1)
	go func() {
		_, err := bufio.NewReader(out).ReadString('\n')
		first <- err
		_, _ = io.Copy(io.Discard, out)
	}()
	select {
	case err := <-first:
		require.NoError(t, err, stderr.String())
	case <-time.After(2 * time.Minute):
		t.Fatalf("no output in 2 minutes: %s", stderr.String())
	}
	p := &proc{cmd: cmd}
	code, latency := p.interrupt(t, 200*time.Millisecond)
	assert.Equal(t, exitInterrupted, code, stderr.String())
	checkLatency(t, "predict on a stalled pipe", latency)
}

// dataFile writes a small labelled TSV for data-only audits.
func dataFile(t *testing.T, dir string, rows int) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("sentence\tlabel\n")
	for i := range rows {
		b.WriteString([]string{"he liked the film\t1\n", "she found it dull\t0\n", "a fine cast\t1\n"}[i%3])
	}
	path := filepath.Join(dir, "data.tsv")
	require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o644))
	return path
}

// --out is checked before any work: a symlink, a device, or a planted
// symlink in place of report.json is refused, and nothing is written
// through it.
func TestAuditOutRefusedBeforeWork(t *testing.T) {
	dir := t.TempDir()
	data := dataFile(t, dir, 30)
	realOut := filepath.Join(dir, "real")
	require.NoError(t, os.Mkdir(realOut, 0o755))
	link := filepath.Join(dir, "link")
	require.NoError(t, os.Symlink(realOut, link))
	victim := filepath.Join(dir, "victim.json")
	require.NoError(t, os.WriteFile(victim, []byte("keep"), 0o644))
	planted := filepath.Join(dir, "planted")
	require.NoError(t, os.Mkdir(planted, 0o755))
	require.NoError(t, os.Symlink(victim, filepath.Join(planted, "report.json")))
	for _, tc := range []struct{ out, want string }{
		{link, "symbolic link"},
		{"/dev/null", "character device"},
		{planted, "report.json is a symbolic link"},
	} {
		code, _, stderr := lucid(t, "", "audit", "--data", data, "--checks", "data", "--out", tc.out)
		assert.Equal(t, exitFailure, code, stderr)
		assert.Contains(t, stderr, tc.want, tc.out)
	}
	b, err := os.ReadFile(victim)
	require.NoError(t, err)
	assert.Equal(t, "keep", string(b))
	es, err := os.ReadDir(realOut)
	require.NoError(t, err)
	assert.Empty(t, es, "nothing written through the symlinked --out")

	// An unwritable history is refused before work too.
	code, _, stderr := lucid(t, "", "audit", "--data", data, "--checks", "data", "--out", realOut, "--append-history", "/dev/null")
	assert.Equal(t, exitFailure, code, stderr)
	assert.Contains(t, stderr, "--append-history")
}

// A report folder holds one run: a thresholds.json left by an earlier run
// is removed when a run that fits none writes the folder.
func TestAuditRemovesStaleFiles(t *testing.T) {
	dir := t.TempDir()
	data := dataFile(t, dir, 30)
	out := filepath.Join(dir, "out")
	require.NoError(t, os.Mkdir(out, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(out, "thresholds.json"), []byte("{}"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(out, "notes.txt"), []byte("mine"), 0o644))
	code, _, stderr := lucid(t, "", "audit", "--data", data, "--checks", "data", "--out", out)
	require.Equal(t, exitOK, code, stderr)
	assert.NoFileExists(t, filepath.Join(out, "thresholds.json"))
	assert.FileExists(t, filepath.Join(out, "notes.txt"), "files lucid does not write are left alone")
	assert.FileExists(t, filepath.Join(out, "report.json"))
}

// A full disk (a small tmpfs) used to replace a good report.json by a
// truncated one; now the write fails (exit 1) and the previous report
// folder is left exactly as it was, history included.
func TestAuditFullDiskKeepsPreviousReport(t *testing.T) {
	dir := t.TempDir()
	data := dataFile(t, dir, 300)
	mnt := t.TempDir()
	if err := syscall.Mount("tmpfs", mnt, "tmpfs", 0, "size=2m"); err != nil {
		t.Skipf("cannot mount a tmpfs to fill (needs root or CAP_SYS_ADMIN): %v", err)
	}
	t.Cleanup(func() { _ = syscall.Unmount(mnt, syscall.MNT_DETACH) })
	out := filepath.Join(mnt, "out")
	hist := filepath.Join(mnt, "history.jsonl")
	code, _, stderr := lucid(t, "", "audit", "--data", data, "--checks", "data", "--out", out, "--append-history", hist)
	require.Equal(t, exitOK, code, stderr)
	before := map[string][]byte{}
	for _, f := range []string{"out/report.json", "out/report.html", "out/metrics.csv", "history.jsonl"} {
		b, err := os.ReadFile(filepath.Join(mnt, f))
		require.NoError(t, err)
		before[f] = b
	}
	// Fill the disk, leaving less room than a report takes.
	var st syscall.Statfs_t
	require.NoError(t, syscall.Statfs(mnt, &st))
	free := int64(st.Bavail) * st.Bsize
	filler := filepath.Join(mnt, "filler")
	require.NoError(t, os.WriteFile(filler, make([]byte, max(free-8<<10, 0)), 0o644))

	code, _, stderr = lucid(t, "", "audit", "--data", data, "--checks", "data", "--out", out, "--append-history", hist)
	assert.Equal(t, exitFailure, code, stderr)
	assert.Contains(t, stderr, "no space left on device")
	for f, b := range before {
		got, err := os.ReadFile(filepath.Join(mnt, f))
		require.NoError(t, err)
		assert.Equal(t, b, got, "%s is as it was", f)
	}
	es, err := os.ReadDir(out)
	require.NoError(t, err)
	assert.Len(t, es, 3, "no temporary files left: %v", es)

	// Room again: the next run writes the folder and appends its line.
	require.NoError(t, os.Remove(filler))
	code, _, stderr = lucid(t, "", "audit", "--data", data, "--checks", "data", "--out", out, "--append-history", hist)
	require.Equal(t, exitOK, code, stderr)
	b, err := os.ReadFile(hist)
	require.NoError(t, err)
	assert.Equal(t, 2, bytes.Count(b, []byte("\n")), "two complete history lines")
}

// A panic inside a command is a runtime failure (exit 1), never the usage
// code 2.
func TestPanicExitsOne(t *testing.T) {
	var stderr bytes.Buffer
	err := runCaught(command{name: "boom", run: func(_ context.Context, args []string, _ io.Reader, _, _ io.Writer) error {
		var texts []string
		_ = texts[len(args)] // an index out of range: a runtime panic
		return nil
	}}, context.Background(), nil, nil, io.Discard, &stderr)
	var pe panicError
	require.ErrorAs(t, err, &pe)
	var ue usageError
	assert.False(t, errors.As(err, &ue))
	assert.Contains(t, stderr.String(), "panic: runtime error: index out of range")
	assert.Contains(t, err.Error(), "internal error")
}

// An audit interrupted while a batch is being filled: the rows of that
// batch are counted as interrupted in the reconciliation, and the
// report's rows agree with the reconciliation's. The data comes through a
// FIFO that stalls after 1,000 rows, so the batch in flight is known: 15
// batches of 64 handed on, 40 rows in flight.
func TestInterruptedAuditReconciles(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "rows.tsv")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("no FIFOs here: %v", err)
	}
	out := filepath.Join(dir, "out")
	p := startLucid(t, nil, "audit", "--data", fifo, "--checks", "data", "--batch", "64", "--out", out)
	w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
	require.NoError(t, err)
	defer w.Close()
	var b strings.Builder
	b.WriteString("sentence\tlabel\n")
	for i := range 1000 {
		b.WriteString([]string{"he liked the film\t1\n", "she found it dull\t0\n"}[i%2])
	}
	_, err = w.WriteString(b.String())
	require.NoError(t, err)
	code, latency := p.interrupt(t, time.Second)
	require.Equal(t, exitInterrupted, code, p.stderr.String())
	checkLatency(t, "audit on a stalled FIFO", latency)
	js, err := os.ReadFile(filepath.Join(out, "report.json"))
	require.NoError(t, err)
	var rep struct {
		Partial        bool `json:"partial"`
		Rows           int  `json:"rows"`
		Reconciliation struct {
			Lines, Rows, Interrupted int
			Balanced                 bool
		} `json:"reconciliation"`
	}
	require.NoError(t, json.Unmarshal(js, &rep))
	assert.True(t, rep.Partial)
	assert.Equal(t, 960, rep.Rows)
	assert.Equal(t, 960, rep.Reconciliation.Rows)
	assert.Equal(t, 40, rep.Reconciliation.Interrupted)
	assert.Equal(t, 1001, rep.Reconciliation.Lines)
	assert.True(t, rep.Reconciliation.Balanced)
}
