package report

import (
	"bytes"
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
	assert.Equal(t, "81.0", seen["rows_per_second"])
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
	order := []string{`id="summary"`, "What was checked", "How sure we are", `id="groups"`, `id="counterfactual"`,
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
	assert.Regexp(t, `<tr class="flagrow"><td><strong>Disparate impact</strong> <span class="badge fail">four-fifths rule</span>`, page)
	assert.Contains(t, page, `<span class="badge flag">small</span>`)
	// One chart per key rate and column, with error bars.
	assert.Equal(t, 8, strings.Count(page, `<svg class="chart"`))
	assert.Contains(t, page, `<line class="err"`)
	assert.Contains(t, page, `class="mark fourfifths"`)

	// Counterfactual heatmaps: one per side, every word a span.
	assert.Equal(t, 2, strings.Count(page, `<div class="heat">`))
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
			assert.Equal(t, 6, strings.Count(page, `<p class="note">Not run:`), "every section says it was not run")
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
