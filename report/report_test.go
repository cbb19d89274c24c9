package report

import (
	"bytes"
	"html"
	"math"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/attribution"
	"github.com/lucid-nlp/lucid/audit"
	"github.com/lucid-nlp/lucid/fairness/consistency"
	"github.com/lucid-nlp/lucid/fairness/group"
	fstats "github.com/lucid-nlp/lucid/fairness/stats"
)

func renderAudit(t *testing.T, r *audit.Report) string {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, WriteAudit(&b, r))
	return b.String()
}

// selfContained checks a page: no NaN, no network reference, the JS error
// sink present.
func selfContained(t *testing.T, page string) {
	t.Helper()
	assert.NotContains(t, page, "NaN")
	assert.NotContains(t, page, "Inf")
	assert.NotContains(t, page, "http://")
	assert.NotContains(t, page, "https://")
	assert.NotRegexp(t, `(?i)(src|href)\s*=\s*"[^"#]`, page, "no external resources")
	assert.NotContains(t, page, "ZgotmplZ", "html/template rejected a value")
	assert.Contains(t, page, `<pre id="js-errors" hidden></pre>`)
	assert.Contains(t, page, "window.addEventListener('error'")
}

func TestWriteAudit(t *testing.T) {
	r := fixture()
	page := renderAudit(t, r)
	selfContained(t, page)

	// Injected markup is escaped wherever the text appears.
	assert.NotContains(t, page, injection)
	assert.Contains(t, page, "&lt;script&gt;alert(&#34;xss&#34;)&lt;/script&gt;")
	assert.Equal(t, 2, strings.Count(page, "<script>"), "only the page's own two scripts")
	assert.Contains(t, page, "data/reviews &amp; more.csv")

	seen := checkDataKeys(t, page, r, wantKeys...)
	assert.Equal(t, "1000", seen["rows"])
	assert.Equal(t, "3", seen["skipped_rows"])
	assert.Equal(t, "0.8305", seen["accuracy"])
	assert.Equal(t, "12.35", seen["seconds"])
	assert.Equal(t, "123.1", seen["rows_per_second"])
	assert.Equal(t, "0.5417", seen["group:gender:female:positive_rate"])
	assert.Equal(t, "n/a", seen["group:gender:nonbinary:tpr"])
	assert.Equal(t, "0.2637", seen["disparity:gender:disparate_impact"])
	assert.Equal(t, "0.0412", seen["cf:gender:mean_abs_delta"])
	assert.Equal(t, "-0.0187", seen["cf:gender:mean_delta"])
	assert.Equal(t, "0.0296", seen["consistency:typo:failure_rate"])
	assert.Equal(t, "0.4123", seen["faithfulness:kernelshap:comprehensiveness"])
	assert.Equal(t, "+0.0428", seen["slice:long:gap"])

	// Undefined values say why, never NaN; a value without an interval says so.
	assert.Contains(t, page, "(<bdi>no positive labels in the group</bdi>)")
	assert.Contains(t, page, "[no interval]")
	assert.Contains(t, page, "(<bdi>no text this edit applies to</bdi>)")
	assert.Contains(t, page, "(<bdi>no text in this slice</bdi>)")

	// Layout: the summary comes first, sections in order.
	order := []string{`id="summary"`, `id="decision-rule"`, "What was checked", "How sure we are", `id="groups"`, `id="paired"`, `id="counterfactual"`,
		`id="consistency"`, `id="slices"`, `id="faithfulness"`, `id="stability"`}
	at := 0
	for _, s := range order {
		i := strings.Index(page[at:], s)
		require.GreaterOrEqual(t, i, 0, "%s after the previous section", s)
		at += i
	}
	for _, s := range []string{"pass", "warn", "fail", "info"} {
		assert.Contains(t, page, `<span class="badge `+s+`">`+s+`</span>`)
	}
	assert.Contains(t, page, "line 301: <bdi>label &#34;maybe&#34; is not one of negative, positive</bdi>")

	// Four-fifths: the flagged disparity row and group are highlighted.
	assert.Regexp(t, `<tr class="flagrow"><td><strong>Disparate impact</strong> <span class="badge flag">four-fifths rule</span>`, page)
	assert.Contains(t, page, `<span class="badge flag">small</span>`)
	// One chart per key rate and column, with error bars.
	assert.Equal(t, 8, strings.Count(page, `<svg class="chart"`))
	assert.Contains(t, page, `<line class="err"`)
	assert.Contains(t, page, `class="mark fourfifths"`)

	// Counterfactual heatmaps: one per side of each explained swap, every
	// word a span.
	assert.Equal(t, 4, strings.Count(page, `<div class="heat">`))
	assert.Contains(t, page, `data-attr="0.4120"`)
	assert.Contains(t, page, `<bdi><mark class="swap">She</mark>`)

	// Faithfulness: the best of each column is highlighted (kernelshap is
	// best on four columns, occlusion on the two costs).
	assert.Equal(t, 6, strings.Count(page, `class="n best"`))
	assert.Regexp(t, `class="n best"><span class="num" data-key="faithfulness:kernelshap:sufficiency">`, page)
	assert.Regexp(t, `class="n best"><span class="num" data-key="faithfulness:occlusion:evaluations_per_text">`, page)
}

func TestWriteAuditEmpty(t *testing.T) {
	for name, r := range map[string]*audit.Report{
		"zero":      {},
		"requested": {Checks: audit.AllChecks, Consistency: &consistency.Result{}, Groups: []*group.Report{nil}},
	} {
		t.Run(name, func(t *testing.T) {
			page := renderAudit(t, r)
			selfContained(t, page)
			assert.Equal(t, 8, strings.Count(page, `<p class="note">Not run:`), "every section says it was not run")
			assert.NotContains(t, page, `class="banner`, "no partial banner")
			assert.Contains(t, plainText(page), "The audit took 0.00 s.", "no timings: the total alone")
			seen := checkDataKeys(t, page, r, "rows", "skipped_rows")
			assert.NotContains(t, seen, "positive_prediction_rate", "no rate without rows")
			assert.Contains(t, page, "No findings were recorded.")
		})
	}
	assert.Error(t, WriteAudit(&bytes.Buffer{}, nil))
}

// An interval that is not finite, a group with every metric undefined
// and an empty group report must not break the page.
func TestWriteAuditDegenerate(t *testing.T) {
	r := fixture()
	g := &r.Groups[1].Groups[1]
	for _, p := range []*group.Metric{&g.Accuracy, &g.PositiveRate, &g.TPR, &g.FPR, &g.FNR, &g.Precision, &g.DisparateImpact} {
		*p = undefined("no rows")
	}
	r.Groups = append(r.Groups, &group.Report{Column: "empty"})
	r.Faithfulness[1].Comprehensiveness = math.Inf(1)
	r.Counterfactual.Explained[0].Swapped = nil
	r.Counterfactual.Explained[0].WordDeltas = nil
	page := renderAudit(t, r)
	selfContained(t, page)
	assert.Contains(t, page, "Not explained.")
	assert.Contains(t, page, `data-key="faithfulness:lime:comprehensiveness">n/a<`)
	r.Faithfulness[1].Comprehensiveness = 0.3 // report.json cannot hold +Inf
	checkDataKeys(t, renderAudit(t, r), r)
}

var tokRE = regexp.MustCompile(`<span class="tok (pos|neg|zero)" style="background-color:rgb\((\d+),(\d+),(\d+)\);[^"]*" title="([^"]*)" data-attr="([^"]*)">([^<]*)</span>`)

func TestWriteExplanations(t *testing.T) {
	a := explanation("Ünïcode café "+injection+" was great", 0.83, -0.1, 0.05, -0.02, 0, 0.4)
	// Byte offsets that do not fit are replaced by character offsets; a
	// feature fitting neither is left out.
	a.Features[0].ByteEnd = 1 // inside "Ü"
	b := explanation("Fine.", 0.4, 0.2)
	b.Features = append(b.Features, attribution.FeatureAttribution{Text: "ghost", Start: 40, End: 45, ByteStart: 40, ByteEnd: 45, Attribution: 1})
	var buf bytes.Buffer
	require.NoError(t, WriteExplanations(&buf, []*attribution.Result{a, nil, b}))
	page := buf.String()
	selfContained(t, page)
	assert.NotContains(t, page, injection)
	assert.Contains(t, page, "&lt;script&gt;alert(&#34;xss&#34;)&lt;/script&gt;")
	assert.Contains(t, page, "Missing (no result).")
	assert.Contains(t, page, "1 feature(s) could not be placed")

	toks := tokRE.FindAllStringSubmatch(page, -1)
	want := []struct {
		class, text, attr string
	}{
		{"neg", "Ünïcode", "-0.1000"}, {"pos", "café", "0.0500"}, {"neg", "&lt;script&gt;alert(&#34;xss&#34;)&lt;/script&gt;", "-0.0200"},
		{"zero", "was", "0.0000"}, {"pos", "great", "0.4000"}, {"pos", "Fine.", "0.2000"},
	}
	require.GreaterOrEqual(t, len(toks), len(want), "heatmap spans")
	for i, w := range want {
		tok := toks[i]
		assert.Equal(t, w.class, tok[1], "class of %s", w.text)
		assert.Equal(t, w.text, tok[7])
		assert.Equal(t, w.attr, tok[6])
		r, g := tok[2], tok[3]
		switch w.class {
		case "pos":
			assert.Greater(t, atoi(g), atoi(r), "green for %s", w.text)
		case "neg":
			assert.Greater(t, atoi(r), atoi(g), "red for %s", w.text)
		case "zero":
			assert.Equal(t, "255", r)
		}
	}
	// The largest |value| is drawn in full colour, the others lighter.
	assert.Equal(t, []string{"74", "222", "128"}, toks[4][2:5])
	assert.Contains(t, toks[4][5], "towards \u2068positive\u2069")
	assert.Contains(t, toks[0][5], "against \u2068positive\u2069")
	// Text between features is there, unstyled.
	assert.Contains(t, page, `</span> <span class="tok`)

	keys := map[string]string{}
	for _, kv := range dataKeys(page) {
		keys[kv[0]] = kv[1]
	}
	assert.Equal(t, "0.8300", keys["explanation:0:f_x"])
	assert.Equal(t, "+0.4000", keys["explanation:0:feature:4:attribution"])
	assert.Equal(t, "0.6000", keys["explanation:2:probability:negative"])

	buf.Reset()
	require.NoError(t, WriteExplanations(&buf, nil))
	assert.Contains(t, buf.String(), "No explanations to show.")
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}

func TestPlaceFeatures(t *testing.T) {
	text := "añb cd"
	fs := []attribution.FeatureAttribution{
		{ByteStart: 5, ByteEnd: 7, Start: 4, End: 6}, // "cd", bytes fit
		{ByteStart: 0, ByteEnd: 2, Start: 0, End: 3}, // bytes end inside "ñ": chars used
		{ByteStart: 6, ByteEnd: 7, Start: 5, End: 6}, // overlaps "cd"
		{ByteStart: 9, ByteEnd: 12, Start: 9, End: 12},
	}
	spans, unplaced := placeFeatures(text, fs)
	assert.Equal(t, []span{{0, 4, 1}, {5, 7, 0}}, spans)
	assert.Equal(t, 2, unplaced)
	segs := segments(text, spans, func(span) Seg { return Seg{} })
	var got []string
	for _, s := range segs {
		got = append(got, s.Text)
	}
	assert.Equal(t, []string{"añb", " ", "cd"}, got)
}

func TestFormat(t *testing.T) {
	assert.Equal(t, "0.0000", fmtFloat(-0.00001, 4))
	assert.Equal(t, "n/a", fmtFloat(math.NaN(), 4))
	assert.Equal(t, "n/a", fmtFloat(math.Inf(-1), 4))
	assert.Equal(t, "+0.1235", fmtSigned(0.12345, 4))
	assert.Equal(t, "0.0000", fmtSigned(0, 4))
	assert.Equal(t, "-0.5000", fmtSigned(-0.5, 4))
	assert.Equal(t, 0.2, niceMax(0.02, 0.15))
	assert.Equal(t, 0.1, niceMax(0.01))
	assert.Equal(t, 1.0, niceMax(3))
	assert.Equal(t, "95%", pct(0.95))
}

var tagRE = regexp.MustCompile(`<[^>]*>`)

// plainText is a page's text as a reader sees it: tags removed, entities
// decoded.
func plainText(page string) string { return html.UnescapeString(tagRE.ReplaceAllString(page, "")) }

// at is the position of s in page, failing the test when it is absent.
func at(t *testing.T, page, s string) int {
	t.Helper()
	i := strings.Index(page, s)
	require.GreaterOrEqual(t, i, 0, "page has %s", s)
	return i
}

// The page states how verdicts are earned: the rule with its thresholds,
// each group column's verdict from its pairwise tests (failing and warning
// tests first, passing ones folded away), the matched analysis, the
// consistency and slice verdicts, and the time each phase took.
func TestWriteAuditVerdicts(t *testing.T) {
	r := fixture()
	page := renderAudit(t, r)
	selfContained(t, page)
	seen := checkDataKeys(t, page, r, wantKeys...)
	text := plainText(page)

	// The decision rule, near the summary, with its thresholds as a list.
	assert.Less(t, at(t, page, `id="summary"`), at(t, page, `id="decision-rule"`))
	assert.Less(t, at(t, page, `id="decision-rule"`), at(t, page, "What was checked"))
	assert.Contains(t, text, r.Rule.Text)
	assert.Equal(t, "0.05", seen["decision_rule:alpha"])
	assert.Equal(t, "0.0500", seen["decision_rule:thresholds:parity_difference"])
	assert.Equal(t, "0.8000", seen["decision_rule:thresholds:disparate_impact_low"])
	assert.Equal(t, 4, strings.Count(page, `data-key="decision_rule:thresholds:`), "one item per threshold")

	// Group columns: the verdict is the rule's, with its reason.
	assert.Equal(t, "fail", seen["group-verdict:gender"])
	assert.Equal(t, "fail", seen["group-verdict:dialect"])
	assert.Contains(t, page, html.EscapeString(r.Groups[0].Verdict.Reason))
	assert.Contains(t, text, `Family: 5 tests corrected together (Holm, α = 0.05): every test that can make "gender" FAIL: 1 pair × 5 metrics.`)
	assert.Equal(t, "+0.0795", seen["pair:gender:female:male:positive_rate"])
	assert.Equal(t, "-0.1500", seen["pair:dialect:sae:aae:fpr:low"])
	assert.Equal(t, "0.8533", seen["pair:gender:female:male:disparate_impact"], "a ratio has no sign")
	assert.Equal(t, "0.014", seen["pair:gender:female:male:positive_rate:p_holm"])
	assert.Equal(t, "3.1e-07", seen["pair:dialect:sae:aae:fpr:p_holm"], "a small p-value keeps its size")
	assert.Equal(t, "260", seen["pair:gender:female:male:positive_rate:table:0"])
	assert.Equal(t, "480", seen["pair:gender:female:male:positive_rate:n_a"])
	assert.Equal(t, "warn", seen["pair:gender:female:male:disparate_impact:verdict"])
	assert.Equal(t, "pass", seen["pair:gender:female:male:precision:verdict"])
	// Failing and warning tests are listed first; passing ones are folded
	// into a closed <details> after them.
	folded := at(t, page, "<details><summary>1 passing or not judged tests</summary>")
	assert.Less(t, at(t, page, `data-key="pair:gender:female:male:positive_rate:verdict"`), folded)
	assert.Less(t, at(t, page, `data-key="pair:gender:female:male:fpr:verdict"`), folded)
	assert.Greater(t, at(t, page, `data-key="pair:gender:female:male:precision:verdict"`), folded)
	assert.Less(t, at(t, page, `data-key="pair:gender:female:male:precision:verdict"`), at(t, page, `id="paired"`))
	assert.Less(t, at(t, page, `data-key="pair:gender:female:male:positive_rate:verdict"`), at(t, page, `data-key="pair:gender:female:male:disparate_impact:verdict"`),
		"fail before warn")
	// Left-out groups with why, warnings escaped, missing and pooled rows marked.
	assert.Contains(t, text, "Left out of the pairwise tests: nonbinary (small: 14 rows, fewer than the minimum of 30).")
	assert.Contains(t, page, `<li><bdi>a group is literally named &#34;&lt;script&gt;`)
	assert.Contains(t, page, `(missing)</bdi> <span class="badge flag">missing value</span>`)
	assert.Contains(t, page, `other (3 groups)</bdi> <span class="badge flag">pooled: 3 groups</span>`)
	// The max − min figures stay, labelled as description.
	assert.Contains(t, page, "Disparities between groups: descriptive (not judged)")

	// The matched analysis: frames, and per pair the mean difference with
	// its interval, the frame counts, the three tests and Holm's p.
	assert.Equal(t, "400", seen["paired:gender:frames"])
	assert.Equal(t, "380", seen["paired:gender:matched_frames"])
	assert.Equal(t, "-0.1521", seen["paired:dialect:aae:sae:mean"])
	assert.Equal(t, "-0.1890", seen["paired:dialect:aae:sae:low"])
	assert.Equal(t, "60", seen["paired:dialect:aae:sae:positive"])
	assert.Equal(t, "221", seen["paired:dialect:aae:sae:negative"])
	assert.Equal(t, "9", seen["paired:dialect:aae:sae:ties"])
	assert.Equal(t, "1.5e-22", seen["paired:dialect:aae:sae:sign_p"])
	assert.Equal(t, "8.8e-14", seen["paired:dialect:aae:sae:t_p"])
	assert.Equal(t, "3.3e-16", seen["paired:dialect:aae:sae:wilcoxon_p"])
	assert.Equal(t, "fail", seen["paired:dialect:aae:sae:verdict"])
	assert.Equal(t, "pass", seen["paired:gender:female:male:verdict"], "significant, but its interval lies inside ±0.1: equivalence shown")
	assert.Equal(t, "fail", seen["paired-verdict:dialect"])
	assert.Contains(t, text, "Column “dialect” within frames “template”")

	// Consistency: verdicts, saturation, ceilings, flips within tolerance,
	// the signed mean Δp with its interval.
	assert.Equal(t, "pass", seen["consistency:typo:verdict"])
	assert.Equal(t, "fail", seen["consistency:negation:verdict"])
	assert.Equal(t, "info", seen["consistency:titlecase:verdict"])
	assert.Equal(t, "50", seen["consistency:negation:saturated"])
	assert.Equal(t, "31", seen["consistency:negation:at_ceiling"])
	assert.Equal(t, "12", seen["consistency:typo:flips_within_tolerance"])
	assert.Equal(t, "35", seen["consistency:typo:flips"])
	assert.Equal(t, "-0.2700", seen["consistency:negation:delta:mean"])
	assert.Equal(t, "-0.3012", seen["consistency:negation:delta:low"])
	assert.Equal(t, "3e-20", seen["consistency:negation:p_holm"])
	assert.NotContains(t, seen, "consistency:titlecase:delta:mean", "no Δp interval without tested texts")

	// Slices: verdict, and the difference to the rest with its interval.
	assert.Equal(t, "fail", seen["slice:negated:verdict"])
	assert.Equal(t, "warn", seen["slice:short:verdict"])
	assert.Equal(t, "-0.2027", seen["slice:negated:vs_rest"])
	assert.Equal(t, "-0.2837", seen["slice:negated:vs_rest:low"])
	assert.Equal(t, "794", seen["slice:negated:rest_count"])
	assert.Equal(t, "info", seen["slice:empty:verdict"])
	assert.NotContains(t, seen, "slice:empty:vs_rest")

	// Intervals on faithfulness and stability.
	assert.Equal(t, "0.3712", seen["faithfulness:kernelshap:comprehensiveness:low"])
	assert.NotContains(t, seen, "faithfulness:occlusion:comprehensiveness:low", "no interval recorded: none shown")
	assert.Equal(t, "0.7820", seen["stability:lime:seed 43:mean_spearman:high"])
	assert.Equal(t, "0.012", seen["stability:lime:seed 43:p_below_threshold"])

	// Unlabelled rows next to the labelled ones.
	assert.Equal(t, "56", seen["unlabelled_rows"])
	assert.Contains(t, text, "944 with a label · 56 unlabelled")

	// The footer says in words what each phase took; rows per second is
	// the reading phase's alone.
	assert.Contains(t, text, "Reading and scoring 1000 rows took 8.12 s (123.1 rows/s); group statistics and tests 0.43 s; counterfactual swaps 1.20 s; "+
		"consistency tests on 1000 rows 2.10 s; faithfulness on 50 texts 0.40 s; explanation stability on 20 texts 0.09 s; total 12.35 s.")
	assert.Contains(t, text, "reading alone 123.1 rows/s")
	assert.NotContains(t, text, "total seconds 2")
	assert.NotContains(t, page, `class="banner`, "a complete audit has no partial banner")

	// 3 skipped of 1003 rows is within max_skipped_share 0.01; 11 of 1011
	// is not, and the page says the verdicts are not findings.
	r.Skipped = 11
	page = renderAudit(t, r)
	assert.Contains(t, page, `<div class="banner fail" role="alert">`)
	assert.Contains(t, plainText(page), "Data problem. More of the rows were malformed than the decision rule allows")
}

// An interrupted audit says so at the top, with the reason, and the
// checks it did not reach say they were not run.
func TestWriteAuditPartial(t *testing.T) {
	r := partial()
	page := renderAudit(t, r)
	selfContained(t, page)
	checkDataKeys(t, page, r, "rows", "timing:reading:seconds", "group-verdict:gender", "paired:gender:frames")
	banner := at(t, page, `<div class="banner warn" role="alert">`)
	assert.Less(t, banner, at(t, page, `id="summary"`), "the banner comes before the summary")
	assert.Contains(t, plainText(page), "Partial report. "+r.PartialReason+".")
	assert.Equal(t, 5, strings.Count(page, `<p class="note">Not run:`), "data bias, counterfactual, consistency, faithfulness, stability")
	assert.Contains(t, plainText(page), "Reading and scoring 1000 rows took 8.12 s (123.1 rows/s); group statistics and tests 0.43 s; total 12.35 s.")

	// A reason with markup stays text.
	r.PartialReason = injection
	assert.Contains(t, renderAudit(t, r), "Partial report.</strong> <bdi>&lt;script&gt;")
}

// A verdict status the rule does not know (a report from before verdicts
// has none) reads as info and carries no data-key, since report.json does
// not say "info".
func TestVerdictUnknownStatus(t *testing.T) {
	v := verdict("k", fstats.Verdict{})
	assert.Equal(t, verdictV{Status: "info", Class: "info"}, v)
	v = verdict("k", fstats.Verdict{Status: "odd\u202e", Reason: "why"})
	assert.Equal(t, "", v.Key)
	assert.Equal(t, "info", v.Class)
	v = verdict("k", fstats.Verdict{Status: fstats.Fail, Reason: "why"})
	assert.Equal(t, verdictV{Key: "k", Status: "fail", Class: "fail", Reason: "why"}, v)
	assert.Equal(t, "3.1e-07", pNum("", 3.1e-7).Text)
	assert.Equal(t, "0.05", pNum("", 0.05).Text)
	assert.Equal(t, "1", pNum("", 1).Text)
	assert.Equal(t, "n/a", pNum("", math.NaN()).Text)
	assert.InDelta(t, 0.05e-7, tolerance("3.1e-07"), 1e-12)
}
