package tokenize

import (
	"encoding/json"
	"os"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testdata/wordpiece_reference.json holds ~400 texts (SST-2 sentences,
// accents, scripts, emoji, controls, random Unicode) with the ids of the
// Python reference tokenizer; testdata/gen_wordpiece_reference.py wrote it.
// Besides the ids, every token's offsets must be a span of the text on
// character boundaries, in order.
func TestWordPieceReference(t *testing.T) {
	data, err := os.ReadFile("testdata/wordpiece_reference.json")
	require.NoError(t, err)
	var ref struct {
		Cases []struct {
			Text     string  `json:"text"`
			InputIDs []int64 `json:"input_ids"`
		} `json:"cases"`
	}
	require.NoError(t, json.Unmarshal(data, &ref))
	require.Greater(t, len(ref.Cases), 300)
	tk := bertTokenizer(t)
	for _, c := range ref.Cases {
		e, err := tk.Encode(c.Text)
		require.NoError(t, err, "%q", c.Text)
		assert.Equal(t, c.InputIDs, e.IDs, "%q", c.Text)
		prev := 0
		for i, o := range e.Offsets {
			if e.Special[i] {
				continue
			}
			ok := 0 <= o[0] && o[0] <= o[1] && o[1] <= len(c.Text) && o[0] >= prev &&
				utf8.ValidString(c.Text[o[0]:o[1]]) && o[0] < o[1]
			if !assert.True(t, ok, "%q: token %d offsets %v after %d", c.Text, i, o, prev) {
				break
			}
			prev = o[0]
		}
	}
}
