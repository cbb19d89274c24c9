package main

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/lucid-nlp/lucid/internal/bytesize"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// BERT-base's sizes: the shape the audits were refused on.
var baseShape = netShape{maxLen: 512, hidden: 768, heads: 12, intermediate: 3072, weightBytes: 438 << 20}

func TestFitBatchKeepsABatchThatFits(t *testing.T) {
	limit := baseShape.inferenceBytes(256, 1)
	got, note, err := fitBatch(baseShape, 256, 1, limit)
	require.NoError(t, err)
	assert.Equal(t, 256, got)
	assert.Empty(t, note)
}

func TestFitBatchPicksTheLargestThatFits(t *testing.T) {
	for _, sessions := range []int{1, 2, 3} {
		for _, limit := range []int64{4 << 30, 12 << 30, 12<<30 + 12345} {
			got, note, err := fitBatch(baseShape, 256, sessions, limit)
			require.NoError(t, err)
			require.Less(t, got, 256, "BERT-base at --batch 256 does not fit %d bytes", limit)
			assert.LessOrEqual(t, baseShape.inferenceBytes(got, sessions), limit, "the batch chosen fits")
			assert.Greater(t, baseShape.inferenceBytes(got+1, sessions), limit, "one more row would not")
			assert.Contains(t, note, "--batch 256 needs an estimated")
			assert.Contains(t, note, "running batches of")
		}
	}
}

func TestFitBatchRefusesWhenOneRowDoesNotFit(t *testing.T) {
	limit := baseShape.inferenceBytes(1, 2) - 1
	_, _, err := fitBatch(baseShape, 64, 2, limit)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "even one row of up to 512 tokens")
	assert.Contains(t, err.Error(), "--batch 64")
	assert.Contains(t, err.Error(), bytesize.Format(baseShape.inferenceBytes(1, 2)), "the estimate is named")
	assert.Contains(t, err.Error(), "--max-memory "+bytesize.Format(limit))
	got, _, err := fitBatch(baseShape, 64, 2, limit+1)
	require.NoError(t, err)
	assert.Equal(t, 1, got)
}

// The commands run a smaller batch instead of refusing, and say so.
func TestExplainAndAuditFitTheBatchToMaxMemory(t *testing.T) {
	folder, err := (&modelFlags{}).folder()
	require.NoError(t, err)
	s := shapeOf(folder, false)
	// Room for 8 rows, not 9 (a row of 512 tokens is ~25 MB, counted
	// twice), and 8 MiB beside them for an explanation's coalitions.
	limit := s.inferenceBytes(8, 1) + 8<<20
	require.Greater(t, s.inferenceBytes(9, 1), limit)
	code, stdout, stderr := lucid(t, "", "explain", "--method", "occlusion", "--max-memory", strconv.FormatInt(limit, 10), "a fine film")
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stderr, "explain: --batch 64 needs an estimated")
	assert.Contains(t, stderr, "running batches of 8 rows")
	assert.Contains(t, stdout, "film")

	code, _, stderr = lucid(t, "", "explain", "--method", "occlusion", "--max-memory", "64MiB", "a fine film")
	assert.Equal(t, exitUsage, code, stderr)
	assert.Contains(t, stderr, "even one row")

	// The audit's default --batch 256, with room for 8 rows.
	dir := t.TempDir()
	data := filepath.Join(dir, "d.csv")
	require.NoError(t, os.WriteFile(data, []byte("text,label,g\na fine film,1,a\na dull film,0,b\na fine play,1,a\na dull play,0,b\n"), 0o644))
	code, _, stderr = lucid(t, "", "audit", "--data", data, "--group-col", "g", "--checks", "groups", "--min-group-size", "1",
		"--out", filepath.Join(dir, "out"), "--max-memory", strconv.FormatInt(limit, 10))
	require.NotEqual(t, exitUsage, code, stderr)
	assert.Contains(t, stderr, "audit: --batch 256 needs an estimated")
	// The default audit explains with ig too, so its estimate counts the
	// embedding and gradient graphs' weights.
	want, _, err := fitBatch(shapeOf(folder, true), 256, 1, limit)
	require.NoError(t, err)
	require.Less(t, want, 8)
	assert.Contains(t, stderr, "running batches of "+strconv.Itoa(want)+" rows")
	assert.FileExists(t, filepath.Join(dir, "out", "report.html"))
}
