package edit

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/lucid-nlp/lucid/attribution/game"
	"github.com/lucid-nlp/lucid/engine"
	"github.com/lucid-nlp/lucid/models/modeltest"
	"github.com/lucid-nlp/lucid/perturb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSetCountAndCombinations(t *testing.T) {
	assert.Equal(t, int64(10), setCount(5, 2))
	assert.Equal(t, int64(1), setCount(5, 0))
	assert.Equal(t, int64(0), setCount(3, 4))
	cs := perturb.CoalitionsOfSize(5, 3)
	require.Len(t, cs, 10)
	seen := map[string]bool{}
	for _, c := range cs {
		assert.Equal(t, 3, c.Size())
		seen[c.Key()] = true
	}
	assert.Len(t, seen, 10, "all distinct")
	assert.Equal(t, "'a', 'b' and 'c'", quoteList([]string{"a", "b", "c"}))
}

// The edit search's rows are what its edited texts read back as: for every
// sentence of the raw-text set and SST-2-style pre-split text, removing
// any one word, any two neighbouring words or every word, by one mask per
// word or by cutting, the edited text tokenizes to exactly the row's ids
// (perturb.Masker.WordRow) with the shipped tokenizer.
func TestEditedTextsTokenizeToTheSearchedRows(t *testing.T) {
	c := modeltest.Shipped(t)
	f, err := os.Open(filepath.Join(modeltest.ModuleRoot(t), "perturb", "testdata", "raw_words.jsonl"))
	require.NoError(t, err)
	defer f.Close()
	texts := []string{"it 's a charming -lrb- and often affecting -rrb- journey .", "does n't work , x(y) z"}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var tc struct{ Text string }
		require.NoError(t, json.Unmarshal(sc.Bytes(), &tc))
		texts = append(texts, tc.Text)
	}
	require.NoError(t, sc.Err())
	checked := 0
	for _, text := range texts {
		enc, err := c.Tokenizer.Encode(text)
		require.NoError(t, err)
		feats := perturb.Features(enc, perturb.Words)
		n := len(feats)
		var sets [][]int
		for i := range n {
			sets = append(sets, []int{i})
			if i+1 < n {
				sets = append(sets, []int{i, i + 1})
			}
		}
		all := make([]int, n)
		for i := range all {
			all[i] = i
		}
		sets = append(sets, all)
		for _, m := range []perturb.Masking{perturb.MaskToken, perturb.Delete} {
			masker, err := perturb.NewMasker(enc, feats, m, c.Tokenizer)
			require.NoError(t, err)
			fill := ""
			if m == perturb.MaskToken {
				fill = "[MASK]"
			}
			for _, removed := range sets {
				keep := perturb.FullCoalition(n)
				for _, i := range removed {
					keep.Clear(i)
				}
				edited := editedText(text, feats, removed, fill)
				reread, err := c.Tokenizer.Encode(edited)
				require.NoError(t, err)
				assert.Equal(t, reread.IDs, masker.WordRow(keep).IDs, "%q less %v by %s reads %q", text, wordsOf(feats, removed), m, edited)
				checked++
			}
		}
	}
	t.Logf("%d edited texts tokenize to the rows the search ran", checked)
}

// Search checks its Problem before it runs a row: a goal that is no label,
// a guide of another length, a budget out of range.
func TestSearchRefusesABadProblem(t *testing.T) {
	c := modeltest.Shipped(t)
	text := "a gorgeous , witty , seductive movie ."
	enc, err := c.Tokenizer.Encode(text)
	require.NoError(t, err)
	feats := perturb.Features(enc, perturb.Words)
	p := Problem{Model: c.Model, Head: engine.HeadOf(c.Model), Tokenizer: c.Tokenizer, Text: text, Encoding: enc,
		Features: feats, Level: perturb.Words, Masking: perturb.MaskToken, Goal: -1}
	ctx := context.Background()

	bad := p
	bad.Goal = 2
	_, err = Search(ctx, bad)
	assert.ErrorContains(t, err, "edit goal 2 is not one of the model's 2 labels")
	bad = p
	bad.Guide = &Guide{Target: 1, Attributions: []float64{1, 2}}
	_, err = Search(ctx, bad)
	assert.ErrorContains(t, err, fmt.Sprintf("the guiding explanation has 2 features and the text %d words", len(feats)))
	bad = p
	bad.Budget = game.MaxBudget + 1
	_, err = Search(ctx, bad)
	assert.ErrorContains(t, err, "more than the maximum")

	// The same problem, sound, finds an edit of this clearly positive text.
	e, err := Search(ctx, p)
	require.NoError(t, err)
	assert.Equal(t, "POSITIVE", e.From)
	assert.LessOrEqual(t, e.Evaluations, DefaultBudget+2, "the budget and the unedited and verifying runs")
	if e.Found {
		assert.True(t, e.Verified)
		assert.NotEqual(t, e.From, e.Label)
	}
}
