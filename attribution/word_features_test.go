package attribution

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/fairness/consistency"
	"github.com/lucid-nlp/lucid/perturb"
)

// negativeContraction is a reader's negative contraction: "don't", "isn’t",
// "won't", "ain't", "n't" (pre-split SST-2 text).
var negativeContraction = regexp.MustCompile(`(?i)^\p{L}*n['’]t$`)

// With word features that follow a reader's words, every negative
// contraction of the raw-text set is one feature, and both places that
// look for negations (the summary's IsNegation on a feature, the audit's
// consistency.HasNegation on a text) recognise it; the pieces the old
// tokenizer-word grouping made ("don", "'", "t") were none of them a
// negation.
func TestNegativeContractionsAreOneFeatureAndANegation(t *testing.T) {
	c := defaultClassifier(t)
	f, err := os.Open(filepath.Join("..", "perturb", "testdata", "raw_words.jsonl"))
	require.NoError(t, err)
	defer f.Close()
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		var tc struct{ Text string }
		require.NoError(t, json.Unmarshal(sc.Bytes(), &tc))
		enc, err := c.Tokenizer.Encode(tc.Text)
		require.NoError(t, err)
		for _, w := range strings.Fields(tc.Text) {
			w = strings.TrimRight(w, ".,;:!?\"")
			if !negativeContraction.MatchString(w) {
				continue
			}
			n++
			var feat *perturb.Feature
			for _, ft := range perturb.Features(enc, perturb.Words) {
				if ft.Text == w {
					feat = &ft
				}
			}
			if assert.NotNil(t, feat, "%q is one feature of %q", w, tc.Text) {
				assert.True(t, IsNegation(feat.Text), "IsNegation(%q)", feat.Text)
			}
			assert.True(t, consistency.HasNegation(w), "HasNegation(%q)", w)
		}
		for _, piece := range []string{"don", "'", "t", "isn", "’"} {
			assert.False(t, IsNegation(piece), "the piece %q is no negation", piece)
		}
	}
	require.NoError(t, sc.Err())
	t.Logf("%d negative contractions in the raw-text set, each one feature and a negation", n)
	assert.GreaterOrEqual(t, n, 20)
}
