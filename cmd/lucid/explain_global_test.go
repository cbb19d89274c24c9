package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/attribution"
	"github.com/lucid-nlp/lucid/attribution/lime"
	"github.com/lucid-nlp/lucid/dataset"
	"github.com/lucid-nlp/lucid/evaluate"
	"github.com/lucid-nlp/lucid/global"
	"github.com/lucid-nlp/lucid/internal/mergetest"
	"github.com/lucid-nlp/lucid/models/modeltest"
	"github.com/lucid-nlp/lucid/perturb"
)

func TestExplainGlobalFlags(t *testing.T) {
	data := filepath.Join(t.TempDir(), "d.tsv")
	require.NoError(t, os.WriteFile(data, []byte("text\nfine\n"), 0o644))
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--global"}, "--global needs --data FILE"},
		{[]string{"--data", data, "x"}, "--data needs --global"},
		{[]string{"--global", "--data", data, "--target", "POSITIVE"}, "--target does not go with --global"},
		{[]string{"--global", "--data", data, "--json"}, "--json does not go with --global"},
		{[]string{"--global", "--data", data, "--features", "sentences"}, "--features sentences --global"},
		{[]string{"--global", "--data", data, "--max-words", "0"}, "--max-words 0"},
		{[]string{"--global", "--data", data, "--min-count", "0"}, "--min-count 0"},
		{[]string{"--global", "--data", data, "--progress", "sometimes"}, `--progress "sometimes"`},
		{[]string{"--global", "--data", data + ".txt"}, "format"},
		{[]string{"--global", "--data", data, "extra"}, "unexpected arguments"},
	} {
		code, _, stderr := lucid(t, "", append([]string{"explain"}, tc.args...)...)
		assert.Equal(t, exitUsage, code, "%v: %s", tc.args, stderr)
		assert.Contains(t, stderr, tc.want, tc.args)
	}
	code, stdout, _ := lucid(t, "", "explain", "--help")
	assert.Equal(t, exitOK, code)
	assert.Contains(t, stdout, "lucid explain --global --data FILE")
}

// sliceTSV writes the header and the first n rows of a TSV file.
func sliceTSV(t *testing.T, path string, n int) string {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	var b strings.Builder
	sc := bufio.NewScanner(f)
	for i := 0; i <= n && sc.Scan(); i++ {
		b.WriteString(sc.Text() + "\n")
	}
	require.NoError(t, sc.Err())
	out := filepath.Join(t.TempDir(), "slice.tsv")
	require.NoError(t, os.WriteFile(out, []byte(b.String()), 0o644))
	return out
}

// TestExplainGlobalSplitMergeOnSST2: the CLI's one pass over a slice of
// SST-2 dev, and the same rows explained in three parts (shuffled, on
// separate Accumulators), merged in a random tree through the binary
// encoding, give byte-identical figures.
func TestExplainGlobalSplitMergeOnSST2(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the model on 30 texts")
	}
	slice := sliceTSV(t, modeltest.SharedFile(t, "data/sst2/dev.tsv"), 30)
	out := t.TempDir()
	code, stdout, stderr := lucid(t, "", "explain", "--global", "--data", slice, "--out", out, "--budget", "32", "--min-count", "2", "--top", "10")
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, "towards POSITIVE")
	b, err := os.ReadFile(filepath.Join(out, "global.json"))
	require.NoError(t, err)
	var one global.Report
	require.NoError(t, json.Unmarshal(b, &one))
	assert.Equal(t, 30, one.Texts)
	assert.Zero(t, one.Failed)
	// At most 32 coalitions and the prediction per text (fewer when
	// 2^words ≤ 32 and the coalitions are enumerated).
	assert.LessOrEqual(t, one.Evaluations, 33*30)
	assert.Greater(t, one.Evaluations, 30)

	// The same rows in three parts through the Go API.
	mf := modelFlags{sessions: 1, maxMemory: byteSize(defaultMaxMemory())}
	folder, err := mf.folder()
	require.NoError(t, err)
	clf, err := mf.load(folder)
	require.NoError(t, err)
	defer clf.Close()
	req := attribution.Request{Method: attribution.MethodKernelSHAP, Budget: 32, Seed: 1, Level: perturb.Words,
		Masking: perturb.MaskToken, AllTargets: true, Plain: true, EditBudget: attribution.DefaultEditBudget, Steps: attribution.DefaultPathSteps,
		KernelWidth: lime.DefaultKernelWidth}
	g := &globalFlags{maxWords: global.DefaultMaxWords}
	rd, err := dataset.Open(slice, dataset.Options{IgnoreLabels: true})
	require.NoError(t, err)
	var rows []dataset.Row
	require.NoError(t, rd.Batches(context.Background(), 100, func(*dataset.RowError) { t.Fatal("bad row") }, func(rs []dataset.Row) error {
		rows = append(rows, rs...)
		return nil
	}))
	rng := rand.New(rand.NewPCG(7, 8))
	rng.Shuffle(len(rows), func(i, j int) { rows[i], rows[j] = rows[j], rows[i] })
	var parts []*global.Accumulator
	for _, part := range [][]dataset.Row{rows[:7], rows[7:19], rows[19:]} {
		gr, err := newGlobalRun(clf, folder, req, evaluate.Probability, evaluate.DefaultBatchSize, 1, int64(mf.maxMemory), g)
		require.NoError(t, err)
		failed, err := gr.explain(context.Background(), part)
		require.NoError(t, err)
		require.Empty(t, failed)
		parts = append(parts, gr.acc)
	}
	merged := mergetest.Merge(t, rng, parts, func() *global.Accumulator { return &global.Accumulator{} })
	rep, err := merged.Report(10, 2, false)
	require.NoError(t, err)
	got, err := json.Marshal(rep)
	require.NoError(t, err)

	// The CLI's report, less what only a run has (its file, wall time).
	one.Data, one.Seconds, one.Skipped = "", 0, 0
	want, err := json.Marshal(one)
	require.NoError(t, err)
	require.Equal(t, string(want), string(got))
}

// TestExplainGlobalInterrupted: Ctrl-C writes the report of the texts
// explained so far, marked partial, and exits 130.
func TestExplainGlobalInterrupted(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the model")
	}
	dir := t.TempDir()
	data := filepath.Join(dir, "texts.tsv")
	// Far more texts than any machine explains in the wait below.
	require.NoError(t, os.WriteFile(data, []byte("text\n"+longInput(5000, 12)), 0o644))
	out := filepath.Join(dir, "out")
	r := interruptLucid(t, "", 3*time.Second, "explain", "--global", "--data", data, "--out", out, "--budget", "16", "--progress", "always")
	require.Equal(t, exitInterrupted, r.code, r.stderr)
	assert.Contains(t, r.stdout, "PARTIAL: interrupted")
	b, err := os.ReadFile(filepath.Join(out, "global.json"))
	require.NoError(t, err)
	var rep global.Report
	require.NoError(t, json.Unmarshal(b, &rep))
	assert.True(t, rep.Partial)
	assert.Less(t, rep.Texts, 5000)
	assert.Zero(t, rep.Texts%globalChunk, "whole chunks only: %d texts", rep.Texts)
	t.Logf("%d texts explained before the interrupt", rep.Texts)
	page, err := os.ReadFile(filepath.Join(out, "global.html"))
	require.NoError(t, err)
	assert.Contains(t, string(page), "Interrupted")
}

// TestExplainGlobalMethods runs --global end to end with a method that
// explains every label from one set of coalitions (occlusion) and one
// that runs once per label (grad-input): with a softmax over two labels,
// a word's mean attribution towards one is minus that towards the other.
func TestExplainGlobalMethods(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the model")
	}
	dir := t.TempDir()
	data := filepath.Join(dir, "texts.csv")
	require.NoError(t, os.WriteFile(data, []byte("id,text\n"+strings.ReplaceAll(",\""+strings.TrimSuffix(longInput(12, 6), "\n"), "\n", "\"\n,\"")+"\"\n"), 0o644))
	for _, tc := range []struct {
		method string
		tol    float64 // occlusion: exact in float64; gradients: float32 graphs
	}{{"occlusion", 1e-12}, {"grad-input", 1e-4}} {
		out := filepath.Join(dir, tc.method)
		code, stdout, stderr := lucid(t, "", "explain", "--global", "--data", data, "--out", out, "--method", tc.method, "--min-count", "2")
		require.Equal(t, exitOK, code, "%s: %s", tc.method, stderr)
		assert.Contains(t, stdout, "global explanation of", tc.method)
		b, err := os.ReadFile(filepath.Join(out, "global.json"))
		require.NoError(t, err)
		var rep global.Report
		require.NoError(t, json.Unmarshal(b, &rep))
		assert.Equal(t, 12, rep.Texts, tc.method)
		assert.Equal(t, 72, rep.Occurrences, tc.method)
		assert.Equal(t, tc.method, rep.Method)
		require.NotEmpty(t, rep.Words)
		for _, w := range rep.Words {
			assert.InDelta(t, -w.Labels[0].Mean, w.Labels[1].Mean, tc.tol, "%s: %q", tc.method, w.Word)
			assert.InDelta(t, w.Labels[0].MeanAbs, w.Labels[1].MeanAbs, tc.tol, "%s: %q", tc.method, w.Word)
		}
		require.NotEmpty(t, rep.Top[1].Importance, tc.method)
		page, err := os.ReadFile(filepath.Join(out, "global.html"))
		require.NoError(t, err)
		assert.Contains(t, string(page), "Importance for POSITIVE")
	}
}

// TestExplainGlobalSaveAndMerge: a file explained in two parts with
// --save-state, merged with --merge (either order), gives the figures of
// one pass over the file.
func TestExplainGlobalSaveAndMerge(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the model")
	}
	dir := t.TempDir()
	lines := strings.Split(strings.TrimSuffix(longInput(40, 7), "\n"), "\n")
	for i := range lines {
		lines[i] += fmt.Sprintf(" %d", i%9) // some variety
	}
	write := func(name string, rows []string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte("text\n"+strings.Join(rows, "\n")+"\n"), 0o644))
		return p
	}
	whole, p1, p2 := write("all.tsv", lines), write("p1.tsv", lines[:17]), write("p2.tsv", lines[17:])
	args := []string{"explain", "--global", "--budget", "16", "--min-count", "2"}
	run := func(extra ...string) global.Report {
		t.Helper()
		code, _, stderr := lucid(t, "", append(slices.Clone(args), extra...)...)
		require.Equal(t, exitOK, code, stderr)
		out := extra[slices.Index(extra, "--out")+1]
		b, err := os.ReadFile(filepath.Join(out, "global.json"))
		require.NoError(t, err)
		var rep global.Report
		require.NoError(t, json.Unmarshal(b, &rep))
		rep.Data, rep.Seconds, rep.Skipped = "", 0, 0
		return rep
	}
	one := run("--data", whole, "--out", filepath.Join(dir, "one"))
	run("--data", p1, "--out", filepath.Join(dir, "o1"), "--save-state", filepath.Join(dir, "p1.state"))
	run("--data", p2, "--out", filepath.Join(dir, "o2"), "--save-state", filepath.Join(dir, "p2.state"))
	want, err := json.Marshal(one)
	require.NoError(t, err)
	for _, order := range []string{"p1.state,p2.state", "p2.state,p1.state"} {
		states := strings.ReplaceAll(order, "p", filepath.Join(dir, "p"))
		// --merge loads no model and takes no --budget.
		code, stdout, stderr := lucid(t, "", "explain", "--global", "--merge", states, "--min-count", "2", "--out", filepath.Join(dir, "m"))
		require.Equal(t, exitOK, code, stderr)
		assert.Contains(t, stdout, "40 texts")
		b, err := os.ReadFile(filepath.Join(dir, "m", "global.json"))
		require.NoError(t, err)
		var merged global.Report
		require.NoError(t, json.Unmarshal(b, &merged))
		merged.Data, merged.Seconds, merged.Skipped = "", 0, 0
		got, err := json.Marshal(merged)
		require.NoError(t, err)
		assert.Equal(t, string(want), string(got), order)
	}
	code, _, stderr := lucid(t, "", "explain", "--global", "--merge", filepath.Join(dir, "p1.state"), "--budget", "8")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "--budget does not go with --merge")
	code, _, stderr = lucid(t, "", "explain", "--global", "--merge", whole, "--out", filepath.Join(dir, "bad"))
	assert.Equal(t, exitFailure, code)
	assert.Contains(t, stderr, "global: decoding an Accumulator")
}
