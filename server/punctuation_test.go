package server

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// parameters.punctuation false leaves punctuation marks out of the
// features, as `lucid explain --punctuation=false` does; absent, they are
// features, and words are a reader's words.
func TestExplainPunctuationParameter(t *testing.T) {
	_, ts := newTest(t, batchingOn())
	text := "a well-made, witty movie that doesn't drag!"
	words := func(p map[string]any) []string {
		var out []string
		for _, f := range explainJSON(t, ts.URL, text, p).Features {
			out = append(out, f.Text)
		}
		return out
	}
	assert.Equal(t, []string{"a", "well-made", ",", "witty", "movie", "that", "doesn't", "drag", "!"}, words(map[string]any{"method": "occlusion"}))
	assert.Equal(t, []string{"a", "well-made", "witty", "movie", "that", "doesn't", "drag"}, words(map[string]any{"method": "occlusion", "punctuation": false}))
}
