package tokenize

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// smallBPEMerges are the merges of smallBPE, rank = position. They are
// chosen so that merging in any order but lowest-rank-first gives other
// tokens: "! !" can build "!!!!" or "!!" + "!!!" depending on order; "0 0"
// (rank 3) outranks "2 0" (rank 4), so " 2000" must become Ġ2 00 0 and
// then Ġ2000, never Ġ 20 00.
var smallBPEMerges = [][2]string{
	{"!", "!"}, {"!!", "!"}, {"!!", "!!"}, // 0-2
	{"0", "0"}, {"2", "0"}, {"Ġ", "2"}, {"Ġ2", "00"}, {"Ġ200", "0"}, // 3-7
	{"o", "o"}, {"s", "o"}, // 8-9
	{"Ċ", "Ċ"},               // 10: "\n\n" as one token, if the pre-tokenizer lets it
	{"Â", "ł"}, {"Âł", "Âł"}, // 11-12: U+00A0 is bytes C2 A0 = "Â" "ł"; two of them one token
	{"Ġ", "b"}, {"Ġ", "Ġ"}, // 13-14
}

// smallBPE is a RoBERTa-shaped tokenizer (see robertaTokenizerJSON) with
// smallBPEMerges.
func smallBPE(t *testing.T) *Tokenizer {
	cfg := robertaTokenizerJSON()
	model := cfg["model"].(map[string]any)
	vocab := map[string]int{"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3}
	for _, c := range byteLevelAlphabet() {
		vocab[c] = len(vocab)
	}
	var merges []any
	for i, m := range smallBPEMerges {
		if _, ok := vocab[m[0]+m[1]]; !ok {
			vocab[m[0]+m[1]] = len(vocab)
		}
		if i%2 == 0 { // both spellings Hugging Face writes: "a b" and ["a", "b"]
			merges = append(merges, m[0]+" "+m[1])
		} else {
			merges = append(merges, []string{m[0], m[1]})
		}
	}
	model["vocab"], model["merges"] = vocab, merges
	added := cfg["added_tokens"].([]map[string]any)
	added[len(added)-1]["id"] = len(vocab) // <mask>
	return fromJSON(t, cfg)
}

// TestByteLevelBPEByHand checks tokens, offsets and words against values
// derived by hand from the algorithm's definition:
//
//  1. split the text with GPT-2's regex (first alternative that matches at
//     each position; \s+(?!\S) leaves the last whitespace character of a
//     run before a non-space to start the next match);
//  2. write each match's bytes as bytes_to_unicode characters (' ' is Ġ,
//     '\n' is Ċ, U+00A0 is C2 A0 = Âł);
//  3. repeatedly merge the adjacent pair of lowest rank (leftmost on ties)
//     until no pair has a merge.
//
// The derivation of each case is in its comment.
func TestByteLevelBPEByHand(t *testing.T) {
	tk := smallBPE(t)
	require.NotNil(t, tk.bpe)
	cases := []struct {
		text    string
		tokens  []string
		offsets [][2]int
		words   []int
	}{
		// One pre-token. ! ! ! ! !: rank 0 at 0 -> !! ! ! !; rank 0 at 2 ->
		// !! !! !; now (!!,!!) has rank 2 and (!!,!) rank 1 -> !! !!!.
		{"!!!!!", []string{"!!", "!!!"}, [][2]int{{0, 2}, {2, 5}}, []int{0, 0}},
		// ! ! ! ! -> !! ! ! -> !! !! -> !!!! (rank 2).
		{"!!!!", []string{"!!!!"}, [][2]int{{0, 4}}, []int{0}},
		// " 2000" is one pre-token (` ?\p{N}+`): Ġ 2 0 0 0. Lowest rank is
		// (0,0)=3, leftmost -> Ġ 2 00 0; (2,0)=4 is gone; (Ġ,2)=5 -> Ġ2 00
		// 0; (Ġ2,00)=6 -> Ġ200 0; (Ġ200,0)=7 -> Ġ2000. The offsets lose the
		// space (trim_offsets).
		{"in 2000", []string{"i", "n", "Ġ2000"}, [][2]int{{0, 1}, {1, 2}, {3, 7}}, []int{0, 0, 1}},
		// s o o o o: (o,o)=8 at 1 -> s oo o o; at 3 -> s oo oo; (s,o) is gone.
		{"soooo", []string{"s", "oo", "oo"}, [][2]int{{0, 1}, {1, 3}, {3, 5}}, []int{0, 0, 0}},
		// \s+(?!\S) on "\n\n" before b matches only the first \n; the second
		// is \s+ alone. Two pre-tokens, so the Ċ Ċ merge never applies.
		{"a\n\nb", []string{"a", "Ċ", "Ċ", "b"}, [][2]int{{0, 1}, {1, 2}, {2, 3}, {3, 4}}, []int{0, 1, 2, 3}},
		// "\n\n\n" before b: the first two, then the last alone -> ĊĊ Ċ.
		{"a\n\n\nb", []string{"a", "ĊĊ", "Ċ", "b"}, [][2]int{{0, 1}, {1, 3}, {3, 4}, {4, 5}}, []int{0, 1, 2, 3}},
		// At the end of the text (?!\S) holds for the whole run.
		{"x\n\n", []string{"x", "ĊĊ"}, [][2]int{{0, 1}, {1, 3}}, []int{0, 1}},
		// U+00A0 is \s too: two of them before b split like "\n\n".
		{"a\u00a0\u00a0b", []string{"a", "Âł", "Âł", "b"}, [][2]int{{0, 1}, {1, 3}, {3, 5}, {5, 6}}, []int{0, 1, 2, 3}},
		// Two spaces before b: the first alone (Ġ, trimmed to an empty span
		// at its end), the second leads " b" (` ?\p{L}+`).
		{"a  b", []string{"a", "Ġ", "Ġb"}, [][2]int{{0, 1}, {2, 2}, {3, 4}}, []int{0, 1, 2}},
		// Three trailing spaces: one match (end of text), ĠĠ + Ġ by rank 14.
		{"b   ", []string{"b", "ĠĠ", "Ġ"}, [][2]int{{0, 1}, {3, 3}, {4, 4}}, []int{0, 1, 1}},
		// Contractions are their own pre-tokens; "'x" is punctuation.
		{"it's 'x", []string{"i", "t", "'", "s", "Ġ", "'", "x"}, [][2]int{{0, 1}, {1, 2}, {2, 3}, {3, 4}, {5, 5}, {5, 6}, {6, 7}}, []int{0, 0, 1, 1, 2, 2, 3}},
	}
	for _, c := range cases {
		e, err := tk.Encode(c.text)
		require.NoError(t, err)
		n := e.Len()
		assert.Equal(t, c.tokens, e.Tokens[1:n-1], "tokens of %q", c.text)
		assert.Equal(t, c.offsets, e.Offsets[1:n-1], "offsets of %q", c.text)
		assert.Equal(t, c.words, e.WordIDs[1:n-1], "words of %q", c.text)
		for i := 1; i < n-1; i++ {
			assert.Equal(t, tk.ids[e.Tokens[i]], e.IDs[i], "id of %q", e.Tokens[i])
		}
	}
}

func TestGPT2Split(t *testing.T) {
	cases := map[string][]string{
		"Hello world":          {"Hello", " world"},
		"  x":                  {" ", " x"},
		"a\t\n b":              {"a", "\t\n", " b"},
		"a \n b":               {"a", " \n", " b"},
		"x\u3000\u3000y":       {"x", "\u3000", "\u3000", "y"},
		"they're 'll'd":        {"they", "'re", " '", "ll", "'d"},
		"R2D2 1,000!? é ٣٤":    {"R", "2", "D", "2", " 1", ",", "000", "!?", " é", " ٣٤"},
		"x \u00a0y":            {"x", " ", "\u00a0", "y"},
		"":                     nil,
		" ":                    {" "},
		"end. \n":              {"end", ".", " \n"},
		"\U0001F525\U0001F525": {"\U0001F525\U0001F525"},
	}
	for text, want := range cases {
		var got []string
		for _, p := range gpt2Split(text, nil) {
			got = append(got, text[p.start:p.end])
		}
		assert.Equal(t, want, got, "gpt2Split(%q)", text)
	}
}

// The real roberta-base tokenizer against bpe_reference.json, written by
// testdata/bpe_reference.py: GPT-2's regex run by Python's re and OpenAI's
// original BPE loop, a program independent of this one.
func TestRoBERTaReference(t *testing.T) {
	path := filepath.Join("..", "..", "shared", "data", "tokenizers", "roberta-base", "tokenizer.json")
	if _, err := os.Stat(path); err != nil {
		t.Skipf("the real roberta-base tokenizer is not here (%v): it lives in ../shared/data/tokenizers/roberta-base/", err)
	}
	tk, err := Load(path)
	require.NoError(t, err)
	require.NotNil(t, tk.bpe)
	data, err := os.ReadFile(filepath.Join("testdata", "bpe_reference.json"))
	require.NoError(t, err)
	var ref struct {
		Cases []struct {
			Text   string   `json:"text"`
			Tokens []string `json:"tokens"`
			IDs    []int64  `json:"ids"`
		} `json:"cases"`
	}
	require.NoError(t, json.Unmarshal(data, &ref))
	require.GreaterOrEqual(t, len(ref.Cases), 30)
	for _, c := range ref.Cases {
		e, err := tk.Encode(c.Text)
		require.NoError(t, err)
		n := e.Len()
		assert.Equal(t, c.Tokens, e.Tokens[1:n-1], "tokens of %q", c.Text)
		assert.Equal(t, append(append([]int64{0}, c.IDs...), 2), e.IDs, "ids of %q", c.Text)
		checkSpans(t, e)
	}
	// The cases, by name, as Hugging Face gives them.
	for text, want := range map[string][]string{
		" 2000": {"Ġ2000"}, "!!!!!": {"!!!!!"}, "......": {"......"}, "a\n\nb": {"a", "Ċ", "Ċ", "b"},
		"a\u00a0\u00a0b": {"a", "Âł", "Âł", "b"},
	} {
		e, err := tk.Encode(text)
		require.NoError(t, err)
		assert.Equal(t, want, e.Tokens[1:e.Len()-1], "tokens of %q", text)
	}
	e, err := tk.Encode("Good <mask>\n\nfilm")
	require.NoError(t, err)
	assert.Equal(t, []string{"<s>", "Good", "<mask>", "Ċ", "Ċ", "film", "</s>"}, e.Tokens)
	assert.Equal(t, [][2]int{{0, 0}, {0, 4}, {5, 11}, {11, 12}, {12, 13}, {13, 17}, {0, 0}}, e.Offsets)
}

// checkSpans: every text token's span is inside the text, in order, on
// character boundaries.
func checkSpans(t *testing.T, e *Encoding) {
	t.Helper()
	prev := 0
	for i, o := range e.Offsets {
		if e.Special[i] {
			continue
		}
		if !assert.True(t, o[0] <= o[1] && o[1] <= len(e.Text), "token %d %q of %q: span %v", i, e.Tokens[i], e.Text, o) {
			continue
		}
		assert.GreaterOrEqual(t, o[1], prev, "token %d of %q ends before the one before it", i, e.Text)
		prev = o[0]
	}
}

// add_prefix_space (GPT-2-style files, some RoBERTa exports): each span of
// text between added tokens gets a space before it unless it starts with
// one; that space covers no text, so offsets stay on the words.
func TestByteLevelAddPrefixSpace(t *testing.T) {
	cfg := robertaTokenizerJSON()
	cfg["pre_tokenizer"].(map[string]any)["add_prefix_space"] = true
	tk := fromJSON(t, cfg)
	require.NotNil(t, tk.bpe)
	e, err := tk.Encode("hello world")
	require.NoError(t, err)
	assert.Equal(t, []string{"<s>", "Ġhello", "Ġworld", "</s>"}, e.Tokens)
	assert.Equal(t, [][2]int{{0, 0}, {0, 5}, {6, 11}, {0, 0}}, e.Offsets)
	e, err = tk.Encode("hello<mask>hello")
	require.NoError(t, err)
	assert.Equal(t, []string{"<s>", "Ġhello", "<mask>", "Ġhello", "</s>"}, e.Tokens)
	assert.Equal(t, [][2]int{{0, 0}, {0, 5}, {5, 11}, {11, 16}, {0, 0}}, e.Offsets)
	// A synthetic space that merges with nothing is a token with an empty
	// span where its text starts.
	e, err = tk.Encode("!")
	require.NoError(t, err)
	assert.Equal(t, []string{"<s>", "Ġ", "!", "</s>"}, e.Tokens)
	assert.Equal(t, [][2]int{{0, 0}, {0, 0}, {0, 1}, {0, 0}}, e.Offsets)

	// Without trim_offsets (a TemplateProcessing post-processor), spans
	// keep the spaces a token holds.
	cfg = robertaTokenizerJSON()
	cfg["post_processor"] = map[string]any{"type": "TemplateProcessing",
		"single":         []any{map[string]any{"SpecialToken": map[string]any{"id": "<s>", "type_id": 0}}, map[string]any{"Sequence": map[string]any{"id": "A", "type_id": 0}}},
		"special_tokens": map[string]any{"<s>": map[string]any{"id": "<s>", "ids": []int{0}, "tokens": []string{"<s>"}}}}
	tk = fromJSON(t, cfg)
	e, err = tk.Encode("hello world")
	require.NoError(t, err)
	assert.Equal(t, []string{"<s>", "hello", "Ġworld"}, e.Tokens)
	assert.Equal(t, [][2]int{{0, 0}, {0, 5}, {5, 11}}, e.Offsets)
}

func TestByteLevelConfigErrors(t *testing.T) {
	cfg := robertaTokenizerJSON()
	cfg["model"].(map[string]any)["merges"] = []any{"Ġ w", "nospace"}
	data, err := json.Marshal(cfg)
	require.NoError(t, err)
	_, err = parse(data)
	assert.ErrorContains(t, err, `model.merges[1]: "nospace" is not two symbols separated by one space`)

	cfg = robertaTokenizerJSON()
	cfg["model"].(map[string]any)["merges"] = []any{"q z"}
	data, err = json.Marshal(cfg)
	require.NoError(t, err)
	_, err = parse(data)
	assert.ErrorContains(t, err, `"q" + "z" gives "qz", which is not in the vocabulary`)

	// Dropout is random by design: that BPE stays with sugarme.
	cfg = robertaTokenizerJSON()
	cfg["model"].(map[string]any)["dropout"] = 0.1
	data, err = json.Marshal(cfg)
	require.NoError(t, err)
	assert.False(t, isByteLevelBPE(mustConfig(t, data)))
}

func mustConfig(t *testing.T, data []byte) fileConfig {
	t.Helper()
	var cfg fileConfig
	require.NoError(t, json.Unmarshal(data, &cfg))
	return cfg
}

// A "byte-level" file whose vocabulary lacks some bytes is not run here
// (it would need Hugging Face's unknown-token rules): sugarme runs it.
func TestByteLevelWithoutAllBytesGoesToSugarme(t *testing.T) {
	cfg := robertaTokenizerJSON()
	vocab := cfg["model"].(map[string]any)["vocab"].(map[string]int)
	delete(vocab, "Ā") // byte 0x00
	cfg["model"].(map[string]any)["vocab"] = vocab
	tk := fromJSON(t, cfg)
	assert.Nil(t, tk.bpe)
	assert.NotNil(t, tk.sugar)
}
