package tfevents_test

import (
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/internal/tfevents"
)

// CRC-32C's check value (the CRC of "123456789", from the Castagnoli
// catalogue entry) holds for the test's reader, and the writer's masked
// CRC equals the reader's on assorted inputs.
func TestMaskedCRCAgreesWithAnIndependentCRC32C(t *testing.T) {
	assert.Equal(t, uint32(0xE3069283), crc32c([]byte("123456789")))
	for _, s := range []string{"", "a", "123456789", strings.Repeat("event", 1000)} {
		assert.Equal(t, masked([]byte(s)), tfevents.MaskedCRC([]byte(s)), "%q", s)
	}
}

func TestRoundTripScalarsAndText(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "tb")
	at := time.Date(2026, 12, 7, 2, 30, 0, 500_000_000, time.UTC)
	w, err := tfevents.Create(dir, 3, at)
	require.NoError(t, err)
	require.NoError(t, w.Scalar("groups/accuracy/sex=F/value", 0.8125))
	require.NoError(t, w.Scalar("data/accuracy/low", -1e-3))
	require.NoError(t, w.Text("verdicts/groups", "**FAIL**: gap 0.2 > 0.1"))
	require.NoError(t, w.Close())
	assert.True(t, strings.HasPrefix(filepath.Base(w.Path()), "events.out.tfevents."+"1796610600."), w.Path())

	evs, err := readEventFile(w.Path())
	require.NoError(t, err)
	require.Len(t, evs, 4)
	assert.Equal(t, "brain.Event:2", evs[0].FileVersion, "the first event names the file version")
	assert.Empty(t, evs[0].Values)
	for _, e := range evs {
		assert.Equal(t, int64(3), e.Step)
		assert.Equal(t, float64(at.UnixNano())/1e9, e.Wall)
	}
	require.Len(t, evs[1].Values, 1)
	v := evs[1].Values[0]
	assert.Equal(t, "groups/accuracy/sex=F/value", v.Tag)
	require.NotNil(t, v.Simple)
	assert.Equal(t, float32(0.8125), *v.Simple, "exact: 0.8125 is a float32")
	assert.Equal(t, float32(-1e-3), *evs[2].Values[0].Simple, "a float64 is written as the nearest float32")
	txt := evs[3].Values[0]
	assert.Equal(t, "verdicts/groups", txt.Tag)
	require.NotNil(t, txt.Text)
	assert.Equal(t, "**FAIL**: gap 0.2 > 0.1", *txt.Text)
	assert.Equal(t, 0, txt.Rank, "a scalar string tensor")
	assert.Equal(t, "text", txt.Plugin)
	assert.Equal(t, uint64(2), txt.DataClass, "DATA_CLASS_TENSOR")
	assert.Nil(t, txt.Simple)

	n, err := tfevents.NextStep(dir)
	require.NoError(t, err)
	assert.Equal(t, int64(4), n, "one past the step the folder's file names")
}

// The reader must be able to fail: a flipped byte in the data or in the
// length is caught by the matching CRC.
func TestReaderCatchesCorruption(t *testing.T) {
	w, err := tfevents.Create(t.TempDir(), 0, time.Unix(1, 0))
	require.NoError(t, err)
	require.NoError(t, w.Scalar("a", 1))
	require.NoError(t, w.Close())
	b, err := os.ReadFile(w.Path())
	require.NoError(t, err)
	_, err = readRecords(b)
	require.NoError(t, err)
	for _, at := range []int{0, 14, len(b) - 1} {
		c := append([]byte(nil), b...)
		c[at] ^= 0x40
		_, err := readRecords(c)
		assert.Error(t, err, "byte %d flipped", at)
	}
}

func TestBadInputIsAnErrorNamingIt(t *testing.T) {
	_, err := tfevents.Create(t.TempDir(), -1, time.Now())
	require.ErrorContains(t, err, "step -1")
	w, err := tfevents.Create(t.TempDir(), 0, time.Now())
	require.NoError(t, err)
	defer w.Abort()
	require.ErrorContains(t, w.Scalar("groups/x/value", math.NaN()), `"groups/x/value"`)
	require.ErrorContains(t, w.Scalar("", 1), "empty")
	require.ErrorContains(t, w.Text("", "x"), "empty")
}

func TestNextStepCountsEventFiles(t *testing.T) {
	dir := t.TempDir()
	n, err := tfevents.NextStep(filepath.Join(dir, "missing"))
	require.NoError(t, err)
	assert.Equal(t, int64(0), n)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "notes.txt"), nil, 0o644))
	for i := range 3 {
		n, err := tfevents.NextStep(dir)
		require.NoError(t, err)
		require.Equal(t, int64(i), n)
		w, err := tfevents.Create(dir, n, time.Unix(int64(1000+i), 0))
		require.NoError(t, err)
		require.NoError(t, w.Close())
	}
	// The same second, the same process, the same step: a second file
	// would collide, and is refused rather than overwritten.
	_, err = tfevents.Create(dir, 2, time.Unix(1002, 0))
	require.Error(t, err)
}

// Names sort as the runs were written: by time, then by step within a
// second (TensorBoard reads a folder in name order).
func TestNamesSortByTimeThenStep(t *testing.T) {
	dir := t.TempDir()
	var paths []string
	for _, r := range []struct {
		step int64
		at   int64
	}{{0, 1796600999}, {1, 1796601000}, {9, 1796601000}, {10, 1796601000}} {
		w, err := tfevents.Create(dir, r.step, time.Unix(r.at, 0))
		require.NoError(t, err)
		require.NoError(t, w.Close())
		paths = append(paths, w.Path())
	}
	assert.True(t, slices.IsSorted(paths), "%v", paths)
}

// A deleted run does not send the next step back onto a step the folder
// still has (TensorBoard would drop the later data as out of order).
func TestNextStepSurvivesADeletedFile(t *testing.T) {
	dir := t.TempDir()
	var paths []string
	for i := range 3 {
		w, err := tfevents.Create(dir, int64(i), time.Unix(int64(1796601000+i), 0))
		require.NoError(t, err)
		require.NoError(t, w.Close())
		paths = append(paths, w.Path())
	}
	require.NoError(t, os.Remove(paths[0]))
	n, err := tfevents.NextStep(dir)
	require.NoError(t, err)
	assert.Equal(t, int64(3), n)
	// A file of another writer counts one.
	require.NoError(t, os.WriteFile(filepath.Join(dir, "events.out.tfevents.1.other.v2"), nil, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "events.out.tfevents.2.other.v2"), nil, 0o644))
	n, err = tfevents.NextStep(dir)
	require.NoError(t, err)
	assert.Equal(t, int64(4), n, "4 event files, own steps up to 2")
}
