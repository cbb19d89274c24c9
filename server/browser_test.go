//go:build unix

package server

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lucid-nlp/lucid/internal/browsertest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// browserTimeout bounds the whole headless browser session.
const browserTimeout = 90 * time.Second

// devtools is a Chrome DevTools Protocol client over
// --remote-debugging-pipe: JSON messages ended by NUL, written to the
// browser's fd 3 and read from its fd 4 (no websocket needed).
type devtools struct {
	t       *testing.T
	w       *os.File
	r       *bufio.Reader
	id      int
	session string
}

func (d *devtools) call(method string, params map[string]any) map[string]any {
	d.t.Helper()
	d.id++
	msg := map[string]any{"id": d.id, "method": method, "params": params}
	if d.session != "" {
		msg["sessionId"] = d.session
	}
	raw, err := json.Marshal(msg)
	require.NoError(d.t, err)
	_, err = d.w.Write(append(raw, 0))
	require.NoError(d.t, err, "writing %s to chromium", method)
	for {
		line, err := d.r.ReadBytes(0)
		require.NoError(d.t, err, "reading chromium's answer to %s", method)
		var resp struct {
			ID     int             `json:"id"`
			Result map[string]any  `json:"result"`
			Error  json.RawMessage `json:"error"`
		}
		require.NoError(d.t, json.Unmarshal(line[:len(line)-1], &resp))
		if resp.ID != d.id {
			continue // an event, or another answer
		}
		require.Nil(d.t, resp.Error, "%s: %s", method, resp.Error)
		return resp.Result
	}
}

// try evaluates a JavaScript expression in the page; ok is false when
// the page could not run it (as while it navigates).
func (d *devtools) try(expr string) (any, bool) {
	d.t.Helper()
	d.id++
	msg := map[string]any{"id": d.id, "method": "Runtime.evaluate", "params": map[string]any{"expression": expr, "returnByValue": true}, "sessionId": d.session}
	raw, err := json.Marshal(msg)
	require.NoError(d.t, err)
	_, err = d.w.Write(append(raw, 0))
	require.NoError(d.t, err, "writing to chromium")
	for {
		line, err := d.r.ReadBytes(0)
		require.NoError(d.t, err, "reading chromium's answer")
		var resp struct {
			ID     int             `json:"id"`
			Result map[string]any  `json:"result"`
			Error  json.RawMessage `json:"error"`
		}
		require.NoError(d.t, json.Unmarshal(line[:len(line)-1], &resp))
		if resp.ID != d.id {
			continue
		}
		if resp.Error != nil || resp.Result["exceptionDetails"] != nil {
			return nil, false
		}
		v, _ := resp.Result["result"].(map[string]any)
		return v["value"], true
	}
}

// eval evaluates a JavaScript expression in the page, returning its value.
func (d *devtools) eval(expr string) any {
	d.t.Helper()
	res := d.call("Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true})
	if ex, ok := res["exceptionDetails"]; ok {
		d.t.Fatalf("page script %q failed: %v", expr, ex)
	}
	return res["result"].(map[string]any)["value"]
}

// waitFor evaluates expr until it returns a non-empty string.
func (d *devtools) waitFor(what, expr string) string {
	d.t.Helper()
	deadline := time.Now().Add(browserTimeout / 2)
	for time.Now().Before(deadline) {
		if v, ok := d.try(expr); ok {
			if s, ok := v.(string); ok && s != "" {
				return s
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	d.t.Fatalf("timed out waiting for %s", what)
	return ""
}

// layoutFacts is what the page must be at every width: nothing wider than
// the window, no box that clips its content (a fixed height with a
// scrollbar, as the old result frame had; the text box is the user's to
// resize and scroll), no frame.
const layoutFacts = `(function(){
  var out = {overflowX: document.documentElement.scrollWidth - window.innerWidth, clipped: [], frames: document.querySelectorAll("iframe, frame").length};
  var all = document.querySelectorAll("body *");
  for (var i = 0; i < all.length; i++) {
    var e = all[i]; if (e.tagName === "TEXTAREA" || e.tagName === "SELECT" || e.tagName === "OPTION") continue;
    var cs = getComputedStyle(e);
    if (cs.overflowY !== "visible" && e.scrollHeight > e.clientHeight + 1) out.clipped.push(e.tagName + "#" + e.id + "." + e.className);
  }
  return JSON.stringify(out);
})()`

type layout struct {
	OverflowX float64  `json:"overflowX"`
	Clipped   []string `json:"clipped"`
	Frames    int      `json:"frames"`
}

func (d *devtools) layout() layout {
	d.t.Helper()
	var l layout
	require.NoError(d.t, json.Unmarshal([]byte(d.eval(layoutFacts).(string)), &l))
	return l
}

// screenshot saves the page, whole, as PNG under $LUCID_SCREENSHOT_DIR (when
// set) for a person to look at.
func (d *devtools) screenshot(name string) {
	d.t.Helper()
	dir := os.Getenv("LUCID_SCREENSHOT_DIR")
	if dir == "" {
		return
	}
	res := d.call("Page.captureScreenshot", map[string]any{"format": "png", "captureBeyondViewport": true})
	png, err := base64.StdEncoding.DecodeString(res["data"].(string))
	require.NoError(d.t, err)
	path := filepath.Join(dir, name+".png")
	require.NoError(d.t, os.WriteFile(path, png, 0o644))
	d.t.Logf("screenshot: %s", path)
}

// jargon are words the page's own text must not use outside its
// technical details: the numbers' names, not a reader's words.
var jargon = []string{"f(x)", "base value", "efficiency", "stderr", "standard error", "attribution", "logit", "coalition"}

// The page at /, at a desktop (1280 px) and a phone (390 px) width: no
// result box before the first request, nothing clipped or wider than the
// window; type a sentence, pick a method, click Explain; the page that
// comes back shows the heatmap with the same numbers as the JSON API, in
// plain words outside its technical details, still nothing clipped.
func TestWebPageInChromium(t *testing.T) {
	bin := browsertest.Chromium(t)
	_, ts := newTest(t, batchingOn())
	sentence := "a gorgeous, witty, seductive movie"
	want := explainJSON(t, ts.URL, sentence, map[string]any{"method": "occlusion"})
	for _, width := range []int{1280, 390} {
		t.Run(fmt.Sprintf("%dpx", width), func(t *testing.T) {
			d, done := openChromium(t, bin)
			defer done()
			d.call("Emulation.setDeviceMetricsOverride", map[string]any{"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": width < 600})
			d.call("Page.navigate", map[string]any{"url": ts.URL + "/"})
			d.waitFor("the page", `document.readyState === "complete" && document.getElementById("explain") ? "ok" : ""`)
			assert.Equal(t, 0.0, d.eval(`document.scripts.length`), "the form page has no script")
			assert.Equal(t, true, d.eval(`document.getElementById("result") === null`), "no result box before the first request")
			l := d.layout()
			assert.LessOrEqual(t, l.OverflowX, 0.0, "nothing wider than the window")
			assert.Empty(t, l.Clipped, "no box clips its content")
			assert.Zero(t, l.Frames, "no frame")
			d.screenshot(fmt.Sprintf("page-%d-empty", width))

			d.eval(`document.getElementById("text").focus()`)
			d.call("Input.insertText", map[string]any{"text": sentence})
			d.eval(`(function(){ var s = document.getElementById("method"); s.value = "occlusion"; return s.value })()`)
			d.eval(`document.getElementById("explain").click()`)
			heat := d.waitFor("the heatmap", `(function(){
  if (document.readyState !== "complete") return "";
  var toks = document.querySelectorAll(".heat span.tok"); if (!toks.length) return "";
  var out = {tokens: [], probs: {}, text: document.getElementById("text").value, method: document.getElementById("method").value};
  for (var i = 0; i < toks.length; i++) out.tokens.push([toks[i].textContent, toks[i].getAttribute("data-attr")]);
  var ps = document.querySelectorAll("[data-key^='explanation:0:probability:']");
  for (var j = 0; j < ps.length; j++) out.probs[ps[j].getAttribute("data-key").split(":").pop()] = ps[j].textContent;
  // What a reader sees without opening the details; the summary's
  // wording is the summary generator's (attribution.Summarize).
  var r = document.getElementById("result").cloneNode(true);
  ["details", "summary"].forEach(function(id){ var e = r.querySelector("#" + id); if (e) e.remove(); });
  out.plain = document.querySelector("main > p").textContent + " " + document.getElementById("explain-form").textContent + " " + r.textContent;
  out.detailsOpen = document.getElementById("details").open;
  return JSON.stringify(out);
})()`)
			var page struct {
				Tokens      [][2]string       `json:"tokens"`
				Probs       map[string]string `json:"probs"`
				Text        string            `json:"text"`
				Method      string            `json:"method"`
				Plain       string            `json:"plain"`
				DetailsOpen bool              `json:"detailsOpen"`
			}
			require.NoError(t, json.Unmarshal([]byte(heat), &page))
			assert.Equal(t, sentence, page.Text, "the form keeps the text")
			assert.Equal(t, "occlusion", page.Method, "and the method")
			assert.False(t, page.DetailsOpen, "the technical details start folded")
			for _, w := range jargon {
				assert.NotContains(t, strings.ToLower(page.Plain), w, "jargon outside the technical details")
			}
			require.Len(t, page.Tokens, len(want.Features), "one heatmap span per feature")
			for i, f := range want.Features {
				assert.Equal(t, f.Text, page.Tokens[i][0])
				v, err := strconv.ParseFloat(page.Tokens[i][1], 64)
				require.NoError(t, err, "data-attr %q", page.Tokens[i][1])
				// The page prints 4 decimals.
				assert.InDelta(t, f.Attribution, v, 0.5e-4+1e-9, "feature %q", f.Text)
			}
			require.Len(t, page.Probs, len(want.Probabilities))
			for l, p := range want.Probabilities {
				v, err := strconv.ParseFloat(page.Probs[l], 64)
				require.NoError(t, err, "probability %q", page.Probs[l])
				assert.InDelta(t, p, v, 0.5e-4+1e-9, "probability of %s", l)
			}
			l = d.layout()
			assert.LessOrEqual(t, l.OverflowX, 0.0, "the result is no wider than the window")
			assert.Empty(t, l.Clipped, "no box clips the result")
			d.screenshot(fmt.Sprintf("page-%d-result", width))
			d.eval(`document.getElementById("details").open = true`)
			l = d.layout()
			assert.LessOrEqual(t, l.OverflowX, 0.0, "the open details are no wider than the window (their tables scroll inside)")
			d.screenshot(fmt.Sprintf("page-%d-details", width))
			t.Logf("%d px: chromium read back %d heatmap values and %d probabilities", width, len(page.Tokens), len(page.Probs))
		})
	}
}

// openChromium starts headless Chromium with a page target attached.
func openChromium(t *testing.T, bin string) (*devtools, func()) {
	ctx, cancel := context.WithTimeout(context.Background(), browserTimeout)
	browserReads, weWrite, err := os.Pipe()
	require.NoError(t, err)
	weRead, browserWrites, err := os.Pipe()
	require.NoError(t, err)
	cmd := exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-extensions", "--hide-scrollbars",
		"--user-data-dir="+t.TempDir(), "--remote-debugging-pipe", "about:blank")
	// fd 3: what the browser reads; fd 4: what it writes.
	cmd.ExtraFiles = []*os.File{browserReads, browserWrites}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	var stderr strings.Builder
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	browserReads.Close()
	browserWrites.Close()
	done := func() {
		weWrite.Close()
		weRead.Close()
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
		cancel()
	}
	d := &devtools{t: t, w: weWrite, r: bufio.NewReader(weRead)}
	target := d.call("Target.createTarget", map[string]any{"url": "about:blank"})
	att := d.call("Target.attachToTarget", map[string]any{"targetId": target["targetId"], "flatten": true})
	d.session = att["sessionId"].(string)
	return d, done
}
