//go:build unix

package report

import (
	"bytes"
	"context"
	"encoding/json"
	"github.com/lucid-nlp/lucid/internal/browsertest"
	"html"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/attribution"
	"github.com/lucid-nlp/lucid/audit"
)

// browserTimeout bounds one headless browser run.
const browserTimeout = 60 * time.Second

// browse runs headless Chromium on file with extra flags, returning its
// stdout and stderr. The run and every process it starts are killed after
// browserTimeout.
func browse(t *testing.T, bin, file string, extra ...string) (stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), browserTimeout)
	defer cancel()
	args := append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + t.TempDir(), "--enable-logging=stderr", "--v=0"}, extra...)
	args = append(args, "file://"+file)
	cmd := exec.CommandContext(ctx, bin, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("chromium did not finish within %v: %s", browserTimeout, tail(errb.String()))
	}
	require.NoError(t, err, "chromium: %s", tail(errb.String()))
	return out.String(), errb.String()
}

func tail(s string) string {
	if len(s) > 2000 {
		return "…" + s[len(s)-2000:]
	}
	return s
}

var jsErrorsRE = regexp.MustCompile(`<pre id="js-errors"[^>]*>([\s\S]*?)</pre>`)

// jsProblems returns the errors a page's script reported into #js-errors
// and the browser's console lines (uncaught errors, console.error, blocked
// loads).
func jsProblems(t *testing.T, dom, stderr string) (domErrors string, console []string) {
	t.Helper()
	m := jsErrorsRE.FindStringSubmatch(dom)
	require.NotNil(t, m, "the dumped DOM has no #js-errors element")
	for _, line := range strings.Split(stderr, "\n") {
		if strings.Contains(line, ":CONSOLE") || strings.Contains(line, "Uncaught") {
			console = append(console, line)
		}
	}
	return strings.TrimSpace(m[1]), console
}

// screenshotDir is where screenshots go: $LUCID_SCREENSHOT_DIR, for a
// person to look at, else a temporary directory.
func screenshotDir(t *testing.T) string {
	if d := os.Getenv("LUCID_SCREENSHOT_DIR"); d != "" {
		require.NoError(t, os.MkdirAll(d, 0o755))
		abs, err := filepath.Abs(d)
		require.NoError(t, err)
		return abs
	}
	return t.TempDir()
}

// checkScreenshot requires a real, non-trivial PNG.
func checkScreenshot(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err, "screenshot")
	assert.Greater(t, len(b), 10_000, "screenshot size")
	img, err := png.Decode(bytes.NewReader(b))
	require.NoError(t, err)
	assert.Equal(t, 1280, img.Bounds().Dx())
	colours := map[uint32]bool{}
	for y := img.Bounds().Min.Y; y < img.Bounds().Max.Y; y += 7 {
		for x := img.Bounds().Min.X; x < img.Bounds().Max.X; x += 7 {
			r, g, b, _ := img.At(x, y).RGBA()
			colours[r>>8<<16|g>>8<<8|b>>8] = true
		}
	}
	assert.Greater(t, len(colours), 50, "the screenshot shows more than a blank page")
	t.Logf("screenshot: %s (%d bytes)", path, len(b))
}

// writePage writes a page with write into dir/name and returns its path.
func writePage(t *testing.T, dir, name string, write func(*os.File) error) string {
	t.Helper()
	path := filepath.Join(dir, name)
	f, err := os.Create(path)
	require.NoError(t, err)
	require.NoError(t, write(f))
	require.NoError(t, f.Close())
	return path
}

func TestBrowserAudit(t *testing.T) {
	bin := browsertest.Chromium(t)
	r := fixture()
	page := writePage(t, t.TempDir(), "report.html", func(f *os.File) error { return WriteAudit(f, r) })

	dom, stderr := browse(t, bin, page, "--dump-dom")
	errs, console := jsProblems(t, dom, stderr)
	assert.Empty(t, errs, "#js-errors")
	assert.Empty(t, console, "console messages")
	assert.Contains(t, dom, "Lucid audit report")
	assert.NotContains(t, dom, `alert("xss")</script>`, "injected markup stays text")

	// The numbers in the rendered DOM are report.json's.
	seen := checkDataKeys(t, dom, r, wantKeys...)
	assert.Greater(t, len(seen), 150)

	// In particular, every figure of one pairwise group test, one matched
	// pair and one consistency test, verdicts included, as Chromium
	// rendered them (checkDataKeys compared each with report.json).
	j := reportJSON(t, r)
	for _, key := range []string{
		"pair:gender:female:male:positive_rate", "pair:gender:female:male:positive_rate:low", "pair:gender:female:male:positive_rate:high",
		"pair:gender:female:male:positive_rate:p_holm", "pair:gender:female:male:positive_rate:verdict",
		"paired:dialect:aae:sae:mean", "paired:dialect:aae:sae:low", "paired:dialect:aae:sae:high", "paired:dialect:aae:sae:positive",
		"paired:dialect:aae:sae:negative", "paired:dialect:aae:sae:ties", "paired:dialect:aae:sae:sign_p", "paired:dialect:aae:sae:t_p",
		"paired:dialect:aae:sae:wilcoxon_p", "paired:dialect:aae:sae:p_adjusted", "paired:dialect:aae:sae:verdict",
		"consistency:negation:failure_rate", "consistency:negation:failure_rate:low", "consistency:negation:failure_rate:high",
		"consistency:negation:tested", "consistency:negation:saturated", "consistency:negation:at_ceiling",
		"consistency:negation:delta:mean", "consistency:negation:delta:low", "consistency:negation:delta:high",
		"consistency:negation:p_holm", "consistency:negation:verdict",
		// One counterfactual direction shown (fail) and one folded
		// into <details> (pass): mean signed Δp, its interval, Holm's p
		// and the verdict; and a family's and a stability verdict.
		"cf-dir:names:european_american_female:african_american_female:signed:mean",
		"cf-dir:names:european_american_female:african_american_female:signed:low",
		"cf-dir:names:european_american_female:african_american_female:signed:high",
		"cf-dir:names:european_american_female:african_american_female:signed_check:p",
		"cf-dir:names:european_american_female:african_american_female:verdict",
		"cf-dir:gender:male:female:signed:mean", "cf-dir:gender:male:female:signed:low", "cf-dir:gender:male:female:signed:high",
		"cf-dir:gender:male:female:signed_check:p", "cf-dir:gender:male:female:verdict",
		"cf:names:verdict", "cf:gender:signed_check:estimate", "stability:lime:seed 43:verdict",
	} {
		want, err := lookup(j, key)
		require.NoError(t, err, key)
		got, ok := seen[key]
		if assert.True(t, ok, "the page shows %s", key) && assert.NotNil(t, want, key) {
			if f, isNum := want.(float64); isNum {
				v, err := strconv.ParseFloat(got, 64)
				require.NoError(t, err, "%s: %q", key, got)
				assert.InDelta(t, f, v, tolerance(got), key)
			} else {
				assert.Equal(t, want, got, key)
			}
		}
	}

	shot := filepath.Join(screenshotDir(t), "audit.png")
	_, stderr = browse(t, bin, page, "--screenshot="+shot, "--window-size=1280,6000", "--hide-scrollbars")
	_, console = jsProblems(t, dom, stderr)
	assert.Empty(t, console, "console messages")
	checkScreenshot(t, shot)
}

func TestBrowserExplanations(t *testing.T) {
	bin := browsertest.Chromium(t)
	results := []*attribution.Result{
		explanation("Ünïcode café "+injection+" was great", 0.83, -0.1, 0.05, -0.02, 0, 0.4),
		fixture().Counterfactual.Explained[0].Swapped,
	}
	page := writePage(t, t.TempDir(), "explanations.html", func(f *os.File) error { return WriteExplanations(f, results) })

	dom, stderr := browse(t, bin, page, "--dump-dom")
	errs, console := jsProblems(t, dom, stderr)
	assert.Empty(t, errs, "#js-errors")
	assert.Empty(t, console, "console messages")
	assert.Equal(t, 14, strings.Count(dom, `class="tok `)-strings.Count(dom, `<td><span class="tok `), "one heatmap span per feature")

	// The numbers in the DOM are the results' JSON.
	b, err := json.Marshal(results)
	require.NoError(t, err)
	var js []map[string]any
	require.NoError(t, json.Unmarshal(b, &js))
	n := 0
	for _, kv := range dataKeys(dom) {
		p := strings.Split(kv[0], ":")
		require.Equal(t, "explanation", p[0], kv[0])
		i, _ := strconv.Atoi(p[1])
		var want any
		switch p[2] {
		case "f_x", "base_value":
			want = js[i][p[2]]
		case "probability":
			want = obj(js[i]["probabilities"])[p[3]]
		case "feature":
			j, _ := strconv.Atoi(p[3])
			want = obj(js[i]["features"].([]any)[j])["attribution"]
		default:
			t.Fatalf("unknown data-key %q", kv[0])
		}
		got, err := strconv.ParseFloat(kv[1], 64)
		require.NoError(t, err, kv[0])
		assert.InDelta(t, want, got, tolerance(kv[1]), kv[0])
		n++
	}
	assert.Equal(t, 2*(2+2)+5+9, n, "f(x), base value and two probabilities per result, and every feature")

	shot := filepath.Join(screenshotDir(t), "explanations.png")
	_, stderr = browse(t, bin, page, "--screenshot="+shot, "--window-size=1280,3000", "--hide-scrollbars")
	_, console = jsProblems(t, dom, stderr)
	assert.Empty(t, console, "console messages")
	checkScreenshot(t, shot)
}

// allowScript adds js to a page's script-src, as the page's own scripts
// are listed: by its SHA-256.
func allowScript(t *testing.T, page, js string) string {
	t.Helper()
	const at = "script-src "
	require.Equal(t, 1, strings.Count(page, at), "one script-src in the page")
	return strings.Replace(page, at, at+strings.ReplaceAll(scriptHash(js), "'", "&#39;")+" ", 1)
}

// The harness itself must see a script error, both in #js-errors and on
// the console: a page of the same shape with a deliberate error in a
// script the policy allows. The same script without its hash is blocked
// by the Content-Security-Policy, and the browser says so.
func TestBrowserHarnessSeesErrors(t *testing.T) {
	bin := browsertest.Chromium(t)
	var b bytes.Buffer
	require.NoError(t, WriteExplanations(&b, nil))
	const broken = "undefinedFunction();"
	injected := strings.Replace(b.String(), "</main>", "<script>"+broken+"</script></main>", 1)
	for name, page := range map[string]string{"allowed": allowScript(t, injected, broken), "blocked": injected} {
		t.Run(name, func(t *testing.T) {
			path := writePage(t, t.TempDir(), "broken.html", func(f *os.File) error {
				_, err := f.WriteString(page)
				return err
			})
			dom, stderr := browse(t, bin, path, "--dump-dom")
			errs, console := jsProblems(t, dom, stderr)
			if name == "allowed" {
				assert.Contains(t, errs, "undefinedFunction")
				assert.NotEmpty(t, console)
			} else {
				assert.Empty(t, errs, "the injected script did not run")
				require.Len(t, console, 1, "one console line")
				assert.Contains(t, console[0], "violates the following Content Security Policy directive")
			}
			if t.Failed() {
				t.Log(tail(stderr))
			}
		})
	}
}

// probeJS runs in the page (allowed by its hash) and writes what it saw
// into <pre id="probe"> as JSON: the on-screen x position of each
// character of "0.38" in the summary line that holds it and in a control
// line carrying a raw U+202E, whether the page's buttons still open and
// close every <details>, and the summary line's text.
const probeJS = `
(function () {
  function xs(el, s) {
    var w = document.createTreeWalker(el, NodeFilter.SHOW_TEXT), text = '', nodes = [];
    while (w.nextNode()) { nodes.push([w.currentNode, text.length]); text += w.currentNode.data; }
    var at = text.indexOf(s), out = [];
    if (at < 0) { return null; }
    for (var k = at; k < at + s.length; k++) {
      var i = nodes.length - 1;
      while (nodes[i][1] > k) { i--; }
      var r = document.createRange();
      r.setStart(nodes[i][0], k - nodes[i][1]);
      r.setEnd(nodes[i][0], k - nodes[i][1] + 1);
      out.push(r.getBoundingClientRect().left);
    }
    return out;
  }
  var out = {}, msgs = document.querySelectorAll('.msg');
  for (var i = 0; i < msgs.length; i++) {
    if (msgs[i].textContent.indexOf('0.38') >= 0) { out.message = msgs[i].textContent; out.messageXs = xs(msgs[i], '0.38'); }
  }
  var c = document.createElement('div');
  c.textContent = 'By gender: x\u202e 0.38 of the reference rate.';
  document.body.appendChild(c);
  out.controlXs = xs(c, '0.38');
  c.remove();
  var ds = document.querySelectorAll('details');
  out.details = ds.length;
  document.querySelector('[data-toggle-details="close"]').click();
  out.closed = 0;
  for (var j = 0; j < ds.length; j++) { if (!ds[j].open) { out.closed++; } }
  document.querySelector('[data-toggle-details="open"]').click();
  out.opened = 0;
  for (var j = 0; j < ds.length; j++) { if (ds[j].open) { out.opened++; } }
  var p = document.createElement('pre');
  p.id = 'probe';
  p.textContent = JSON.stringify(out);
  document.body.appendChild(p);
})();
`

var probeRE = regexp.MustCompile(`<pre id="probe">([^<]*)</pre>`)

// In Chromium: a group named "x" + U+202E does not reverse the number
// after it in the summary (the probe's control line shows that the same
// text with the raw override would), and the page's scripts run under
// the hash-based policy with no violation.
func TestBrowserBidiAndPolicy(t *testing.T) {
	bin := browsertest.Chromium(t)
	r := fixture()
	const name = "x" + rlo
	r.Groups[0].Groups[1].Group = name
	r.Summary = append(r.Summary, audit.Finding{Check: "groups", Status: "fail", Message: "By gender: " + name + " 0.38 of the reference rate."})
	var b bytes.Buffer
	require.NoError(t, WriteAudit(&b, r))
	page := strings.Replace(b.String(), "</main>", "<script>"+probeJS+"</script></main>", 1)
	path := writePage(t, t.TempDir(), "report.html", func(f *os.File) error {
		_, err := f.WriteString(allowScript(t, page, probeJS))
		return err
	})

	dom, stderr := browse(t, bin, path, "--dump-dom")
	errs, console := jsProblems(t, dom, stderr)
	assert.Empty(t, errs, "#js-errors")
	assert.Empty(t, console, "console messages (a blocked script would be one)")
	m := probeRE.FindStringSubmatch(dom)
	require.NotNil(t, m, "the probe ran and wrote its result")
	var got struct {
		Message                 string
		MessageXs, ControlXs    []float64
		Details, Closed, Opened int
	}
	require.NoError(t, json.Unmarshal([]byte(html.UnescapeString(m[1])), &got))
	t.Logf("probe: %+v", got)

	assert.Equal(t, `By gender: x\u202e 0.38 of the reference rate.`, got.Message, "the override is shown as an escape")
	assert.NotContains(t, got.Message, rlo)
	require.Len(t, got.MessageXs, 4)
	for i := 1; i < 4; i++ {
		assert.Greater(t, got.MessageXs[i], got.MessageXs[i-1], "“0.38” is drawn left to right in the summary")
	}
	require.Len(t, got.ControlXs, 4)
	for i := 1; i < 4; i++ {
		assert.Less(t, got.ControlXs[i], got.ControlXs[i-1], "the control line with a raw override is drawn reversed (“83.0”)")
	}

	assert.Greater(t, got.Details, 0)
	assert.Equal(t, got.Details, got.Closed, "“Collapse all” closed every <details>")
	assert.Equal(t, got.Details, got.Opened, "“Expand all” opened every <details>")
}
