package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/models"
)

// outputsData writes a labelled file with a group, a frame and a second
// group column: templates filled with gendered subjects and adjectives of
// both polarities, so that the shipped model gets some right and some
// wrong in each group.
func outputsData(t *testing.T, dir string) (string, []string) {
	t.Helper()
	subjects := map[string][]string{
		"f": {"she", "my sister", "the actress", "my mother"},
		"m": {"he", "my brother", "the actor", "my father"},
	}
	templates := []string{
		"%s said the film was %s .",
		"%s thought the plot was %s and the ending %s .",
		"according to %s , the acting is %s .",
		"%s found the music %s .",
		"%s called it %s , if a little long .",
	}
	adjectives := []struct {
		word  string
		label string
	}{{"wonderful", "1"}, {"dull", "0"}, {"moving", "1"}, {"a mess", "0"}, {"fine", "1"}, {"forgettable", "0"}, {"clever", "1"}, {"tedious", "0"}}
	var b strings.Builder
	var texts []string
	b.WriteString("text\tlabel\tgender\ttemplate\tage\n")
	n := 0
	for ti, tmpl := range templates {
		for ai, adj := range adjectives {
			for _, g := range []string{"f", "m"} {
				for si, s := range subjects[g] {
					var text string
					if strings.Count(tmpl, "%s") == 3 {
						text = fmt.Sprintf(tmpl, s, adj.word, adjectives[(ai+si+1)%len(adjectives)].word)
					} else {
						text = fmt.Sprintf(tmpl, s, adj.word)
					}
					age := []string{"young", "old", "middle"}[n%3]
					n++
					fmt.Fprintf(&b, "%s\t%s\t%s\tt%d-a%d-s%d\t%s\n", text, adj.label, g, ti, ai, si, age)
					texts = append(texts, text)
				}
			}
		}
	}
	path := filepath.Join(dir, "reviews.tsv")
	require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o644))
	return path, texts
}

// withOutputs writes the file again with the shipped model's own outputs
// on every row: its positive-class probability (printed exactly) and its
// predicted label.
func withOutputs(t *testing.T, data string, texts []string) (string, []string) {
	t.Helper()
	folder, err := models.Default()
	require.NoError(t, err)
	clf, err := models.LoadFolder(folder)
	require.NoError(t, err, "the shipped model must load (ONNX Runtime from scripts/setup_ort.sh)")
	defer clf.Close()
	preds, err := clf.Predict(context.Background(), texts)
	require.NoError(t, err)
	raw, err := os.ReadFile(data)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSuffix(string(raw), "\n"), "\n")
	require.Len(t, lines, len(texts)+1)
	var b strings.Builder
	b.WriteString(lines[0] + "\tscore\tpredicted\n")
	pos := 0
	for i, l := range clf.Labels() {
		if strings.EqualFold(l, "positive") {
			pos = i
		}
	}
	flips := 0
	for i, p := range preds {
		require.NoError(t, p.Err)
		score := p.Probabilities[pos]
		// The score alone decides as the model did (no tie at 0.5 here).
		if (score > 0.5) != (p.LabelIndex == pos) {
			flips++
		}
		fmt.Fprintf(&b, "%s\t%s\t%s\n", lines[i+1], strconv.FormatFloat(score, 'g', -1, 64), p.Label)
	}
	require.Zero(t, flips, "a score of exactly 0.5 would make the score-only audit decide otherwise than the model")
	path := filepath.Join(filepath.Dir(data), "outputs.tsv")
	require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o644))
	return path, clf.Labels()
}

func readReport(t *testing.T, dir string) map[string]any {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, "report.json"))
	require.NoError(t, err)
	var rep map[string]any
	require.NoError(t, json.Unmarshal(raw, &rep))
	return rep
}

// TestAuditOfGivenOutputsMatchesTheModel: auditing the shipped model's
// own outputs, read from columns with no model loaded, gives the same
// group, frame, slice and threshold figures as auditing the model, number
// for number (the same seed, so the same bootstrap resamples).
func TestAuditOfGivenOutputsMatchesTheModel(t *testing.T) {
	dir := t.TempDir()
	data, texts := outputsData(t, dir)
	outputs, labels := withOutputs(t, data, texts)
	common := []string{"--group-col", "gender,age", "--group-cross", "gender,age", "--pair-col", "template", "--resamples", "200",
		"--min-group-size", "10", "--progress", "never"}
	fit := []string{"--fit-thresholds", "equalized-odds"}

	modelOut := filepath.Join(dir, "model")
	args := append([]string{"audit", "--data", data, "--checks", "data,groups,slices", "--out", modelOut}, append(common, fit...)...)
	code, _, stderr := lucid(t, "", args...)
	require.Equal(t, exitOK, code, stderr)
	want := readReport(t, modelOut)
	// The files' names differ, and the fitted thresholds name theirs.
	delete(want["threshold_fit"].(map[string]any)["fit"].(map[string]any), "data")

	for _, cols := range [][]string{
		{"--score-col", "score"},
		{"--score-col", "score", "--prediction-col", "predicted"},
		{"--prediction-col", "predicted"},
	} {
		t.Run(strings.Join(cols, " "), func(t *testing.T) {
			out := filepath.Join(dir, strings.Join(cols, "_"))
			labelsOnly := cols[0] == "--prediction-col"
			c := append(append([]string{}, cols...), common...)
			if !labelsOnly {
				// Labels alone have no scores: no thresholds, and the
				// frames compare decisions, so those sections differ.
				c = append(c, fit...)
			}
			// --model names no folder: none is read, let alone loaded.
			args := append([]string{"audit", "--data", outputs, "--model", filepath.Join(dir, "no-such-model"), "--label-names", strings.Join(labels, ","), "--out", out}, c...)
			code, stdout, stderr := lucid(t, "", args...)
			require.Equal(t, exitOK, code, stderr)
			got := readReport(t, out)
			if fit, ok := got["threshold_fit"].(map[string]any); ok {
				delete(fit["fit"].(map[string]any), "data")
			}
			assert.Contains(t, got["model"], "none (outputs from")
			assert.Equal(t, []any{"data", "groups", "slices"}, got["checks"])
			for _, key := range []string{"groups", "slices", "accuracy", "positive_prediction_rate", "rows", "labelled_rows", "data_bias"} {
				require.NotNil(t, want[key], key)
				assert.Equal(t, want[key], got[key], "%s differs from the model's audit", key)
			}
			if labelsOnly {
				assert.Nil(t, got["threshold_fit"])
				require.NotNil(t, got["paired"])
			} else {
				for _, key := range []string{"paired", "threshold_fit"} {
					require.NotNil(t, want[key], key)
					assert.Equal(t, want[key], got[key], "%s differs from the model's audit", key)
				}
			}
			// The checks that need the model are skipped, each with its
			// reason, in report.json and on the terminal.
			skipped := map[string]string{}
			for _, s := range got["skipped_checks"].([]any) {
				m := s.(map[string]any)
				skipped[m["check"].(string)] = m["reason"].(string)
			}
			for _, ch := range []string{"counterfactual", "consistency", "faithfulness", "stability"} {
				assert.Contains(t, skipped[ch], "needs the model", ch)
				assert.Regexp(t, `INFO\s+`+ch+`\s+Not run: needs the model`, stdout)
			}
		})
	}
}

// TestAuditOfGivenOutputsRefusesAndReports: bad cells are malformed rows
// (counted, quoted, the audit goes on); a check that needs the model,
// asked for by name, is a usage error naming it; flags that cannot work
// together are refused before anything is read.
func TestAuditOfGivenOutputsRefusesAndReports(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("text,label,group,score,pred\n")
	for i := range 300 {
		fmt.Fprintf(&b, "row %d,%d,%s,%.3f,%s\n", i, i%2, []string{"a", "b"}[i%2], float64(i%10)/10, []string{"neg", "pos"}[i/2%2])
	}
	b.WriteString("bad number,1,a,abc,pos\n")        // line 302
	b.WriteString("above one,0,b,1.5,neg\n")         // line 303
	b.WriteString("negative,0,b,-0.2,neg\n")         // line 304
	b.WriteString("not a number,0,b,NaN,neg\n")      // line 305
	b.WriteString("empty score,0,b,,neg\n")          // line 306
	b.WriteString("unknown label,0,b,0.2,neutral\n") // line 307
	data := filepath.Join(dir, "given.csv")
	require.NoError(t, os.WriteFile(data, []byte(b.String()), 0o644))
	out := filepath.Join(dir, "out")
	base := []string{"audit", "--data", data, "--group-col", "group", "--out", out, "--progress", "never", "--max-skipped-share", "0.5"}

	code, stdout, stderr := lucid(t, "", append(base, "--label-names", "neg,pos", "--score-col", "score", "--prediction-col", "pred")...)
	require.Equal(t, exitOK, code, stderr)
	rep := readReport(t, out)
	assert.Equal(t, float64(300), rep["rows"])
	assert.Equal(t, float64(6), rep["skipped_rows"])
	var reasons []string
	for _, e := range rep["skipped_examples"].([]any) {
		m := e.(map[string]any)
		reasons = append(reasons, fmt.Sprintf("%v: %v", m["line"], m["reason"]))
	}
	assert.Equal(t, []string{
		`302: --score-col "score": "abc" is not a number`,
		`303: --score-col "score": 1.5 is outside [0, 1] (want the positive class's probability or a score scaled to [0, 1])`,
		`304: --score-col "score": -0.2 is outside [0, 1] (want the positive class's probability or a score scaled to [0, 1])`,
		`305: --score-col "score": NaN is outside [0, 1] (want the positive class's probability or a score scaled to [0, 1])`,
		`306: --score-col "score" is empty`,
		`307: --prediction-col "pred": unknown label "neutral": the labels are "neg", "pos", or their indexes 0 to 1`,
	}, reasons)
	assert.Contains(t, stdout, "6 skipped")
	// pred is pos on rows 2,3 (mod 4), the label is 1 on odd rows: half right
	acc := rep["accuracy"].(map[string]any)
	assert.Equal(t, float64(150), acc["count"])

	// A check that needs the model, asked for by name, is refused.
	code, _, stderr = lucid(t, "", append(base, "--label-names", "neg,pos", "--score-col", "score", "--checks", "groups,counterfactual")...)
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "--checks counterfactual needs the model")
	assert.Contains(t, stderr, "identity-term swaps")

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--label-names", "neg,pos", "--score-col", "score", "--prediction-col", "score"}, `--score-col and --prediction-col are both "score"`},
		{[]string{"--label-names", "neg,pos", "--prediction-col", "pred", "--fit-thresholds", "demographic-parity"}, "give --score-col"},
		{[]string{"--score-col", "score", "--label-names", "a,b,c"}, `alone decides between two classes`},
		{[]string{"--label-names", "neg,pos", "--score-col", "score", "--positive", "maybe"}, `--positive "maybe"`},
		{[]string{"--score-col", "score", "--label-names", "only"}, "name two or more classes"},
	} {
		code, _, stderr := lucid(t, "", append(base, c.args...)...)
		assert.Equal(t, exitUsage, code, c.args)
		assert.Contains(t, stderr, c.want, c.args)
	}
	// --label-names with a model is refused: the model's labels are its own.
	code, _, stderr = lucid(t, "", "audit", "--data", data, "--label-names", "neg,pos", "--checks", "groups", "--group-col", "group", "--out", out)
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "--label-names names the classes of an audit with no model")
}
