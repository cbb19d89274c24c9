// Package atomicfile is the one way Lucid writes files: whole or not at
// all, and only where a regular file (or nothing) is.
//
// A file is written to a temporary file in its target's folder (so the
// rename cannot cross file systems), synced, and renamed over the target,
// and the folder is synced; a reader sees the old file or the new one,
// never a torn one, and a full disk or a crash mid-write leaves the old
// file as it was. A Set does this for several files of one folder at
// once: every file is written in full before any is renamed into place,
// so a report folder is not left with a new report.json beside an old
// report.html.
//
// Targets are checked with Lstat (which does not follow links), before the
// write and again just before the rename: a symlink, a device, a FIFO, a
// socket or a folder where the file should go is refused with an error
// naming it, so nothing is written through or over a link an attacker
// planted, and a run as root cannot replace /dev/full. (The check and the
// rename are two steps: someone who can plant links in the folder between
// them can still race it; the folder should not be writable by others.)
//
// AppendLine appends one line with a single write(2) of the line and its
// newline to a file opened O_APPEND|O_NOFOLLOW, then syncs it, so
// concurrent appenders do not interleave and a crash tears at most the
// last line (readers of such a file skip a torn last line).
package atomicfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// ErrNotRegular is wrapped by the errors for a target that exists and is
// not a regular file.
var ErrNotRegular = errors.New("not a regular file")

// CheckTarget returns nil when path is absent or a regular file, and an
// error naming path and what it is otherwise. It does not follow a
// symlink at path.
func CheckTarget(path string) error {
	st, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if st.Mode().IsRegular() {
		return nil
	}
	return fmt.Errorf("%s is %s: %w; refusing to write over it (remove it or choose another path)", path, describe(st.Mode()), ErrNotRegular)
}

// describe names a file's kind for messages.
func describe(m fs.FileMode) string {
	switch {
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	case m.IsDir():
		return "a folder"
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a device"
	case m.IsRegular():
		return "a file"
	}
	return "not a regular file"
}

// PrepareDir makes sure dir is a folder this process can write files in,
// creating it (and its parents) when missing: a run checks its output
// folder with it before any work starts, so that an unwritable --out is
// found in a second, not after an hour's audit. A symlink at dir is
// refused, like any target that is not a real folder.
func PrepareDir(dir string) error {
	st, err := os.Lstat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("creating folder %s: %w", dir, err)
		}
	case err != nil:
		return err
	case !st.IsDir():
		return fmt.Errorf("%s is %s, not a folder; refusing to write a report there", dir, describe(st.Mode()))
	}
	return probe(dir)
}

// PrepareFile checks, before any work starts, that path can be written
// atomically: it is absent or a regular file, and its folder exists and
// is writable.
func PrepareFile(path string) error {
	if err := CheckTarget(path); err != nil {
		return err
	}
	dir := filepath.Dir(path)
	st, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("the folder of %s: %w", path, err)
	}
	if !st.IsDir() {
		return fmt.Errorf("the folder of %s, %s, is not a folder", path, dir)
	}
	return probe(dir)
}

// probe creates and removes a temporary file in dir.
func probe(dir string) error {
	f, err := os.CreateTemp(dir, ".lucid-probe-*")
	if err != nil {
		return fmt.Errorf("folder %s is not writable: %w", dir, err)
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}

// File is a file being written atomically: writes go to a temporary file
// beside the target until Commit renames it into place.
type File struct {
	path, tmp string
	perm      fs.FileMode
	f         *os.File
	done      bool
}

// Create starts writing path (absent or a regular file, or an error)
// with permissions perm. Call Commit to put it in place, or Abort.
func Create(path string, perm fs.FileMode) (*File, error) {
	if err := CheckTarget(path); err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("writing %s: %w", path, err)
	}
	return &File{path: path, tmp: f.Name(), perm: perm, f: f}, nil
}

// Write writes to the temporary file.
func (f *File) Write(p []byte) (int, error) {
	n, err := f.f.Write(p)
	if err != nil {
		err = fmt.Errorf("writing %s: %w", f.path, err)
	}
	return n, err
}

// Name is the target path.
func (f *File) Name() string { return f.path }

// finish syncs and closes the temporary file, so that Commit's rename
// has nothing left that can fail for want of space.
func (f *File) finish() error {
	if err := f.f.Sync(); err != nil {
		return fmt.Errorf("writing %s: %w", f.path, err)
	}
	if err := f.f.Chmod(f.perm); err != nil {
		return fmt.Errorf("writing %s: %w", f.path, err)
	}
	if err := f.f.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", f.path, err)
	}
	return nil
}

// rename puts the finished temporary file in place, checking the target
// once more.
func (f *File) rename() error {
	if err := CheckTarget(f.path); err != nil {
		return err
	}
	if err := os.Rename(f.tmp, f.path); err != nil {
		return fmt.Errorf("writing %s: %w", f.path, err)
	}
	f.done = true
	return nil
}

// Commit syncs the file and renames it over the target; on any failure
// the temporary file is removed and the target left as it was.
func (f *File) Commit() error {
	if f.done {
		return nil
	}
	err := f.finish()
	if err == nil {
		err = f.rename()
	}
	if err != nil {
		f.Abort()
		return err
	}
	return syncDir(filepath.Dir(f.path))
}

// Abort drops the temporary file; the target is untouched. It does
// nothing after Commit.
func (f *File) Abort() {
	if f.done {
		return
	}
	f.done = true
	f.f.Close()
	os.Remove(f.tmp)
}

// WriteFile writes data to path atomically (see the package doc).
func WriteFile(path string, data []byte, perm fs.FileMode) error {
	return WriteWith(path, perm, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// WriteWith writes path atomically with what fn writes; an error from fn
// leaves the target as it was.
func WriteWith(path string, perm fs.FileMode, fn func(io.Writer) error) error {
	f, err := Create(path, perm)
	if err != nil {
		return err
	}
	if err := fn(f); err != nil {
		f.Abort()
		return err
	}
	return f.Commit()
}

// Set writes several files of one folder as a whole: each is written to a
// temporary file, and Commit renames them into place only once all have
// been written in full.
type Set struct {
	dir   string
	files []*File
}

// NewSet starts a set of files in dir.
func NewSet(dir string) *Set { return &Set{dir: dir} }

// Add writes the file name (in the set's folder) with what fn writes; on
// error the whole set is aborted.
func (s *Set) Add(name string, perm fs.FileMode, fn func(io.Writer) error) error {
	f, err := Create(filepath.Join(s.dir, name), perm)
	if err == nil {
		s.files = append(s.files, f)
		err = fn(f)
		if err == nil {
			err = f.finish()
		}
	}
	if err != nil {
		s.Abort()
		return err
	}
	return nil
}

// Commit renames every file into place, then syncs the folder. The files
// are complete before the first rename, so only a failing rename (not a
// full disk) can leave the folder part old, part new.
func (s *Set) Commit() error {
	for _, f := range s.files {
		if err := f.rename(); err != nil {
			s.Abort()
			return err
		}
	}
	return syncDir(s.dir)
}

// Abort removes the temporary files not yet renamed.
func (s *Set) Abort() {
	for _, f := range s.files {
		f.Abort()
	}
}

// RemoveStale removes the regular file at path if there is one (a file an
// earlier run left that this run does not write); anything else there is
// refused, as a target would be.
func RemoveStale(path string) error {
	if err := CheckTarget(path); err != nil {
		return err
	}
	err := os.Remove(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) {
		return fmt.Errorf("syncing folder %s: %w", dir, err)
	}
	return nil
}

// AppendLine appends line and a newline to the file at path (created with
// perm when missing) in one write(2), then syncs it. A torn last line (one
// without its newline, left by an append that failed half-way) is cut off
// first, so the new line does not glue onto it. The path must not be
// a symlink or anything but a regular file. line must not hold a newline.
func AppendLine(path string, line []byte, perm fs.FileMode) error {
	for _, c := range line {
		if c == '\n' {
			return fmt.Errorf("appending to %s: the line holds a newline", path)
		}
	}
	if err := CheckTarget(path); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_RDWR|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, perm)
	if err != nil {
		return fmt.Errorf("appending to %s: %w", path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		return fmt.Errorf("appending to %s: %w", path, ErrNotRegular)
	}
	if err := cutTornTail(f, st.Size()); err != nil {
		return fmt.Errorf("appending to %s: %w", path, err)
	}
	buf := make([]byte, 0, len(line)+1)
	buf = append(append(buf, line...), '\n')
	n, err := f.Write(buf)
	if err == nil && n < len(buf) {
		err = io.ErrShortWrite
	}
	if err != nil {
		return fmt.Errorf("appending to %s: %w (the line may be torn; readers skip a torn last line)", path, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("appending to %s: %w", path, err)
	}
	return f.Close()
}

// cutTornTail truncates f (of size bytes) after its last newline when it
// does not end with one.
func cutTornTail(f *os.File, size int64) error {
	if size == 0 {
		return nil
	}
	one := make([]byte, 1)
	if _, err := f.ReadAt(one, size-1); err != nil {
		return err
	}
	if one[0] == '\n' {
		return nil
	}
	buf := make([]byte, 64<<10)
	end := size
	for end > 0 {
		start := max(end-int64(len(buf)), 0)
		b := buf[:end-start]
		if _, err := f.ReadAt(b, start); err != nil && err != io.EOF {
			return err
		}
		for i := len(b) - 1; i >= 0; i-- {
			if b[i] == '\n' {
				return f.Truncate(start + int64(i) + 1)
			}
		}
		end = start
	}
	return f.Truncate(0)
}
