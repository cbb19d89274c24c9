//go:build unix

package report

import (
	"context"
	"github.com/lucid-nlp/lucid/internal/browsertest"
	"os"
	"path/filepath"
	"strconv"
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
	bin := browsertest.Chromium(t)
	clf, err := models.Load(filepath.Join("..", "models", models.DefaultName))
	require.NoError(t, err, "the shipped model must load (ONNX Runtime from scripts/setup_ort.sh)")
	defer clf.Close()
	x := attribution.NewExplainer(clf.Tokenizer, evaluate.New(clf.Model, evaluate.Options{PadID: clf.Tokenizer.PadID()}), "default")

	var csv strings.Builder
	// Each sentence is a frame, filled with a male and a female subject
	// twice: the matched analysis compares the genders within frames.
	csv.WriteString("text,label,gender,frame\n")
	for _, s := range []struct{ who, g string }{{"he", "m"}, {"she", "f"}, {"my father", "m"}, {"my mother", "f"}} {
		for i, o := range []struct{ text, label string }{
			{"said the film was wonderful and moving .", "POSITIVE"},
			{"thought the plot was dull and far too long .", "NEGATIVE"},
			{"loved this charming , funny story .", "POSITIVE"},
			{"found the jokes stale and the acting flat .", "NEGATIVE"},
		} {
			csv.WriteString(`"` + s.who + " " + o.text + `",` + o.label + "," + s.g + "," + strconv.Itoa(i) + "\n")
		}
	}
	csv.WriteString("a,broken,row,here\n")
	r, err := audit.Run(context.Background(), clf, x, audit.Config{
		Source: strings.NewReader(csv.String()), Name: "templates.csv", Dataset: dataset.Options{GroupCols: []string{"gender"}},
		PairCol: "frame", MinGroupSize: 5,
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

	// The verdicts of the real run are on the page, as report.json has
	// them: the column's pairwise tests, the matched analysis of the four
	// frames, and the time of each phase.
	assert.Equal(t, string(r.Groups[0].Verdict.Status), seen["group-verdict:gender"])
	require.Len(t, r.Paired, 1)
	assert.Equal(t, "4", seen["paired:gender:matched_frames"])
	require.Len(t, r.Paired[0].Pairs, 1)
	p := r.Paired[0].Pairs[0]
	assert.Equal(t, string(p.Verdict.Status), seen["paired:gender:"+p.A+":"+p.B+":verdict"])
	assert.Equal(t, "4", seen["paired:gender:"+p.A+":"+p.B+":n"])
	require.NotEmpty(t, r.Groups[0].Pairs, "f and m are compared pairwise")
	gp := r.Groups[0].Pairs[0]
	assert.Contains(t, seen, "pair:gender:"+gp.A+":"+gp.B+":positive_rate:p_holm")
	for _, tm := range r.Timings {
		assert.Contains(t, seen, "timing:"+tm.Phase+":seconds")
	}
	assert.Contains(t, seen, "timing:reading:seconds")

	shot := filepath.Join(screenshotDir(t), "audit-real.png")
	_, stderr = browse(t, bin, page, "--screenshot="+shot, "--window-size=1280,3000", "--hide-scrollbars")
	_, console = jsProblems(t, dom, stderr)
	assert.Empty(t, console, "console messages")
	checkScreenshot(t, shot)
}
