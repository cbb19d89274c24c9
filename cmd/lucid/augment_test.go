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
	code, stdout, stderr := lucid(t, "", "augment", "--data", in, "--out", out, "--report", rep)
	require.Equal(t, exitOK, code, stderr)
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
