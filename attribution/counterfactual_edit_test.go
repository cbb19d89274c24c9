package attribution

import (
	"context"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/attribution/edit"
	"github.com/lucid-nlp/lucid/engine"
	"github.com/lucid-nlp/lucid/evaluate"
	"github.com/lucid-nlp/lucid/models/modeltest"
	"github.com/lucid-nlp/lucid/perturb"
)

// lexiconEditModel is a lexicon model whose POSITIVE logit is the sum of
// weights of the words present: the smallest edit is known by hand.
func lexiconEditModel(t *testing.T, w map[string]float64) (*Explainer, *lexiconModel) {
	c := defaultClassifier(t)
	m := &lexiconModel{weights: map[int64]float64{}}
	for word, v := range w {
		m.weights[tokenID(t, c.Tokenizer, word)] = v
	}
	return NewExplainer(c.Tokenizer, evaluate.New(m, evaluate.Options{Output: evaluate.Logit}), "lexicon"), m
}

// rerun runs the model on text with the features removed (by masking, one
// fill token per removed word as the edit search does) and returns its
// label: the test's own check, outside the search.
func rerun(t *testing.T, x *Explainer, text string, level perturb.Level, masking perturb.Masking, removed []int) (string, float64) {
	t.Helper()
	enc, err := x.Tokenizer.Encode(text)
	require.NoError(t, err)
	feats := perturb.Features(enc, level)
	m, err := perturb.NewMasker(enc, feats, masking, x.Tokenizer)
	require.NoError(t, err)
	keep := perturb.FullCoalition(len(feats))
	for _, i := range removed {
		keep.Clear(i)
	}
	row := m.WordRow(keep)
	seq := len(row.IDs)
	logits, err := x.model().Run(context.Background(), engine.Batch{Rows: 1, SeqLen: seq, InputIDs: row.IDs, AttentionMask: row.AttentionMask, TokenTypeIDs: row.TypeIDs})
	require.NoError(t, err)
	p := engine.Softmax(logits.Row(0))
	a := slices.Index(p, slices.Max(p)) // the first largest, as the search reads it
	return x.model().Labels()[a], p[a]
}

func TestCounterfactualEditFindsTheSmallestSetDespiteAMisleadingGuide(t *testing.T) {
	// POSITIVE logit 1.5+1.5+1+1−2.2 = 2.8 > 0. No single removal flips
	// (at best 1.3); {good, great} is the only pair that does (−0.2).
	x, _ := lexiconEditModel(t, map[string]float64{"good": 1.5, "great": 1.5, "fine": 1, "film": 1, "awful": -2.2})
	text := "good great fine film awful"
	req := Request{Text: text, Method: MethodOcclusion}
	// A guide that ranks fine and film first: greedy removes fine, film,
	// good (a 3-word flip), trimming and the pair search must do better.
	guide := &Result{TargetIndex: 1, Features: make([]FeatureAttribution, 5)}
	for i, v := range []float64{0.5, 0.4, 3, 2, -1} {
		guide.Features[i].Attribution = v
	}
	e, err := x.CounterfactualEdit(context.Background(), req, guide, "", 0)
	require.NoError(t, err)
	require.True(t, e.Found, e.Message)
	assert.Equal(t, []int{0, 1}, e.Removed)
	assert.Equal(t, []string{"good", "great"}, e.Words)
	assert.Equal(t, "POSITIVE", e.From)
	assert.Equal(t, "NEGATIVE", e.Label)
	assert.True(t, e.Minimal, "every single word was tried")
	assert.True(t, e.Verified)
	assert.Equal(t, "[MASK] [MASK] fine film awful", e.EditedText)
	assert.LessOrEqual(t, e.Evaluations, edit.DefaultBudget+2)
	label, _ := rerun(t, x, text, perturb.Words, perturb.MaskToken, e.Removed)
	assert.Equal(t, "NEGATIVE", label)
	assert.Contains(t, e.Sentence(), "removing 'good' and 'great' makes the model say NEGATIVE")

	// --mask delete leaves the words out of the edited text.
	req.Masking = perturb.Delete
	e, err = x.CounterfactualEdit(context.Background(), req, nil, "NEGATIVE", 0)
	require.NoError(t, err)
	require.True(t, e.Found)
	assert.Equal(t, "fine film awful", e.EditedText)
	assert.Equal(t, "NEGATIVE", e.Goal)
}

func TestCounterfactualEditGivesUpClearly(t *testing.T) {
	x, _ := lexiconEditModel(t, map[string]float64{"good": 1, "great": 1, "fine": 1, "film": 1})
	ctx := context.Background()
	text := "good great fine film"
	// Nothing flips a sum of positive weights on top of [CLS]'s: every
	// set of words is tried, all of them included, and none flips.
	x2, m2 := lexiconEditModel(t, map[string]float64{"good": 1, "great": 1, "fine": 1, "film": 1, "a": 0.5})
	enc, encErr := x2.Tokenizer.Encode("a")
	require.NoError(t, encErr)
	m2.weights[enc.IDs[0]] = 0.25 // [CLS] is never removed
	e, err := x2.CounterfactualEdit(ctx, Request{Text: "a good great fine film"}, nil, "", 0)
	require.NoError(t, err)
	require.False(t, e.Found, e.Removed)
	assert.Contains(t, e.Message, "even removing every word does not")
	assert.Equal(t, 5, e.ExhaustiveSize, "every set of the 5 words was tried, all of them included")

	// A budget of 2 rows: two singles, then nothing.
	e, err = x.CounterfactualEdit(ctx, Request{Text: text}, nil, "", 2)
	require.NoError(t, err)
	assert.False(t, e.Found)
	assert.Contains(t, e.Message, "within 2 evaluations")
	assert.Contains(t, e.Message, "a larger edit budget may find one")
	assert.Equal(t, 3, e.Evaluations, "the unedited row, then 2 rows of search")

	// Asking for the label it already gives.
	e, err = x.CounterfactualEdit(ctx, Request{Text: text}, nil, "POSITIVE", 0)
	require.NoError(t, err)
	assert.False(t, e.Found)
	assert.Contains(t, e.Message, "already says POSITIVE")

	// Bad input is named.
	_, err = x.CounterfactualEdit(ctx, Request{Text: text}, nil, "MAYBE", 0)
	assert.ErrorContains(t, err, `unknown target label "MAYBE"`)
	_, err = x.CounterfactualEdit(ctx, Request{Text: text}, nil, "", -1)
	assert.ErrorContains(t, err, "edit budget -1")
	_, err = x.CounterfactualEdit(ctx, Request{Text: text}, nil, "", MaxBudget+1)
	assert.ErrorContains(t, err, "more than the maximum")
	_, err = x.CounterfactualEdit(ctx, Request{Text: text}, &Result{Features: make([]FeatureAttribution, 2)}, "", 0)
	assert.ErrorContains(t, err, "the guiding explanation has 2 features and the text 4")
	assert.ErrorContains(t, Request{EditBudget: -5}.Validate(), "edit budget -5")
}

func TestCounterfactualEditStopsOnCancel(t *testing.T) {
	tok := pureTokenizer(t)
	m := &countingModel{}
	x := NewExplainer(tok, evaluate.New(m, evaluate.Options{PadID: tok.PadID()}), "counting")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := x.CounterfactualEdit(ctx, Request{Text: words(30)}, nil, "", 0)
	assert.ErrorIs(t, err, context.Canceled)
	assert.Zero(t, m.rows)
}

// On 200 SST-2 dev sentences, the counterfactual method: how often an
// edit is found within the default budget, its median size, and every
// reported edit flips the model when the test re-runs it.
func TestCounterfactualEditsOnSST2(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the model on 200 sentences")
	}
	texts := modeltest.SST2Dev(t, 200)
	x := realExplainer(t, evaluate.Probability)
	reqs := make([]Request, len(texts))
	for i, s := range texts {
		reqs[i] = Request{Text: s, Method: MethodCounterfactual, EditBudget: sst2EditBudget}
	}
	results, errs := x.ExplainAll(context.Background(), reqs, 8)
	found, minimal, evals := 0, 0, 0
	var sizes []int
	for i, r := range results {
		require.NoError(t, errs[i], texts[i])
		e := r.Counterfactual
		require.NotNil(t, e)
		evals += e.Evaluations
		if !e.Found {
			assert.NotEmpty(t, e.Message)
			continue
		}
		found++
		sizes = append(sizes, len(e.Removed))
		if e.Minimal {
			minimal++
		}
		label, p := rerun(t, x, texts[i], perturb.Words, perturb.MaskToken, e.Removed)
		assert.Equal(t, e.Label, label, "%q minus %v", texts[i], e.Words)
		assert.NotEqual(t, r.Predicted, label, "%q minus %v", texts[i], e.Words)
		assert.InDelta(t, e.Probability, p, 1e-6)
		assert.LessOrEqual(t, e.Evaluations, sst2EditBudget+2)
	}
	slices.Sort(sizes)
	median := 0.0
	if len(sizes) > 0 {
		median = float64(sizes[(len(sizes)-1)/2]+sizes[len(sizes)/2]) / 2
	}
	t.Logf("SST-2 dev, first %d sentences, --method counterfactual --mask mask, edit budget %d: edit found for %d (%.1f%%), proven minimal %d; median edit size %.1f words (sizes %v…); mean %.1f evaluations",
		len(texts), sst2EditBudget, found, 100*float64(found)/float64(len(texts)), minimal, median, sizes[:min(10, len(sizes))], float64(evals)/float64(len(texts)))
	assert.Greater(t, found, len(texts)/2, "an edit is found for most sentences")
}

// sst2EditBudget keeps TestCounterfactualEditsOnSST2 near a minute on two
// shared cores.
const sst2EditBudget = 128
