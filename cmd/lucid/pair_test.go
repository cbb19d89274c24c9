package main

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// pairModel is the sentence-pair test model whose logits are known
// exactly (models/testdata/pair-additive/README.md): logit k =
// Σ W[id, k] + 0.5·k·Σ token type, W[i, k] = (i+1)(k−1)/8.
var pairModel = filepath.Join("..", "..", "models", "testdata", "pair-additive")

// processLucid runs this test binary as lucid in a process of its own
// (TestMain), as a user's shell runs the command.
func processLucid(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"-test.run=^$", "--"}, args...)...)
	cmd.Env = append(os.Environ(), "LUCID_TEST_AS_MAIN=1")
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else {
		require.NoError(t, err)
	}
	return code, out.String(), errOut.String()
}

// TestPredictPairEndToEnd: "text<TAB>text_pair" lines through the process;
// the logits are the graph's formula on [CLS] A [SEP] B [SEP] with type
// ids 1 on B and its [SEP] (1e-5); a line without a tab fails alone.
func TestPredictPairEndToEnd(t *testing.T) {
	in := "A man is eating food.\tSomeone eats.\nno tab\nsomeone eats\ta man\n"
	code, stdout, stderr := processLucid(t, in, "predict", "--model", pairModel, "--pair", "--json")
	assert.Equal(t, exitFailure, code, stderr)
	lines := jsonLines(t, stdout)
	require.Len(t, lines, 3)
	// [CLS]=2 a=5 man=6 is=7 eating=8 food=11 .=13 [SEP]=3 | someone=9 eats=10 .=13 [SEP]=3
	ids := []float64{2, 5, 6, 7, 8, 11, 13, 3, 9, 10, 13, 3}
	types := []float64{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1}
	logits := lines[0]["logits"].([]any)
	for k := range 3 {
		want := 0.0
		for s := range ids {
			want += (ids[s]+1)*float64(k-1)/8 + 0.5*types[s]*float64(k)
		}
		assert.InDelta(t, want, logits[k].(float64), 1e-5, "logit %d", k)
	}
	assert.Equal(t, "A man is eating food.", lines[0]["text"])
	assert.Equal(t, "Someone eats.", lines[0]["text_pair"])
	assert.Equal(t, "entailment", lines[0]["label"])
	assert.Nil(t, lines[0]["pair_truncation"])
	assert.EqualValues(t, 2, lines[1]["line"])
	assert.Contains(t, lines[1]["error"], "no tab between the two texts")
	assert.Equal(t, "a man", lines[2]["text_pair"])

	code, stdout, _ = processLucid(t, "A man is eating food.\tSomeone eats.\n", "predict", "--model", pairModel, "--pair")
	assert.Equal(t, exitOK, code)
	assert.Contains(t, stdout, "A man is eating food."+pairSeparator+"Someone eats.")

	// The same two texts as one text: no segment ids, other logits.
	code, stdout, _ = lucid(t, "", "predict", "--model", pairModel, "--json", "A man is eating food. Someone eats.")
	require.Equal(t, exitOK, code)
	one := jsonLines(t, stdout)[0]["logits"].([]any)
	assert.InDelta(t, 4.5, logits[2].(float64)-one[2].(float64), 1e-5, "4 tokens of type 1 (0.5·2 each) and the middle [SEP] (W[3,2] = 0.5)")

	// 60 + 10 tokens and 3 special ones in the model's 64: longest-first
	// cuts the first text to the 51 the second leaves (room 61).
	long := strings.Repeat("a man eats ", 20) + "\t" + strings.TrimSpace(strings.Repeat("food ", 10)) + "\n"
	code, stdout, _ = lucid(t, long, "predict", "--model", pairModel, "--pair", "--json")
	require.Equal(t, exitOK, code)
	cut := jsonLines(t, stdout)[0]
	assert.Equal(t, true, cut["truncated"])
	assert.Equal(t, map[string]any{"rule": "longest-first", "removed_first": 9.0, "removed_second": 0.0}, cut["pair_truncation"])

	// The same pairs from a file's two columns; a malformed row fails alone.
	dir := t.TempDir()
	data := filepath.Join(dir, "nli.tsv")
	require.NoError(t, os.WriteFile(data, []byte("premise\thypothesis\nA man is eating food.\tSomeone eats.\nbroken\nsomeone eats\ta man\n"), 0o644))
	code, stdout, _ = processLucid(t, "", "predict", "--model", pairModel, "--data", data, "--text-col", "premise", "--text-pair-col", "hypothesis", "--json")
	assert.Equal(t, exitFailure, code)
	rows := jsonLines(t, stdout)
	require.Len(t, rows, 3)
	assert.Equal(t, lines[0]["logits"], rows[0]["logits"], "a file's pair scores as the same --pair line")
	assert.EqualValues(t, 3, rows[1]["line"], "the malformed row is named by its line in the file")
	assert.Equal(t, lines[2]["logits"], rows[2]["logits"])
	for _, args := range [][]string{
		{"--text-pair-col", "hypothesis"},
		{"--text-pair-col", "hypothesis", "--data", data, "x"},
		{"--text-pair-col", "hypothesis", "--data", data, "--thresholds", "t.json"},
	} {
		code, _, stderr := lucid(t, "", append([]string{"predict", "--model", pairModel}, args...)...)
		assert.Equal(t, exitUsage, code, "%v: %s", args, stderr)
	}

	code, _, stderr = lucid(t, "", "predict", "--model", pairModel, "--pair", "--thresholds", "x.json", "--group-col", "g", "--data", "d.csv")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "--pair does not go with --thresholds")
}

// TestExplainPairEndToEnd: exact Shapley values of a pair through the
// process: every feature carries its segment, efficiency holds, and a
// second-text word deleted takes its type id with it (+0.5·2 on logit 2).
func TestExplainPairEndToEnd(t *testing.T) {
	dir := t.TempDir()
	page := filepath.Join(dir, "pair.html")
	in := "A man is eating.\tSomeone eats food.\n"
	code, stdout, stderr := processLucid(t, in, "explain", "--model", pairModel, "--pair", "--method", "exact", "--output", "logit",
		"--target", "entailment", "--mask", "delete", "--json", "--html", page)
	require.Equal(t, exitOK, code, stderr)
	res := jsonLines(t, stdout)[0]
	assert.Equal(t, "Someone eats food.", res["text_pair"])
	feats := res["features"].([]any)
	require.Len(t, feats, 9)
	ids := map[string]float64{"A": 5, "man": 6, "is": 7, "eating": 8, "Someone": 9, "eats": 10, "food": 11, ".": 13}
	sum := 0.0
	for i, f := range feats {
		m := f.(map[string]any)
		seg := 0.0
		if i >= 5 {
			seg = 1
		}
		assert.Equal(t, seg, m["segment"], "feature %d %v", i, m["text"])
		want := (ids[m["text"].(string)]+1)/8 + 0.5*2*seg
		assert.InDelta(t, want, m["attribution"].(float64), 1e-5, "%v (segment %v)", m["text"], seg)
		sum += m["attribution"].(float64)
	}
	assert.InDelta(t, res["f_x"].(float64)-res["base_value"].(float64), sum, 1e-5, "efficiency")
	assert.Equal(t, 0.0, math.Abs(res["diagnostics"].(map[string]any)["efficiency_gap"].(float64)))

	html, err := os.ReadFile(page)
	require.NoError(t, err)
	assert.Contains(t, string(html), "Second text (text_pair):")

	code, stdout, _ = lucid(t, in, "explain", "--model", pairModel, "--pair", "--method", "occlusion", "--color", "never")
	require.Equal(t, exitOK, code)
	assert.Contains(t, stdout, "  text: A man is eating.\n  pair: Someone eats food.\n")
	assert.Contains(t, stdout, "food (pair)")

	for _, args := range [][]string{
		{"--pair", "--window"},
		{"--pair", "--why-not", "neutral"},
		{"--pair", "--method", "counterfactual"},
	} {
		code, _, stderr := lucid(t, in, append([]string{"explain", "--model", pairModel}, args...)...)
		assert.Equal(t, exitUsage, code, "%v", args)
		assert.Contains(t, stderr, "--pair", "%v", args)
	}
}

// TestAuditTextPairCol: an audit of a small NLI file scores every row as
// a pair, swaps identity terms only in the --pair-side text, and with
// --symmetric runs the order-swap test beside the other consistency tests.
func TestAuditTextPairCol(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "nli.tsv")
	tsv := "premise\thypothesis\tlabel\tg\n" +
		"a man is eating food .\tsomeone eats .\tentailment\tx\n" +
		"a man is not eating .\tsomeone eats food .\tcontradiction\ty\n" +
		"someone eats .\ta man is eating food .\tentailment\tx\n" +
		"someone eats\tsomeone is eating\tentailment\ty\n"
	require.NoError(t, os.WriteFile(data, []byte(tsv), 0o644))
	withTerms := map[string]float64{}
	for _, side := range []string{"first", "second", "both"} {
		out := filepath.Join(dir, side)
		code, _, stderr := lucid(t, "", "audit", "--model", pairModel, "--data", data, "--text-col", "premise", "--text-pair-col", "hypothesis",
			"--pair-side", side, "--symmetric", "--group-col", "g", "--checks", "groups,counterfactual,consistency,faithfulness,stability", "--explain-rows", "2", "--budget", "16", "--methods", "occlusion,kernelshap",
			"--resamples", "50", "--progress", "never", "--out", out)
		require.Equal(t, exitOK, code, stderr)
		raw, err := os.ReadFile(filepath.Join(out, "report.json"))
		require.NoError(t, err)
		var rep struct {
			Rows           int `json:"rows"`
			Counterfactual struct {
				WithTerms float64 `json:"texts_with_terms"`
				Worst     []struct {
					Original string `json:"original"`
					Swap     struct {
						Text string `json:"text"`
					} `json:"swap"`
				} `json:"worst"`
			} `json:"counterfactual"`
			Consistency struct {
				Tests []struct {
					Name   string `json:"name"`
					Tested int    `json:"tested"`
				} `json:"tests"`
			} `json:"consistency"`
			Faithfulness []struct {
				Method string `json:"method"`
				Texts  int    `json:"texts"`
				Failed int    `json:"failed"`
			} `json:"faithfulness"`
			Stability []struct {
				Texts int `json:"texts"`
			} `json:"explanation_stability"`
			SkippedChecks []struct {
				Check  string `json:"check"`
				Reason string `json:"reason"`
			} `json:"skipped_checks"`
		}
		require.NoError(t, json.Unmarshal(raw, &rep))
		assert.Equal(t, 4, rep.Rows, side)
		withTerms[side] = rep.Counterfactual.WithTerms
		for _, w := range rep.Counterfactual.Worst {
			a, b, _ := strings.Cut(w.Original, " ␞ ")
			sa, sb, _ := strings.Cut(w.Swap.Text, " ␞ ")
			switch side {
			case "first":
				assert.Equal(t, b, sb, "%s: the second text is untouched", side)
				assert.NotEqual(t, a, sa)
			case "second":
				assert.Equal(t, a, sa, "%s: the first text is untouched", side)
				assert.NotEqual(t, b, sb)
			}
		}
		var swapTested int
		for _, ts := range rep.Consistency.Tests {
			if ts.Name == "order-swap" {
				swapTested = ts.Tested
			}
		}
		assert.Equal(t, 4, swapTested, "%s: every pair's order swapped", side)
		assert.Empty(t, rep.SkippedChecks, side)
		require.NotEmpty(t, rep.Faithfulness, side)
		require.NotEmpty(t, rep.Stability, side)
		assert.Positive(t, rep.Stability[0].Texts, "%s: stability compared explanations of pairs", side)
		for _, m := range rep.Faithfulness {
			assert.Zero(t, m.Failed, "%s: %s explained every sampled pair", side, m.Method)
			assert.Positive(t, m.Texts, "%s: %s", side, m.Method)
		}
	}
	// A text holding ␞, the symbol that carries a pair through the audit,
	// cannot be carried: its row is skipped as malformed, by its line.
	sep := filepath.Join(dir, "sep.tsv")
	require.NoError(t, os.WriteFile(sep, []byte("premise\thypothesis\tlabel\na man eats\tsomeone eats\tentailment\na ␞ man\tsomeone\tentailment\n"), 0o644))
	code, _, stderr := lucid(t, "", "audit", "--model", pairModel, "--data", sep, "--text-col", "premise", "--text-pair-col", "hypothesis",
		"--checks", "counterfactual", "--max-skipped-share", "0.9", "--progress", "never", "--out", filepath.Join(dir, "sep"))
	require.Equal(t, exitOK, code, stderr)
	raw, err := os.ReadFile(filepath.Join(dir, "sep", "report.json"))
	require.NoError(t, err)
	var sepRep struct {
		Rows    int `json:"rows"`
		Skipped int `json:"skipped_rows"`
		Ex      []struct {
			Line   int    `json:"line"`
			Reason string `json:"reason"`
		} `json:"skipped_examples"`
	}
	require.NoError(t, json.Unmarshal(raw, &sepRep))
	assert.Equal(t, 1, sepRep.Rows)
	assert.Equal(t, 1, sepRep.Skipped)
	require.Len(t, sepRep.Ex, 1)
	assert.Equal(t, 3, sepRep.Ex[0].Line)
	assert.Contains(t, sepRep.Ex[0].Reason, "U+241E")

	// "man" is in the premise of two rows and the hypothesis of one.
	assert.Equal(t, map[string]float64{"first": 2, "second": 1, "both": 3}, withTerms)

	for _, args := range [][]string{
		{"--symmetric"},
		{"--pair-side", "second"},
		{"--text-pair-col", "hypothesis", "--pair-side", "left"},
		{"--text-pair-col", "g", "--pair-col", "g"},
	} {
		code, _, stderr := lucid(t, "", append([]string{"audit", "--model", pairModel, "--data", data, "--text-col", "premise", "--progress", "never", "--out", filepath.Join(dir, "bad")}, args...)...)
		assert.Equal(t, exitUsage, code, "%v: %s", args, stderr)
	}
}
