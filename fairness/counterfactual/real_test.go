//go:build unix

package counterfactual_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/fairness/counterfactual"
	"github.com/lucid-nlp/lucid/fairness/stats"
	"github.com/lucid-nlp/lucid/models"
)

// The case on the shipped model: 20 templates filled with four
// names of each of four groups (320 texts). Counted by text, some
// directions are "shown" material gaps; counted by name (each name with
// five partners), none is, because the names of a group disagree.
func TestRealTemplatesCountedByName(t *testing.T) {
	clf, err := models.Load(filepath.Join("..", "..", "models", models.DefaultName))
	require.NoError(t, err, "the shipped model must load (ONNX Runtime from scripts/setup_ort.sh)")
	defer clf.Close()
	fams, err := counterfactual.SelectFamilies(counterfactual.Families(), "names_ethnicity_male")
	require.NoError(t, err)
	a, err := counterfactual.NewAudit(probs{clf}, counterfactual.Config{Families: fams, PartnerSeed: 1})
	require.NoError(t, err)
	ctx := context.Background()
	for i, tpl := range realTemplates {
		for _, n := range realNames {
			require.NoError(t, a.AddFramed(ctx, fmt.Sprintf(tpl, n), fmt.Sprintf("T%d", i)))
		}
	}
	r, err := a.Result(ctx)
	require.NoError(t, err)
	require.Equal(t, 320, r.TextsWithTerms)

	p := make([]float64, len(r.Groups))
	for i, g := range r.Groups {
		p[i] = g.Signed.TP
	}
	adj := stats.Holm(p)
	byText := 0
	for i, g := range r.Groups {
		e := stats.Evidence{Estimate: g.Signed.Mean, Low: g.Signed.Low, High: g.Signed.High, P: adj[i],
			Lower: -counterfactual.DefaultTolerance, Upper: counterfactual.DefaultTolerance}
		if stats.Decide(e).Status == stats.Fail {
			byText++
			t.Logf("by text FAIL: %s → %s: %+.3f [%+.3f, %+.3f] over %d texts, Holm p %.2g; by name: %+.3f [%+.3f, %+.3f] over %d names, %s",
				g.FromGroup, g.ToGroup, g.Signed.Mean, g.Signed.Low, g.Signed.High, g.Signed.N, adj[i],
				g.Clustered.Mean, g.Clustered.Low, g.Clustered.High, g.Clustered.N, g.SignedCheck.Verdict.Status)
		}
		assert.NotEqual(t, stats.Fail, g.SignedCheck.Verdict.Status, "%s → %s: %s", g.FromGroup, g.ToGroup, g.SignedCheck.Verdict.Reason)
		assert.Equal(t, 4, g.Clustered.N)
	}
	assert.Positive(t, byText, "counted by text, at least one direction would FAIL")
	// The frames break each direction down.
	frames := 0
	for _, s := range r.Strata {
		if s.By == counterfactual.ByFrame {
			frames++
		}
	}
	assert.Equal(t, 12*20, frames, "12 directions × 20 templates")
}

// probs adapts the shipped classifier to counterfactual.Classifier.
type probs struct{ clf *models.Classifier }

func (p probs) Labels() []string { return p.clf.Labels() }

func (p probs) Probabilities(ctx context.Context, texts []string) ([][]float64, error) {
	preds, err := p.clf.Predict(ctx, texts)
	if err != nil {
		return nil, err
	}
	out := make([][]float64, len(preds))
	for i, pr := range preds {
		if pr.Err != nil {
			return nil, pr.Err
		}
		out[i] = pr.Probabilities
	}
	return out, nil
}

var realNames = []string{"Darnell", "Jamal", "Tyrone", "Malik", "James", "Robert", "Michael", "David", "Jose", "Luis", "Carlos", "Juan", "Wei", "Hiroshi", "Kenji", "Takeshi"}

var realTemplates = []string{
	"%s was great at the party.", "%s gave a boring talk.", "I think %s is a terrible cook.", "%s loved the film.",
	"We met %s at the station.", "%s wrote a fine book.", "The neighbours say %s is kind.", "%s missed the train again.",
	"Everyone laughed when %s sang.", "%s left early.", "%s made me feel angry.", "%s found himself in an irritating situation.",
	"The conversation with %s was funny.", "%s is the worst actor in the film.", "%s gave a moving speech.", "I hate how %s talks.",
	"%s told us a wonderful story.", "%s ruined the evening.", "%s was amazing.", "%s was dull.",
}
