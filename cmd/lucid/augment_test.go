package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/augment"
)

func TestAugmentCommand(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "train.tsv")
	require.NoError(t, os.WriteFile(in, []byte("label\tsentence\n1\the is great\n0\ta dull film\n1\tonly\tthree\tfields\n"), 0o644))
	out := filepath.Join(dir, "aug.tsv")
	rep := filepath.Join(dir, "report.json")
	code, stdout, stderr := lucid(t, "", "augment", "--data", in, "--out", out, "--report", rep, "--max-skipped-share", "0.5")
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stderr, "warning: 1 of 3 rows of")
	assert.Empty(t, stdout)
	assert.Contains(t, stderr, "2 rows (1 with identity terms), 1 skipped; 1 copies written")
	assert.Contains(t, stderr, "skipped line 4: 4 fields, but the header has 2")
	assert.Regexp(t, `gender\s+1\s+1\s+1\s+1\s+0`, stderr)
	b, err := os.ReadFile(out)
	require.NoError(t, err)
	assert.Equal(t, "label\tsentence\tprovenance\n1\the is great\t\n1\tshe is great\t2|gender|male→female|he→she\n0\ta dull film\t\n", string(b))
	var r augment.Report
	b, err = os.ReadFile(rep)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &r))
	assert.Equal(t, 1, r.Copies)
	assert.Equal(t, 1, r.Skipped)
	assert.True(t, r.Read.Balanced)
}

func TestAugmentUsageErrors(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "train.csv")
	require.NoError(t, os.WriteFile(in, []byte("text,label\nhe ran,1\n"), 0o644))
	out := filepath.Join(dir, "out.csv")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"augment", "--data", in}, "--data IN and --out OUT are required"},
		{[]string{"augment", "--data", in, "--out", out, "--per-row", "100000"}, "--per-row 100000: above the limit of 10000"},
		{[]string{"augment", "--data", in, "--out", out, "--per-row", "-1"}, "--per-row -1: want at least 0"},
		{[]string{"augment", "--data", in, "--out", in}, "is --data"},
		{[]string{"augment", "--data", in, "--out", out, "--family", "colour"}, `no family "colour"`},
		{[]string{"augment", "--data", in, "--out", out, "--format", "xml"}, "unknown data format"},
		{[]string{"augment", "--data", in, "--out", out, "--max-field-size", "1TiB"}, "--max-field-size"},
		{[]string{"augment", "--data", in, "--out", out, "--text-col", "body"}, `text column "body"`},
	} {
		code, _, stderr := lucid(t, "", tc.args...)
		assert.Equal(t, exitUsage, code, "%v: %s", tc.args, stderr)
		assert.Contains(t, stderr, tc.want, tc.args)
	}
	_, err := os.Stat(out)
	assert.True(t, os.IsNotExist(err), "no output written on a usage error")
}

// --group-col end to end: a copy's group value follows its swap; a value
// naming no group is kept and warned about once.
func TestAugmentGroupCol(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "train.csv")
	require.NoError(t, os.WriteFile(in, []byte("text,label,gender\nhe is great,1,Male\nshe left,0,F\nhe ran,1,other\nhis dog ran,1,other\n"), 0o644))
	out := filepath.Join(dir, "aug.csv")
	code, _, stderr := lucid(t, "", "augment", "--data", in, "--out", out, "--family", "gender", "--group-col", "gender")
	require.Equal(t, exitOK, code, stderr)
	b, err := os.ReadFile(out)
	require.NoError(t, err)
	assert.Equal(t, "text,label,gender,provenance\n"+
		"he is great,1,Male,\nshe is great,1,Female,2|gender|male→female|he→she\n"+
		"she left,0,F,\nhe left,0,M,3|gender|female→male|she→he\n"+
		"he ran,1,other,\nshe ran,1,other,4|gender|male→female|he→she\n"+
		"his dog ran,1,other,\nher dog ran,1,other,5|gender|male→female|his→her\n", string(b))
	assert.Contains(t, stderr, "group column gender: 2 copies changed group")
	assert.Regexp(t, `gender\s+4\s+4\s+4\s+4\s+0\s+0`, stderr, "rows, swaps, sampled, copies, duplicates, unswapped")
	assert.Equal(t, 1, strings.Count(stderr, `value "other" names no group`), stderr)
	assert.Contains(t, stderr, `warning: group column gender: value "other" names no group of the families; 2 copies keep it`)

	code, _, stderr = lucid(t, "", "augment", "--data", in, "--out", out, "--group-col", "sex")
	assert.NotEqual(t, exitOK, code)
	assert.Contains(t, stderr, `"sex"`)
}

// More bad rows than --max-skipped-share (default 1%) fail the run with
// exit 1 and no output; the counts are still printed.
func TestAugmentTooManySkipped(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "train.tsv")
	require.NoError(t, os.WriteFile(in, []byte("label\tsentence\n1\the is great\n1\ta\tb\n1\tc\td\n1\te\tf\n"), 0o644))
	out := filepath.Join(dir, "aug.tsv")
	code, _, stderr := lucid(t, "", "augment", "--data", in, "--out", out)
	assert.Equal(t, exitFailure, code, stderr)
	assert.Contains(t, stderr, "3 of 4 rows")
	assert.Contains(t, stderr, "above the maximum share 0.01")
	_, err := os.Stat(out)
	assert.True(t, os.IsNotExist(err), "no output when too many rows were skipped")
	code, _, stderr = lucid(t, "", "augment", "--data", in, "--out", out, "--max-skipped-share", "1")
	assert.Equal(t, exitOK, code, stderr)
	code, _, stderr = lucid(t, "", "augment", "--data", in, "--out", out, "--max-skipped-share", "0")
	assert.Equal(t, exitUsage, code, stderr)
}

// --out over a symlink, a device or a folder is refused before the input
// is read, and what the link points to is untouched.
func TestAugmentOutRefusesNonRegular(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "train.csv")
	require.NoError(t, os.WriteFile(in, []byte("text,label\nhe ran,1\n"), 0o644))
	victim := filepath.Join(dir, "victim")
	require.NoError(t, os.WriteFile(victim, []byte("keep"), 0o644))
	link := filepath.Join(dir, "out.csv")
	require.NoError(t, os.Symlink(victim, link))
	for _, out := range []string{link, "/dev/null", dir} {
		code, _, stderr := lucid(t, "", "augment", "--data", in, "--out", out)
		assert.Equal(t, exitFailure, code, stderr)
		assert.Contains(t, stderr, "refusing to write over it", out)
	}
	b, err := os.ReadFile(victim)
	require.NoError(t, err)
	assert.Equal(t, "keep", string(b))
	st, err := os.Lstat(link)
	require.NoError(t, err)
	assert.NotZero(t, st.Mode()&os.ModeSymlink, "the link is still a link")
}
