package counterfactual

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/fairness/stats"
)

func TestPartnersOf(t *testing.T) {
	f := mustSelect(t, "names_ethnicity_male")[0]
	all := PartnersOf(f, "african-american-male", "european-american-male", "darnell", -1, 0)
	require.Len(t, all, 20, "every name of the target group")
	assert.Equal(t, "james", all[0], "in the order the group lists them")
	assert.Equal(t, all, PartnersOf(f, "african-american-male", "european-american-male", "DARNELL", 20, 0), "k ≥ the group's size is every name")

	five := PartnersOf(f, "african-american-male", "european-american-male", "darnell", 5, 7)
	require.Len(t, five, 5)
	assert.Equal(t, five, PartnersOf(f, "african-american-male", "european-american-male", "darnell", 5, 7), "the same arguments give the same subset")
	seen := map[string]bool{}
	for _, p := range five {
		assert.Contains(t, all, p)
		assert.False(t, seen[p], "distinct")
		seen[p] = true
	}
	// Another seed or another name draws another subset (for these
	// arguments; a collision is possible in general, so the check is on
	// fixed values).
	assert.NotEqual(t, five, PartnersOf(f, "african-american-male", "european-american-male", "darnell", 5, 8))
	assert.NotEqual(t, five, PartnersOf(f, "african-american-male", "european-american-male", "jamal", 5, 7))
	assert.Nil(t, PartnersOf(f, "african-american-male", "no such group", "darnell", 5, 7))

	// A partner equal to the name itself is never drawn.
	g, err := NewFamily("names_x", Group{Name: "a", Terms: []string{"ann", "bea"}}, Group{Name: "b", Terms: []string{"ann", "cy"}})
	require.NoError(t, err)
	assert.Equal(t, []string{"cy"}, PartnersOf(g, "a", "b", "ann", -1, 0))
}

func TestAuditPairsNamesWithPartners(t *testing.T) {
	fams := mustSelect(t, "names_ethnicity_male")
	clf := &lexicon{w: map[string]float64{"great": 1}}
	for _, c := range []struct {
		partners, perGroup int
	}{{-1, 20}, {0, DefaultPartners}, {3, 3}, {1, 1}} {
		r := runAudit(t, clf, Config{Families: fams, Partners: c.partners}, "Darnell was great.")
		assert.Equal(t, 3*c.perGroup, r.Swaps, "partners %d", c.partners)
		assert.Len(t, r.Pairs, 3*c.perGroup, "one pair row per (name, partner)")
		want := c.partners
		if want == 0 {
			want = DefaultPartners
		}
		assert.Equal(t, want, r.Design.Partners, "report.json states the partners")
	}
	// The swaps keep their agreements: an article follows the partner.
	r := runAudit(t, clf, Config{Families: mustSelect(t, "names_gender_european_american"), Partners: -1}, "Emily hurt herself.")
	require.Equal(t, 20, r.Swaps)
	var got []string
	for _, p := range r.Pairs {
		got = append(got, p.Replacement)
	}
	assert.Contains(t, got, "james")
	assert.Contains(t, got, "tanner")
	// Families of terms keep their one counterpart per group.
	r = runAudit(t, clf, Config{Families: mustSelect(t, "gender"), Partners: -1}, "he was great")
	assert.Equal(t, 1, r.Swaps)
}

// nameCorpus writes each of templates with each of names.
func nameCorpus(templates, names []string) []string {
	var out []string
	for _, tpl := range templates {
		for _, n := range names {
			out = append(out, fmt.Sprintf(tpl, n))
		}
	}
	return out
}

// nameTemplates each carry a clear sentiment word, so a name's small
// weight does not flip the prediction (a frame at p ≈ 0.5 would flip under
// any name, which is a real instability, not the effect under study).
var nameTemplates = []string{
	"%s was great at the party.",
	"%s gave a boring talk.",
	"I think %s is a terrible cook.",
	"%s loved the film.",
	"We met %s at the wonderful station.",
	"%s wrote a fine book.",
	"The neighbours say %s is kind.",
	"%s missed the train again.",
	"Everyone laughed when %s sang.",
	"Sadly, %s left early.",
}

// templateLexicon weighs the template words, so a name's Δp differs from
// text to text.
func templateLexicon(w map[string]float64) *lexicon {
	base := map[string]float64{"great": 2, "boring": -2, "terrible": -2.5, "loved": 1.8, "wonderful": 2, "fine": 1.5, "kind": 1.6,
		"missed": -1.5, "laughed": 1.5, "sadly": -1.7}
	for k, v := range w {
		base[k] = v
	}
	return &lexicon{bias: 0.1, w: base}
}

func directionRow(r Result, from, to string) *Stats {
	for i := range r.Groups {
		if r.Groups[i].FromGroup == from && r.Groups[i].ToGroup == to {
			return &r.Groups[i]
		}
	}
	return nil
}

// The case: four names of a group recur across the templates and
// one of them carries the whole effect. Counted by text, the direction
// looks like a shown, material gap; counted by name it is one name.
func TestPlantedNameEffectIsNotAFamilyFail(t *testing.T) {
	fams := mustSelect(t, "names_ethnicity_male")
	names := []string{"Darnell", "Jamal", "Tyrone", "Malik", "James", "Robert", "Michael", "David", "Jose", "Luis", "Wei", "Hiroshi"}
	clf := templateLexicon(map[string]float64{"darnell": -5})
	// Three variants of each template: more texts, the same four names.
	var frames []string
	for _, tpl := range nameTemplates {
		frames = append(frames, tpl, tpl+" Really.", tpl+" Honestly.")
	}
	r := runAudit(t, clf, Config{Families: fams}, nameCorpus(frames, names)...)

	d := directionRow(r, "african-american-male", "european-american-male")
	require.NotNil(t, d)
	require.NotNil(t, d.Clustered)
	// Counted by text, as before: significant and beyond the tolerance.
	assert.Less(t, d.Signed.TP*float64(len(r.Groups)), 0.05, "per-text paired t, significant after Holm over the 12 directions")
	assert.Greater(t, d.Signed.Mean, DefaultTolerance, "per-text mean")
	assert.Equal(t, 120, d.Signed.N, "120 texts")
	// Counted by name: four names, one of them far off the others.
	assert.Equal(t, 4, d.Clustered.N)
	assert.Equal(t, 15, d.Clustered.Partners, "the four names' five partners each: 15 distinct names")
	assert.Greater(t, d.Clustered.TP, 0.05, "two-way t over names: %v", d.Clustered.TP)
	assert.Less(t, d.Clustered.Low, 0.0, "the interval over names reaches past 0")
	assert.Greater(t, d.Clustered.Mean, DefaultTolerance, "the estimate is the same size; its evidence is not")
	assert.NotEqual(t, stats.Fail, d.Verdict.Status, d.Verdict.Reason)
	assert.Contains(t, d.SignedCheck.Test, "two-way t over 4 source and 15 partner names (120 texts")
	for _, g := range r.Groups {
		assert.NotEqual(t, stats.Fail, g.Verdict.Status, "%s → %s: %s", g.FromGroup, g.ToGroup, g.Verdict.Reason)
	}
	require.Len(t, r.Families, 1)
	assert.NotEqual(t, stats.Fail, r.Families[0].Verdict.Status, r.Families[0].Verdict.Reason)
	assert.Equal(t, ClusteredMethod, r.Design.NameFamilies)
}

// An effect every name of a group shares is a family-wide FAIL.
func TestConsistentNameEffectFails(t *testing.T) {
	fams := mustSelect(t, "names_ethnicity_male")
	w := map[string]float64{}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, g := range fams[0].Groups {
		for _, n := range g.Terms {
			w[n] = 0.2 * rng.NormFloat64() // names differ a little
		}
	}
	for _, n := range fams[0].Groups[1].Terms { // african-american-male
		w[n] += 2.0
	}
	names := []string{"Darnell", "Jamal", "Tyrone", "Malik", "James", "Robert", "Michael", "David", "Jose", "Luis", "Wei", "Hiroshi"}
	r := runAudit(t, templateLexicon(w), Config{Families: fams}, nameCorpus(nameTemplates, names)...)
	d := directionRow(r, "african-american-male", "european-american-male")
	require.NotNil(t, d)
	assert.Less(t, d.Clustered.High, -DefaultTolerance, "every name moves p down")
	assert.Equal(t, stats.Fail, d.Verdict.Status, d.Verdict.Reason)
	d = directionRow(r, "european-american-male", "african-american-male")
	assert.Greater(t, d.Clustered.Low, DefaultTolerance)
	assert.Equal(t, stats.Fail, d.Verdict.Status, d.Verdict.Reason)
	assert.Equal(t, stats.Fail, r.Families[0].Verdict.Status, r.Families[0].Verdict.Reason)
}

// simNames draws one simulated audit: names_ethnicity_male, perGroup
// random names of each group in the frames, name weights N(0, 0.2²) on
// the logit, plus plant(w, names) for the effect under study.
func simNames(t *testing.T, seed uint64, fams []Family, perGroup int, frames []string, plant func(rng *rand.Rand, w map[string]float64, picked [][]string)) Result {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 99))
	w := map[string]float64{}
	var names []string
	var picked [][]string
	for _, g := range fams[0].Groups {
		for _, n := range g.Terms {
			w[n] = 0.2 * rng.NormFloat64()
		}
		perm := rng.Perm(len(g.Terms))[:perGroup]
		var p []string
		for _, i := range perm {
			p = append(p, g.Terms[i])
		}
		picked = append(picked, p)
		names = append(names, p...)
	}
	plant(rng, w, picked)
	return runAudit(t, templateLexicon(w), Config{Families: fams, TopK: -1, PartnerSeed: seed}, nameCorpus(frames, names)...)
}

// TestNameEffectSimulation runs 200 seeded audits of each kind, four
// names of each group (the "four name pairs") in 20 frames,
// and reports how often the family FAILs, with a 95% Wilson interval:
//
//   - one name of a random group carries a −6 logit effect (the planted
//     name-level effect: that name alone all but removes the positive
//     label): FAIL in at most 5% of runs;
//   - every name of a random group carries +1.5 (a consistent effect):
//     FAIL in at least 90% (the power).
//
// Beside each it counts how often the same data would FAIL counted by
// text (the paired t over texts of each direction, Holm over the
// family's directions, judged by the same rule): the evidence name-level
// counting declines. Run with -v to see the figures.
func TestNameEffectSimulation(t *testing.T) {
	if testing.Short() {
		t.Skip("200 audits of each kind; skipped with -short")
	}
	fams := mustSelect(t, "names_ethnicity_male")
	var frames []string
	for _, tpl := range nameTemplates {
		frames = append(frames, tpl, tpl+" Really.")
	}
	const runs = 200
	rate := func(plant func(*rand.Rand, map[string]float64, [][]string)) (fails, byText int) {
		for seed := range uint64(runs) {
			r := simNames(t, seed, fams, 4, frames, plant)
			if r.Families[0].Verdict.Status == stats.Fail {
				fails++
			}
			if textCountingFails(r) {
				byText++
			}
		}
		return fails, byText
	}
	one, oneText := rate(func(rng *rand.Rand, w map[string]float64, picked [][]string) {
		g := picked[rng.IntN(len(picked))]
		w[g[rng.IntN(len(g))]] -= 6
	})
	all, allText := rate(func(rng *rand.Rand, w map[string]float64, _ [][]string) {
		for _, n := range fams[0].Groups[rng.IntN(len(fams[0].Groups))].Terms {
			w[n] += 1.5
		}
	})
	oneIv, allIv := stats.Wilson(one, runs, stats.Z95), stats.Wilson(all, runs, stats.Z95)
	t.Logf("one-name effect (−6 logit on one name): family FAIL in %d/%d runs = %.3f, 95%% Wilson [%.3f, %.3f]; counted by text: %d/%d",
		one, runs, float64(one)/runs, oneIv.Low, oneIv.High, oneText, runs)
	t.Logf("consistent effect (+1.5 logit on every name of a group): family FAIL in %d/%d runs = %.3f, 95%% Wilson [%.3f, %.3f]; counted by text: %d/%d",
		all, runs, float64(all)/runs, allIv.Low, allIv.High, allText, runs)
	assert.LessOrEqual(t, float64(one)/runs, 0.05)
	assert.GreaterOrEqual(t, float64(all)/runs, 0.90)
}

// textCountingFails judges r's directions as if each text were
// independent evidence: per-text paired t, Holm over the directions,
// stats.Decide against the default tolerance.
func textCountingFails(r Result) bool {
	p := make([]float64, len(r.Groups))
	for i, g := range r.Groups {
		p[i] = g.Signed.TP
	}
	adj := stats.Holm(p)
	for i, g := range r.Groups {
		e := stats.Evidence{Estimate: g.Signed.Mean, Low: g.Signed.Low, High: g.Signed.High, P: adj[i], Lower: -DefaultTolerance, Upper: DefaultTolerance}
		if stats.Decide(e).Status == stats.Fail {
			return true
		}
	}
	return false
}

// TestTwoWayIntervalCalibration: with no group effect (every name's weight
// drawn alike), a direction's name-level test of "mean Δp = 0" (two-way t
// over source and partner names, no more confident than the paired t
// over texts) rejects at about its nominal 5%, where a t over source
// names alone, which ignores that the partners are a sample of names too,
// rejects more often.
func TestTwoWayIntervalCalibration(t *testing.T) {
	if testing.Short() {
		t.Skip("200 audits; skipped with -short")
	}
	fams := mustSelect(t, "names_ethnicity_male")
	const runs = 200
	twoWay, sourceOnly := 0, 0
	for seed := range uint64(runs) {
		r := simNames(t, 1000+seed, fams, 6, nameTemplates[:6], func(rng *rand.Rand, w map[string]float64, _ [][]string) {
			for k := range w {
				w[k] *= 3 // name weights N(0, 0.6²): names differ a lot
			}
		})
		d := directionRow(r, "african-american-male", "european-american-male")
		require.NotNil(t, d)
		if d.Clustered.TP < 0.05 {
			twoWay++
		}
		src := make([]float64, len(d.Clustered.Units))
		for i, u := range d.Clustered.Units {
			src[i] = u.Mean
		}
		if stats.PairedSummary(src, 0.95).TP < 0.05 {
			sourceOnly++
		}
	}
	iv := stats.Wilson(twoWay, runs, stats.Z95)
	t.Logf("no effect: the name-level test rejects %d/%d = %.3f, 95%% Wilson [%.3f, %.3f]; t over source names only rejects %d/%d",
		twoWay, runs, float64(twoWay)/runs, iv.Low, iv.High, sourceOnly, runs)
	assert.LessOrEqual(t, iv.Low, 0.05, "the two-way test's rejection rate is not shown to exceed 5%")
	assert.Greater(t, sourceOnly, twoWay, "ignoring the partner names overstates the evidence")
}

// A flip check is never more confident than counting swaps as
// independent, nor than counting its units: flips bunched in one text of
// three are not a shown flip rate (the exact binomial over swaps alone
// would say they were), and names that agree on zero flips do not give a
// zero-width interval.
func TestFlipEvidenceCountsUnits(t *testing.T) {
	nat := mustSelect(t, "nationality")
	// Only the first text sits at the boundary: every swap of it flips.
	clf := templateLexicon(map[string]float64{"american": 0.3, "bland": -0.1})
	r := runAudit(t, clf, Config{Families: nat}, "an American film, bland.", "an American film, great.", "an American film, wonderful.")
	f := r.Families[0]
	require.Equal(t, 84, f.Swaps)
	require.Equal(t, 28, f.Flips, "the first text's 28 swaps flip, the others' do not")
	assert.Less(t, stats.BinomialUpper(f.Flips, f.Swaps, DefaultFlipTolerance), 1e-10, "counted by swap, a flip rate far above 5%")
	assert.Greater(t, f.FlipCheck.PRaw, 0.05, "counted by text (1 of 3 flips), not shown")
	assert.NotEqual(t, stats.Fail, f.FlipCheck.Verdict.Status, f.FlipCheck.Verdict.Reason)
	assert.Contains(t, f.FlipCheck.Test, "over 3 texts of the family")

	names := mustSelect(t, "names_ethnicity_male")
	r = runAudit(t, templateLexicon(nil), Config{Families: names}, "Darnell was great at the party.", "Jamal was great at the party.")
	d := directionRow(r, "african-american-male", "european-american-male")
	require.NotNil(t, d)
	require.Equal(t, 0, d.Flips)
	require.Len(t, d.Clustered.Units, 2)
	assert.Zero(t, d.Clustered.Units[0].Flips+d.Clustered.Units[1].Flips, "the two names agree on no flips")
	assert.InDelta(t, stats.Wilson(0, 10, stats.Z95).High, d.Clustered.FlipHigh, 1e-12, "not a zero-width interval over names: widened to the Wilson interval over 10 swaps")
	assert.GreaterOrEqual(t, d.FlipCheck.Evidence.High, d.Clustered.FlipHigh, "the check judges the interval at the family's corrected level, no narrower than report.json's 95% one")
	assert.Greater(t, d.FlipCheck.Evidence.Confidence, 0.95)
	assert.NotEqual(t, stats.Pass, d.FlipCheck.Verdict.Status, "no PASS on 10 swaps")
}
