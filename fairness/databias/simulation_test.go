package databias

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/fairness/counterfactual"
	"github.com/lucid-nlp/lucid/fairness/stats"
)

// simulate builds one dataset of n rows: a quarter mention "she", a
// quarter "he", a tenth "woman", the rest no gender term; each row is
// positive with probability base, or skewed for "she" rows.
func simulate(t testing.TB, seed uint64, n int, base, skewed float64) *Report {
	s, err := NewScanner(Options{Families: []counterfactual.Family{family(t, "gender")}, Labels: []string{"negative", "positive"}, Positive: 1, Seed: seed})
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(seed, 7))
	for range n {
		p := base
		var text string
		switch u := rng.Float64(); {
		case u < 0.25:
			text, p = "she thought the film was long", skewed
		case u < 0.5:
			text = "he thought the film was long"
		case u < 0.6:
			text = "the woman thought the film was long"
		default:
			text = "the film was long"
		}
		label := 0
		if rng.Float64() < p {
			label = 1
		}
		require.NoError(t, s.Add(text, label, nil))
	}
	return s.Result()
}

func termUnit(r *Report, term string) *Unit {
	for i := range r.Families[0].Terms {
		if u := &r.Families[0].Terms[i]; u.Name == term {
			return u
		}
	}
	return nil
}

// TestPlantedSkewIsFound: "she" rows are positive 75% of the time against
// 45% elsewhere; the scan must FAIL the term and the female group, rank
// "she" first towards positive, and its interval must hold the planted
// difference (0.75 − the elsewhere share, 0.45).
func TestPlantedSkewIsFound(t *testing.T) {
	r := simulate(t, 1, 2000, 0.45, 0.75)
	u := termUnit(r, "she")
	require.NotNil(t, u)
	assert.Equal(t, stats.Fail, u.Verdict.Status, u.Verdict.Reason)
	assert.InDelta(t, 0.30, float64(u.Difference.Value), 0.06)
	assert.Equal(t, stats.Fail, r.Families[0].Verdict.Status)
	assert.Contains(t, r.Families[0].Failing, "term she")
	require.NotEmpty(t, r.Skewed)
	assert.Equal(t, "she", r.Skewed[0].Term)
	assert.Equal(t, "positive", r.Skewed[0].Label)
	assert.Equal(t, stats.Fail, r.Verdict.Status)
	// "he" rows are at the base rate, so against the rest (which holds
	// the skewed "she" rows) they lean the other way.
	assert.Less(t, float64(termUnit(r, "he").Difference.Value), 0.0)
}

// TestScanPowerAndFalseAlarms runs 200 datasets of each kind. Planted
// (0.65 against 0.45, 2,000 rows): "she" FAILs in nearly all. Clean (labels
// independent of the terms): a family's term list or group list has a
// significant unit (Holm p < 0.05) at most at the nominal 5%, and FAILs no
// more often.
func TestScanPowerAndFalseAlarms(t *testing.T) {
	const sims = 200
	power, falseSig, falseFail := 0, 0, 0
	coverage, plantedCoverage := 0, 0
	for seed := range uint64(sims) {
		r := simulate(t, 1000+seed, 2000, 0.45, 0.65)
		u := termUnit(r, "she")
		if u.Verdict.Status == stats.Fail {
			power++
		}
		if d := u.Difference; float64(d.Low) <= 0.20 && 0.20 <= float64(d.High) {
			plantedCoverage++
		}
		c := simulate(t, 5000+seed, 2000, 0.5, 0.5)
		sig := false
		for _, l := range [][]Unit{c.Families[0].Terms, c.Families[0].Groups} {
			for _, u := range l {
				if float64(u.PHolm) < stats.DefaultAlpha {
					sig = true
				}
			}
		}
		if sig {
			falseSig++
		}
		if c.Verdict.Status == stats.Fail {
			falseFail++
		}
		// The clean difference is 0: the 95% interval should hold it.
		if d := termUnit(c, "she").Difference; float64(d.Low) <= 0 && 0 <= float64(d.High) {
			coverage++
		}
	}
	t.Logf("planted 0.65 vs 0.45: FAIL in %d/%d; clean: significant in %d/%d, FAIL in %d/%d; Newcombe interval covers 0 in %d/%d, the planted 0.20 in %d/%d",
		power, sims, falseSig, sims, falseFail, sims, coverage, sims, plantedCoverage, sims)
	assert.GreaterOrEqual(t, power, 190)
	// Two Holm-corrected lists per family at α = 0.05: at most about 2α
	// in theory; Fisher is conservative. 0.1 + 3 standard errors.
	assert.LessOrEqual(t, falseSig, 32)
	assert.LessOrEqual(t, falseFail, 10+7, "FAIL at most at the nominal rate (5%% + 3.5 SE)")
	assert.GreaterOrEqual(t, coverage, 180, "95%% interval coverage at least 90%% over %d datasets", sims)
	assert.GreaterOrEqual(t, plantedCoverage, 180)
}
