package report

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"
	"unicode"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/fairness/counterfactual"
	fstats "github.com/lucid-nlp/lucid/fairness/stats"
)

// The counterfactual section judges each family and each direction: the
// family's verdict with its reason first, then the directions with their
// paired statistics (failing and warning ones shown, passing ones folded
// away), the mean |Δp| kept as a descriptive figure.
func TestWriteAuditCounterfactualVerdicts(t *testing.T) {
	r := fixture()
	page := renderAudit(t, r)
	selfContained(t, page)
	seen := checkDataKeys(t, page, r, wantKeys...)
	text := plainText(page)
	cf := page[at(t, page, `id="counterfactual"`):at(t, page, `id="consistency"`)]

	// Families: verdict badge and reason lead each row.
	assert.Equal(t, "pass", seen["cf:gender:verdict"], "significant, but the interval lies inside ±0.1: equivalence shown")
	assert.Equal(t, "fail", seen["cf:names:verdict"])
	assert.Equal(t, "info", seen["cf:religion:verdict"])
	assert.Regexp(t, `<tr><td class="verdict"><span class="badge pass" data-key="cf:gender:verdict">pass</span><div class="reason"><bdi>mean signed Δp: equivalent: the interval \[-0.0561, -0.0243\] of -0.0402 lies wholly inside`, cf)
	assert.Equal(t, "-0.0402", seen["cf:gender:signed_check:estimate"])
	assert.Equal(t, "-0.0561", seen["cf:gender:signed_check:low"])
	assert.Equal(t, "-0.0243", seen["cf:gender:signed_check:high"])
	assert.Equal(t, "4.4e-06", seen["cf:gender:signed_check:p"], "Holm over the family's two directions: 2 × 2.2e-06")
	assert.Contains(t, text, "worst direction female → male: paired t over 80 texts, Holm over 2 directions")
	assert.Equal(t, "3", seen["cf:gender:flips"])
	assert.Equal(t, "0.0158", seen["cf:gender:flip_rate"])
	assert.Equal(t, "0.0054", seen["cf:gender:flip_interval:low"])
	assert.Equal(t, "1720", seen["cf:names:flips"])
	// A family no text mentions: nothing measured, nothing tested.
	assert.Equal(t, "0", seen["cf:religion:swaps"])
	assert.NotContains(t, seen, "cf:religion:flip_check:p", "a flip test over no swaps tested nothing")
	assert.NotContains(t, seen, "cf:religion:flip_rate")
	assert.NotContains(t, seen, "cf:religion:signed_check:low")

	// Directions: mean signed Δp with its interval, the sign counts, the
	// three tests, Holm's p, the flip rate with its Wilson interval.
	d := "cf-dir:names:european_american_female:african_american_female:"
	assert.Equal(t, "fail", seen[d+"verdict"])
	assert.Equal(t, "12000", seen[d+"signed:n"])
	assert.Equal(t, "-0.1312", seen[d+"signed:mean"])
	assert.Equal(t, "-0.1341", seen[d+"signed:low"])
	assert.Equal(t, "-0.1283", seen[d+"signed:high"])
	assert.Equal(t, "1500", seen[d+"signed:positive"])
	assert.Equal(t, "10300", seen[d+"signed:negative"])
	assert.Equal(t, "200", seen[d+"signed:ties"])
	assert.Equal(t, "1e-300", seen[d+"signed:sign_p"])
	assert.Equal(t, "2e-250", seen[d+"signed:t_p"])
	assert.Equal(t, "3e-280", seen[d+"signed:wilcoxon_p"])
	assert.Equal(t, "10000", seen[d+"signed:wilcoxon_n"], "Wilcoxon ran on a sample: its n is shown")
	assert.Contains(t, text, "3e-280on a sample of 10000 texts")
	assert.Equal(t, "0.0750", seen[d+"flip_rate"])
	assert.Equal(t, "900", seen[d+"flips"])
	assert.Equal(t, "12000", seen[d+"swaps"])
	g := "cf-dir:gender:female:male:"
	assert.Equal(t, "warn", seen[g+"verdict"])
	assert.Equal(t, "+0.0110", seen["cf-dir:gender:male:female:signed:mean"], "signed values carry their sign")
	assert.Equal(t, "4.4e-06", seen[g+"signed_check:p"])
	assert.NotContains(t, seen, g+"signed:wilcoxon_n", "every text in the Wilcoxon test: no sample size shown")
	// One text: no interval, no t-test; the reason says n/a, never NaN.
	one := "cf-dir:names:european_american_male:african_american_male:"
	assert.Equal(t, "-0.0200", seen[one+"signed:mean"])
	assert.NotContains(t, seen, one+"signed:low")
	assert.Equal(t, "n/a", seen[one+"signed:t_p"])
	assert.Equal(t, "n/a", seen[one+"signed_check:p"])
	assert.Equal(t, "warn", seen[one+"verdict"])
	assert.Contains(t, text, "-0.02 has no interval (too few values), so neither materiality nor equivalence can be shown")

	// Failing, then warning directions; passing ones folded after them.
	folded := at(t, cf, "<details><summary>1 passing or not judged directions</summary>")
	assert.Less(t, at(t, cf, `data-key="`+d+`verdict"`), at(t, cf, `data-key="`+g+`verdict"`), "fail before warn")
	assert.Less(t, at(t, cf, `data-key="`+one+`verdict"`), folded)
	assert.Greater(t, at(t, cf, `data-key="cf-dir:gender:male:female:verdict"`), folded)
	// The rule's settings are the checks' own.
	assert.Contains(t, text, "against the tolerance ±0.1000")
	assert.Contains(t, text, "“rate ≤ 0.0500”")

	// Mean |Δp| stays, labelled descriptive, after the verdicts.
	assert.Less(t, folded, at(t, cf, "Per family: descriptive (not judged)"))
	assert.Equal(t, "0.0412", seen["cf:gender:mean_abs_delta"])
	assert.Contains(t, cf, "Term pairs with the largest mean |Δp| (descriptive, not judged)")
	assert.Equal(t, 2, strings.Count(cf, `<th class="n">Mean |Δp| (descriptive)</th>`))

	// Grammatical agreements are marked apart from the swapped term, with
	// a legend; "hero" (which contains "her") is not.
	assert.Contains(t, cf, `<bdi>My <mark class="swap">aunt</mark> is a hero to <mark class="agree">her</mark> kids</bdi>`)
	assert.Contains(t, cf, `<bdi>My <mark class="swap">uncle</mark> is a hero to <mark class="agree">his</mark> kids</bdi>`)
	assert.Contains(t, cf, `<mark class="swap">swapped term</mark> · <mark class="agree">rewritten to agree with it</mark>`)
	assert.Regexp(t, `<span class="tok zero mark-agree" style="[^"]*" title="\x{2068}her\x{2069}: 0.0000 \(no effect\) · rewritten for grammar"`, cf)
	assert.Regexp(t, `<span class="tok pos mark-swap" style="[^"]*" title="\x{2068}aunt\x{2069}: &#43;0.1200 \(towards \x{2068}positive\x{2069}\) · swapped term"`, cf)
	assert.Regexp(t, `<span class="tok pos" style="[^"]*" title="\x{2068}hero\x{2069}`, cf)
	assert.Contains(t, cf, `<td><mark class="agree"><bdi>her</bdi></mark></td><td><mark class="agree"><bdi>his</bdi></mark></td>`)
	assert.Contains(t, cf, `<td><mark class="swap"><bdi>aunt</bdi></mark></td><td><mark class="swap"><bdi>uncle</bdi></mark></td>`)
	assert.Contains(t, cf, `<td><bdi>hero</bdi></td><td><bdi>hero</bdi></td>`)
	assert.Equal(t, 2, strings.Count(cf, `class="legend-line small-print"><span class="tok mark-swap">`), "a legend under each explained pair")

	// Stability verdicts, as badges like the others.
	assert.Equal(t, "fail", seen["stability:lime:seed 43:verdict"])
	assert.Equal(t, "pass", seen["stability:kernelshap:seed 43:verdict"])
	assert.NotContains(t, seen, "stability:kernelshap:budget 256:verdict", "no verdict recorded: info, no data-key")
}

// A report written before the signed tests shows the descriptive table
// alone, and says so.
func TestWriteAuditCounterfactualUnjudged(t *testing.T) {
	r := fixture()
	res := &r.Counterfactual.Result
	for _, rows := range [][]counterfactual.Stats{res.Families, res.Groups} {
		for i := range rows {
			rows[i].Signed, rows[i].SignedCheck, rows[i].FlipCheck, rows[i].Verdict = nil, nil, nil, nil
		}
	}
	page := renderAudit(t, r)
	selfContained(t, page)
	seen := checkDataKeys(t, page, r, "cf:gender:mean_abs_delta", "cf:gender:flip_rate", "cf:gender:swaps")
	assert.Contains(t, plainText(page), "This report has no signed tests or verdicts for the swaps (it was written before them)")
	for k := range seen {
		assert.False(t, strings.HasPrefix(k, "cf-dir:"), "no direction table: %s", k)
		assert.NotEqual(t, "cf:gender:verdict", k)
	}
}

// A direction whose flip check has a raw and Holm p shows the Holm p; a
// family judged only in part (a flip check without a signed one) still
// shows its verdict.
func TestBuildCFJudged(t *testing.T) {
	assert.Nil(t, buildCFJudged(&counterfactual.Result{Families: []counterfactual.Stats{{Family: "gender", Swaps: 3}}}))
	v := &fstats.Verdict{Status: fstats.Warn, Reason: "flip rate: large but underpowered"}
	fc := &counterfactual.Check{Evidence: fstats.Evidence{Estimate: 0.5, Low: 0.1, High: 0.9, P: 0.3, Upper: 0.05}, PRaw: 0.1}
	j := buildCFJudged(&counterfactual.Result{
		Families: []counterfactual.Stats{{Family: "gender", Swaps: 2, Flips: 1, FlipRate: 0.5, FlipCheck: fc, Verdict: v}},
		Groups:   []counterfactual.Stats{{Family: "gender", FromGroup: "a", ToGroup: "b", Swaps: 2, Flips: 1, FlipRate: 0.5, FlipCheck: fc, Verdict: v}},
	})
	require.NotNil(t, j)
	require.Len(t, j.Families, 1)
	assert.Equal(t, "warn", j.Families[0].Verdict.Status)
	assert.Equal(t, "—", j.Families[0].Signed.Val.Text, "no signed check: not measured")
	assert.Equal(t, "0.3", j.Families[0].FlipP.Text)
	assert.Equal(t, "0.0500", j.FlipTolerance.Text)
	require.Len(t, j.Judged, 1)
	assert.Equal(t, "0.3", j.Judged[0].FlipP.Text, "the corrected p, not the raw one")
	assert.Equal(t, "—", j.Judged[0].N.Text)
}

// markSpans marks swapped terms and agreements apart, ignoring spans that
// do not fit the text or overlap an earlier one.
func TestMarkSpans(t *testing.T) {
	const text = "She gave her an apple"
	sp := func(a, b int) counterfactual.Span { return counterfactual.Span{Start: a, End: b} }
	segs := markSpans(text, []counterfactual.Span{sp(0, 3), sp(20, 40)}, []counterfactual.Span{sp(9, 12), sp(13, 15), sp(1, 2)})
	var got []string
	for _, s := range segs {
		if s.Tok {
			got = append(got, s.Class+":"+s.Text)
		} else {
			got = append(got, s.Text)
		}
	}
	assert.Equal(t, []string{"swap:She", " gave ", "agree:her", " ", "agree:an", " apple"}, got)
	assert.Equal(t, "swap", swapKind(0, 2, []counterfactual.Span{sp(1, 3)}, []counterfactual.Span{sp(0, 2)}), "a swapped term wins over an agreement")
	assert.Equal(t, "", swapKind(3, 4, []counterfactual.Span{sp(0, 3)}, nil), "touching is not overlapping")
}

// wordClassifier is a pure-Go classifier for the counterfactual tests:
// P(positive) = sigmoid(Σ weights of the text's lower-cased words).
type wordClassifier map[string]float64

func (wordClassifier) Labels() []string { return []string{"negative", "positive"} }

func (w wordClassifier) Probabilities(_ context.Context, texts []string) ([][]float64, error) {
	out := make([][]float64, len(texts))
	for i, t := range texts {
		z := 0.0
		for _, f := range strings.FieldsFunc(strings.ToLower(t), func(r rune) bool { return !unicode.IsLetter(r) }) {
			z += w[f]
		}
		p := 1 / (1 + math.Exp(-z))
		out[i] = []float64{1 - p, p}
	}
	return out, nil
}

// A name family's directions show their figures over names, keyed to the
// clustered fields of report.json; strata rows come through.
func TestBuildCFJudgedNamesAndStrata(t *testing.T) {
	fams, err := counterfactual.SelectFamilies(counterfactual.Families(), "names_ethnicity_male", "gender")
	require.NoError(t, err)
	a, err := counterfactual.NewAudit(wordClassifier{"great": 2, "boring": -2, "darnell": -1, "she": 0.5, "woman": -0.5}, counterfactual.Config{Families: fams})
	require.NoError(t, err)
	ctx := context.Background()
	for i, s := range []string{"Darnell was great.", "Jamal was boring.", "James was great.", "Darnell was boring.", "he was great", "the man was boring", "he left", "the man left"} {
		require.NoError(t, a.AddFramed(ctx, s, fmt.Sprintf("T%d", i%2)))
	}
	r, err := a.Result(ctx)
	require.NoError(t, err)
	j := buildCFJudged(&r)
	require.NotNil(t, j)
	assert.Equal(t, counterfactual.ClusteredMethod, j.NameMethod)
	assert.Equal(t, counterfactual.TextMethod, j.TextMethod)
	var rows []cfDirV
	rows = append(append(rows, j.Judged...), j.Settled...)
	found := false
	for _, d := range rows {
		if d.Family != "names_ethnicity_male" || d.From != "african-american-male" || d.To != "european-american-male" {
			continue
		}
		found = true
		assert.Equal(t, "2", d.N.Text, "two source names: darnell and jamal")
		assert.Equal(t, "cf-dir:names_ethnicity_male:african-american-male:european-american-male:clustered:n", d.N.Key)
		assert.Contains(t, d.Unit, "names (3 texts, ")
		require.Len(t, d.Units, 2)
		assert.Equal(t, "darnell", d.Units[0].Term, "source names by name")
		assert.Equal(t, "jamal", d.Units[1].Term)
	}
	assert.True(t, found)
	var strata []string
	for _, s := range j.Strata {
		strata = append(strata, s.Family+"/"+s.From+"→"+s.To+"/"+s.By+"/"+s.Stratum)
	}
	assert.Contains(t, strata, "gender/male→female/term kind/pronoun")
	assert.Contains(t, strata, "gender/male→female/term kind/term")
	assert.Contains(t, strata, "gender/male→female/frame/T0")
	assert.Contains(t, strata, "names_ethnicity_male/african-american-male→european-american-male/frame/T1")
}

// Of a direction's frames the page shows the lowest and highest mean;
// term kinds all.
func TestShownStrata(t *testing.T) {
	st := func(by, name string, mean float64) counterfactual.Stratum {
		return counterfactual.Stratum{Family: "f", FromGroup: "a", ToGroup: "b", By: by, Stratum: name, Mean: mean}
	}
	all := []counterfactual.Stratum{st(counterfactual.ByFrame, "T1", 0.1), st(counterfactual.ByFrame, "T2", -0.3), st(counterfactual.ByFrame, "T3", 0.4),
		st(counterfactual.ByFrame, "T4", 0.2), st(counterfactual.ByKind, "pronoun", 0.1), st(counterfactual.ByKind, "term", -0.1)}
	var got []string
	for _, s := range shownStrata(all) {
		got = append(got, s.Stratum)
	}
	assert.Equal(t, []string{"T2", "T3", "pronoun", "term"}, got)
}
