package report

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A group's slashes and percent signs are escaped, so the tag keeps one
// component per group and a group named "low" is not an interval end.
func TestTensorBoardTagEscapesTheGroup(t *testing.T) {
	assert.Equal(t, "data/accuracy/value", TensorBoardTag(HistoryMetric{Name: "data.accuracy"}))
	assert.Equal(t, "groups/accuracy/source=a%2Fb 100%25/value", TensorBoardTag(HistoryMetric{Name: "groups.accuracy", Group: "source=a/b 100%"}))
	assert.Equal(t, "groups/accuracy/low/value", TensorBoardTag(HistoryMetric{Name: "groups.accuracy", Group: "low"}))
	assert.Equal(t, "findings/fail/value", TensorBoardTag(HistoryMetric{Name: "findings.fail"}))
}

func TestWriteTensorBoardNamesItsProblems(t *testing.T) {
	_, _, err := WriteTensorBoard("", AuditRun(fixture()))
	require.ErrorContains(t, err, "empty folder")
	dir := t.TempDir()
	block := filepath.Join(dir, "file")
	require.NoError(t, os.WriteFile(block, nil, 0o644))
	_, _, err = WriteTensorBoard(filepath.Join(block, "tb"), AuditRun(fixture()))
	require.ErrorContains(t, err, block)

	// The fixture's figures: one file, nothing else left in the folder.
	tb := filepath.Join(dir, "tb")
	path, step, err := WriteTensorBoard(tb, AuditRun(fixture()))
	require.NoError(t, err)
	assert.Equal(t, int64(0), step)
	st, err := os.Stat(path)
	require.NoError(t, err)
	assert.Positive(t, st.Size())
	entries, err := os.ReadDir(tb)
	require.NoError(t, err)
	assert.Len(t, entries, 1)
}
