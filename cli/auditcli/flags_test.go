package auditcli

import (
	"encoding/json"
	"flag"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/audit"
	"github.com/lucid-nlp/lucid/dataset"
	"github.com/lucid-nlp/lucid/fairness/thresholds"
)

func parsed(t *testing.T, args ...string) *Flags {
	t.Helper()
	fs := flag.NewFlagSet("audit", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	f := Register(fs)
	f.RegisterModel(fs)
	require.NoError(t, fs.Parse(args))
	return f
}

// The flags build the audit's configuration; a Flags that went through
// JSON (as it does to Beam workers) builds the same one.
func TestConfigFromFlags(t *testing.T) {
	f := parsed(t, "--data", "x.tsv", "--group-col", "g,h", "--group-cross", "g,h", "--checks", "groups,slices",
		"--seed", "7", "--batch", "64", "--missing-group", "as-group", "--max-field-size", "2KiB", "--methods", "lime", "--fit-thresholds", "equal-opportunity")
	cfg, err := f.Config()
	require.NoError(t, err)
	assert.Equal(t, "x.tsv", cfg.Name)
	assert.Equal(t, []string{"g", "h"}, cfg.Dataset.GroupCols)
	assert.Equal(t, [][]string{{"g", "h"}}, cfg.Intersections)
	assert.Equal(t, 2048, cfg.Dataset.MaxFieldBytes)
	assert.Equal(t, uint64(7), cfg.Seed)
	assert.Equal(t, 64, cfg.BatchSize)
	assert.True(t, cfg.MissingAsGroup)
	assert.Equal(t, thresholds.Constraint("equal-opportunity"), cfg.FitThresholds)
	assert.Len(t, cfg.Methods, 1)
	assert.Equal(t, 1000, cfg.Resamples)

	js, err := json.Marshal(f)
	require.NoError(t, err)
	var g Flags
	require.NoError(t, json.Unmarshal(js, &g))
	assert.Equal(t, *f, g)
	cfg2, err := g.Config()
	require.NoError(t, err)
	assert.Equal(t, cfg.Dataset, cfg2.Dataset)
	assert.Equal(t, cfg.Families, cfg2.Families)
}

func TestDataOnlyConfig(t *testing.T) {
	f := parsed(t, "--data", "x.csv", "--checks", "data")
	require.True(t, f.ModelFree())
	cfg, err := f.Config()
	require.NoError(t, err)
	assert.Equal(t, "none (data only)", cfg.ModelName)
	assert.Zero(t, cfg.Resamples)
	assert.Equal(t, dataset.Auto, cfg.Dataset.Format)
}

// A bad value is a UsageError naming the flag and the value.
func TestBadFlags(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--batch", "0"}, "--batch 0: want at least 1"},
		{[]string{"--budget", "99999999"}, "--budget 99999999: above the limit of 1048576"},
		{[]string{"--tolerance", "1"}, "--tolerance 1: want a value strictly between 0 and 1"},
		{[]string{"--missing-group", "x\x1b"}, `--missing-group "x\\x1b": want exclude or as-group`},
		{[]string{"--max-field-size", "65MiB"}, `--max-field-size "65MiB": want a size from 1 byte to 64 MiB`},
		{[]string{"--checks", "bogus"}, `--checks: unknown check "bogus"`},
		{[]string{"--fit-thresholds", "demographic-parity"}, "--fit-thresholds needs a group column"},
		{[]string{"--format", "xml"}, `unknown data format "xml"`},
		{[]string{"--methods", "nope"}, `method "nope"`},
	} {
		f := parsed(t, append([]string{"--data", "x.csv"}, c.args...)...)
		_, err := f.Config()
		var ue UsageError
		require.ErrorAs(t, err, &ue, "%v", c.args)
		assert.Contains(t, ue.Msg, c.want, "%v", c.args)
	}
	f := parsed(t, "--data", "x.txt")
	_, err := f.Config()
	require.ErrorAs(t, err, new(UsageError), "a .txt file needs --format")

	f = parsed(t, "--data", "x.csv", "--positive", "great")
	var ue UsageError
	require.ErrorAs(t, f.CheckPositive([]string{"negative", "positive"}), &ue)
	assert.Contains(t, ue.Msg, `--positive "great": not one of the model's labels negative, positive`)
	assert.NoError(t, parsed(t, "--positive", "positive").CheckPositive([]string{"negative", "positive"}))

	require.ErrorAs(t, parsed(t, "--device", "tpu").ValidateModel(8), &ue)
	require.ErrorAs(t, parsed(t, "--sessions", "65").ValidateModel(8), &ue)
	assert.Equal(t, "--sessions 65: above the limit of 64", ue.Msg)
}

func TestTermSafe(t *testing.T) {
	assert.Equal(t, `a\x1b[2Jb\u202e\xff`, TermSafe("a\x1b[2Jb\u202e\xff"))
	assert.Equal(t, "tab\tand é", TermSafe("tab\tand é"))
}

// WriteReport writes the folder lucid audit writes.
func TestWriteReport(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	rep := &audit.Report{Model: "m", Data: "d.csv", Rows: 3}
	require.NoError(t, WriteReport(dir, rep, ""))
	for _, name := range []string{"report.json", "report.html", "metrics.csv"} {
		st, err := os.Stat(filepath.Join(dir, name))
		require.NoError(t, err, name)
		assert.Positive(t, st.Size(), name)
	}
	js, err := os.ReadFile(filepath.Join(dir, "report.json"))
	require.NoError(t, err)
	var back audit.Report
	require.NoError(t, json.Unmarshal(js, &back))
	assert.Equal(t, 3, back.Rows)
}

func TestLabelThresholdsFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
		return p
	}
	m, err := readLabelThresholds(write("a.json", `{"toxic": 0.7, "insult": 0}`))
	require.NoError(t, err)
	assert.Equal(t, map[string]float64{"toxic": 0.7, "insult": 0}, m)
	m, err = readLabelThresholds(write("a.tsv", "# per label\ntoxic\t0.3\n\ninsult\t1\n"))
	require.NoError(t, err)
	assert.Equal(t, map[string]float64{"toxic": 0.3, "insult": 1}, m)
	for body, want := range map[string]string{
		"toxic 0.3\n":              `want label<TAB>threshold`,
		"toxic\tx\n":               `threshold "x" is not a number`,
		"toxic\t0.3\nTOXIC\t0.4\n": `label "TOXIC" is given twice`,
		`{"toxic": 1.5}`:           `threshold 1.5 for "toxic"`,
		`{"toxic": }`:              "want a JSON object",
	} {
		_, err := readLabelThresholds(write("bad", body))
		assert.ErrorContains(t, err, want, body)
	}
}
