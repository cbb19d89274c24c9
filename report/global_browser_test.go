//go:build unix

package report

import (
	"encoding/json"
	"fmt"
	"github.com/lucid-nlp/lucid/internal/browsertest"
	"html"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/attribution"
	"github.com/lucid-nlp/lucid/global"
)

// globalFixture aggregates random explanations over a small vocabulary,
// one word carrying markup and a bidi override, so the page's numbers,
// bars and escaping can be checked.
func globalFixture(t *testing.T) *global.Report {
	t.Helper()
	acc, err := global.New(global.Options{Labels: []string{"NEGATIVE", "POSITIVE"}, Model: "fixture", Method: "kernelshap", Output: "prob", Features: "words", Budget: 64})
	require.NoError(t, err)
	vocab := []string{"good", "bad", "great", "awful", "the", "film", "not", `<script>alert("xss")</script>`, "evil\u202etxt", "fine", "dull", "a"}
	lean := []float64{0.3, -0.3, 0.4, -0.5, 0, 0.01, -0.1, 0.05, -0.02, 0.1, -0.2, 0.001}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 60 {
		n := 2 + rng.IntN(6)
		r := &attribution.Result{Evaluations: 65}
		var text strings.Builder
		pos, neg := make([]float64, n), make([]float64, n)
		for j := range n {
			k := rng.IntN(len(vocab))
			if j > 0 {
				text.WriteByte(' ')
			}
			start := text.Len()
			text.WriteString(vocab[k])
			r.Features = append(r.Features, attribution.FeatureAttribution{Text: vocab[k], ByteStart: start, ByteEnd: text.Len()})
			pos[j] = lean[k] + 0.05*rng.NormFloat64()
			neg[j] = -pos[j]
		}
		r.Text = text.String()
		r.Labels = []attribution.LabelAttribution{{Label: "NEGATIVE", Index: 0, Attributions: neg}, {Label: "POSITIVE", Index: 1, Attributions: pos}}
		require.NoError(t, acc.Add(r))
	}
	rep, err := acc.Report(8, 3, false)
	require.NoError(t, err)
	rep.Data = "fixture.tsv"
	return rep
}

// jsonPath follows a dotted path ("top.1.towards.0.stats.mean") into
// decoded JSON, numbers indexing arrays.
func jsonPath(v any, key string) (any, error) {
	for _, p := range strings.Split(key, ".") {
		switch c := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = c[p]; !ok {
				return nil, fmt.Errorf("no field %q", p)
			}
		case []any:
			i, err := strconv.Atoi(p)
			if err != nil || i < 0 || i >= len(c) {
				return nil, fmt.Errorf("no element %q of %d", p, len(c))
			}
			v = c[i]
		default:
			return nil, fmt.Errorf("%q: not an object or array", p)
		}
	}
	return v, nil
}

var (
	figureRE = regexp.MustCompile(`(?s)<figure id="([^"]+)">(.*?)</figure>`)
	zeroRE   = regexp.MustCompile(`<line class="zero" x1="([^"]+)"`)
	rectRE   = regexp.MustCompile(`<rect class="bar (\w+)" x="([^"]+)" y="[^"]+" width="([^"]+)"[^>]*data-bar="([^"]+)"`)
)

func TestBrowserGlobal(t *testing.T) {
	bin := browsertest.Chromium(t)
	rep := globalFixture(t)
	page := writePage(t, t.TempDir(), "global.html", func(f *os.File) error { return WriteGlobal(f, rep) })
	dom, stderr := browse(t, bin, page, "--dump-dom")
	errs, console := jsProblems(t, dom, stderr)
	assert.Empty(t, errs, "#js-errors")
	assert.Empty(t, console, "console messages")
	assert.Contains(t, dom, "Lucid global explanation")
	assert.NotContains(t, dom, `<script>alert("xss")</script>`, "a word's markup stays text")
	assert.NotContains(t, dom, "\u202e", "a bidi override is shown escaped")

	b, err := json.Marshal(rep)
	require.NoError(t, err)
	var j any
	require.NoError(t, json.Unmarshal(b, &j))

	// Every number the browser shows is global.json's.
	keys := dataKeys(dom)
	require.NotEmpty(t, keys)
	seen := map[string]bool{}
	for _, kv := range keys {
		key, text := kv[0], kv[1]
		seen[key] = true
		exp, err := jsonPath(j, key)
		if !assert.NoError(t, err, "data-key %q", key) {
			continue
		}
		f, ok := exp.(float64)
		if !assert.True(t, ok, "data-key %q: global.json has %v", key, exp) {
			continue
		}
		got, err := strconv.ParseFloat(text, 64)
		if assert.NoError(t, err, "data-key %q shows %q", key, text) {
			assert.LessOrEqual(t, math.Abs(got-f), tolerance(text), "data-key %q: page %s, global.json %v", key, text, f)
		}
	}
	// Each top list's every entry is on the page: mean, interval, count.
	lists := 0
	for l, lt := range rep.Top {
		for name, list := range map[string][]global.TopWord{"towards": lt.Towards, "against": lt.Against, "importance": lt.Importance} {
			require.NotEmpty(t, list, "fixture: %s %s", lt.Label, name)
			lists++
			for i := range list {
				field := "mean"
				if name == "importance" {
					field = "mean_abs"
				}
				for _, k := range []string{fmt.Sprintf("top.%d.%s.%d.stats.%s", l, name, i, field), fmt.Sprintf("top.%d.%s.%d.count", l, name, i)} {
					assert.True(t, seen[k], "page has no data-key %q", k)
				}
			}
		}
	}
	assert.Equal(t, 6, lists)
	for _, k := range []string{"texts", "occurrences", "word_types", "evaluations", "top.1.towards.0.stats.low", "top.1.towards.0.stats.high"} {
		assert.True(t, seen[k], "page has no data-key %q", k)
	}

	// The bars: one per listed word, on the side of zero its value is,
	// each chart on one scale (length / |value| the same for all).
	figures := figureRE.FindAllStringSubmatch(dom, -1)
	require.Len(t, figures, 6)
	for _, fig := range figures {
		id, body := fig[1], fig[2]
		list, err := jsonPath(j, id)
		require.NoError(t, err, id)
		zm := zeroRE.FindStringSubmatch(body)
		require.NotNil(t, zm, id)
		zero, _ := strconv.ParseFloat(zm[1], 64)
		rects := rectRE.FindAllStringSubmatch(body, -1)
		require.Len(t, rects, len(list.([]any)), id)
		scale := math.NaN()
		for _, r := range rects {
			x, _ := strconv.ParseFloat(r[2], 64)
			w, _ := strconv.ParseFloat(r[3], 64)
			vAny, err := jsonPath(j, html.UnescapeString(r[4]))
			require.NoError(t, err)
			v := vAny.(float64)
			if v > 0 {
				assert.InDelta(t, zero, x, 1e-6, "%s: a positive bar starts at zero", r[4])
			} else {
				assert.InDelta(t, zero, x+w, 1e-6, "%s: a negative bar ends at zero", r[4])
			}
			if math.IsNaN(scale) {
				scale = w / math.Abs(v)
			}
			assert.InDelta(t, scale, w/math.Abs(v), 1e-6*scale, "%s: one scale per chart", r[4])
		}
	}

	shot := filepath.Join(screenshotDir(t), "global.png")
	_, stderr = browse(t, bin, page, "--screenshot="+shot, "--window-size=1280,3000", "--hide-scrollbars")
	checkScreenshot(t, shot)
	_ = stderr
}
