package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The multi-label and regression audits of real graphs (engine/onnx's
// multi_label and regression test folders, whose logits are sums of known
// per-token rows): what the audit counts per group must equal what
// lucid predict says of the same texts.

// headTexts are texts of the test graphs' vocabulary: group a's are mild,
// group b's carry the toxic words, so b's toxicity and a's score are
// planted effects. Each group has several distinct texts so its scores vary.
var headTexts = map[string][]string{
	"a": {"i love this great movie", "this movie", "the good movie", "i love this", "great movie", "you are good"},
	"b": {"you are an idiot", "you are stupid", "i hate this stupid movie", "the idiot", "kill this", "you are bad"},
}

// writeHeadData writes rows rows of text,group,labels (labels a list column
// of the gold labels for the multi-label audit).
func writeHeadData(t *testing.T, rows int) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("text,group,labels\n")
	for i := range rows {
		g := []string{"a", "b"}[i%2]
		text := headTexts[g][(i/2)%len(headTexts[g])]
		gold := ""
		if g == "b" && i%3 != 0 {
			gold = "toxic|insult"
		}
		fmt.Fprintf(&b, "%s,%s,%s\n", text, g, gold)
	}
	p := filepath.Join(t.TempDir(), "data.csv")
	require.NoError(t, os.WriteFile(p, []byte(b.String()), 0o644))
	return p
}

// predictJSON runs lucid predict --json on each group's texts and returns
// the decoded lines by text.
func predictJSON(t *testing.T, model string) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	for _, texts := range headTexts {
		code, stdout, stderr := lucid(t, strings.Join(texts, "\n")+"\n", "predict", "--model", model, "--json")
		require.Equal(t, 0, code, stderr)
		for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
			var p map[string]any
			require.NoError(t, json.Unmarshal([]byte(line), &p))
			out[p["text"].(string)] = p
		}
	}
	return out
}

func TestAuditMultiLabelModel(t *testing.T) {
	model := filepath.Join("..", "..", "engine", "onnx", "testdata", "multi_label")
	const rows = 240
	data := writeHeadData(t, rows)
	out := filepath.Join(t.TempDir(), "out")
	code, stdout, stderr := lucid(t, "", "audit", "--model", model, "--data", data, "--label-list-col", "labels",
		"--group-col", "group", "--out", out, "--progress", "never", "--fail-on", "fail")
	require.Equal(t, 3, code, "a planted gap makes the audit fail (--fail-on fail: exit 3): %s", stderr)
	assert.Contains(t, stdout, "Label by group")

	var rep struct {
		Head       string `json:"head"`
		MultiLabel struct {
			LabelByGroup []struct {
				Label        string `json:"label"`
				Group        string `json:"group"`
				Rows         int    `json:"rows"`
				PositiveRate struct {
					Value *float64 `json:"value"`
				} `json:"positive_rate"`
			} `json:"label_by_group"`
			Verdict struct {
				Status string `json:"status"`
			} `json:"verdict"`
		} `json:"multi_label"`
	}
	raw, err := os.ReadFile(filepath.Join(out, "report.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(raw, &rep))
	assert.Equal(t, "multi-label", rep.Head)
	assert.Equal(t, "fail", rep.MultiLabel.Verdict.Status)

	// Expected positive rates from lucid predict's labels above the
	// default threshold, text by text.
	preds := predictJSON(t, model)
	want := map[string]float64{}
	for g, texts := range headTexts {
		for _, text := range texts {
			for _, l := range preds[text]["labels_above_threshold"].([]any) {
				want[l.(string)+"/"+g] += 1 / float64(len(texts))
			}
		}
	}
	seen := 0
	for _, cell := range rep.MultiLabel.LabelByGroup {
		require.NotNil(t, cell.PositiveRate.Value, "%s/%s", cell.Label, cell.Group)
		assert.Equal(t, rows/2, cell.Rows)
		// Rows cycle through each group's texts evenly (120 rows, 6 texts).
		assert.InDelta(t, want[cell.Label+"/"+cell.Group], *cell.PositiveRate.Value, 1e-9, "%s/%s", cell.Label, cell.Group)
		seen++
	}
	assert.Equal(t, 3*2, seen, "every label of the model by every group")
}

func TestAuditRegressionModel(t *testing.T) {
	model := filepath.Join("..", "..", "engine", "onnx", "testdata", "regression")
	const rows = 240
	data := writeHeadData(t, rows)
	out := filepath.Join(t.TempDir(), "out")
	code, _, stderr := lucid(t, "", "audit", "--model", model, "--data", data, "--group-col", "group",
		"--out", out, "--progress", "never", "--fail-on", "fail")
	require.Equal(t, 3, code, "a planted gap in mean score makes the audit fail (--fail-on fail: exit 3): %s", stderr)

	var rep struct {
		Head       string `json:"head"`
		GroupMeans []struct {
			Groups []struct {
				Group string  `json:"group"`
				N     int     `json:"n"`
				Mean  float64 `json:"mean"`
			} `json:"groups"`
			Verdict struct {
				Status string `json:"status"`
			} `json:"verdict"`
		} `json:"group_means"`
	}
	raw, err := os.ReadFile(filepath.Join(out, "report.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(raw, &rep))
	assert.Equal(t, "regression", rep.Head)
	require.Len(t, rep.GroupMeans, 1)
	assert.Equal(t, "fail", rep.GroupMeans[0].Verdict.Status)

	preds := predictJSON(t, model)
	for _, g := range rep.GroupMeans[0].Groups {
		var want float64
		for _, text := range headTexts[g.Group] {
			want += preds[text]["score"].(float64) / float64(len(headTexts[g.Group]))
		}
		assert.Equal(t, rows/2, g.N)
		assert.InDelta(t, want, g.Mean, 1e-6, "group %s", g.Group)
	}
}
