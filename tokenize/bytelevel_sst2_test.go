package tokenize

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// sst2Texts is the distinct sentences of SST-2's train.tsv (label, then
// sentence), or a skip when ../shared is absent.
func sst2Texts(t testing.TB) []string {
	t.Helper()
	path := filepath.Join("..", "..", "shared", "data", "sst2", "train.tsv")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Skipf("SST-2 train is not here (%v): it lives in ../shared/data/sst2/", err)
	}
	seen := map[string]bool{}
	var texts []string
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimRight(line, "\r")
		_, text, ok := strings.Cut(line, "\t")
		if i == 0 || !ok || seen[text] {
			continue
		}
		seen[text] = true
		texts = append(texts, text)
	}
	return texts
}

// Every distinct SST-2 train text through roberta-base: Lucid's ids equal
// those of testdata/bpe_reference.py (GPT-2's regex in Python's re,
// OpenAI's BPE loop) on all of them. The test also counts the texts whose
// ids sugarme's BPE (the path before this one) gets wrong, and logs a few.
func TestRoBERTaSST2AgainstReference(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: 67k texts through two tokenizers take about half a minute")
	}
	tokPath := filepath.Join("..", "..", "shared", "data", "tokenizers", "roberta-base", "tokenizer.json")
	if _, err := os.Stat(tokPath); err != nil {
		t.Skipf("the real roberta-base tokenizer is not here (%v): it lives in ../shared/data/tokenizers/roberta-base/", err)
	}
	texts := sst2Texts(t)
	python := "/usr/bin/python3"
	if _, err := os.Stat(python); err != nil {
		t.Skipf("%s is not here to run the reference: %v", python, err)
	}
	cmd := exec.Command(python, filepath.Join("testdata", "bpe_reference.py"), tokPath, "lines")
	cmd.Stdin = strings.NewReader(strings.Join(texts, "\n") + "\n")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "bpe_reference.py: %s", stderr.String())
	refLines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	require.Len(t, refLines, len(texts))

	tk, err := Load(tokPath)
	require.NoError(t, err)
	require.NotNil(t, tk.bpe)
	data, err := os.ReadFile(tokPath)
	require.NoError(t, err)
	old, err := parse(data)
	require.NoError(t, err)
	sk, err := loadSugarme(data)
	require.NoError(t, err)
	old.bpe, old.sugar = nil, &sugarPipeline{tk: sk}

	encs, err := tk.EncodeBatch(texts)
	require.NoError(t, err)
	olds, err := old.EncodeBatch(texts)
	require.NoError(t, err)
	mismatch, changed := 0, 0
	for i, e := range encs {
		var want []int64
		for _, f := range strings.Fields(refLines[i]) {
			id, err := strconv.ParseInt(f, 10, 64)
			require.NoError(t, err)
			want = append(want, id)
		}
		got := e.IDs[1 : e.Len()-1]
		if !slices.Equal(got, want) {
			mismatch++
			if mismatch <= 5 {
				t.Errorf("%q: Lucid %v, reference %v", texts[i], e.Tokens, want)
			}
		}
		if !slices.Equal(olds[i].IDs, e.IDs) {
			changed++
			if changed <= 40 { // all of them on SST-2 (30)
				t.Logf("changed from sugarme's: %q: %v -> %v", texts[i], olds[i].Tokens[1:olds[i].Len()-1], e.Tokens[1:e.Len()-1])
			}
		}
	}
	t.Logf("%d distinct SST-2 train texts: %d differ from the reference, %d tokenize differently from sugarme's BPE", len(texts), mismatch, changed)
	require.Zero(t, mismatch)
}
