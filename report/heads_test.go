//go:build unix

package report

import (
	"context"
	"fmt"
	"github.com/lucid-nlp/lucid/internal/browsertest"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/audit"
	"github.com/lucid-nlp/lucid/dataset"
	"github.com/lucid-nlp/lucid/engine"
	fstats "github.com/lucid-nlp/lucid/fairness/stats"
	"github.com/lucid-nlp/lucid/models"
)

// lookupHeads follows the multi-label and regression data-keys (heads.go)
// into report.json:
//
//	ml:<label>:threshold | predicted_rate[:low|:high] | gold_rate
//	lg:<label>:<column>:<group>:positive_rate[:low|:high]
//	lv:<label>:<column>:verdict
//	gm:<column>:<group>:mean[:low|:high] | n
//	gmp:<column>:<a>:<b>:difference[:low|:high] | p_holm | verdict
func lookupHeads(j map[string]any, p []string) (any, error) {
	ml := obj(j["multi_label"])
	field := func(o map[string]any, name string, rest []string) any {
		v := o[name]
		if m, ok := v.(map[string]any); ok {
			if len(rest) > 0 {
				return m[rest[0]]
			}
			return m["value"]
		}
		return v
	}
	switch p[0] {
	case "ml":
		l, err := find(ml["labels"], "label", p[1])
		if err != nil {
			return nil, err
		}
		return field(l, p[2], p[3:]), nil
	case "lg":
		for _, e := range ml["label_by_group"].([]any) {
			if c := obj(e); c["label"] == p[1] && c["column"] == p[2] && c["group"] == p[3] {
				return field(c, p[4], p[5:]), nil
			}
		}
		return nil, fmt.Errorf("no label-by-group cell %q", p[1:4])
	case "lv":
		for _, e := range ml["label_column_verdicts"].([]any) {
			if c := obj(e); c["label"] == p[1] && c["column"] == p[2] {
				return status(c), nil
			}
		}
		return nil, fmt.Errorf("no label verdict %q", p[1:3])
	case "gm":
		col, err := find(j["group_means"], "column", p[1])
		if err != nil {
			return nil, err
		}
		g, err := find(col["groups"], "group", p[2])
		if err != nil {
			return nil, err
		}
		if p[3] == "mean" && len(p) == 5 {
			return g[p[4]], nil // the mean's interval: the group's low, high
		}
		return g[p[3]], nil
	case "gmp":
		col, err := find(j["group_means"], "column", p[1])
		if err != nil {
			return nil, err
		}
		for _, e := range col["pairs"].([]any) {
			if pr := obj(e); pr["a"] == p[2] && pr["b"] == p[3] {
				switch {
				case p[4] == "verdict":
					return status(pr), nil
				case p[4] == "difference" && len(p) == 6:
					return pr[p[5]], nil
				}
				return pr[p[4]], nil
			}
		}
		return nil, fmt.Errorf("no mean pair %q", p[2:4])
	case "rcf":
		// The interval shown is the verdict's: evidence.low, .high.
		for _, e := range obj(j["regression_counterfactual"])["directions"].([]any) {
			if d := obj(e); d["family"] == p[1] && d["from"] == p[2] && d["to"] == p[3] {
				switch p[4] {
				case "verdict":
					return status(d), nil
				case "n":
					return obj(d["score_change"])["n"], nil
				}
				if len(p) == 6 {
					return obj(d["evidence"])[p[5]], nil
				}
				return obj(d["evidence"])["estimate"], nil
			}
		}
		return nil, fmt.Errorf("no counterfactual direction %q", p[1:4])
	}
	return nil, fmt.Errorf("unknown key %q", p)
}

// sigmoidModel is a pure-Go multi-label classifier: "rude" raises
// "toxic" and "insult", and "zorblax" (a planted group marker) raises
// "toxic" alone.
type sigmoidModel struct{}

func (sigmoidModel) Labels() []string  { return []string{"toxic", "insult"} }
func (sigmoidModel) Head() engine.Head { return engine.MultiLabel }
func (sigmoidModel) Predict(_ context.Context, texts []string) ([]models.Prediction, error) {
	out := make([]models.Prediction, len(texts))
	for i, t := range texts {
		l := []float32{-2, -2}
		if strings.Contains(t, "rude") {
			l[0], l[1] = l[0]+4, l[1]+4
		}
		if strings.Contains(t, "zorblax") {
			l[0] += 3
		}
		out[i] = models.Prediction{Text: t, Logits: l, Probabilities: engine.MultiLabel.Probabilities(l)}
	}
	return out, nil
}

// meanModel is a pure-Go regression head: 2, plus 1 for "good", plus 0.6
// for "zorblax".
type meanModel struct{}

func (meanModel) Labels() []string  { return []string{"score"} }
func (meanModel) Head() engine.Head { return engine.Regression }
func (meanModel) Predict(_ context.Context, texts []string) ([]models.Prediction, error) {
	out := make([]models.Prediction, len(texts))
	for i, t := range texts {
		s := 2.0
		if strings.Contains(t, "good") {
			s++
		}
		if strings.Contains(t, "zorblax") {
			s += 0.6
		}
		if strings.HasPrefix(t, "she ") {
			s += 0.3 + 0.01*float64(len(t)%7)
		}
		out[i] = models.Prediction{Text: t, Probabilities: []float64{s}}
	}
	return out, nil
}

func headsData() string {
	rng := rand.New(rand.NewPCG(21, 8))
	var b strings.Builder
	b.WriteString("text,group,labels\n")
	for i := range 300 {
		for _, g := range []string{"a", "b"} {
			text, labels := fmt.Sprintf("post %d", i), ""
			if i%4 == 0 {
				text = fmt.Sprintf("he wrote post %d", i)
			}
			if rng.Float64() < 0.3 {
				text, labels = fmt.Sprintf("rude post %d good", i), "toxic|insult"
			}
			if g == "b" {
				text += " zorblax"
			}
			fmt.Fprintf(&b, "%s,%s,%s\n", text, g, labels)
		}
	}
	return b.String()
}

func TestBrowserMultiLabelAndRegressionTables(t *testing.T) {
	bin := browsertest.Chromium(t)
	ml, err := audit.Run(context.Background(), sigmoidModel{}, nil, audit.Config{Source: strings.NewReader(headsData()), Name: "posts.csv",
		Dataset: dataset.Options{GroupCols: []string{"group"}}, LabelListCol: "labels", Checks: []string{audit.CheckGroups}})
	require.NoError(t, err)
	reg, err := audit.Run(context.Background(), meanModel{}, nil, audit.Config{Source: strings.NewReader(headsData()), Name: "posts.csv",
		Dataset: dataset.Options{GroupCols: []string{"group"}}})
	require.NoError(t, err)

	dir := screenshotDir(t)
	for _, c := range []struct {
		name string
		r    *audit.Report
		want []string
	}{
		{"multilabel", ml, []string{
			"ml:toxic:threshold", "ml:toxic:predicted_rate", "ml:toxic:predicted_rate:low", "ml:insult:gold_rate",
			"lg:toxic:group:a:positive_rate", "lg:toxic:group:b:positive_rate:high", "lg:insult:group:b:positive_rate",
			"lv:toxic:group:verdict", "lv:insult:group:verdict",
		}},
		{"regression", reg, []string{
			"gm:group:a:mean", "gm:group:b:mean:low", "gm:group:b:n",
			"gmp:group:b:a:difference", "gmp:group:b:a:difference:low", "gmp:group:b:a:difference:high", "gmp:group:b:a:p_holm", "gmp:group:b:a:verdict",
			"rcf:gender:male:female:mean", "rcf:gender:male:female:mean:low", "rcf:gender:male:female:mean:high", "rcf:gender:male:female:n", "rcf:gender:male:female:verdict",
		}},
	} {
		page := writePage(t, t.TempDir(), c.name+".html", func(f *os.File) error { return WriteAudit(f, c.r) })
		dom, stderr := browse(t, bin, page, "--dump-dom")
		errs, console := jsProblems(t, dom, stderr)
		assert.Empty(t, errs, "#js-errors")
		assert.Empty(t, console, "console messages")
		// Every data-key on the page equals report.json; the keys of the
		// new tables are all there.
		seen := checkDataKeys(t, dom, c.r)
		for _, k := range c.want {
			assert.Contains(t, seen, k, c.name)
		}
		shot := filepath.Join(dir, "audit-"+c.name+".png")
		browse(t, bin, page, "--screenshot="+shot, "--window-size=1280,2400")
		checkScreenshot(t, shot)
	}
	// The planted marker raises toxic only: its column fails, insult's
	// does not; the regression gap of 0.6 fails against ±0.1.
	require.Len(t, ml.MultiLabel.Verdicts, 2)
	assert.Equal(t, fstats.Fail, ml.MultiLabel.Verdicts[0].Verdict.Status, ml.MultiLabel.Verdicts[0].Verdict.Reason)
	assert.NotEqual(t, fstats.Fail, ml.MultiLabel.Verdicts[1].Verdict.Status, ml.MultiLabel.Verdicts[1].Verdict.Reason)
	assert.Equal(t, fstats.Fail, reg.GroupMeans[0].Verdict.Status, reg.GroupMeans[0].Verdict.Reason)
	require.NotNil(t, reg.RegressionCounterfactual)
	assert.Equal(t, fstats.Fail, reg.RegressionCounterfactual.Verdict.Status, reg.RegressionCounterfactual.Verdict.Reason)
}
