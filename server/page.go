package server

import (
	"bytes"
	"fmt"
	"html/template"
	"math"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/lucid-nlp/lucid/attribution"
)

// pageRoute is where the page's form posts.
const pageRoute = "/ui/explain"

// The web page at / is a form that posts to /ui/explain, which answers
// with the same page, the form filled in as sent and the explanation
// below it: the prediction, the text with each word coloured, the
// plain-words summary (attribution.Summarize, the CLI's), and the precise numbers folded away under "Technical details"
// (the JSON API has them all). One page, no frame: nothing to clip, no
// empty box before the first answer. It has no script at all, so its
// policy allows none; form posts go to this server only. Its referrer
// policy is same-origin so that the browser's Origin header on the form
// post names this server (no-referrer would send "Origin: null").
const pagePolicy = "default-src 'none'; script-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

// methodNames are the methods in plain words, for the page's menu.
var methodNames = map[attribution.Method]string{
	attribution.MethodKernelSHAP:     "Shapley values, sampled (default)",
	attribution.MethodExact:          "Shapley values, exact (short texts)",
	attribution.MethodLIME:           "LIME: a simple model fitted around the text",
	attribution.MethodPath:           "Integrated gradients",
	attribution.MethodOcclusion:      "Leave one word out",
	attribution.MethodGradInput:      "Gradient × input",
	attribution.MethodSaliency:       "Gradient size (saliency)",
	attribution.MethodCounterfactual: "Smallest change that flips the answer",
	attribution.MethodPartition:      "Shapley values over groups of words",
}

var pageTemplate = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Lucid</title>
<style>
*{box-sizing:border-box}
body{font:16px/1.5 system-ui,sans-serif;margin:0;color:#111827;background:#f9fafb}
main{max-width:960px;margin:0 auto;padding:1rem}
h1{margin:.25rem 0 .5rem;font-size:1.6rem}
h2{font-size:1.1rem;margin:0 0 .5rem}
.card{background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:1rem;margin-top:1rem}
form{display:grid;grid-template-columns:minmax(0,1fr);gap:.6rem}
textarea{width:100%;font:inherit;padding:.5rem;min-height:5.5rem;resize:vertical}
select{font:inherit;max-width:100%;min-width:0}
.row{display:flex;gap:.75rem 1rem;flex-wrap:wrap;align-items:center}
.row label{display:flex;gap:.4rem;align-items:center;flex-wrap:wrap;max-width:100%;min-width:0}
button{font:inherit;padding:.4rem 1.2rem;border-radius:6px;border:1px solid #2563eb;background:#2563eb;color:#fff;cursor:pointer}
.answer{font-size:1.25rem;margin:0 0 .5rem}
.probs{display:grid;gap:.25rem;margin:0 0 .5rem}
.prob{display:flex;gap:.5rem;align-items:center}
.prob .name{min-width:6rem;overflow-wrap:anywhere}
.bar{flex:1;background:#e5e7eb;border-radius:4px;height:.6rem;max-width:20rem}
.bar span{display:block;height:100%;background:#2563eb;border-radius:4px}
.heat{line-height:2.1;overflow-wrap:anywhere;margin:.25rem 0 .5rem}
.heat .tok{padding:.15rem .2rem;border-radius:4px}
.legend{font-size:.9rem;color:#374151}
.legend .tok{padding:0 .3rem;border-radius:4px}
.error{border-color:#fca5a5;background:#fef2f2}
details{margin-top:1rem}
summary{cursor:pointer;font-weight:600}
.scroll{overflow-x:auto}
table{border-collapse:collapse;font-size:.9rem;margin-top:.5rem}
th,td{text-align:left;padding:.2rem .6rem;border-bottom:1px solid #e5e7eb;vertical-align:top}
td.num{text-align:right;font-variant-numeric:tabular-nums}
small{color:#4b5563}
</style>
</head>
<body>
<main>
<h1>Lucid</h1>
<p>Type a text and press Explain: you see which label the model gives it and how much each word moved the model towards that label or away from it.</p>
<form id="explain-form" class="card" method="post" action="/ui/explain">
<label for="text">Text</label>
<textarea id="text" name="text" maxlength="{{.MaxText}}" required>{{.Text}}</textarea>
<div class="row">
<label>Model <select id="model" name="model">{{range .Models}}<option{{if eq . $.Model}} selected{{end}}>{{.}}</option>{{end}}</select></label>
<label>Method <select id="method" name="method">{{range .Methods}}<option value="{{.Value}}"{{if .Selected}} selected{{end}}>{{.Name}}</option>{{end}}</select></label>
<button id="explain" type="submit">Explain</button>
</div>
</form>
{{with .Error}}<section id="result" class="card error" role="alert"><h2>No explanation</h2><p id="error">{{.}}</p></section>{{end}}
{{with .Result}}<section id="result" class="card">
<h2>The model's answer</h2>
<p class="answer" id="answer">{{if .Score}}Score <strong>{{.Score}}</strong> (a regression head: its raw output, not a probability){{else}}<strong>{{.Predicted}}</strong>, with probability {{.PredictedPercent}}{{if .MultiLabel}} (each label has its own probability){{end}}{{end}}</p>
<div class="probs">{{range .Probs}}<div class="prob"><span class="name">{{.Label}}</span><span class="bar"><span style="{{.Bar}}"></span></span><span data-key="explanation:0:probability:{{.Label}}" title="probability of {{.Label}}">{{.Value}}</span></div>{{end}}</div>
<h2>What moved it</h2>
<p class="legend">Words in <span class="tok" style="background:rgba(22,163,74,.45)">green</span> pushed the model towards {{.Target}}, words in <span class="tok" style="background:rgba(220,38,38,.45)">red</span> pushed it away; the stronger the colour, the stronger the push. Each word's number is in the technical details below.</p>
<p class="heat" id="heat">{{range .Words}}{{.Before}}<span class="tok" data-attr="{{.Attr}}" title="{{.Title}}" style="{{.Style}}">{{.Text}}</span>{{end}}{{.After}}</p>
{{with .Summary}}<p id="summary">{{.}}</p>{{end}}
<details id="details">
<summary>Technical details</summary>
<div class="scroll">
<table>
<tr><th>Method</th><td>{{.Method}}</td></tr>
<tr><th>Model runs spent</th><td class="num">{{.Evaluations}}</td></tr>
<tr><th>Scores are in</th><td>{{.Output}}</td></tr>
<tr><th>Explained label</th><td>{{.Target}}</td></tr>
<tr><th>Score of {{.Target}} on the whole text, f(x)</th><td class="num">{{.FX}}</td></tr>
<tr><th>Score with every word masked, base value</th><td class="num">{{.Base}}</td></tr>
<tr><th>Sum of the word attributions</th><td class="num">{{.Sum}}</td></tr>
{{range .Diagnostics}}<tr><th>{{.Name}}</th><td class="num">{{.Value}}</td></tr>{{end}}
</table>
<table id="words">
<tr><th>Word</th><th>Attribution</th><th>Standard error</th></tr>
{{range .Words}}<tr><td>{{.Text}}</td><td class="num">{{.Attr}}</td><td class="num">{{.StdErr}}</td></tr>{{end}}
</table>
</div>
{{with .Warnings}}<ul>{{range .}}<li>{{.}}</li>{{end}}</ul>{{end}}
<p><small>The same explanation as JSON: POST /v1/models/{{$.Model}}:explain with {"instances": [the text], "parameters": {"method": "{{.MethodValue}}", "seed": 1}}.</small></p>
</details>
</section>{{end}}
</main>
</body>
</html>
`))

// pageData fills pageTemplate.
type pageData struct {
	Models  []string
	Model   string
	Method  string // the method asked for ("": the default)
	Methods []methodOption
	MaxText int
	Text    string
	Error   string
	Result  *pageResult
}

type methodOption struct {
	Value, Name string
	Selected    bool
}

// pageResult is one explanation as the page shows it.
type pageResult struct {
	Predicted, PredictedPercent, Target string
	// Score is a regression head's output ("" otherwise); MultiLabel marks
	// probabilities that are each label's own sigmoid.
	Score                       string
	MultiLabel                  bool
	Probs                       []pageProb
	Words                       []pageWord
	After                       string
	Summary                     string
	Method, MethodValue, Output string
	Evaluations                 int
	FX, Base, Sum               string
	Diagnostics                 []struct{ Name, Value string }
	Warnings                    []string
}

type pageProb struct {
	Label, Value string
	Bar          template.CSS
}

type pageWord struct {
	Before, Text, Attr, Title, StdErr string
	Style                             template.CSS
}

func newPageResult(r *attribution.Result) *pageResult {
	out := &pageResult{Predicted: r.Predicted, Target: r.Target, Summary: r.Summary, Method: methodLabel(r.Method),
		MethodValue: string(r.Method), Evaluations: r.Evaluations, Output: outputWords(r.Output), Warnings: r.Warnings,
		PredictedPercent: fmt.Sprintf("%.1f%%", 100*r.Probabilities[r.Predicted]),
		FX:               fmt.Sprintf("%.4f", r.FX), Base: fmt.Sprintf("%.4f", r.BaseValue)}
	switch r.Head {
	case "regression":
		out.Score = fmt.Sprintf("%.4f", r.Probabilities[r.Predicted])
		return out.withFeatures(r)
	case "multi-label":
		out.MultiLabel = true
	}
	labels := make([]string, 0, len(r.Probabilities))
	for l := range r.Probabilities {
		labels = append(labels, l)
	}
	sort.Strings(labels)
	for _, l := range labels {
		p := r.Probabilities[l]
		out.Probs = append(out.Probs, pageProb{Label: l, Value: fmt.Sprintf("%.4f", p), Bar: template.CSS(fmt.Sprintf("width:%.1f%%", 100*p))})
	}
	return out.withFeatures(r)
}

// withFeatures fills in the words, their attributions and diagnostics.
func (out *pageResult) withFeatures(r *attribution.Result) *pageResult {
	largest, sum := 0.0, 0.0
	for _, f := range r.Features {
		if !math.IsNaN(f.Attribution) {
			largest = max(largest, math.Abs(f.Attribution))
			sum += f.Attribution
		}
	}
	out.Sum = fmt.Sprintf("%.4f", sum)
	// The words in the text as written: what lies between two features
	// (spaces, or whatever the features leave out) is shown uncoloured.
	at := 0
	for _, f := range r.Features {
		w := pageWord{Text: f.Text, Attr: fmt.Sprintf("%.4f", f.Attribution), StdErr: "–"}
		if f.ByteStart >= at && f.ByteEnd >= f.ByteStart && f.ByteEnd <= len(r.Text) {
			w.Before, w.Text = r.Text[at:f.ByteStart], r.Text[f.ByteStart:f.ByteEnd]
			at = f.ByteEnd
		} else if len(out.Words) > 0 {
			w.Before = " "
		}
		if f.StdErr != nil {
			w.StdErr = fmt.Sprintf("%.4f", *f.StdErr)
		}
		strength := 0.0
		if largest > 0 && !math.IsNaN(f.Attribution) {
			strength = math.Abs(f.Attribution) / largest
		}
		colour := "22,163,74"
		dir := "towards"
		if f.Attribution < 0 {
			colour, dir = "220,38,38", "against"
		}
		w.Style = template.CSS(fmt.Sprintf("background:rgba(%s,%.2f)", colour, 0.08+0.55*strength))
		w.Title = fmt.Sprintf("%s %s: %+.4f", dir, r.Target, f.Attribution)
		out.Words = append(out.Words, w)
	}
	if at <= len(r.Text) && at > 0 {
		out.After = r.Text[at:]
	}
	names := make([]string, 0, len(r.Diagnostics))
	for k := range r.Diagnostics {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		out.Diagnostics = append(out.Diagnostics, struct{ Name, Value string }{strings.ReplaceAll(k, "_", " "), fmt.Sprintf("%.4g", r.Diagnostics[k])})
	}
	return out
}

func methodLabel(m attribution.Method) string {
	if n, ok := methodNames[m]; ok {
		return n + " (" + string(m) + ")"
	}
	return string(m)
}

func outputWords(o string) string {
	switch o {
	case "", "prob":
		return "probability (prob)"
	case "logit":
		return "logit"
	case "logodds":
		return "log-odds (logodds)"
	}
	return o
}

func securityHeaders(w http.ResponseWriter, policy string) {
	w.Header().Set("Content-Security-Policy", policy)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Referrer-Policy", "same-origin")
	w.Header().Set("Cache-Control", "no-store")
}

// render writes the page with d's model, method, text and result.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, d pageData) {
	d.Models, d.MaxText = s.order, s.cfg.MaxTextBytes
	if d.Model == "" && len(s.order) > 0 {
		d.Model = s.order[0]
	}
	chosen := attribution.Method(cmpOr(d.Method, string(attribution.MethodKernelSHAP)))
	d.Methods = nil
	for _, m := range attribution.Methods {
		d.Methods = append(d.Methods, methodOption{Value: string(m), Name: methodNames[m], Selected: m == chosen})
	}
	var buf bytes.Buffer
	if err := pageTemplate.Execute(&buf, d); err != nil {
		s.fail(w, r, err)
		return
	}
	securityHeaders(w, pagePolicy)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func (s *Server) page(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, pageData{})
}

// pageExplain answers the form: the page again, the form as sent, with
// one explanation or, when the request cannot be explained, the reason in
// place of it (with its status code). The body was read, bounded, before
// admission (admitAfterBody); it is parsed here, after the token check.
func (s *Server) pageExplain(w http.ResponseWriter, r *http.Request) {
	var raw bytes.Buffer
	if _, err := raw.ReadFrom(r.Body); err != nil {
		s.fail(w, r, err)
		return
	}
	form, err := url.ParseQuery(raw.String())
	if err != nil {
		s.fail(w, r, badRequest("form: %v", err))
		return
	}
	d := pageData{Text: form.Get("text"), Model: form.Get("model"), Method: form.Get("method")}
	fail := func(err error) {
		ae := s.classify(r, err)
		s.metrics.errors.WithLabelValues(ae.kind).Inc()
		d.Error = ae.msg
		s.render(w, r, ae.status, d)
	}
	m, ok := s.models[d.Model]
	if !ok {
		fail(errorf(http.StatusNotFound, "unknown_model", "unknown model %q; this server has %s", d.Model, strings.Join(s.order, ", ")))
		return
	}
	if err := s.checkTexts([]string{d.Text}, 1, "text"); err != nil {
		fail(err)
		return
	}
	req, out, err := m.request(ExplainParameters{Method: d.Method}, s.cfg.Limits)
	if err != nil {
		fail(err)
		return
	}
	release, err := s.reserve(m, []string{d.Text}, req)
	if err != nil {
		fail(err)
		return
	}
	defer release()
	results, err := m.explain(r.Context(), []string{d.Text}, req, out)
	if err != nil {
		fail(err)
		return
	}
	d.Result = newPageResult(results[0])
	s.render(w, r, http.StatusOK, d)
}
