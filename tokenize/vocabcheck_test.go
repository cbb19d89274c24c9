package tokenize

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var smallVocab = []string{"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "film", "##s", "good"}

// Ids outside [0, entries) are refused before any table is built: a 1e9 id
// would have asked for a 16 GB token table, a negative one silently mapped
// a token onto another's embedding.
func TestVocabIDsAreChecked(t *testing.T) {
	cases := []struct {
		name string
		edit func(cfg map[string]any)
		want string
	}{
		{"huge vocabulary id", func(cfg map[string]any) {
			cfg["model"].(map[string]any)["vocab"].(map[string]int)["good"] = 1_000_000_000
		}, `"good" has id 1000000000, outside [0, `},
		{"negative vocabulary id", func(cfg map[string]any) {
			cfg["model"].(map[string]any)["vocab"].(map[string]int)["film"] = -3
		}, `"film" has id -3`},
		{"huge added token id", func(cfg map[string]any) {
			cfg["added_tokens"] = append(cfg["added_tokens"].([]map[string]any), map[string]any{"id": 1 << 40, "content": "<x>"})
		}, `added token "<x>" has id 1099511627776`},
		{"special token id past the vocabulary", func(cfg map[string]any) {
			pp := cfg["post_processor"].(map[string]any)["special_tokens"].(map[string]any)
			pp["[CLS]"] = map[string]any{"id": "[CLS]", "ids": []int{900_000_000}, "tokens": []string{"[CLS]"}}
		}, `special token "[CLS]" has id 900000000`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := bertTokenizerJSON(smallVocab, bertNormalizerJSON(nil))
			c.edit(cfg)
			data, err := json.Marshal(cfg)
			if err != nil {
				t.Fatal(err)
			}
			_, err = Parse("tok.json", data)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v: want one containing %q", err, c.want)
			}
		})
	}
	// The unedited file loads.
	fromJSON(t, bertTokenizerJSON(smallVocab, bertNormalizerJSON(nil)))
}

func TestLoadRefusesHugeFile(t *testing.T) {
	if _, err := os.Stat("/dev/zero"); err != nil {
		t.Skip("no /dev/zero")
	}
	dir := t.TempDir()
	link := filepath.Join(dir, "tokenizer.json")
	if err := os.Symlink("/dev/zero", link); err != nil {
		t.Fatal(err)
	}
	_, err := Load(link)
	if err == nil || !strings.Contains(err.Error(), link) || !strings.Contains(err.Error(), "256 MiB") {
		t.Fatalf("error %v: want the cap named, with the file", err)
	}
}

// FuzzParse feeds tokenizer.json variants to Parse: it must return a
// tokenizer or an error, never panic or allocate past the vocabulary's
// bound; a tokenizer it returns must encode a text without panicking.
func FuzzParse(f *testing.F) {
	seed, err := json.Marshal(bertTokenizerJSON(smallVocab, bertNormalizerJSON(nil)))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	rob, err := json.Marshal(robertaTokenizerJSON())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(rob)
	f.Add([]byte(`{"model":{"type":"WordPiece","vocab":{"a":1000000000}}}`))
	f.Add([]byte(`{"model":{"type":"WordPiece","vocab":{"[UNK]":-1}},"added_tokens":[{"id":-7,"content":"x"}]}`))
	f.Add([]byte(`{"model":{"type":"Unigram","vocab":[["a",0.1]]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		tk, err := Parse("fuzz", data)
		if err != nil {
			return
		}
		if n := tk.VocabSize(); n > MaxVocabSize+64 {
			t.Fatalf("vocabulary size %d past the cap", n)
		}
		tk.Encode("the films are good")
	})
}
