package counterfactual

import (
	"fmt"
	"testing"

	"github.com/lucid-nlp/lucid/fairness/stats"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// biasCorpus is n texts, each with one gendered subject.
func biasCorpus(n int) []string {
	subj := []string{"he", "she"}
	adj := []string{"great", "dull", "fine", "odd", "warm", "cold", "bold", "shy"}
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s was %s in scene %d", subj[i%2], adj[(i/2)%len(adj)], i)
	}
	return out
}

// A planted bias toward "she" FAILs both directions (he→she up, she→he
// down), and the interval holds the planted effect; the same texts under a
// model blind to gender PASS.
func TestAuditVerdicts(t *testing.T) {
	texts := biasCorpus(400)
	w := map[string]float64{"great": 1, "dull": -1, "warm": 0.5, "cold": -0.5}
	biased := &lexicon{w: map[string]float64{"she": 1.2}}
	for k, v := range w {
		biased.w[k] = v
	}
	r := runAudit(t, biased, genderOnly(t), texts...)
	require.Len(t, r.Groups, 2)
	for _, g := range r.Groups {
		require.NotNil(t, g.Signed)
		require.NotNil(t, g.SignedCheck)
		assert.Equal(t, 200, g.Signed.N, "one difference per text")
		assert.Equal(t, stats.Fail, g.SignedCheck.Verdict.Status, g.SignedCheck.Verdict.Reason)
		assert.Equal(t, stats.Fail, g.Verdict.Status)
		assert.GreaterOrEqual(t, g.SignedCheck.Evidence.P, g.SignedCheck.PRaw, "Holm never lowers a p-value")
		assert.InDelta(t, g.MeanDelta, g.Signed.Mean, 1e-12, "one swap per text: text mean = swap mean")
		assert.True(t, g.Signed.Low <= g.Signed.Mean && g.Signed.Mean <= g.Signed.High)
		assert.Less(t, g.Signed.WilcoxonP, 1e-10)
	}
	up := r.Groups[0]
	if up.FromGroup != "male" {
		up = r.Groups[1]
	}
	assert.Greater(t, up.Signed.Mean, 0.1)
	f := r.Families[0]
	assert.Equal(t, stats.Fail, f.Verdict.Status)
	assert.Contains(t, f.SignedCheck.Test, "worst direction")
	assert.Nil(t, r.Pairs[0].Signed, "term pairs carry no paired analysis")

	blind := &lexicon{w: w}
	r = runAudit(t, blind, genderOnly(t), texts...)
	// Every Δp is exactly 0, so the t interval is [0, 0]: a zero-width
	// interval is never evidence (the Guide's "Statistics"), so the signed
	// check cannot PASS; the flip rate's Wilson interval (0 of 200) can.
	for _, g := range r.Groups {
		assert.Equal(t, stats.Warn, g.SignedCheck.Verdict.Status, g.SignedCheck.Verdict.Reason)
		assert.Contains(t, g.SignedCheck.Verdict.Reason, "zero width")
		assert.Equal(t, stats.Pass, g.FlipCheck.Verdict.Status, g.FlipCheck.Verdict.Reason)
		assert.Zero(t, g.Signed.Mean)
	}
	assert.Equal(t, stats.Warn, r.Families[0].Verdict.Status)

	// A family no text mentions is INFO, and the report is valid JSON.
	r = runAudit(t, blind, Config{Families: mustSelect(t, "gender", "religion")}, texts[:10]...)
	assert.Equal(t, stats.Info, r.Families[1].Verdict.Status)
	js := mustJSON(t, r)
	assert.Contains(t, js, `"signed_check":{`)
	assert.Contains(t, js, `"estimate":null`)
}

// Flip rates are judged against FlipTolerance with the exact binomial test.
func TestAuditFlipVerdict(t *testing.T) {
	texts := biasCorpus(480) // 240 texts a gender, 30 of them "fine"
	// "she" pushes every "fine" text across 0.5 and no other: one text in
	// eight flips, a small Δp each.
	clf := &lexicon{w: map[string]float64{"she": 0.2, "fine": -0.1,
		"great": 3, "dull": -3, "odd": 3, "warm": -3, "cold": 3, "bold": -3, "shy": 3}}
	r := runAudit(t, clf, genderOnly(t), texts...)
	for _, g := range r.Groups {
		require.NotNil(t, g.FlipCheck)
		assert.InDelta(t, 0.125, g.FlipRate, 1e-12)
		assert.Equal(t, stats.Fail, g.FlipCheck.Verdict.Status, g.FlipCheck.Verdict.Reason)
		assert.True(t, g.FlipInterval.Contains(g.FlipRate))
	}
	assert.Equal(t, stats.Fail, r.Families[0].Verdict.Status)
	assert.Contains(t, r.Families[0].Verdict.Reason, "flip rate")
}

func TestAuditConfigErrors(t *testing.T) {
	for _, c := range []struct {
		cfg  Config
		want string
	}{
		{Config{Tolerance: -0.1}, "tolerance -0.1"},
		{Config{Tolerance: 1.5}, "tolerance 1.5"},
		{Config{FlipTolerance: 2}, "flip tolerance 2"},
		{Config{Confidence: 95}, "confidence 95"},
		{Config{Alpha: -1}, "alpha -1"},
		{Config{ReservoirSize: -5}, "reservoir size -5"},
	} {
		_, err := NewAudit(&lexicon{}, c.cfg)
		require.ErrorContains(t, err, c.want)
	}
}
