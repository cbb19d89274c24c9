package tokenize

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Expected ids come from scripts/export_models.py's reference WordPiece
// (bert-base-uncased vocabulary); offsets and word ids are worked out by
// hand from the bytes of each text.
func TestEncodeBERT(t *testing.T) {
	tk := bertTokenizer(t)
	const cls, sep = 101, 102
	tests := []struct {
		name    string
		text    string
		ids     []int64 // text tokens only: [CLS] and [SEP] are checked for all
		words   []int
		offsets [][2]int
	}{
		{"subwords of one word", "unaffable",
			[]int64{14477, 20961, 3468}, []int{0, 0, 0}, [][2]int{{0, 3}, {3, 6}, {6, 9}}},
		{"accents stripped, offsets cover the accented bytes", "Café naïve",
			[]int64{7668, 15743}, []int{0, 1}, [][2]int{{0, 5}, {6, 12}}},
		{"combining accent typed after its letter", "Cafe\u0301",
			[]int64{7668}, []int{0}, [][2]int{{0, 6}}},
		{"dotted capital I lowercases to i", "İstanbul",
			[]int64{9960}, []int{0}, [][2]int{{0, 9}}},
		{"each punctuation mark is a word", "wow!!!...",
			[]int64{10166, 999, 999, 999, 1012, 1012, 1012}, []int{0, 1, 2, 3, 4, 5, 6},
			[][2]int{{0, 3}, {3, 4}, {4, 5}, {5, 6}, {6, 7}, {7, 8}, {8, 9}}},
		{"contraction is three words", "can't",
			[]int64{2064, 1005, 1056}, []int{0, 1, 2}, [][2]int{{0, 3}, {3, 4}, {4, 5}}},
		{"each CJK ideograph is a word", "東京",
			[]int64{1879, 1755}, []int{0, 1}, [][2]int{{0, 3}, {3, 6}}},
		{"emoji is one [UNK] over its four bytes", "🔥",
			[]int64{100}, []int{0}, [][2]int{{0, 4}}},
		{"tab, newline, no-break space, CRLF all separate", "a\tb\nc\u00a0d  e\r\n",
			[]int64{1037, 1038, 1039, 1040, 1041}, []int{0, 1, 2, 3, 4},
			[][2]int{{0, 1}, {2, 3}, {4, 5}, {7, 8}, {10, 11}}},
		{"zero-width space is dropped, not a separator", "x\u200by",
			[]int64{1060, 2100}, []int{0, 0}, [][2]int{{0, 1}, {4, 5}}},
		{"Hangul decomposes to jamo sharing their syllable's span", "한국어",
			[]int64{1469, 30006, 30021, 29991, 30014, 30020, 29999, 30008}, []int{0, 0, 0, 0, 0, 0, 0, 0},
			[][2]int{{0, 3}, {0, 3}, {0, 3}, {3, 6}, {3, 6}, {3, 6}, {6, 9}, {6, 9}}},
		{"typed [MASK] is the mask token, a word of its own", "a [MASK] b",
			[]int64{1037, 103, 1038}, []int{0, 1, 2}, [][2]int{{0, 1}, {2, 8}, {9, 10}}},
		{"added tokens match case-sensitively", "[mask]",
			[]int64{1031, 7308, 1033}, []int{0, 1, 2}, [][2]int{{0, 1}, {1, 5}, {5, 6}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := tk.Encode(tt.text)
			require.NoError(t, err)
			n := len(tt.ids) + 2
			assert.Equal(t, append(append([]int64{cls}, tt.ids...), sep), e.IDs, "ids")
			assert.Equal(t, append(append([]int{-1}, tt.words...), -1), e.WordIDs, "word ids")
			assert.Equal(t, append(append([][2]int{{0, 0}}, tt.offsets...), [2]int{0, 0}), e.Offsets, "offsets")
			assert.Equal(t, tt.text, e.Text)
			assert.Equal(t, make([]int64, n), e.TypeIDs, "type ids")
			assert.Equal(t, ones(n), e.AttentionMask, "attention mask")
			wantSpecial := make([]bool, n)
			wantSpecial[0], wantSpecial[n-1] = true, true
			assert.Equal(t, wantSpecial, e.Special, "special")
			for i, id := range e.IDs {
				assert.Equal(t, tk.TokenString(id), e.Tokens[i], "token %d", i)
			}
			assert.False(t, e.Truncated)
			assert.Equal(t, n, e.FullLength)
			assert.Equal(t, n, e.Len())
		})
	}
}

func ones(n int) []int64 {
	out := make([]int64, n)
	for i := range out {
		out[i] = 1
	}
	return out
}

// The sentence from the design notes, with every token's source span.
func TestEncodeMixedSentence(t *testing.T) {
	tk := bertTokenizer(t)
	text := "unaffable Café naïve, résumé — déjà vu. 東京 🔥 can't"
	e, err := tk.Encode(text)
	require.NoError(t, err)
	assert.Equal(t, []int64{101, 14477, 20961, 3468, 7668, 15743, 1010, 13746, 1517, 2139, 3900, 24728, 1012,
		1879, 1755, 100, 2064, 1005, 1056, 102}, e.IDs)
	assert.Equal(t, []string{"[CLS]", "una", "##ffa", "##ble", "cafe", "naive", ",", "resume", "—", "de", "##ja",
		"vu", ".", "東", "京", "[UNK]", "can", "'", "t", "[SEP]"}, e.Tokens)
	assert.Equal(t, []string{"una", "ffa", "ble", "Café", "naïve", ",", "résumé", "—", "dé", "jà", "vu", ".",
		"東", "京", "🔥", "can", "'", "t"}, spans(e))
	assert.Equal(t, []int{-1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 6, 7, 8, 9, 10, 11, 12, 13, 14, -1}, e.WordIDs)
}

func TestEncodeEmptyAndWhitespace(t *testing.T) {
	tk := bertTokenizer(t)
	for _, text := range []string{"", " ", "\t\n\r ", "\u00a0\u3000\u2003", "\u200b\u0000"} {
		t.Run(strings.ToValidUTF8(text, "?"), func(t *testing.T) {
			e, err := tk.Encode(text)
			require.NoError(t, err)
			assert.Equal(t, []int64{101, 102}, e.IDs)
			assert.Equal(t, []string{"[CLS]", "[SEP]"}, e.Tokens)
			assert.Equal(t, []int{-1, -1}, e.WordIDs)
			assert.Equal(t, [][2]int{{0, 0}, {0, 0}}, e.Offsets)
			assert.Equal(t, []bool{true, true}, e.Special)
			assert.Equal(t, []int64{1, 1}, e.AttentionMask)
			assert.False(t, e.Truncated)
			assert.Equal(t, 2, e.FullLength)
		})
	}
}

func TestEncodeInvalidUTF8(t *testing.T) {
	tk := bertTokenizer(t)
	tests := []struct {
		text   string
		offset int
		b      byte
	}{
		{"ab\xffcd", 2, 0xff},
		{"\x80", 0, 0x80},
		{"héllo\xc3", 6, 0xc3},                 // a sequence cut short at the end
		{"ok \xed\xa0\x80 surrogate", 3, 0xed}, // UTF-16 surrogates are not UTF-8
	}
	for _, tt := range tests {
		_, err := tk.Encode(tt.text)
		require.Error(t, err, "%q", tt.text)
		assert.ErrorIs(t, err, ErrInvalidUTF8)
		var ue *UTF8Error
		require.ErrorAs(t, err, &ue)
		assert.Equal(t, tt.offset, ue.Offset, "%q", tt.text)
		assert.Equal(t, tt.b, ue.Byte, "%q", tt.text)
		assert.Contains(t, err.Error(), "byte offset")
	}
	// An encoded U+FFFD is valid UTF-8: BERT's clean_text drops it, inside
	// the word's span.
	e, err := tk.Encode("a\ufffdb")
	require.NoError(t, err)
	ab, err := tk.Encode("ab")
	require.NoError(t, err)
	assert.Equal(t, ab.IDs, e.IDs)
	assert.Equal(t, []string{"a\ufffdb"}, spans(e))

	_, err = tk.EncodeBatch([]string{"fine", "bad \xff"})
	assert.ErrorIs(t, err, ErrInvalidUTF8)
	assert.Contains(t, err.Error(), "text 1 of 2")
}

func TestEncodeLongText(t *testing.T) {
	tk := bertTokenizer(t)
	const unit = "the movie is wonderful . " // five tokens: 1996 3185 2003 6919 1012
	unitIDs := []int64{1996, 3185, 2003, 6919, 1012}
	reps := 100_000/len(unit) + 1
	text := strings.Repeat(unit, reps)
	require.GreaterOrEqual(t, len(text), 100_000)

	e, err := tk.Encode(text)
	require.NoError(t, err)
	require.Equal(t, 512, tk.MaxLength())
	assert.Equal(t, 512, e.Len())
	assert.True(t, e.Truncated)
	assert.Equal(t, 5*reps+2, e.FullLength, "FullLength counts every token of the text")
	assert.Equal(t, int64(101), e.IDs[0])
	assert.Equal(t, int64(102), e.IDs[511], "the cut keeps the closing [SEP]")
	assert.True(t, e.Special[511])
	assert.Equal(t, -1, e.WordIDs[511])
	for i := 1; i < 511; i++ {
		require.Equal(t, unitIDs[(i-1)%5], e.IDs[i], "token %d", i)
		require.Equal(t, i-1, e.WordIDs[i], "word %d", i)
	}
	// Offsets still index the original text: token 509 is word 508, the
	// fourth of its unit.
	last := e.Offsets[509]
	assert.Equal(t, (508/5)*len(unit)+strings.Index(unit, "wonderful"), last[0])
	assert.Equal(t, "wonderful", text[last[0]:last[1]])

	// One word over 100 characters is a single [UNK], like in Hugging Face.
	long := strings.Repeat("a", 101)
	e, err = tk.Encode("x " + long + " y")
	require.NoError(t, err)
	assert.Equal(t, []int64{101, 1060, 100, 1061, 102}, e.IDs)
	assert.Equal(t, [2]int{2, 103}, e.Offsets[2])
}

func TestMaxLength(t *testing.T) {
	tk := freshBERT(t)
	assert.Equal(t, DefaultMaxLength, tk.MaxLength())

	tk.SetMaxLength(6)
	e, err := tk.Encode("unaffable Café naïve")
	require.NoError(t, err)
	assert.Equal(t, []int64{101, 14477, 20961, 3468, 7668, 102}, e.IDs)
	assert.Equal(t, []int{-1, 0, 0, 0, 1, -1}, e.WordIDs)
	assert.True(t, e.Truncated)
	assert.Equal(t, 7, e.FullLength)

	// Exactly full is not truncated.
	tk.SetMaxLength(7)
	e, err = tk.Encode("unaffable Café naïve")
	require.NoError(t, err)
	assert.False(t, e.Truncated)
	assert.Equal(t, 7, e.FullLength)

	tk.SetMaxLength(1) // raised to the two special tokens
	assert.Equal(t, 2, tk.MaxLength())
	e, err = tk.Encode("hello")
	require.NoError(t, err)
	assert.Equal(t, []int64{101, 102}, e.IDs)
	assert.True(t, e.Truncated)
	assert.Equal(t, 3, e.FullLength)

	tk.SetMaxLength(0)
	assert.Equal(t, DefaultMaxLength, tk.MaxLength())

	// A file saved with truncation on sets the default, as in Hugging Face.
	cfg := bertTokenizerJSON(tinyVocab, bertNormalizerJSON(nil))
	cfg["truncation"] = map[string]any{"max_length": 3, "strategy": "LongestFirst", "stride": 0}
	small := fromJSON(t, cfg)
	assert.Equal(t, 3, small.MaxLength())
	e, err = small.Encode("i love cafe")
	require.NoError(t, err)
	assert.Equal(t, []int64{2, tinyID("i"), 3}, e.IDs)
	small.SetMaxLength(10)
	small.SetMaxLength(0)
	assert.Equal(t, 3, small.MaxLength())
}

func TestVocabulary(t *testing.T) {
	tk := bertTokenizer(t)
	mask, ok := tk.MaskID()
	assert.True(t, ok)
	assert.Equal(t, int64(103), mask)
	unk, ok := tk.UnkID()
	assert.True(t, ok)
	assert.Equal(t, int64(100), unk)
	assert.Equal(t, int64(0), tk.PadID())
	assert.Equal(t, 30522, tk.VocabSize())
	assert.Equal(t, "[CLS]", tk.TokenString(101))
	assert.Equal(t, "##ffa", tk.TokenString(20961))
	assert.Equal(t, "", tk.TokenString(-1))
	assert.Equal(t, "", tk.TokenString(30522))
}

func TestEncodeBatchMatchesEncode(t *testing.T) {
	tk := bertTokenizer(t)
	texts := []string{"", "unaffable", "Café naïve, résumé — déjà vu.", "東京 🔥 can't", "wow!!!...",
		strings.Repeat("long text ", 400), "a [MASK] b", "x\u200by"}
	for range 4 {
		texts = append(texts, texts...)
	}
	batch, err := tk.EncodeBatch(texts)
	require.NoError(t, err)
	require.Len(t, batch, len(texts))
	for i, text := range texts {
		one, err := tk.Encode(text)
		require.NoError(t, err)
		assert.Equal(t, one, batch[i], "text %d", i)
	}
	empty, err := tk.EncodeBatch(nil)
	require.NoError(t, err)
	assert.Empty(t, empty)
}

// Run with -race: many goroutines share one Tokenizer (and its scratch
// pool) and must each get their own text's answer.
func TestConcurrentEncode(t *testing.T) {
	tk := bertTokenizer(t)
	texts := []string{"unaffable", "Café naïve", "東京 🔥", "can't stop", "a [MASK] b", strings.Repeat("x y ", 300)}
	want := make([]*Encoding, len(texts))
	for i, text := range texts {
		var err error
		want[i], err = tk.Encode(text)
		require.NoError(t, err)
	}
	const goroutines = 8
	errs := make(chan error, goroutines)
	for g := range goroutines {
		go func() {
			for i := range 50 {
				k := (g + i) % len(texts)
				e, err := tk.Encode(texts[k])
				if err == nil && !assert.ObjectsAreEqual(want[k], e) {
					err = errors.New("different encoding of " + texts[k][:min(10, len(texts[k]))])
				}
				if err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range goroutines {
		assert.NoError(t, <-errs)
	}
}

// reference.json holds the ids scripts/export_models.py fed the model for
// a dozen sentences; the Go tokenizer must give the same.
func TestReferenceSentences(t *testing.T) {
	path := filepath.Join(modelDir, "reference.json")
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		t.Skipf("%s is not there yet (scripts/export_models.py train-default writes it); skipping the reference comparison", path)
	}
	require.NoError(t, err)
	var ref struct {
		Sentences []struct {
			Text     string  `json:"text"`
			InputIDs []int64 `json:"input_ids"`
		} `json:"sentences"`
	}
	require.NoError(t, json.Unmarshal(data, &ref))
	require.NotEmpty(t, ref.Sentences)
	tk, err := Load(modelTokenizer)
	require.NoError(t, err)
	tk.SetMaxLength(512) // the reference encodes with max_position_embeddings
	for _, s := range ref.Sentences {
		e, err := tk.Encode(s.Text)
		require.NoError(t, err, "%q", s.Text)
		assert.Equal(t, s.InputIDs, e.IDs, "%q", s.Text)
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
		return p
	}
	tests := []struct {
		name string
		path string
		want string
	}{
		{"missing", filepath.Join(dir, "nope.json"), "no such file"},
		{"not JSON", write("garbage.json", "{not json"), "not a tokenizer.json"},
		{"no model", write("empty.json", `{"version":"1.0"}`), "no model"},
		{"model of unexpected shape", write("odd.json", `{"model":{"type":"WordPiece","vocab":[1,2]}}`), "sugarme"},
		{"unknown unk token", write("unk.json", `{"model":{"type":"WordPiece","unk_token":"<nope>","vocab":{"a":0}},
			"pre_tokenizer":{"type":"BertPreTokenizer"}}`), `unk_token "<nope>"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tk, err := Load(tt.path)
			require.Error(t, err)
			assert.Nil(t, tk)
			assert.Contains(t, err.Error(), tt.path, "the error names the file")
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

// Parse reads tokenizer.json from memory exactly as Load reads the file.
func TestParseEqualsLoad(t *testing.T) {
	data, err := os.ReadFile(modelTokenizer)
	if err != nil {
		t.Skipf("the default model's tokenizer is not at %s: %v", modelTokenizer, err)
	}
	fromFile, err := Load(modelTokenizer)
	require.NoError(t, err)
	fromBytes, err := Parse("embedded/tokenizer.json", data)
	require.NoError(t, err)
	for _, text := range []string{"a gorgeous , witty , seductive movie .", "Café naïve, 東京 🔥!", ""} {
		a, err := fromFile.Encode(text)
		require.NoError(t, err)
		b, err := fromBytes.Encode(text)
		require.NoError(t, err)
		assert.Equal(t, a, b, text)
	}
	_, err = Parse("embedded/tokenizer.json", []byte("{"))
	assert.ErrorContains(t, err, "tokenize: embedded/tokenizer.json: not a tokenizer.json")
}
