package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	stdhtml "html"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// lucid runs the command in-process and returns its exit code and output.
func lucid(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

func jsonLines(t *testing.T, s string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(s), "\n") {
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &m), line)
		out = append(out, m)
	}
	return out
}

func TestUsageAndHelp(t *testing.T) {
	code, _, stderr := lucid(t, "")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "Commands:")

	code, stdout, _ := lucid(t, "", "help")
	assert.Equal(t, exitOK, code)
	for _, c := range []string{"predict", "explain", "audit", "bench"} {
		assert.Contains(t, stdout, c)
	}
	code, stdout, stderr = lucid(t, "", "explain", "--help")
	assert.Equal(t, exitOK, code)
	assert.Contains(t, stdout, "kernelshap")
	assert.Contains(t, stdout, "Examples:")
	assert.Empty(t, stderr, "help goes to standard output")

	code, _, stderr = lucid(t, "", "frobnicate")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, `unknown command "frobnicate"`)

	for _, args := range [][]string{
		{"predict", "--batch", "0", "x"},
		{"predict", "--device", "tpu", "x"},
		{"predict", "--nope"},
		{"explain", "--method", "magic", "x"},
		{"explain", "--mask", "blur", "x"},
		{"explain", "--output", "odds", "x"},
		{"audit"},
		{"audit", "--data", "x.csv", "--checks", "vibes"},
		{"bench", "--budgets", "0"},
	} {
		code, _, stderr := lucid(t, "", args...)
		assert.Equal(t, exitUsage, code, "%v: %s", args, stderr)
	}
}

func TestPredictJSONFromArgsAndStdin(t *testing.T) {
	code, stdout, stderr := lucid(t, "", "predict", "--json", "a gorgeous , witty , seductive movie .", "the movie is a disaster from start to finish .")
	require.Equal(t, exitOK, code, stderr)
	rows := jsonLines(t, stdout)
	require.Len(t, rows, 2)
	assert.Equal(t, "POSITIVE", rows[0]["label"])
	assert.Equal(t, "NEGATIVE", rows[1]["label"])
	probs := rows[0]["probabilities"].(map[string]any)
	assert.InDelta(t, 1, probs["NEGATIVE"].(float64)+probs["POSITIVE"].(float64), 1e-9)
	assert.Len(t, rows[0]["logits"], 2)

	// stdin, one text per line, CRLF tolerated, a bad line reported and skipped
	in := "a charming film\r\nbad \xff bytes\n\nterrible .\n"
	code, stdout, stderr = lucid(t, in, "predict", "--json", "--batch", "2")
	assert.Equal(t, exitFailure, code, "one input failed")
	assert.Contains(t, stderr, "1 of 4 inputs could not be classified")
	rows = jsonLines(t, stdout)
	require.Len(t, rows, 4)
	assert.Equal(t, "a charming film", rows[0]["text"])
	assert.Equal(t, float64(2), rows[1]["line"])
	assert.Contains(t, rows[1]["error"], "not valid UTF-8")
	assert.Equal(t, "", rows[2]["text"], "an empty line is a defined prediction")
	assert.Equal(t, "terrible .", rows[3]["text"])

	code, stdout, _ = lucid(t, "", "predict", "fine")
	assert.Equal(t, exitOK, code)
	assert.Regexp(t, `^(POSITIVE|NEGATIVE) +0\.\d{4}  fine\n$`, stdout)
}

func TestPredictFailures(t *testing.T) {
	code, _, stderr := lucid(t, "", "predict", "--model", t.TempDir(), "x")
	assert.Equal(t, exitFailure, code)
	assert.Contains(t, stderr, "lacks [model.onnx tokenizer.json config.json]")

	code, _, stderr = lucid(t, "", "predict", "--ort-lib", "/nonexistent/libonnxruntime.so", "x")
	assert.Equal(t, exitFailure, code)
	assert.Contains(t, stderr, "ONNX Runtime library not found")
	assert.Contains(t, stderr, "scripts/setup_ort.sh")

	if os.Getenv("LUCID_TEST_CUDA") == "" {
		code, _, stderr = lucid(t, "", "predict", "--device", "cuda:0", "x")
		assert.Equal(t, exitFailure, code)
		assert.Contains(t, stderr, "cuda")
	}
}

func TestExplainTerminalAndJSON(t *testing.T) {
	code, stdout, stderr := lucid(t, "", "explain", "--color", "always", "a gorgeous , witty , seductive movie .")
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, "prediction: POSITIVE")
	assert.Contains(t, stdout, "\x1b[48;2;", "words coloured")
	assert.Contains(t, stdout, "top features")
	assert.Contains(t, stdout, "gorgeous")

	code, stdout, stderr = lucid(t, "wonderful film\nawful film\n", "explain", "--json", "--method", "exact", "--output", "logit")
	require.Equal(t, exitOK, code, stderr)
	rows := jsonLines(t, stdout)
	require.Len(t, rows, 2)
	for _, r := range rows {
		assert.Equal(t, "exact", r["method"])
		assert.Equal(t, "logit", r["output"])
		feats := r["features"].([]any)
		require.Len(t, feats, 2)
		var sum float64
		for _, f := range feats {
			sum += f.(map[string]any)["attribution"].(float64)
		}
		assert.InDelta(t, r["f_x"].(float64)-r["base_value"].(float64), sum, 1e-4, "efficiency")
	}

	// an unknown label is the caller's to fix: a usage error before the model loads
	code, _, stderr = lucid(t, "", "explain", "--target", "MAYBE", "fine")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, `--target "MAYBE": unknown target label`)
}

// KernelSHAP's odd refinement runs by default and --refine=false turns it
// off: the settings say which ran, the attributions still add up to
// f(x) − base value, and the two estimates differ at the same budget and
// seed.
func TestExplainRefine(t *testing.T) {
	text := "the acting is wooden and the plot drags , but the final twenty minutes are genuinely thrilling"
	code, plainOut, stderr := lucid(t, "", "explain", "--json", "--budget", "256", "--refine=false", text)
	require.Equal(t, exitOK, code, stderr)
	code, refinedOut, stderr := lucid(t, "", "explain", "--json", "--budget", "256", text)
	require.Equal(t, exitOK, code, stderr)
	plain, refined := jsonLines(t, plainOut)[0], jsonLines(t, refinedOut)[0]
	assert.Equal(t, true, refined["settings"].(map[string]any)["refine"])
	assert.NotContains(t, plain["settings"].(map[string]any), "refine")
	sum := func(r map[string]any) float64 {
		s := 0.0
		for _, f := range r["features"].([]any) {
			s += f.(map[string]any)["attribution"].(float64)
		}
		return s
	}
	gap := refined["f_x"].(float64) - refined["base_value"].(float64)
	assert.InDelta(t, gap, sum(refined), 1e-6, "efficiency")
	diff := 0.0
	for i, f := range refined["features"].([]any) {
		a := f.(map[string]any)["attribution"].(float64)
		b := plain["features"].([]any)[i].(map[string]any)["attribution"].(float64)
		diff = max(diff, math.Abs(a-b))
		assert.Contains(t, f.(map[string]any), "stderr")
	}
	assert.Greater(t, diff, 1e-6, "the refinement changed the estimate")
}

func TestBenchJSON(t *testing.T) {
	data := filepath.Join(t.TempDir(), "s.tsv")
	require.NoError(t, os.WriteFile(data, []byte("label\tcontent\n1\ta fine film .\n0\ta dull , lifeless film .\n"), 0o644))
	code, stdout, stderr := lucid(t, "", "bench", "--data", data, "--methods", "kernelshap,occlusion", "--budgets", "64", "--json",
		"--accuracy", "--accuracy-budgets", "16,64", "--seeds", "2", "--accuracy-min-words", "1", "--accuracy-max-words", "12", "--accuracy-sentences", "2")
	require.Equal(t, exitOK, code, stderr)
	var rep benchReport
	require.NoError(t, json.Unmarshal([]byte(stdout), &rep))
	assert.Equal(t, 2, rep.Sentences)
	assert.Greater(t, rep.Throughput.Best, 0.0)
	require.Len(t, rep.Methods, 2)
	for _, m := range rep.Methods {
		assert.Equal(t, 2, m.Explanations, m.Method)
		assert.Greater(t, m.Efficiency, 0.0)
		assert.Greater(t, m.EvaluationsPerText, 1.0)
		assert.LessOrEqual(t, m.EfficiencyRange[0], m.Efficiency)
		assert.GreaterOrEqual(t, m.EfficiencyRange[1], m.Efficiency)
	}
	// Every estimator at two budgets, on the two sentences' cached tables.
	require.NotEmpty(t, rep.Estimators)
	for _, a := range rep.Estimators {
		assert.Equal(t, 2, a.Sentences, a.Method)
		assert.Equal(t, 2, a.Seeds, a.Method)
		assert.Contains(t, []int{16, 64}, a.Budget)
		if a.Method == "lucid" && a.Budget == 64 {
			// 4 and 6 words: 2^6 = 64 coalitions, so KernelSHAP is exact
			assert.InDelta(t, 0, a.Mean, 1e-9)
		}
	}
}

func TestAuditWritesReports(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "reviews.csv")
	csv := "text,label,gender\n" +
		"he said the film was wonderful .,POSITIVE,m\n" +
		"she said the film was wonderful .,POSITIVE,f\n" +
		"he found the plot dull and far too long .,NEGATIVE,m\n" +
		"this,row,is,malformed\n" +
		"she found the plot dull and far too long .,0,f\n" +
		"my brother loved every minute of it .,1,m\n" +
		"my sister thought it was a mess .,NEGATIVE,f\n"
	require.NoError(t, os.WriteFile(data, []byte(csv), 0o644))
	out := filepath.Join(dir, "out")
	code, stdout, stderr := lucid(t, "", "audit", "--data", data, "--group-col", "gender", "--out", out,
		"--resamples", "100", "--explain-rows", "2", "--budget", "32", "--methods", "occlusion,kernelshap", "--progress", "never")
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, "6 rows")
	assert.Contains(t, stdout, "1 skipped")
	assert.Contains(t, stdout, "report.html")

	raw, err := os.ReadFile(filepath.Join(out, "report.json"))
	require.NoError(t, err)
	var rep map[string]any
	require.NoError(t, json.Unmarshal(raw, &rep))
	assert.Equal(t, float64(6), rep["rows"])
	assert.Equal(t, float64(1), rep["skipped_rows"])
	ex := rep["skipped_examples"].([]any)[0].(map[string]any)
	assert.Equal(t, float64(5), ex["line"])
	html, err := os.ReadFile(filepath.Join(out, "report.html"))
	require.NoError(t, err)
	assert.Contains(t, string(html), `data-key="rows">6<`)

	// --fail-on warn: the skipped row is a warning, so exit 3
	code, _, stderr = lucid(t, "", "audit", "--data", data, "--out", out, "--checks", "slices", "--fail-on", "warn", "--progress", "never")
	assert.Equal(t, exitFound, code, stderr)

	// a missing column is named
	code, _, stderr = lucid(t, "", "audit", "--data", data, "--group-col", "age", "--out", out, "--progress", "never")
	assert.Equal(t, exitUsage, code, "a missing column is the caller's to fix")
	assert.Contains(t, stderr, `group column "age"`)
}

func TestExplainHTML(t *testing.T) {
	page := filepath.Join(t.TempDir(), "x.html")
	code, _, stderr := lucid(t, "", "explain", "--html", page, "--method", "occlusion", "a gorgeous , witty movie", "a dull film")
	require.Equal(t, exitOK, code, stderr)
	html, err := os.ReadFile(page)
	require.NoError(t, err)
	assert.Contains(t, string(html), "gorgeous")
	assert.Contains(t, string(html), `data-key="explanation:1:f_x"`)
	assert.NotContains(t, string(html), "http://")
}

// --target all --html: the page has a table of every label's attribution,
// each number the one the JSON has.
func TestExplainHTMLEveryLabel(t *testing.T) {
	page := filepath.Join(t.TempDir(), "x.html")
	code, stdout, stderr := lucid(t, "", "explain", "--json", "--html", page, "--target", "all", "--method", "occlusion", "a gorgeous , witty movie")
	require.Equal(t, exitOK, code, stderr)
	res := jsonLines(t, stdout)[0]
	raw, err := os.ReadFile(page)
	require.NoError(t, err)
	html := string(raw)
	assert.Contains(t, html, "Every label")
	labels := res["labels"].([]any)
	require.Len(t, labels, 2)
	for _, l := range labels {
		la := l.(map[string]any)
		name := la["label"].(string)
		for j, a := range la["attributions"].([]any) {
			key := fmt.Sprintf(`data-key="explanation:0:label:%s:feature:%d:attribution"`, name, j)
			i := strings.Index(html, key)
			require.GreaterOrEqual(t, i, 0, key)
			text := html[i+len(key):]
			text = text[strings.Index(text, ">")+1 : strings.Index(text, "<")]
			got, err := strconv.ParseFloat(strings.TrimPrefix(stdhtml.UnescapeString(text), "+"), 64)
			require.NoError(t, err, text)
			assert.InDelta(t, a.(float64), got, 5e-5, key)
		}
	}
}

// Issue 8: a matched design (--pair-col), an intersection (--group-cross)
// and label-free rows, from the command line to report.json.
func TestAuditPairedCrossAndUnlabelled(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "templates.csv")
	var b strings.Builder
	b.WriteString("text,label,group,age,template\n")
	names := map[string][]string{"a": {"Emily", "Claire", "Laura"}, "b": {"Aisha", "Keisha", "Imani"}}
	frames := []string{"%s loved the film .", "%s hated the film .", "%s found the plot dull .", "%s thought it was charming ."}
	for fi, f := range frames {
		for _, g := range []string{"a", "b"} {
			for ni, n := range names[g] {
				label := ""
				if ni == 0 {
					label = "POSITIVE"
				}
				fmt.Fprintf(&b, "%s,%s,%s,%s,t%d\n", fmt.Sprintf(f, n), label, g, []string{"young", "old"}[ni%2], fi)
			}
		}
	}
	require.NoError(t, os.WriteFile(data, []byte(b.String()), 0o644))
	out := filepath.Join(dir, "out")
	code, stdout, stderr := lucid(t, "", "audit", "--data", data, "--group-col", "group,age", "--group-cross", "group,age",
		"--pair-col", "template", "--checks", "groups", "--min-group-size", "2", "--resamples", "50", "--out", out, "--progress", "never")
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, "paired")
	raw, err := os.ReadFile(filepath.Join(out, "report.json"))
	require.NoError(t, err)
	var rep struct {
		Rows       int `json:"rows"`
		Labelled   int `json:"labelled_rows"`
		Unlabelled int `json:"unlabelled_rows"`
		Groups     []struct {
			Column string `json:"column"`
		} `json:"groups"`
		Paired []struct {
			Column        string `json:"column"`
			MatchedFrames int    `json:"matched_frames"`
			Pairs         []struct {
				A, B  string
				Score struct {
					N int `json:"n"`
				} `json:"score"`
			} `json:"pairs"`
		} `json:"paired"`
		Rule struct {
			Text string `json:"text"`
		} `json:"decision_rule"`
		Reconciliation struct {
			Balanced bool `json:"balanced"`
		} `json:"reconciliation"`
	}
	require.NoError(t, json.Unmarshal(raw, &rep))
	assert.Equal(t, 24, rep.Rows)
	assert.Equal(t, 8, rep.Labelled)
	assert.Equal(t, 16, rep.Unlabelled)
	var cols []string
	for _, g := range rep.Groups {
		cols = append(cols, g.Column)
	}
	assert.Equal(t, []string{"group", "age", "group × age"}, cols)
	require.Len(t, rep.Paired, 3)
	assert.Equal(t, "group", rep.Paired[0].Column)
	assert.Equal(t, 4, rep.Paired[0].MatchedFrames)
	require.Len(t, rep.Paired[0].Pairs, 1)
	assert.Equal(t, 4, rep.Paired[0].Pairs[0].Score.N)
	assert.Contains(t, rep.Rule.Text, "Holm")
	assert.True(t, rep.Reconciliation.Balanced)
}

// Issue 18: --cf-partners pairs each name with every name of the other
// groups, and --pair-col breaks the counterfactual directions down by
// template, from the command line to report.json.
func TestAuditCounterfactualPartnersAndFrames(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "templates.csv")
	var b strings.Builder
	b.WriteString("text,template\n")
	for fi, f := range []string{"%s loved the film .", "%s found the plot dull ."} {
		for _, n := range []string{"James", "Darnell", "Jose"} {
			fmt.Fprintf(&b, "%s,t%d\n", fmt.Sprintf(f, n), fi)
		}
	}
	require.NoError(t, os.WriteFile(data, []byte(b.String()), 0o644))
	out := filepath.Join(dir, "out")
	code, _, stderr := lucid(t, "", "audit", "--data", data, "--checks", "counterfactual", "--family", "names_ethnicity_male",
		"--cf-partners", "-1", "--pair-col", "template", "--out", out, "--progress", "never")
	require.Equal(t, exitOK, code, stderr)
	raw, err := os.ReadFile(filepath.Join(out, "report.json"))
	require.NoError(t, err)
	var rep struct {
		CF struct {
			Swaps  int `json:"swaps"`
			Design struct {
				Partners int    `json:"partners_per_name"`
				Names    string `json:"name_families"`
			} `json:"design"`
			Groups []struct {
				From      string `json:"from_group"`
				Clustered struct {
					N        int `json:"n"`
					Partners int `json:"partners"`
				} `json:"clustered"`
			} `json:"groups"`
			Strata []struct {
				By, Stratum string
			} `json:"strata"`
		} `json:"counterfactual"`
	}
	require.NoError(t, json.Unmarshal(raw, &rep))
	assert.Equal(t, 6*3*20, rep.CF.Swaps, "six texts, each name into three groups of 20 names")
	assert.Equal(t, -1, rep.CF.Design.Partners)
	assert.Contains(t, rep.CF.Design.Names, "unit = name")
	require.Len(t, rep.CF.Groups, 9, "three source groups × three targets")
	for _, g := range rep.CF.Groups {
		assert.Equal(t, 1, g.Clustered.N, "one name of %s", g.From)
		assert.Equal(t, 20, g.Clustered.Partners)
	}
	frames := map[string]bool{}
	for _, s := range rep.CF.Strata {
		if s.By == "frame" {
			frames[s.Stratum] = true
		}
	}
	assert.Equal(t, map[string]bool{"t0": true, "t1": true}, frames)
}
