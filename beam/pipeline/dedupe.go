package pipeline

import (
	"path/filepath"
	"strings"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/fileio"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
)

func init() {
	register.Function1x2[fileio.FileMetadata, string, fileio.FileMetadata](keyByResolvedPath)
	register.Function2x1[fileio.FileMetadata, fileio.FileMetadata, fileio.FileMetadata](firstByPath)
}

// dedupeFiles keeps one match per file: a file named twice ("a.csv,./a.csv",
// a path and a symlink to it) or matched by two overlapping globs
// ("data/*.csv,data/a*") would otherwise be read, and counted, twice.
// Matches are keyed by resolvedPath; of one file's matches the one whose
// Path sorts first is kept, so the choice does not depend on the runner.
func dedupeFiles(s beam.Scope, matched beam.PCollection) beam.PCollection {
	s = s.Scope("dedupe")
	keyed := beam.ParDo(s, keyByResolvedPath, matched)
	return beam.DropKey(s, beam.CombinePerKey(s, firstByPath, keyed))
}

// resolvedPath is the key a file is known by: a local path made absolute,
// cleaned and with its symlinks resolved; a path on another filesystem
// (scheme://...) as the filesystem lists it, cleaned of "./" steps.
func resolvedPath(p string) string {
	if scheme, rest, ok := strings.Cut(p, "://"); ok {
		return scheme + "://" + cleanSlash(rest)
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return filepath.Clean(p)
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		return real
	}
	return abs
}

// cleanSlash drops "." steps and doubled slashes from a slash-separated
// object path (not "..": object stores take it literally).
func cleanSlash(p string) string {
	parts := strings.Split(p, "/")
	out := parts[:0]
	for i, s := range parts {
		if s == "." || (s == "" && i > 0 && i < len(parts)-1) {
			continue
		}
		out = append(out, s)
	}
	return strings.Join(out, "/")
}

func keyByResolvedPath(m fileio.FileMetadata) (string, fileio.FileMetadata) {
	return resolvedPath(m.Path), m
}

func firstByPath(a, b fileio.FileMetadata) fileio.FileMetadata {
	if b.Path < a.Path {
		return b
	}
	return a
}
