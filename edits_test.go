package lucid

import (
	"bufio"
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/attribution"
	"github.com/lucid-nlp/lucid/models/modeltest"
)

// rawTexts are the sentences of the raw-text word set
// (perturb/testdata/raw_words.jsonl).
func rawTexts(t *testing.T) []string {
	t.Helper()
	f, err := os.Open(filepath.Join("perturb", "testdata", "raw_words.jsonl"))
	require.NoError(t, err)
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var c struct{ Text string }
		require.NoError(t, json.Unmarshal(sc.Bytes(), &c))
		out = append(out, c.Text)
	}
	require.NoError(t, sc.Err())
	return out
}

// checkEditsReproduce explains texts with the edit search (why-not the
// other label) and pastes every edited text found back through Predict,
// one text at a time as `lucid predict TEXT` runs it: same label, same
// probability to 1e-6. It returns how many edits were found and how many
// reproduced.
func checkEditsReproduce(t *testing.T, m *Model, texts []string, budget int, mask string) (found, reproduced, roundTrip int) {
	t.Helper()
	ctx := context.Background()
	preds, err := m.Predict(ctx, texts)
	require.NoError(t, err)
	labels := m.Labels()
	require.Len(t, labels, 2)
	// Group by the label asked for: the other one.
	for _, want := range labels {
		var idx []int
		for i, p := range preds {
			require.NoError(t, p.Err)
			if p.Label != want {
				idx = append(idx, i)
			}
		}
		batch := make([]string, len(idx))
		for j, i := range idx {
			batch[j] = texts[i]
		}
		exps, errs := m.ExplainBatch(ctx, batch, WithMethod(Occlusion), WithMask(mask), WithWhyNot(want, budget))
		for j, e := range exps {
			if errs != nil {
				require.NoError(t, errs[j], batch[j])
			}
			ed := e.Counterfactual
			require.NotNil(t, ed)
			if !ed.Found {
				continue
			}
			found++
			if ed.RoundTrip {
				roundTrip++
			}
			got, err := m.Predict(ctx, []string{ed.EditedText})
			require.NoError(t, err)
			require.Len(t, got, 1, "predict of the edited text %q", ed.EditedText)
			p := got[0]
			ok := p.Label == ed.Label && math.Abs(p.Probabilities[p.Label]-ed.Probability) <= 1e-6
			if ok {
				reproduced++
			}
			assert.True(t, ok, "%q → edited %q (%s, round trip %v): the edit says %s %.9f, predict says %s %.9f",
				batch[j], ed.EditedText, ed.EditKind, ed.RoundTrip, ed.Label, ed.Probability, p.Label, p.Probabilities[p.Label])
			assert.Equal(t, want, ed.Label)
		}
	}
	return found, reproduced, roundTrip
}

func TestEditedTextsReproduceThroughPredict(t *testing.T) {
	m := openDefault(t)
	texts := rawTexts(t)
	for _, mask := range []string{"mask", "delete"} {
		found, repro, rt := checkEditsReproduce(t, m, texts, 128, mask)
		t.Logf("raw-text set, --mask %s, edit budget 128: %d of %d found edits reproduce through predict (%d of %d sentences have an edit; %d round-trip to the searched ids)",
			mask, repro, found, found, len(texts), rt)
		assert.Positive(t, found)
		// On the shipped (WordPiece) model every edited text reads back
		// as the very ids the search ran.
		assert.Equal(t, found, rt, "--mask %s", mask)
	}
}

// TestEditedTextsReproduceOnSST2Dev runs the edit search on SST-2 dev with
// the default edit budget. It is long (every sentence's search, up to
// attribution.DefaultEditBudget rows each): the first 100 sentences run
// unless -short; LUCID_SST2_EDITS=all runs all 872.
func TestEditedTextsReproduceOnSST2Dev(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the edit search on SST-2 dev sentences")
	}
	n := 100
	if os.Getenv("LUCID_SST2_EDITS") == "all" {
		n = math.MaxInt
	}
	texts := modeltest.SST2Dev(t, n)
	m := openDefault(t)
	found, repro, rt := checkEditsReproduce(t, m, texts, attribution.DefaultEditBudget, "mask")
	t.Logf("SST-2 dev, %d sentences, --why-not the other label, --mask mask, edit budget %d: %d of %d found edits reproduce through predict (label and probability to 1e-6); %d round-trip to the searched ids",
		len(texts), attribution.DefaultEditBudget, repro, found, rt)
	assert.Equal(t, found, repro)
}

func TestWithWhyNotNeedsALabel(t *testing.T) {
	m := openDefault(t)
	_, err := m.Explain(context.Background(), "fine", WithWhyNot("", 0))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "why-not needs a label")
	_, err = m.Explain(context.Background(), "fine", WithMethod(Occlusion), WithWhyNot("MAYBE", 0))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "MAYBE")
}
