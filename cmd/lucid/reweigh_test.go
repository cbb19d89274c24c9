package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/audit"
)

// lucid augment --reweigh, then the data scan with --weight-col on its
// output: the weighted group-by-label table has P_w(label | group) equal
// across groups (to 1e-9), where the counts are skewed 0.75 against 0.17.
func TestReweighThenWeightedDataScan(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "train.csv")
	var b strings.Builder
	b.WriteString("text,group,label\n")
	for i, c := range []struct {
		n    int
		g, y string
	}{{30, "a", "pos"}, {10, "a", "neg"}, {10, "b", "pos"}, {50, "b", "neg"}} {
		for k := 0; k < c.n; k++ {
			fmt.Fprintf(&b, "review %d %d,%s,%s\n", i, k, c.g, c.y)
		}
	}
	require.NoError(t, os.WriteFile(in, []byte(b.String()), 0o644))
	out := filepath.Join(dir, "weighted.csv")
	code, _, stderr := lucid(t, "", "augment", "--data", in, "--out", out, "--reweigh", "--group-col", "group")
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stderr, "100 rows (100 labelled, 0 unlabelled)")
	assert.Regexp(t, `a\s+neg\s+10\s+24\s+2.4`, stderr)

	rdir := filepath.Join(dir, "audit")
	code, stdout, stderr := lucid(t, "", "audit", "--data", out, "--checks", "data", "--group-col", "group", "--weight-col", "weight",
		"--label-names", "neg,pos", "--out", rdir, "--progress", "never")
	require.Equal(t, exitOK, code, stderr)
	raw, err := os.ReadFile(filepath.Join(rdir, "report.json"))
	require.NoError(t, err)
	var rep audit.Report
	require.NoError(t, json.Unmarshal(raw, &rep))
	require.NotNil(t, rep.DataBias)
	w := rep.DataBias.Weighted
	require.NotNil(t, w)
	assert.Equal(t, 100, w.Rows)
	require.Len(t, w.Columns, 1)
	c := w.Columns[0]
	assert.InDelta(t, 100, c.Weight, 1e-9, "reweighing keeps the total weight")
	assert.InDelta(t, 0.4, c.LabelShare[1], 1e-12)
	require.Len(t, c.Groups, 2)
	for _, g := range c.Groups {
		assert.InDelta(t, c.LabelShare[1], float64(g.Share[1]), 1e-9, g.Group)
	}
	assert.Less(t, c.MaxGap, 1e-9)
	// Unweighted, the same scan sees the skew.
	assert.Equal(t, []int{10, 30}, c.Groups[0].Rows)
	assert.Contains(t, stdout+stderr, `Weighted by "weight" over 100 labelled rows: group: 2 groups`)
	assert.False(t, math.IsNaN(c.MaxGap))
}

func TestReweighUsageErrors(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "train.csv")
	require.NoError(t, os.WriteFile(in, []byte("text,g,age\nhe ran,m,old\n"), 0o644))
	out := filepath.Join(dir, "out.csv")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--reweigh"}, "--reweigh needs the group column"},
		{[]string{"--reweigh", "--group-col", "g"}, `reweighing needs labels: ` + in + ` has no column "label"`},
		{[]string{"--reweigh", "--group-col", "g", "--per-row", "1"}, "--per-row makes counterfactual copies"},
		{[]string{"--weight-col", "w"}, "--weight-col is a --reweigh flag"},
		{[]string{"--reweigh", "--group-cross", "g"}, "name two or more group columns"},
		{[]string{"--reweigh", "--group-col", "g", "--group-cross", "g,age"}, "--group-col and --group-cross"},
	} {
		args := append([]string{"augment", "--data", in, "--out", out}, tc.args...)
		code, _, stderr := lucid(t, "", args...)
		assert.Equal(t, exitUsage, code, "%v: %s", tc.args, stderr)
		assert.Contains(t, stderr, tc.want, tc.args)
	}
	// The data scan's --weight-col needs the data check and a group column.
	code, _, stderr := lucid(t, "", "audit", "--data", in, "--checks", "groups", "--group-col", "g", "--weight-col", "w")
	assert.Equal(t, exitUsage, code, stderr)
	assert.Contains(t, stderr, "add data to --checks")
	code, _, stderr = lucid(t, "", "audit", "--data", in, "--checks", "data", "--weight-col", "w", "--label-names", "a,b")
	assert.Equal(t, exitUsage, code, stderr)
	assert.Contains(t, stderr, "give --group-col")
}
