//go:build unix

package server

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// browserTimeout bounds the whole headless browser session.
const browserTimeout = 90 * time.Second

// chromium finds Debian's Chromium: fatal in CI (whose set-up installs
// it), a skip elsewhere.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "/usr/bin/chromium"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium not found: the CI set-up must install it (apt-get install chromium)")
	}
	t.Skip("chromium not found; to run the browser test: apt-get install chromium")
	return ""
}

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
		if s, ok := d.eval(expr).(string); ok && s != "" {
			return s
		}
		time.Sleep(50 * time.Millisecond)
	}
	d.t.Fatalf("timed out waiting for %s", what)
	return ""
}

// The page at /: type a sentence, pick a method, click Explain; the
// heatmap that appears carries the same numbers as the JSON API.
func TestWebPageInChromium(t *testing.T) {
	bin := chromium(t)
	_, ts := newTest(t, batchingOn())

	ctx, cancel := context.WithTimeout(context.Background(), browserTimeout)
	defer cancel()
	browserReads, weWrite, err := os.Pipe()
	require.NoError(t, err)
	weRead, browserWrites, err := os.Pipe()
	require.NoError(t, err)
	cmd := exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-extensions",
		"--user-data-dir="+t.TempDir(), "--remote-debugging-pipe", "about:blank")
	// fd 3: what the browser reads; fd 4: what it writes.
	cmd.ExtraFiles = []*os.File{browserReads, browserWrites}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	var stderr strings.Builder
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	defer weWrite.Close()
	defer weRead.Close()
	browserReads.Close()
	browserWrites.Close()
	defer func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
	}()
	d := &devtools{t: t, w: weWrite, r: bufio.NewReader(weRead)}

	target := d.call("Target.createTarget", map[string]any{"url": ts.URL + "/"})
	att := d.call("Target.attachToTarget", map[string]any{"targetId": target["targetId"], "flatten": true})
	d.session = att["sessionId"].(string)
	d.waitFor("the page", `document.readyState === "complete" && document.getElementById("explain") ? "ok" : ""`)
	assert.Equal(t, 0.0, d.eval(`document.scripts.length`), "the form page has no script")

	sentence := "a gorgeous, witty, seductive movie"
	d.eval(`document.getElementById("text").focus()`)
	d.call("Input.insertText", map[string]any{"text": sentence})
	d.eval(`(function(){ var s = document.getElementById("method"); s.value = "occlusion"; s.dispatchEvent(new Event("change")); return s.value })()`)
	d.eval(`document.getElementById("explain").click()`)

	heat := d.waitFor("the heatmap", `(function(){
  var f = document.getElementById("result"); var doc = f && f.contentDocument;
  // The whole explanation page, not the part parsed so far.
  if (!doc || doc.readyState !== "complete") return "";
  var toks = doc.querySelectorAll(".heat span.tok"); if (!toks.length) return "";
  var out = {tokens: [], probs: {}, errors: (doc.getElementById("js-errors") || {}).textContent || ""};
  for (var i = 0; i < toks.length; i++) out.tokens.push([toks[i].textContent, toks[i].getAttribute("data-attr")]);
  var ps = doc.querySelectorAll("[data-key^='explanation:0:probability:']");
  for (var j = 0; j < ps.length; j++) out.probs[ps[j].getAttribute("data-key").split(":").pop()] = ps[j].textContent;
  return JSON.stringify(out);
})()`)
	var page struct {
		Tokens [][2]string       `json:"tokens"`
		Probs  map[string]string `json:"probs"`
		Errors string            `json:"errors"`
	}
	require.NoError(t, json.Unmarshal([]byte(heat), &page))
	assert.Empty(t, strings.TrimSpace(page.Errors), "no script errors in the explanation page")

	want := explainJSON(t, ts.URL, sentence, map[string]any{"method": "occlusion"})
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
	t.Logf("chromium read back %d heatmap values and %d probabilities: %s", len(page.Tokens), len(page.Probs), fmt.Sprint(page.Tokens))
}
