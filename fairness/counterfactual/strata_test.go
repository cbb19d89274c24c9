package counterfactual

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func strataRow(r Result, from, to, by, stratum string) *Stratum {
	for i := range r.Strata {
		s := &r.Strata[i]
		if s.FromGroup == from && s.ToGroup == to && s.By == by && s.Stratum == stratum {
			return s
		}
	}
	return nil
}

// Pronouns pull one way and gendered nouns the other: the pooled direction
// is near 0, the strata show both, with exact means.
func TestStrataShowOppositeEffects(t *testing.T) {
	const tol = 1e-12
	clf := &lexicon{w: map[string]float64{"she": 1, "woman": -1, "mrs": -2}}
	texts := []string{"he left", "he stayed", "the man left", "the man stayed", "mr smith left"}
	r := runAudit(t, clf, genderOnly(t), texts...)

	up := sigmoid(1) - sigmoid(0)
	pr := strataRow(r, "male", "female", ByKind, KindPronoun)
	require.NotNil(t, pr)
	assert.Equal(t, 2, pr.Texts)
	assert.InDelta(t, up, pr.Mean, tol)
	assert.InDelta(t, up, pr.Low, tol, "no spread: a zero-width interval")
	nn := strataRow(r, "male", "female", ByKind, KindTerm)
	require.NotNil(t, nn)
	assert.Equal(t, 2, nn.Texts)
	assert.InDelta(t, -up, nn.Mean, tol)
	ti := strataRow(r, "male", "female", ByKind, KindTitle)
	require.NotNil(t, ti)
	assert.Equal(t, 1, ti.Texts)
	assert.InDelta(t, sigmoid(-2)-0.5, ti.Mean, tol)
	assert.Nil(t, strataRow(r, "male", "female", ByFrame, ""), "no frames given")
	d := directionRow(r, "male", "female")
	assert.InDelta(t, (2*up-2*up+sigmoid(-2)-0.5)/5, d.Signed.Mean, tol, "pooled, the opposite strata cancel")

	// By frame: the same direction with two templates pulling apart.
	a, err := NewAudit(&lexicon{w: map[string]float64{"she": 1, "her": -3}}, genderOnly(t))
	require.NoError(t, err)
	for _, x := range [][2]string{{"he left", "T1"}, {"he stayed", "T1"}, {"I saw him", "T2"}, {"I met him", "T2"}, {"I met him there", "T2"}} {
		require.NoError(t, a.AddFramed(context.Background(), x[0], x[1]))
	}
	r, err = a.Result(context.Background())
	require.NoError(t, err)
	t1, t2 := strataRow(r, "male", "female", ByFrame, "T1"), strataRow(r, "male", "female", ByFrame, "T2")
	require.NotNil(t, t1)
	require.NotNil(t, t2)
	assert.Equal(t, 2, t1.Texts)
	assert.Equal(t, 3, t2.Texts)
	assert.InDelta(t, up, t1.Mean, tol)
	assert.InDelta(t, sigmoid(-3)-0.5, t2.Mean, tol)
	// One kind only (pronouns): no kind breakdown for this direction.
	assert.Nil(t, strataRow(r, "male", "female", ByKind, KindPronoun))
}

func TestKindOf(t *testing.T) {
	for term, want := range map[string]string{"he": KindPronoun, "herself": KindPronoun, "mr": KindTitle, "madam": KindTitle, "sir": KindTitle, "woman": KindTerm, "muslim": KindTerm} {
		assert.Equal(t, want, kindOf(term), term)
	}
}
