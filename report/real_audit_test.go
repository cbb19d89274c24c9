//go:build unix

package report

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/attribution"
	"github.com/lucid-nlp/lucid/audit"
	"github.com/lucid-nlp/lucid/dataset"
	"github.com/lucid-nlp/lucid/evaluate"
	"github.com/lucid-nlp/lucid/models"
)

// A real audit of the shipped model, rendered and opened in Chromium: the
// page a user gets from lucid audit, not a hand-built one.
func TestBrowserRealAudit(t *testing.T) {
	bin := chromium(t)
	clf, err := models.Load(filepath.Join("..", "models", models.DefaultName))
	require.NoError(t, err, "the shipped model must load (ONNX Runtime from scripts/setup_ort.sh)")
	defer clf.Close()
	x := attribution.NewExplainer(clf.Tokenizer, evaluate.New(clf.Model, evaluate.Options{PadID: clf.Tokenizer.PadID()}), "default")

	var csv strings.Builder
	csv.WriteString("text,label,gender\n")
	for _, s := range []struct{ who, g string }{{"he", "m"}, {"she", "f"}, {"my father", "m"}, {"my mother", "f"}} {
		for _, o := range []struct{ text, label string }{
			{"said the film was wonderful and moving .", "POSITIVE"},
			{"thought the plot was dull and far too long .", "NEGATIVE"},
			{"loved this charming , funny story .", "POSITIVE"},
			{"found the jokes stale and the acting flat .", "NEGATIVE"},
		} {
			csv.WriteString(`"` + s.who + " " + o.text + `",` + o.label + "," + s.g + "\n")
		}
	}
	csv.WriteString("a,broken,row,here\n")
	r, err := audit.Run(context.Background(), clf, x, audit.Config{
		Source: strings.NewReader(csv.String()), Name: "templates.csv", Dataset: dataset.Options{GroupCols: []string{"gender"}},
		Seed: 1, Resamples: 200, ExplainRows: 3, Budget: 64, ConsistencyRows: 16,
		Methods: []attribution.Method{attribution.MethodKernelSHAP, attribution.MethodOcclusion},
	})
	require.NoError(t, err)
	page := writePage(t, t.TempDir(), "report.html", func(f *os.File) error { return WriteAudit(f, r) })

	dom, stderr := browse(t, bin, page, "--dump-dom")
	errs, console := jsProblems(t, dom, stderr)
	assert.Empty(t, errs, "#js-errors")
	assert.Empty(t, console, "console messages")
	seen := checkDataKeys(t, dom, r, "rows", "skipped_rows", "accuracy", "group:gender:m:positive_rate", "cf:gender:mean_abs_delta")
	assert.Equal(t, "16", seen["rows"])
	assert.Equal(t, "1", seen["skipped_rows"])

	shot := filepath.Join(screenshotDir(t), "audit-real.png")
	_, stderr = browse(t, bin, page, "--screenshot="+shot, "--window-size=1280,3000", "--hide-scrollbars")
	_, console = jsProblems(t, dom, stderr)
	assert.Empty(t, console, "console messages")
	checkScreenshot(t, shot)
}
