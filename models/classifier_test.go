package models

import (
	"bufio"
	"context"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/tokenize"
)

var defaultDir = filepath.Join(DefaultName)

func loadDefault(t testing.TB) *Classifier {
	t.Helper()
	c, err := Load(defaultDir)
	require.NoError(t, err, "the shipped model must load (ONNX Runtime from scripts/setup_ort.sh)")
	t.Cleanup(func() { c.Close() })
	return c
}

type reference struct {
	Sentences []struct {
		Text     string    `json:"text"`
		InputIDs []int64   `json:"input_ids"`
		Logits   []float64 `json:"logits"`
	} `json:"sentences"`
}

// Go's tokens and logits for every sentence PyTorch scored at export time.
func TestReferenceLogitsMatchPyTorch(t *testing.T) {
	c := loadDefault(t)
	ref := matchReference(t, c, filepath.Join(defaultDir, "reference.json"))
	require.GreaterOrEqual(t, len(ref), 12)
}

// matchReference checks c against a folder's reference.json: every
// sentence's token ids exactly, and its logits within 1e-4 (a float32
// graph against the reference's forward pass). It returns the predictions.
func matchReference(t *testing.T, c *Classifier, path string) []Prediction {
	t.Helper()
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	var ref reference
	require.NoError(t, json.Unmarshal(raw, &ref))
	require.NotEmpty(t, ref.Sentences, path)
	texts := make([]string, len(ref.Sentences))
	for i, s := range ref.Sentences {
		texts[i] = s.Text
	}
	preds, err := c.Predict(context.Background(), texts)
	require.NoError(t, err)
	for i, s := range ref.Sentences {
		enc, err := c.Tokenizer.Encode(s.Text)
		require.NoError(t, err)
		assert.Equal(t, s.InputIDs, enc.IDs, "token ids of %q", s.Text)
		require.NoError(t, preds[i].Err)
		for k, want := range s.Logits {
			assert.InDelta(t, want, preds[i].Logits[k], 1e-4, "logit %d of %q", k, s.Text)
		}
	}
	return preds
}

// Batched prediction (padding, length sorting) equals one text at a time.
func TestPredictBatchedEqualsSingle(t *testing.T) {
	c := loadDefault(t)
	texts := []string{"a gorgeous , witty , seductive movie .", "bad", "the movie is a disaster from start to finish , and nobody should see it .", "", "ok"}
	c.BatchSize = 3
	all, err := c.Predict(context.Background(), texts)
	require.NoError(t, err)
	for i, text := range texts {
		one, err := c.Predict(context.Background(), []string{text})
		require.NoError(t, err)
		assert.Equal(t, one[0].Label, all[i].Label, text)
		assert.InDeltaSlice(t, one[0].Logits, all[i].Logits, 1e-5, text)
	}
}

func TestPredictBadInput(t *testing.T) {
	c := loadDefault(t)
	long := strings.Repeat("a wonderful film . ", 10000) // about 190 kB
	preds, err := c.Predict(context.Background(), []string{"", "   \t\n ", "caf\xe9 au lait", long, "fine"})
	require.NoError(t, err, "a bad text must not fail the others")

	// empty and whitespace-only: a defined result, the model's answer for [CLS] [SEP]
	assert.NoError(t, preds[0].Err)
	assert.NoError(t, preds[1].Err)
	assert.InDeltaSlice(t, preds[0].Logits, preds[1].Logits, 1e-6)
	assert.InDelta(t, 1.0, preds[0].Probabilities[0]+preds[0].Probabilities[1], 1e-9)

	// invalid UTF-8: an error that says so and where
	require.Error(t, preds[2].Err)
	assert.ErrorIs(t, preds[2].Err, tokenize.ErrInvalidUTF8)
	assert.Contains(t, preds[2].Err.Error(), "3")

	// a very long text is truncated to the model's length and flagged
	assert.NoError(t, preds[3].Err)
	assert.True(t, preds[3].Truncated)
	assert.False(t, preds[4].Truncated)
	assert.NotEmpty(t, preds[4].Label)
}

func TestPredictHonoursCancellation(t *testing.T) {
	c := loadDefault(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := c.Predict(ctx, []string{"anything"})
	assert.ErrorIs(t, err, context.Canceled)
}

func TestReadFolderErrors(t *testing.T) {
	dir := t.TempDir()
	_, err := ReadFolder(filepath.Join(dir, "nope"))
	assert.ErrorContains(t, err, "no such file or directory")

	_, err = ReadFolder(dir)
	assert.ErrorContains(t, err, "lacks [model.onnx tokenizer.json config.json]")

	for _, f := range []string{ModelFile, TokenizerFile} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, f), []byte("x"), 0o644))
	}
	for cfg, want := range map[string]string{
		`{`:                  "not valid JSON",
		`{"num_labels": -1}`: "num_labels -1: want 1 to",
		`{"num_labels": 3, "id2label": {"0": "a"}}`: "num_labels is 3 but id2label names 1 labels",
		`{"problem_type": "ranking"}`:               `head "ranking": want single-label, multi-label or regression`,
		`{"id2label": {"0": "a", "2": "b"}}`:        "1 is missing",
		`{"id2label": {"x": "a"}}`:                  `key "x" is not a label index`,
	} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, ConfigFile), []byte(cfg), 0o644))
		_, err = ReadFolder(dir)
		assert.ErrorContains(t, err, want, cfg)
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, ConfigFile), []byte(`{"id2label": {"1": "POS", "0": "NEG"}, "max_position_embeddings": 128}`), 0o644))
	f, err := ReadFolder(dir)
	require.NoError(t, err)
	assert.Equal(t, []string{"NEG", "POS"}, f.Labels)
	assert.Equal(t, 128, f.MaxLength)

	// a corrupt model.onnx fails at Load with the file named
	_, err = Load(dir)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "tokenizer.json")
}

func TestCorruptModelFile(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{TokenizerFile, ConfigFile} {
		b, err := os.ReadFile(filepath.Join(defaultDir, f))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, f), b, 0o644))
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, ModelFile), []byte("not an onnx file"), 0o644))
	_, err := Load(dir)
	require.Error(t, err)
	assert.Contains(t, err.Error(), filepath.Join(dir, ModelFile))
	assert.Contains(t, err.Error(), "is not a model ONNX Runtime can read")
}

func TestDefaultDir(t *testing.T) {
	t.Setenv(ModelEnv, "/somewhere/else")
	d, err := DefaultDir()
	require.NoError(t, err)
	assert.Equal(t, "/somewhere/else", d)

	t.Setenv(ModelEnv, "")
	d, err = DefaultDir() // found from this package's folder (models/)
	require.NoError(t, err)
	assert.Equal(t, DefaultName, filepath.Base(d))

	t.Chdir(t.TempDir())
	_, err = DefaultDir()
	assert.ErrorContains(t, err, "pass --model DIR")
}

// The model card's dev accuracy, reproduced through the Go engine on all
// of SST-2's dev set.
func TestDevAccuracyMatchesModelCard(t *testing.T) {
	devPath := filepath.Join("..", "..", "shared", "data", "sst2", "dev.tsv")
	f, err := os.Open(devPath)
	if err != nil {
		t.Skipf("SST-2 dev set not available at %s (it lives in ../shared beside the repository): %v", devPath, err)
	}
	defer f.Close()
	card, err := os.ReadFile(filepath.Join(defaultDir, "README.md"))
	require.NoError(t, err)
	m := regexp.MustCompile(`dev accuracy \| \*\*([0-9.]+)\*\*`).FindSubmatch(card)
	require.NotNil(t, m, "model card states the dev accuracy")
	want, _ := strconv.ParseFloat(string(m[1]), 64)

	var texts []string
	var labels []int
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	for sc.Scan() {
		parts := strings.SplitN(sc.Text(), "\t", 2)
		require.Len(t, parts, 2)
		l, err := strconv.Atoi(parts[0])
		require.NoError(t, err)
		labels = append(labels, l)
		texts = append(texts, parts[1])
	}
	require.Len(t, texts, 872)
	c := loadDefault(t)
	preds, err := c.Predict(context.Background(), texts)
	require.NoError(t, err)
	right := 0
	for i, p := range preds {
		if p.LabelIndex == labels[i] {
			right++
		}
	}
	acc := float64(right) / float64(len(texts))
	t.Logf("dev accuracy through the Go engine: %.4f (model card: %.4f)", acc, want)
	assert.InDelta(t, want, acc, 0.0015, "float32 ONNX Runtime vs PyTorch may flip at most one borderline sentence")
	assert.GreaterOrEqual(t, acc, 0.80)
}

// Issue 7, defect 8: duplicate or empty label names were accepted, making
// --target and --positive ambiguous or impossible.
func TestLabelNamesMustBeDistinctAndNamed(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{ModelFile, TokenizerFile} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, f), []byte("x"), 0o644))
	}
	for cfg, want := range map[string]string{
		`{"id2label": {"0": "POS", "1": "POS"}}`:       `labels 0 and 1 both "POS"`,
		`{"id2label": {"0": "pos", "1": "POS"}}`:       `labels 0 and 1 both "POS"`,
		`{"id2label": {"0": "NEG", "1": ""}}`:          `id2label "1" is an empty label name`,
		`{"id2label": {"0": "  ", "1": "POS"}}`:        `id2label "0" is an empty label name`,
		`{"id2label": {"0": "A", "1": "B", "2": "A"}}`: `labels 0 and 2 both "A"`,
	} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, ConfigFile), []byte(cfg), 0o644))
		_, err := ReadFolder(dir)
		assert.ErrorContains(t, err, want, cfg)
	}
}

// Issue 7, defect 8: a folder whose files exist but cannot be read was
// reported as lacking them.
func TestUnreadableFilesAreNotMissing(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, TokenizerFile), []byte("x"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, ConfigFile), []byte(`{"id2label": {"0": "A"}}`), 0o644))
	// a symlink loop exists but cannot be opened, even by root
	require.NoError(t, os.Symlink(ModelFile, filepath.Join(dir, ModelFile)))
	_, err := ReadFolder(dir)
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "lacks")
	assert.Contains(t, err.Error(), "too many levels of symbolic links")

	if os.Geteuid() == 0 {
		t.Log("running as root: file permissions do not apply, the permission case is skipped")
		return
	}
	require.NoError(t, os.Remove(filepath.Join(dir, ModelFile)))
	require.NoError(t, os.WriteFile(filepath.Join(dir, ModelFile), []byte("x"), 0o000))
	_, err = ReadFolder(dir)
	assert.ErrorIs(t, err, fs.ErrPermission)
	assert.ErrorContains(t, err, "permission denied")
	assert.NotContains(t, err.Error(), "lacks")
}

// linkedDefault is a folder holding the shipped model's files as links,
// with config.json replaced by cfg.
func linkedDefault(t *testing.T, cfg string) string {
	t.Helper()
	dir := t.TempDir()
	abs, err := filepath.Abs(defaultDir)
	require.NoError(t, err)
	for _, f := range []string{ModelFile, TokenizerFile} {
		require.NoError(t, os.Symlink(filepath.Join(abs, f), filepath.Join(dir, f)))
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, ConfigFile), []byte(cfg), 0o644))
	return dir
}

// Issue 7, defect 8: max_position_embeddings larger than the graph allows
// gave a raw ONNX Runtime error (twice) on the first long text. Load now
// refuses it with both numbers.
func TestMaxPositionsCheckedAgainstTheGraph(t *testing.T) {
	dir := linkedDefault(t, `{"model_type": "bert", "max_position_embeddings": 1024, "id2label": {"0": "NEGATIVE", "1": "POSITIVE"}}`)
	_, err := Load(dir)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "max_position_embeddings 1024")
	assert.Contains(t, err.Error(), "position-embedding table has 512 rows")

	// a config that does not say takes the graph's table
	dir = linkedDefault(t, `{"model_type": "bert", "id2label": {"0": "NEGATIVE", "1": "POSITIVE"}}`)
	c, err := Load(dir)
	require.NoError(t, err)
	defer c.Close()
	assert.Equal(t, 512, c.Folder.MaxLength)
	assert.Equal(t, 512, c.Tokenizer.MaxLength())
	preds, err := c.Predict(context.Background(), []string{strings.Repeat("good ", 700)})
	require.NoError(t, err, "a text longer than the table is truncated to it")
	assert.True(t, preds[0].Truncated)
}

func TestTextWarnings(t *testing.T) {
	assert.Equal(t, []string{EmptyTextWarning}, TextWarnings(" \t\n"))
	assert.Equal(t, []string{EmptyTextWarning}, TextWarnings(""))
	assert.Nil(t, TextWarnings("a fine film"))
}

func TestLabelsAboveTheirThresholds(t *testing.T) {
	labels := []string{"toxic", "insult", "threat"}
	probs := []float64{0.7773, 0.7311, 0.2018}
	assert.Equal(t, []string{"toxic", "insult"}, LabelsAbove(labels, probs, []float64{0.5, 0.5, 0.5}))
	assert.Equal(t, []string{"toxic", "threat"}, LabelsAbove(labels, probs, []float64{0.5, 0.9, 0.2}), "each its own threshold")
	assert.Equal(t, []string{"insult", "toxic"}, LabelsAbove(labels, []float64{0.6, 0.8, 0}, []float64{0.5, 0.5, 0.5}), "most probable first")
	assert.Equal(t, []string{"toxic", "insult"}, LabelsAbove(labels, []float64{0.6, 0.6, 0}, []float64{0.5, 0.5, 0.5}), "ties in label order")
	got := LabelsAbove(labels, probs, []float64{1, 1, 1})
	assert.NotNil(t, got)
	assert.Empty(t, got)
}
