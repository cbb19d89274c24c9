package report

import (
	"embed"
	"html/template"
)

//go:embed templates/*.tmpl
var templateFS embed.FS

var templates = template.Must(template.New("report").Funcs(pageFuncs).ParseFS(templateFS, "templates/*.tmpl"))
