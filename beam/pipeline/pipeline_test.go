package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/audit"
	"github.com/lucid-nlp/lucid/cli/auditcli"
	"github.com/lucid-nlp/lucid/dataset"
	"github.com/lucid-nlp/lucid/models"
)

// The tests run the pipeline on Prism, in this process (loopback
// workers), as `go test` with no flags does.
func TestMain(m *testing.M) { ptest.MainWithDefault(m, "prism") }

const sst2Train = "../../../shared/data/sst2/train.tsv"

// corpus writes n SST-2 training rows with a group column derived from
// the text (a bit of its hash), a few malformed rows (a label the model
// does not have) among them, as parts files and as one concatenated file.
func corpus(t *testing.T, n, parts int) (files []string, all string) {
	t.Helper()
	raw, err := os.ReadFile(sst2Train)
	if err != nil {
		t.Skipf("SST-2 is not at %s (../shared/data/sst2 beside the repository): %v", sst2Train, err)
	}
	lines := strings.Split(strings.TrimRight(string(raw), "\n"), "\n")[1:]
	require.GreaterOrEqual(t, len(lines), n)
	rows := make([]string, 0, n+3)
	for i, l := range lines[:n] {
		label, text, ok := strings.Cut(l, "\t")
		require.True(t, ok, l)
		g := "a"
		if sha256.Sum256([]byte(text))[0]&1 == 1 {
			g = "b"
		}
		rows = append(rows, label+"\t"+text+"\t"+g)
		if i%(n/3) == 7 { // malformed: a label that is neither 0 nor 1
			rows = append(rows, "7\tthis row has a label the model does not know\ta")
		}
	}
	dir := t.TempDir()
	header := "label\tsentence\tgroup\n"
	all = filepath.Join(dir, "all.tsv")
	require.NoError(t, os.WriteFile(all, []byte(header+strings.Join(rows, "\n")+"\n"), 0o644))
	per := (len(rows) + parts - 1) / parts
	for p := range parts {
		part := rows[min(p*per, len(rows)):min((p+1)*per, len(rows))]
		name := filepath.Join(dir, fmt.Sprintf("part-%d.tsv", p))
		require.NoError(t, os.WriteFile(name, []byte(header+strings.Join(part, "\n")+"\n"), 0o644))
		files = append(files, name)
	}
	return files, all
}

// flags are lucid audit's defaults with args applied.
func flags(t *testing.T, args ...string) *auditcli.Flags {
	t.Helper()
	fs := flag.NewFlagSet("audit", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	f := auditcli.Register(fs)
	f.RegisterModel(fs)
	require.NoError(t, fs.Parse(args))
	return f
}

// single runs `lucid audit`'s path (audit.Run) on one file and writes its
// report folder.
func single(t *testing.T, f *auditcli.Flags, file, out string) map[string]any {
	t.Helper()
	cfg, err := f.Config()
	require.NoError(t, err)
	folder, err := f.ModelFolder()
	require.NoError(t, err)
	var clf *models.Classifier
	var x = (*auditcli.Flags).Explainer
	var run func() (*audit.Report, error)
	h, err := os.Open(file)
	require.NoError(t, err)
	defer h.Close()
	cfg.Source = h
	if f.ModelFree() {
		cfg.Labels = folder.Labels
		run = func() (*audit.Report, error) { return audit.Run(context.Background(), nil, nil, cfg) }
	} else {
		clf, err = f.OpenModel(folder)
		require.NoError(t, err)
		defer clf.Close()
		cfg.ModelName = auditcli.ModelName(folder.Dir)
		run = func() (*audit.Report, error) { return audit.Run(context.Background(), clf, x(f, clf), cfg) }
	}
	rep, err := run()
	require.NoError(t, err)
	require.NoError(t, auditcli.WriteReport(out, rep, ""))
	return readReport(t, out)
}

// distributed runs the pipeline on Prism.
func distributed(t *testing.T, f *auditcli.Flags, files []string, out string, shards int) (map[string]any, error) {
	t.Helper()
	folder, err := f.ModelFolder()
	require.NoError(t, err)
	p, s := beam.NewPipelineWithRoot()
	require.NoError(t, Build(s, Options{Flags: *f, Files: files, Labels: folder.Labels, ModelName: auditcli.ModelName(folder.Dir), Out: out, Shards: shards}))
	if err := ptest.Run(p); err != nil {
		return nil, err
	}
	return readReport(t, out), nil
}

// dropTimes removes every wall-clock figure (a key named seconds or
// ending in _seconds: the audit's, and each explanation's own timings).
func dropTimes(v any) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if k == "seconds" || strings.HasSuffix(k, "_seconds") {
				delete(v, k)
				continue
			}
			dropTimes(x)
		}
	case []any:
		for _, x := range v {
			dropTimes(x)
		}
	}
}

func readReport(t *testing.T, dir string) map[string]any {
	t.Helper()
	for _, name := range []string{"report.html", "metrics.csv"} {
		st, err := os.Stat(filepath.Join(dir, name))
		require.NoError(t, err, name)
		require.Positive(t, st.Size(), name)
	}
	js, err := os.ReadFile(filepath.Join(dir, "report.json"))
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(js, &m))
	return m
}

// reportNumbers drops what differs between one file and its parts for
// reasons that are not the audit's figures: wall times, the clock, the
// input's name, and where in which file each line is (parts have a header
// each and their own line numbers). What is left must be identical.
func reportNumbers(t *testing.T, m map[string]any) map[string]any {
	t.Helper()
	for _, k := range []string{"generated_at", "rows_per_second", "timings", "data"} {
		delete(m, k)
	}
	dropTimes(m)
	rec, ok := m["reconciliation"].(map[string]any)
	require.True(t, ok, "report.json has no reconciliation")
	for _, k := range []string{"lines", "header_lines"} {
		delete(rec, k)
	}
	if ex, ok := m["skipped_examples"].([]any); ok {
		for _, e := range ex {
			row := e.(map[string]any)
			delete(row, "line")
			delete(row, "source")
		}
	}
	return m
}

// The pipeline over three files writes the report `lucid audit` writes
// over their concatenation: identical counts, rates, intervals
// (bootstrap included, same seed), p-values and verdicts; malformed rows
// counted alike.
func TestPipelineEqualsSingleMachine(t *testing.T) {
	files, all := corpus(t, 10_000, 3)
	for _, checks := range []string{"groups,counterfactual,slices,data", "consistency"} {
		t.Run(checks, func(t *testing.T) {
			args := []string{"--group-col", "group", "--checks", checks, "--consistency-rows", "40", "--resamples", "200", "--batch", "128"}
			f := flags(t, args...)
			f.Data = all
			want := single(t, f, all, filepath.Join(t.TempDir(), "single"))
			got, err := distributed(t, f, files, filepath.Join(t.TempDir(), "beam"), 1)
			require.NoError(t, err)
			assert.EqualValues(t, 10_000, got["rows"])
			assert.EqualValues(t, 3, got["skipped_rows"], "the three malformed rows")
			assert.Len(t, got["skipped_examples"], 3)
			wj, err := json.Marshal(reportNumbers(t, want))
			require.NoError(t, err)
			gj, err := json.Marshal(reportNumbers(t, got))
			require.NoError(t, err)
			require.JSONEq(t, string(wj), string(gj))
		})
	}
}

// flaky fails the first Predict call on the batch holding marker, once.
type flaky struct {
	audit.Classifier
	marker string
	mu     *sync.Mutex
	failed *bool
}

func (f flaky) Predict(ctx context.Context, texts []string) ([]models.Prediction, error) {
	f.mu.Lock()
	fail := !*f.failed && slicesContain(texts, f.marker)
	if fail {
		*f.failed = true
	}
	f.mu.Unlock()
	if fail {
		return nil, errors.New("injected transient failure")
	}
	return f.Classifier.Predict(ctx, texts)
}

func slicesContain(texts []string, s string) bool {
	for _, t := range texts {
		if t == s {
			return true
		}
	}
	return false
}

// A batch whose scoring fails once is scored again from a fresh State:
// the report equals the clean run's, no row counted twice. Two shards, so
// the batches also go through the Partition and two Reshuffles.
func TestTransientFailureRetriedOnce(t *testing.T) {
	files, _ := corpus(t, 1500, 2)
	f := flags(t, "--group-col", "group", "--checks", "groups,counterfactual,slices,consistency", "--consistency-rows", "20", "--resamples", "100", "--batch", "64")
	f.Data = strings.Join(files, ",")
	clean, err := distributed(t, f, files, filepath.Join(t.TempDir(), "clean"), 2)
	require.NoError(t, err)

	raw, err := os.ReadFile(files[1])
	require.NoError(t, err)
	marker := strings.Split(strings.Split(string(raw), "\n")[100], "\t")[1]
	var mu sync.Mutex
	failed := false
	wrapClassifier = func(c audit.Classifier) audit.Classifier { return flaky{c, marker, &mu, &failed} }
	t.Cleanup(func() { wrapClassifier = nil })
	retried, err := distributed(t, f, files, filepath.Join(t.TempDir(), "retried"), 2)
	require.NoError(t, err)
	require.True(t, failed, "the injected failure never fired: the marker row was not scored")
	assert.EqualValues(t, 1500, retried["rows"])
	cj, _ := json.Marshal(reportNumbers(t, clean))
	rj, _ := json.Marshal(reportNumbers(t, retried))
	require.JSONEq(t, string(cj), string(rj))
}

// A batch that fails on every attempt fails the pipeline with the
// batch's file and the attempts in the error.
func TestPersistentFailureFails(t *testing.T) {
	files, _ := corpus(t, 300, 1)
	f := flags(t, "--checks", "consistency", "--consistency-rows", "5")
	f.Data = files[0]
	wrapClassifier = func(c audit.Classifier) audit.Classifier { return broken{c} }
	t.Cleanup(func() { wrapClassifier = nil })
	_, err := distributed(t, f, files, filepath.Join(t.TempDir(), "out"), 1)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "failed 3 times")
	assert.Contains(t, err.Error(), "model is down")
}

type broken struct{ audit.Classifier }

func (broken) Predict(context.Context, []string) ([]models.Prediction, error) {
	return nil, errors.New("model is down")
}

// Build refuses bad options before adding anything.
func TestBuildRejects(t *testing.T) {
	ok := Options{Flags: *flags(t, "--checks", "consistency"), Files: []string{"x.tsv"}, Labels: []string{"n", "p"}, Out: "o", Shards: 1}
	ok.Flags.Data = "x.tsv"
	for name, c := range map[string]struct {
		mod  func(*Options)
		want string
	}{
		"no files":  {func(o *Options) { o.Files = nil }, "no input files"},
		"shards":    {func(o *Options) { o.Shards = 0 }, "--shards 0"},
		"labels":    {func(o *Options) { o.Labels = []string{"x"} }, "labels"},
		"bad flag":  {func(o *Options) { o.Flags.Batch = 0 }, "--batch 0"},
		"no out":    {func(o *Options) { o.Out = "" }, "--out"},
		"attempts":  {func(o *Options) { o.Attempts = 1000 }, "attempts 1000"},
		"no format": {func(o *Options) { o.Flags.Data = "x.txt" }, "format"},
	} {
		o := ok
		c.mod(&o)
		_, s := beam.NewPipelineWithRoot()
		err := Build(s, o)
		require.Error(t, err, name)
		assert.Contains(t, err.Error(), c.want, name)
	}
}

// The Batch coder keeps every field.
func TestBatchCoderRoundTrip(t *testing.T) {
	files, _ := corpus(t, 50, 1)
	h, err := os.Open(files[0])
	require.NoError(t, err)
	defer h.Close()
	var batches []audit.Batch
	require.NoError(t, audit.ReadBatches(context.Background(), h, files[0], auditDatasetOptions(t), 16, func(b audit.Batch) error {
		batches = append(batches, b)
		return nil
	}))
	require.Len(t, batches, 5) // 50 rows in 16s (3 malformed ones skipped), then the last with the reconciliation
	for _, b := range batches {
		enc, err := encodeBatch(b)
		require.NoError(t, err)
		back, err := decodeBatch(enc)
		require.NoError(t, err)
		assert.Equal(t, b, back)
	}
	_, err = decodeBatch([]byte("garbage"))
	assert.ErrorContains(t, err, "decoding a batch")
}

func auditDatasetOptions(t *testing.T) (o dataset.Options) {
	t.Helper()
	f := flags(t, "--group-col", "group", "--checks", "consistency")
	f.Data = "x.tsv"
	cfg, err := f.Config()
	require.NoError(t, err)
	folder, err := f.ModelFolder()
	require.NoError(t, err)
	cfg.Labels = folder.Labels
	st, err := audit.NewState(nil, cfg)
	require.NoError(t, err)
	return st.ReaderOptions()
}
