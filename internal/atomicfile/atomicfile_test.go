package atomicfile

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestWriteFileReplacesWhole(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "report.json")
	if err := WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(path, []byte("new"), 0o644); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != "new" {
		t.Fatalf("content %q", b)
	}
	boom := errors.New("boom")
	if err := WriteWith(path, 0o644, func(w io.Writer) error { w.Write([]byte("half")); return boom }); !errors.Is(err, boom) {
		t.Fatalf("error %v", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "new" {
		t.Fatalf("a failed write changed the file: %q", b)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o644 {
		t.Fatalf("mode %v", st.Mode())
	}
	assertNoTemps(t, dir)
}

func assertNoTemps(t *testing.T, dir string) {
	t.Helper()
	es, _ := os.ReadDir(dir)
	for _, e := range es {
		if strings.Contains(e.Name(), ".tmp-") || strings.HasPrefix(e.Name(), ".lucid-probe") {
			t.Errorf("temporary file left: %s", e.Name())
		}
	}
}

func TestRefusesSymlinkAndDevice(t *testing.T) {
	dir := t.TempDir()
	victim := filepath.Join(dir, "victim")
	os.WriteFile(victim, []byte("keep"), 0o644)
	link := filepath.Join(dir, "link")
	if err := os.Symlink(victim, link); err != nil {
		t.Fatal(err)
	}
	for _, target := range []string{link, "/dev/null", dir} {
		err := WriteFile(target, []byte("x"), 0o644)
		if !errors.Is(err, ErrNotRegular) || !strings.Contains(err.Error(), target) {
			t.Errorf("write over %s: %v, want a refusal naming it", target, err)
		}
		if err := PrepareFile(target); !errors.Is(err, ErrNotRegular) {
			t.Errorf("PrepareFile(%s): %v", target, err)
		}
		if err := AppendLine(target, []byte("x"), 0o644); !errors.Is(err, ErrNotRegular) {
			t.Errorf("AppendLine(%s): %v", target, err)
		}
	}
	if b, _ := os.ReadFile(victim); string(b) != "keep" {
		t.Fatalf("written through the link: %q", b)
	}
	if st, _ := os.Lstat(link); st.Mode()&os.ModeSymlink == 0 {
		t.Fatal("the link was replaced")
	}
	// A symlinked folder is not an output folder.
	dlink := filepath.Join(dir, "dlink")
	os.Symlink(t.TempDir(), dlink)
	if err := PrepareDir(dlink); err == nil || !strings.Contains(err.Error(), "is a symbolic link, not a folder") {
		t.Fatalf("PrepareDir of a symlink: %v", err)
	}
	if err := PrepareDir("/dev/null"); err == nil || !strings.Contains(err.Error(), "character device") {
		t.Fatalf("PrepareDir of a device: %v", err)
	}
	if err := PrepareDir(victim); err == nil || !strings.Contains(err.Error(), "is a file, not a folder") {
		t.Fatalf("PrepareDir of a file: %v", err)
	}
	if err := PrepareDir(filepath.Join(dir, "a", "b")); err != nil {
		t.Fatalf("PrepareDir of a new folder: %v", err)
	}
	assertNoTemps(t, dir)
}

func TestPrepareDirUnwritable(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root writes anywhere; the permission check cannot fail")
	}
	dir := filepath.Join(t.TempDir(), "ro")
	os.Mkdir(dir, 0o555)
	if err := PrepareDir(dir); err == nil || !strings.Contains(err.Error(), "not writable") {
		t.Fatalf("PrepareDir of a read-only folder: %v", err)
	}
}

func TestSetIsWholeOrNothing(t *testing.T) {
	dir := t.TempDir()
	write := func(content string, failAt int) error {
		s := NewSet(dir)
		for i, name := range []string{"a", "b", "c"} {
			err := s.Add(name, 0o644, func(w io.Writer) error {
				if i == failAt {
					return errors.New("fail")
				}
				_, err := w.Write([]byte(content))
				return err
			})
			if err != nil {
				return err
			}
		}
		return s.Commit()
	}
	if err := write("one", -1); err != nil {
		t.Fatal(err)
	}
	if err := write("two", 2); err == nil {
		t.Fatal("no error")
	}
	for _, n := range []string{"a", "b", "c"} {
		if b, _ := os.ReadFile(filepath.Join(dir, n)); string(b) != "one" {
			t.Errorf("%s = %q after a failed set, want the old %q", n, b, "one")
		}
	}
	assertNoTemps(t, dir)
}

func TestAppendLineCutsTornTail(t *testing.T) {
	path := filepath.Join(t.TempDir(), "history.jsonl")
	os.WriteFile(path, []byte("{\"a\":1}\n{\"b\":"), 0o644)
	if err := AppendLine(path, []byte(`{"c":3}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != "{\"a\":1}\n{\"c\":3}\n" {
		t.Fatalf("content %q", b)
	}
	os.WriteFile(path, []byte("torn only"), 0o644)
	if err := AppendLine(path, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != "x\n" {
		t.Fatalf("content %q", b)
	}
	if err := AppendLine(path, []byte("a\nb"), 0o644); err == nil {
		t.Fatal("a line with a newline was appended")
	}
}

// mountTmpfs mounts a small tmpfs for the test, or skips saying why.
func mountTmpfs(t *testing.T, size string) string {
	t.Helper()
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size="+size); err != nil {
		t.Skipf("cannot mount a tmpfs (needs root or CAP_SYS_ADMIN) to fill a disk: %v", err)
	}
	t.Cleanup(func() { syscall.Unmount(dir, syscall.MNT_DETACH) })
	return dir
}

func TestFullDiskKeepsOldFiles(t *testing.T) {
	dir := mountTmpfs(t, "64k")
	old := bytes.Repeat([]byte("o"), 16<<10)
	s := NewSet(dir)
	for _, n := range []string{"report.json", "report.html"} {
		if err := s.Add(n, 0o644, func(w io.Writer) error { _, err := w.Write(old); return err }); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Commit(); err != nil {
		t.Fatal(err)
	}
	big := bytes.Repeat([]byte("n"), 40<<10) // two of these do not fit beside the old files
	s = NewSet(dir)
	var err error
	for _, n := range []string{"report.json", "report.html"} {
		if err = s.Add(n, 0o644, func(w io.Writer) error { _, err := w.Write(big); return err }); err != nil {
			break
		}
	}
	if err == nil {
		err = s.Commit()
	}
	if !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("writing past a full disk: %v, want ENOSPC", err)
	}
	for _, n := range []string{"report.json", "report.html"} {
		if b, _ := os.ReadFile(filepath.Join(dir, n)); !bytes.Equal(b, old) {
			t.Errorf("%s: %d bytes after the failed write, want the old %d", n, len(b), len(old))
		}
	}
	assertNoTemps(t, dir)
	// A history append that does not fit fails and leaves no torn line
	// for the next append to glue onto.
	hist := filepath.Join(dir, "history.jsonl")
	if err := AppendLine(hist, []byte("first"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := AppendLine(hist, bytes.Repeat([]byte("h"), 64<<10), 0o644); err == nil {
		t.Fatal("an append past the disk's end succeeded")
	}
	os.Remove(filepath.Join(dir, "report.html"))
	if err := AppendLine(hist, []byte("third"), 0o644); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(hist); string(b) != "first\nthird\n" {
		t.Fatalf("history %q", b)
	}
}
