package tokenize

import (
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The byte-level BPE path, on a small RoBERTa-shaped tokenizer (byte-level BPE,
// <s> ... </s>, <mask> with lstrip).
func TestEncodeRoBERTa(t *testing.T) {
	tk := fromJSON(t, robertaTokenizerJSON())
	require.NotNil(t, tk.bpe, "byte-level BPE runs here, not through sugarme")
	tests := []struct {
		name    string
		text    string
		ids     []int64
		words   []int
		offsets [][2]int
	}{
		{"words with their leading space", "hello world",
			[]int64{0, 268, 264, 2}, []int{-1, 0, 1, -1}, [][2]int{{0, 0}, {0, 5}, {6, 11}, {0, 0}}},
		{"empty", "", []int64{0, 2}, []int{-1, -1}, [][2]int{{0, 0}, {0, 0}}},
		// Bytes of one character share its span; <mask> swallows the two
		// spaces before it (lstrip) and is a word of its own.
		{"bytes, emoji and <mask>", "Café 🔥 world  <mask> hello",
			[]int64{0, 71, 101, 106, 199, 173, 36, 244, 163, 152, 169, 264, 270, 269, 2},
			[]int{-1, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 3, 4, -1},
			[][2]int{{0, 0}, {0, 1}, {1, 2}, {2, 3}, {3, 5}, {3, 5}, {6, 6}, {6, 10}, {6, 10}, {6, 10}, {6, 10},
				{11, 16}, {18, 24}, {25, 30}, {0, 0}}},
		{"mask glued to a word", "hello<mask>",
			[]int64{0, 268, 270, 2}, []int{-1, 0, 1, -1}, [][2]int{{0, 0}, {0, 5}, {5, 11}, {0, 0}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := tk.Encode(tt.text)
			require.NoError(t, err)
			assert.Equal(t, tt.ids, e.IDs)
			assert.Equal(t, tt.words, e.WordIDs)
			assert.Equal(t, tt.offsets, e.Offsets)
			n := len(tt.ids)
			special := make([]bool, n)
			special[0], special[n-1] = true, true
			assert.Equal(t, special, e.Special)
			assert.Equal(t, "<s>", e.Tokens[0])
			assert.Equal(t, "</s>", e.Tokens[n-1])
			assert.Equal(t, make([]int64, n), e.TypeIDs)
			assert.Equal(t, ones(n), e.AttentionMask)
			assert.Equal(t, n, e.FullLength)
		})
	}

	mask, ok := tk.MaskID()
	assert.True(t, ok)
	assert.Equal(t, int64(270), mask)
	assert.Equal(t, int64(1), tk.PadID())
	unk, ok := tk.UnkID()
	assert.True(t, ok)
	assert.Equal(t, int64(3), unk)
	assert.Equal(t, 271, tk.VocabSize())
	assert.Equal(t, "Ġworld", tk.TokenString(264))
	assert.True(t, tk.PadShiftsPositions(), "RobertaProcessing: a RoBERTa-family model")
	assert.False(t, bertTokenizer(t).PadShiftsPositions())
}

func TestEncodeRoBERTaTruncation(t *testing.T) {
	tk := fromJSON(t, robertaTokenizerJSON())
	tk.SetMaxLength(4)
	e, err := tk.Encode("hello world hello")
	require.NoError(t, err)
	assert.Equal(t, []int64{0, 268, 264, 2}, e.IDs)
	assert.True(t, e.Truncated)
	assert.Equal(t, 5, e.FullLength)
	assert.Equal(t, []bool{true, false, false, true}, e.Special)

	_, err = tk.Encode("bad \xc0 byte")
	assert.ErrorIs(t, err, ErrInvalidUTF8)
}

// sugarme's tokenizer is shared behind a lock; run with -race.
func TestConcurrentEncodeRoBERTa(t *testing.T) {
	tk := fromJSON(t, robertaTokenizerJSON())
	texts := []string{"hello world", "Café 🔥", "world <mask> hello", strings.Repeat("hello ", 50)}
	want, err := tk.EncodeBatch(texts)
	require.NoError(t, err)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 20 {
				k := (g + i) % len(texts)
				e, err := tk.Encode(texts[k])
				assert.NoError(t, err)
				assert.Equal(t, want[k], e)
			}
		})
	}
	wg.Wait()
}
