package onnx

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
)

// source is where a model folder's graphs come from: a folder on disk,
// whose files ONNX Runtime reads itself, or a file system (the copy of the
// default model embedded in the binary), whose bytes are handed to ONNX
// Runtime so that nothing depends on the working directory.
type source struct {
	dir  string // the folder's path on disk, or the name of the file system
	fsys fs.FS  // nil for a folder on disk
}

// graphFile is one graph to open: its path for messages and, when it comes
// from a file system, its bytes.
type graphFile struct {
	path string
	data []byte // nil: read from path by ONNX Runtime
}

// path names file in messages: the disk path, or name/file for a file system.
func (s source) path(file string) string {
	if s.fsys != nil {
		return path.Join(s.dir, file)
	}
	return filepath.Join(s.dir, file)
}

// has reports whether the folder holds file.
func (s source) has(file string) bool {
	var err error
	if s.fsys != nil {
		_, err = fs.Stat(s.fsys, file)
	} else {
		_, err = os.Stat(filepath.Join(s.dir, file))
	}
	return err == nil
}

// graph returns file ready to describe and open: checked to exist on disk,
// or read into memory from the file system.
func (s source) graph(file string) (graphFile, error) {
	p := s.path(file)
	if s.fsys == nil {
		if _, err := os.Stat(p); err != nil {
			return graphFile{}, fmt.Errorf("onnx: model file %s: %w", p, err)
		}
		return graphFile{path: p}, nil
	}
	data, err := fs.ReadFile(s.fsys, file)
	if err != nil {
		return graphFile{}, fmt.Errorf("onnx: model file %s: %w", p, err)
	}
	if len(data) == 0 {
		// ONNX Runtime's from-bytes constructors refuse empty data with a
		// message that does not name the file.
		return graphFile{}, fmt.Errorf("onnx: %s is not a model ONNX Runtime can read: %w", p, errors.New("the file is empty"))
	}
	return graphFile{path: p, data: data}, nil
}

// positions reads the graph's position-embedding table size (see
// positionTableRows).
func (g graphFile) positions() int {
	if g.data != nil {
		return positionRows(bytes.NewReader(g.data))
	}
	return positionTableRows(g.path)
}
