package server

import (
	"bytes"
	"html/template"
	"net/http"

	"github.com/lucid-nlp/lucid/attribution"
	"github.com/lucid-nlp/lucid/report"
)

// The web page at / is a form that posts to /ui/explain into an iframe;
// /ui/explain answers with the report's own explanation page
// (report.WriteExplanations: its heatmap, its escaping, its
// Content-Security-Policy). The form page has no script at all, so its
// policy allows none: frames and form posts to this server only.
const pagePolicy = "default-src 'none'; script-src 'none'; style-src 'unsafe-inline'; frame-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

var pageTemplate = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Lucid</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;margin:0;color:#111827;background:#f9fafb}
main{max-width:960px;margin:0 auto;padding:1.5rem}
form{display:grid;gap:.6rem;background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:1rem}
textarea{width:100%;box-sizing:border-box;font:inherit;padding:.5rem;min-height:4.5rem}
.row{display:flex;gap:1rem;flex-wrap:wrap;align-items:center}
button{font:inherit;padding:.4rem 1.2rem;border-radius:6px;border:1px solid #2563eb;background:#2563eb;color:#fff;cursor:pointer}
iframe{width:100%;height:70vh;border:1px solid #e5e7eb;border-radius:8px;margin-top:1rem;background:#fff}
</style>
</head>
<body>
<main>
<h1>Lucid</h1>
<p>Type a text, pick a method, and see the model's prediction with each word coloured by how much it moved the predicted label (green towards, red against).</p>
<form id="explain-form" method="post" action="/ui/explain" target="result">
<label for="text">Text</label>
<textarea id="text" name="text" maxlength="{{.MaxText}}" required></textarea>
<div class="row">
<label>Model <select id="model" name="model">{{range .Models}}<option>{{.}}</option>{{end}}</select></label>
<label>Method <select id="method" name="method">{{range .Methods}}<option value="{{.}}">{{.}}</option>{{end}}</select></label>
{{if .Token}}<label>Token <input id="token" name="token" type="password" autocomplete="off"></label>{{end}}
<button id="explain" type="submit">Explain</button>
</div>
</form>
<iframe id="result" name="result" title="Explanation"></iframe>
<p><small>The same explanation as JSON: POST /v1/models/{name}:explain. Settings here: the method's default budget, words, the mask token, seed 1.</small></p>
</main>
</body>
</html>
`))

func securityHeaders(w http.ResponseWriter, policy string) {
	w.Header().Set("Content-Security-Policy", policy)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.Header().Set("Cache-Control", "no-store")
}

func (s *Server) page(w http.ResponseWriter, r *http.Request) {
	var buf bytes.Buffer
	err := pageTemplate.Execute(&buf, map[string]any{"Models": s.order, "Methods": attribution.Methods, "Token": s.cfg.Token != "", "MaxText": s.cfg.MaxTextBytes})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	securityHeaders(w, pagePolicy)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write(buf.Bytes())
}

// pageExplain answers the form: one explanation, rendered as the report's
// explanation page (which carries its own policy; the header here only
// lets this server's page frame it).
func (s *Server) pageExplain(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, badRequest("form: %v", err))
		return
	}
	m := s.model(w, r, r.PostFormValue("model"))
	if m == nil {
		return
	}
	text := r.PostFormValue("text")
	if err := s.checkTexts([]string{text}, 1, "text"); err != nil {
		s.fail(w, r, err)
		return
	}
	req, out, err := m.request(ExplainParameters{Method: r.PostFormValue("method")}, s.cfg.Limits)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	results, err := m.explain(r.Context(), []string{text}, req, out)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var buf bytes.Buffer
	if err := report.WriteExplanations(&buf, results); err != nil {
		s.fail(w, r, err)
		return
	}
	securityHeaders(w, "frame-ancestors 'self'")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write(buf.Bytes())
}
