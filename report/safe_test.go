package report

import (
	"bytes"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/attribution"
	"github.com/lucid-nlp/lucid/audit"
)

const rlo = "\u202e" // RIGHT-TO-LEFT OVERRIDE

func TestVisible(t *testing.T) {
	assert.Equal(t, "tab\tand\nnewline stay", visible("tab\tand\nnewline stay"))
	assert.Equal(t, `\x1b[31mred\x1b[0m`, visible("\x1b[31mred\x1b[0m"))
	assert.Equal(t, `a\x00b\x7fc\x85d\x9b`, visible("a\x00b\x7fc\u0085d\u009b"), "C0, DEL and C1")
	assert.Equal(t, `x\u202e 0.38`, visible("x"+rlo+" 0.38"))
	assert.Equal(t, `\u202a\u202b\u202c\u202d\u2066\u2067\u2068\u2069`, visible("\u202a\u202b\u202c\u202d\u2066\u2067\u2068\u2069"),
		"every embedding, override and isolate, balanced or not")
	assert.Equal(t, `line\u2028sep`, visible("line\u2028sep"))
	assert.Equal(t, `bad \xff byte`, visible("bad \xff byte"), "a byte that is not UTF-8")
	assert.Equal(t, "עברית café \u200f", visible("עברית café \u200f"), "letters and marks are kept")
	assert.Equal(t, fsi+`x\u202e`+pdi, isolate("x"+rlo))
	assert.Equal(t, "", isolate(""))
}

func TestBDI(t *testing.T) {
	assert.Equal(t, `<bdi>x<span class="ctl" title="control character U+202E">\u202e</span></bdi>`, string(bdi("x"+rlo)))
	assert.Equal(t, `<bdi>&lt;script&gt;alert(1)&lt;/script&gt; &amp; &#34;q&#34;</bdi>`, string(bdi(`<script>alert(1)</script> & "q"`)))
	assert.Equal(t, `<bdi><span class="ctl" title="byte that is not UTF-8">\xff</span></bdi>`, string(bdi("\xff")))
	assert.Equal(t, "", string(bdi("")))
	assert.Equal(t, `By <bdi>&lt;b&gt;</bdi>: 3 of &lt;all&gt; <bdi>x</bdi>`, string(htmlf("By %s: %d of <all> %v", "<b>", 3, bdi("x"))))
	assert.Equal(t, `<bdi>a</bdi>, <bdi>&lt;b&gt;</bdi>`, string(joinHTML([]string{"a", "<b>"}, ", ")))
}

func TestMessage(t *testing.T) {
	// An override in a name is shown, not obeyed; the sentence is isolated
	// as left-to-right.
	got := string(message("By g: x"+rlo+" 0.38 vs y.", []string{"x" + rlo, "y"}))
	assert.Equal(t, `<bdi dir="ltr">By g: x<span class="ctl" title="control character U+202E">\u202e</span> 0.38 vs y.</bdi>`, got)
	// A right-to-left name is isolated wherever it occurs, the longest
	// match first; left-to-right names are left alone.
	got = string(message("By עם: עמודה 0.38; עם 0.12; abc", []string{"עם", "עמודה", "abc"}))
	assert.Equal(t, `<bdi dir="ltr">By <bdi>עם</bdi>: <bdi>עמודה</bdi> 0.38; <bdi>עם</bdi> 0.12; abc</bdi>`, got)
}

func TestContentPolicy(t *testing.T) {
	// The hash of a script is the standard CSP source: sha256 of the bytes,
	// base64 (the value of an empty script is well known).
	assert.Equal(t, "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='", scriptHash(""))
	p := contentPolicy("a", "b")
	assert.Equal(t, "default-src 'none'; script-src "+scriptHash("a")+" "+scriptHash("b")+
		"; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'", p)
	assert.NotContains(t, pagePolicy, "script-src 'unsafe-inline'")

	// Every script on a page is one the policy lists, byte for byte.
	var b bytes.Buffer
	require.NoError(t, WriteAudit(&b, fixture()))
	scripts := regexp.MustCompile(`(?s)<script>(.*?)</script>`).FindAllStringSubmatch(b.String(), -1)
	require.Len(t, scripts, 2)
	for _, s := range scripts {
		assert.Contains(t, pagePolicy, scriptHash(s[1]))
	}
	assert.Contains(t, b.String(), `content="default-src &#39;none&#39;; script-src &#39;sha256-`)
}

// poison appends suffix to every string in v (fields, slice and map
// elements, map keys), following pointers.
func poison(v reflect.Value, suffix string) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			poison(v.Elem(), suffix)
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				poison(v.Field(i), suffix)
			}
		}
	case reflect.Slice, reflect.Array:
		for i := 0; i < v.Len(); i++ {
			poison(v.Index(i), suffix)
		}
	case reflect.Map:
		if v.IsNil() {
			return
		}
		n := reflect.MakeMap(v.Type())
		for _, k := range v.MapKeys() {
			e := reflect.New(v.Type().Elem()).Elem()
			e.Set(v.MapIndex(k))
			poison(e, suffix)
			nk := reflect.New(k.Type()).Elem()
			nk.Set(k)
			poison(nk, suffix)
			n.SetMapIndex(nk, e)
		}
		v.Set(n)
	case reflect.String:
		if v.CanSet() {
			v.SetString(v.String() + suffix)
		}
	}
}

var dataKeyAttrRE = regexp.MustCompile(` data-key="[^"]*"`)

// shown is a page without its data-key attributes, which keep the names
// exactly as report.json has them and are never displayed.
func shown(page string) string { return dataKeyAttrRE.ReplaceAllString(page, "") }

// checkNoControls requires that nothing shown on a page carries a raw
// control character or an embedding/override, and that the page's own
// isolates are balanced.
func checkNoControls(t *testing.T, page string) {
	t.Helper()
	s := shown(page)
	for i, r := range s {
		if r == '\t' || r == '\n' || r == 0x2068 || r == 0x2069 {
			continue
		}
		if needsEscape(r) {
			t.Errorf("raw U+%04X shown at byte %d: …%s…", r, i, s[max(0, i-80):min(len(s), i+40)])
			return
		}
	}
	depth := 0
	for _, r := range s {
		switch r {
		case 0x2068:
			depth++
		case 0x2069:
			depth--
			require.GreaterOrEqual(t, depth, 0, "PDI without FSI")
		}
	}
	assert.Zero(t, depth, "every FSI has its PDI")
	assert.Equal(t, strings.Count(s, "<bdi"), strings.Count(s, "</bdi>"))
}

// Every string of a report, poisoned with an override, an ESC and a
// script tag, reaches the page escaped, isolated and visible.
func TestPoisonedStrings(t *testing.T) {
	const suffix = rlo + "\x1b[2J<script>alert(1)</script>"
	r := fixture()
	poison(reflect.ValueOf(r), suffix)
	page := renderAudit(t, r)
	checkNoControls(t, page)
	assert.Equal(t, 2, strings.Count(page, "<script>"), "only the page's own scripts")
	assert.NotContains(t, page, "ZgotmplZ")
	// The poison is visible as text, with the escapes marked.
	assert.Contains(t, page, `<span class="ctl" title="control character U+202E">\u202e</span><span class="ctl" title="control character U+001B">\x1b</span>[2J&lt;script&gt;alert(1)&lt;/script&gt;`)
	assert.Contains(t, page, `<bdi>female<span class="ctl"`, "a group name is isolated")

	results := []*attribution.Result{explanation("Ünïcode café was great", 0.83, -0.1, 0.05, -0.02, 0.4)}
	poison(reflect.ValueOf(results), suffix)
	var b bytes.Buffer
	require.NoError(t, WriteExplanations(&b, results))
	checkNoControls(t, b.String())
	assert.Equal(t, 2, strings.Count(b.String(), "<script>"))
}

// The reported case: a group value ending in U+202E, followed by a number
// in a summary line and in the tables.
func TestOverrideInGroupName(t *testing.T) {
	r := fixture()
	g := r.Groups[0]
	const name = "x" + rlo
	for i := range g.Groups {
		if g.Groups[i].Group == "male" {
			g.Groups[i].Group = name
		}
	}
	for i := range g.Disparities {
		for _, p := range []*string{&g.Disparities[i].MaxGroup, &g.Disparities[i].MinGroup} {
			if *p == "male" {
				*p = name
			}
		}
	}
	r.Summary = append(r.Summary, audit.Finding{Check: "groups", Status: "fail", Message: "By gender: " + name + " 0.38 of the reference rate."})
	page := renderAudit(t, r)
	checkNoControls(t, page)
	assert.NotContains(t, shown(page), rlo)
	esc := `<span class="ctl" title="control character U+202E">\u202e</span>`
	assert.Contains(t, page, `<bdi dir="ltr">By gender: x`+esc+` 0.38 of the reference rate.</bdi>`, "the digits in order, in an isolated sentence")
	assert.Contains(t, page, `<td class="name"><bdi>x`+esc+`</bdi></td>`)
	assert.Contains(t, page, "<title>"+fsi+`x\u202e`+pdi+": 0.4622</title>", "the chart's tooltip")
	// The data-key keeps the name as report.json has it.
	assert.Contains(t, page, `data-key="group:gender:x`+rlo+`:positive_rate">0.4622<`)
	checkDataKeys(t, page, r)
}

// ESC sequences in texts are shown, not passed to whatever displays the
// page.
func TestEscapeSequenceInTexts(t *testing.T) {
	r := fixture()
	ex := &r.Consistency.Tests[0].Examples[0]
	ex.Original = "\x1b]0;pwned\x07 fine \x1b[31mred\x1b[0m"
	page := renderAudit(t, r)
	checkNoControls(t, page)
	ctl := func(c string) string {
		return `<span class="ctl" title="control character U+00` + c + `">\x` + strings.ToLower(c) + `</span>`
	}
	assert.Contains(t, page, "<bdi>"+ctl("1B")+"]0;pwned"+ctl("07")+" fine "+ctl("1B")+"[31mred"+ctl("1B")+"[0m</bdi>")

	a := explanation("a \x1b[1mbold\x1b[0m word", 0.7, 0.1, 0.2, 0.3)
	var b bytes.Buffer
	require.NoError(t, WriteExplanations(&b, []*attribution.Result{a}))
	checkNoControls(t, b.String())
	assert.Contains(t, b.String(), `data-attr="0.2000">`+ctl("1B")+"[1mbold"+ctl("1B")+"[0m</span>", "a heatmap token")
}

// A group named like markup stays text.
func TestScriptInGroupName(t *testing.T) {
	r := fixture()
	r.Groups[1].Groups[0].Group = "<script>alert(1)</script>"
	page := renderAudit(t, r)
	assert.Equal(t, 2, strings.Count(page, "<script>"))
	assert.Contains(t, page, `<td class="name"><bdi>&lt;script&gt;alert(1)&lt;/script&gt;</bdi>`)
	assert.Contains(t, page, fsi+"&lt;script&gt;alert(1)&lt;/script&gt;"+pdi)
	selfContained(t, page)
}
