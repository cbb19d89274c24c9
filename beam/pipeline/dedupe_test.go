package pipeline

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/fileio"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/passert"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"
	"github.com/stretchr/testify/require"
)

func init() {
	beam.RegisterFunction(resolvedOf)
}

func resolvedOf(m fileio.FileMetadata) string { return resolvedPath(m.Path) }

// A file named twice, through "./", through a symlink and by two
// overlapping globs is matched once: the pipeline reads each file once.
func TestDedupeInputsByResolvedPath(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"a.csv", "b.csv"} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, n), []byte("text,label\nx,1\n"), 0o644))
	}
	require.NoError(t, os.Symlink(filepath.Join(dir, "a.csv"), filepath.Join(dir, "link.csv")))
	wd, err := os.Getwd()
	require.NoError(t, err)
	require.NoError(t, os.Chdir(dir))
	t.Cleanup(func() { _ = os.Chdir(wd) })
	patterns := []string{"a.csv", "./a.csv", filepath.Join(dir, "a.csv"), "link.csv", filepath.Join(dir, "*.csv"), filepath.Join(dir, "a*")}

	p, s := beam.NewPipelineWithRoot()
	matched := dedupeFiles(s, fileio.MatchAll(s, beam.CreateList(s, patterns), fileio.MatchEmptyDisallow()))
	realDir, err := filepath.EvalSymlinks(dir)
	require.NoError(t, err)
	passert.Equals(s, beam.ParDo(s, resolvedOf, matched), filepath.Join(realDir, "a.csv"), filepath.Join(realDir, "b.csv"))
	require.NoError(t, ptest.Run(p))
}

func TestResolvedPathObjectStores(t *testing.T) {
	for in, want := range map[string]string{
		"gs://bucket/./data//a.csv": "gs://bucket/data/a.csv",
		"gs://bucket/data/a.csv":    "gs://bucket/data/a.csv",
	} {
		if got := resolvedPath(in); got != want {
			t.Errorf("resolvedPath(%q) = %q, want %q", in, got, want)
		}
	}
}
