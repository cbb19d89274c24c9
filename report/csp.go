package report

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"html/template"
	"strings"
)

// The page's only scripts. The Content-Security-Policy allows exactly
// these by their SHA-256, so a script that got into the page any other way
// (were escaping ever to fail) would not run.
const (
	// errorSinkJS copies uncaught script errors into #js-errors, where a
	// test driving a headless browser reads them.
	errorSinkJS = `
window.addEventListener('error', function (e) {
  var p = document.getElementById('js-errors');
  if (p) { p.textContent += String((e && e.message) || 'error') + '\n'; p.hidden = false; }
});
`
	// toggleJS makes the "Expand all" and "Collapse all" buttons work.
	toggleJS = `
(function () {
  var buttons = document.querySelectorAll('[data-toggle-details]');
  for (var i = 0; i < buttons.length; i++) {
    buttons[i].addEventListener('click', function (ev) {
      var open = ev.currentTarget.getAttribute('data-toggle-details') === 'open';
      var ds = document.querySelectorAll('details');
      for (var j = 0; j < ds.length; j++) { ds[j].open = open; }
    });
  }
})();
`
)

// scriptHash is the CSP source for an inline script whose text (between
// <script> and </script>) is js.
func scriptHash(js string) string {
	sum := sha256.Sum256([]byte(js))
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}

// contentPolicy is the page's Content-Security-Policy with scripts as its
// only inline scripts: nothing is fetched (default-src 'none'; images only from data:
// URLs), scripts run only when their hash is listed, and styles may be
// inline ('unsafe-inline' for styles only: the heatmap colours are style
// attributes, and with nothing fetchable an injected style could neither
// load nor send anything). base-uri and form-action are not covered by
// default-src, so they are closed too.
func contentPolicy(scripts ...string) string {
	hashes := make([]string, len(scripts))
	for i, s := range scripts {
		hashes[i] = scriptHash(s)
	}
	return "default-src 'none'; script-src " + strings.Join(hashes, " ") +
		"; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"
}

// pagePolicy allows the page's two scripts.
var pagePolicy = contentPolicy(errorSinkJS, toggleJS)

// pageFuncs are the template functions for the page's scripts and policy
// and for data strings (see safe.go); bdi takes any value, so a named
// string type (attribution.Method) is shown as its text.
var pageFuncs = template.FuncMap{
	"inc":       func(i int) int { return i + 1 },
	"csp":       func() string { return pagePolicy },
	"errorSink": func() template.JS { return template.JS(errorSinkJS) },
	"toggle":    func() template.JS { return template.JS(toggleJS) },
	"bdi":       func(v any) template.HTML { return bdi(fmt.Sprint(v)) },
	"isolate":   isolate,
	"htmlText":  htmlText,
}
