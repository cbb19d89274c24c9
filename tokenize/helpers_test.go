package tokenize

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// The oracle for the BERT path is the shipped default model's tokenizer
// (written by scripts/export_models.py, whose reference WordPiece produced
// the expected ids below). Until that folder is committed, the same file is
// built here from the bert-base-uncased vocabulary inside the sugarme module.
const (
	modelDir       = "../models/sst2-mini-bert"
	modelTokenizer = modelDir + "/tokenizer.json"
)

var shared struct {
	once   sync.Once
	tk     *Tokenizer
	source string
	err    error
}

// bertTokenizer is the bert-base-uncased tokenizer every BERT test uses.
// Tests must not change its MaxLength; they load their own to do that.
func bertTokenizer(t testing.TB) *Tokenizer {
	t.Helper()
	shared.once.Do(func() {
		shared.tk, shared.source, shared.err = loadBERT()
	})
	if shared.err != nil {
		t.Fatalf("loading the bert-base-uncased tokenizer: %v", shared.err)
	}
	return shared.tk
}

// freshBERT loads a private copy, for tests that change settings.
func freshBERT(t testing.TB) *Tokenizer {
	t.Helper()
	tk, _, err := loadBERT()
	if err != nil {
		t.Fatalf("loading the bert-base-uncased tokenizer: %v", err)
	}
	return tk
}

func loadBERT() (*Tokenizer, string, error) {
	if _, err := os.Stat(modelTokenizer); err == nil {
		tk, err := Load(modelTokenizer)
		return tk, modelTokenizer, err
	}
	vocabPath, err := sugarmeVocab()
	if err != nil {
		return nil, "", err
	}
	vocab, err := readVocab(vocabPath)
	if err != nil {
		return nil, "", err
	}
	data, err := json.Marshal(bertTokenizerJSON(vocab, bertNormalizerJSON(nil)))
	if err != nil {
		return nil, "", err
	}
	tk, err := parse(data)
	return tk, vocabPath, err
}

// sugarmeVocab finds bert-base-uncased-vocab.txt in the module cache.
func sugarmeVocab() (string, error) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/sugarme/tokenizer").Output()
	if err != nil {
		return "", err
	}
	return filepath.Join(strings.TrimSpace(string(out)), "pretrained", "model", "bert-base-uncased-vocab.txt"), nil
}

func readVocab(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var vocab []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		vocab = append(vocab, sc.Text())
	}
	return vocab, sc.Err()
}

// bertNormalizerJSON is a BertNormalizer section; overrides replace fields
// (a nil value writes JSON null).
func bertNormalizerJSON(overrides map[string]any) map[string]any {
	n := map[string]any{"type": "BertNormalizer", "clean_text": true, "handle_chinese_chars": true, "strip_accents": nil, "lowercase": true}
	for k, v := range overrides {
		n[k] = v
	}
	return n
}

// bertTokenizerJSON is what scripts/export_models.py's tokenizer_json writes
// for a vocabulary (one token per line, [PAD] [UNK] [CLS] [SEP] [MASK]
// among them).
func bertTokenizerJSON(vocab []string, normalizer map[string]any) map[string]any {
	ids := map[string]int{}
	for i, w := range vocab {
		ids[w] = i
	}
	var added []map[string]any
	for _, tok := range []string{"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"} {
		if id, ok := ids[tok]; ok {
			added = append(added, map[string]any{"id": id, "content": tok, "single_word": false, "lstrip": false,
				"rstrip": false, "normalized": false, "special": true})
		}
	}
	special := func(name string) map[string]any {
		return map[string]any{"SpecialToken": map[string]any{"id": name, "type_id": 0}}
	}
	seq := func(name string, typ int) map[string]any {
		return map[string]any{"Sequence": map[string]any{"id": name, "type_id": typ}}
	}
	return map[string]any{
		"version": "1.0", "truncation": nil, "padding": nil, "added_tokens": added,
		"normalizer":    normalizer,
		"pre_tokenizer": map[string]any{"type": "BertPreTokenizer"},
		"post_processor": map[string]any{
			"type":   "TemplateProcessing",
			"single": []any{special("[CLS]"), seq("A", 0), special("[SEP]")},
			"pair":   []any{special("[CLS]"), seq("A", 0), special("[SEP]"), seq("B", 1), special("[SEP]")},
			"special_tokens": map[string]any{
				"[CLS]": map[string]any{"id": "[CLS]", "ids": []int{ids["[CLS]"]}, "tokens": []string{"[CLS]"}},
				"[SEP]": map[string]any{"id": "[SEP]", "ids": []int{ids["[SEP]"]}, "tokens": []string{"[SEP]"}},
			},
		},
		"decoder": map[string]any{"type": "WordPiece", "prefix": "##", "cleanup": true},
		"model": map[string]any{"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
			"max_input_chars_per_word": 100, "vocab": ids},
	}
}

// robertaTokenizerJSON is a small RoBERTa-shaped tokenizer: byte-level BPE
// over the 256 byte symbols plus a few merges, <s> ... </s> framing, and a
// <mask> that swallows the space before it (lstrip), as roberta-base has.
func robertaTokenizerJSON() map[string]any {
	vocab := map[string]int{"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3}
	for _, c := range byteLevelAlphabet() {
		vocab[c] = len(vocab)
	}
	var merges []string
	for _, m := range [][2]string{{"Ġ", "w"}, {"o", "r"}, {"Ġw", "or"}, {"l", "d"}, {"Ġwor", "ld"},
		{"h", "e"}, {"l", "l"}, {"he", "ll"}, {"hell", "o"}, {"Ġ", "hello"}} {
		vocab[m[0]+m[1]] = len(vocab)
		merges = append(merges, m[0]+" "+m[1])
	}
	mask := len(vocab)
	var added []map[string]any
	for _, a := range []struct {
		tok    string
		id     int
		lstrip bool
	}{{"<s>", 0, false}, {"<pad>", 1, false}, {"</s>", 2, false}, {"<unk>", 3, false}, {"<mask>", mask, true}} {
		added = append(added, map[string]any{"id": a.id, "content": a.tok, "single_word": false, "lstrip": a.lstrip,
			"rstrip": false, "normalized": false, "special": true})
	}
	return map[string]any{
		"version": "1.0", "truncation": nil, "padding": nil, "added_tokens": added, "normalizer": nil,
		"pre_tokenizer": map[string]any{"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true},
		"post_processor": map[string]any{"type": "RobertaProcessing", "sep": []any{"</s>", 2}, "cls": []any{"<s>", 0},
			"trim_offsets": true, "add_prefix_space": false},
		"decoder": map[string]any{"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true},
		"model": map[string]any{"type": "BPE", "dropout": nil, "unk_token": nil, "continuing_subword_prefix": "",
			"end_of_word_suffix": "", "fuse_unk": false, "byte_fallback": false, "vocab": vocab, "merges": merges},
	}
}

// byteLevelAlphabet is GPT-2's bytes_to_unicode: byte b is written as
// alphabet[b].
func byteLevelAlphabet() []string {
	printable := map[int]bool{}
	for b := '!'; b <= '~'; b++ {
		printable[int(b)] = true
	}
	for b := 0xA1; b <= 0xAC; b++ {
		printable[b] = true
	}
	for b := 0xAE; b <= 0xFF; b++ {
		printable[b] = true
	}
	out := make([]string, 256)
	n := 0
	for b := range 256 {
		if printable[b] {
			out[b] = string(rune(b))
		} else {
			out[b] = string(rune(256 + n))
			n++
		}
	}
	return out
}

// fromJSON builds a tokenizer from an in-memory tokenizer.json.
func fromJSON(t testing.TB, cfg map[string]any) *Tokenizer {
	t.Helper()
	data, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	tk, err := parse(data)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return tk
}

// spans returns Text[start:end] of every token that is not special.
func spans(e *Encoding) []string {
	var out []string
	for i, o := range e.Offsets {
		if !e.Special[i] {
			out = append(out, e.Text[o[0]:o[1]])
		}
	}
	return out
}
