package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/dataset"
	"github.com/lucid-nlp/lucid/engine"
	"github.com/lucid-nlp/lucid/fairness/stats"
	"github.com/lucid-nlp/lucid/models"
)

// toxModel is a pure-Go multi-label classifier (one sigmoid per label)
// with a planted identity-term bias: the word "muslim" raises the logit
// of "toxic" and of no other label. It counts the texts it scores.
type toxModel struct {
	mu     sync.Mutex
	scored int
}

var toxLabels = []string{"toxic", "insult", "threat"}

func (*toxModel) Labels() []string  { return toxLabels }
func (*toxModel) Head() engine.Head { return engine.MultiLabel }

// toxLogits are the model's logits for a text: word weights per label.
func toxLogits(text string) []float32 {
	l := []float32{-2, -2, -3}
	for _, w := range strings.Fields(strings.ToLower(text)) {
		switch strings.Trim(w, ".,!") {
		case "idiot":
			l[0] += 3
			l[1] += 4
		case "kill":
			l[0] += 2
			l[2] += 5
		case "muslim":
			l[0] += 3
		}
	}
	return l
}

func (m *toxModel) Predict(_ context.Context, texts []string) ([]models.Prediction, error) {
	m.mu.Lock()
	m.scored += len(texts)
	m.mu.Unlock()
	out := make([]models.Prediction, len(texts))
	for i, t := range texts {
		l := toxLogits(t)
		out[i] = models.Prediction{Text: t, Logits: l, Probabilities: engine.MultiLabel.Probabilities(l)}
	}
	return out, nil
}

// toxData writes n rows per group: group "muslim" texts mention the
// religion, group "other" texts do not; both get insults and threats at
// the same rates. The columns: text, group, labels (a list: "toxic|insult"
// or a JSON list), one 0/1 column per label, and each label's model
// probability (p_toxic, ...), for the given-outputs audit.
func toxData(n int, seed uint64) (string, int) {
	rng := rand.New(rand.NewPCG(seed, 21))
	var b strings.Builder
	b.WriteString("text,group,labels,toxic,insult,threat,p_toxic,p_insult,p_threat\n")
	distinct := map[string]bool{}
	nouns := []string{"neighbour", "teacher", "driver", "cook", "singer", "farmer", "writer", "pilot"}
	for _, g := range []string{"muslim", "other"} {
		for i := range n {
			who := "my " + nouns[rng.IntN(len(nouns))]
			if g == "muslim" {
				who = "my muslim " + nouns[rng.IntN(len(nouns))]
			}
			text := fmt.Sprintf("%s said hello %d times", who, i)
			var gold []string
			switch r := rng.Float64(); {
			case r < 0.2:
				text = fmt.Sprintf("%s is an idiot %d", who, i)
				gold = []string{"toxic", "insult"}
			case r < 0.3:
				text = fmt.Sprintf("i will kill %s %d", who, i)
				gold = []string{"toxic", "threat"}
			}
			distinct[text] = true
			list := strings.Join(gold, "|")
			if i%5 == 0 { // some rows write the list as JSON
				js, _ := json.Marshal(append([]string{}, gold...))
				list = `"` + strings.ReplaceAll(string(js), `"`, `""`) + `"`
			}
			p := engine.MultiLabel.Probabilities(toxLogits(text))
			in := func(l string) int {
				for _, x := range gold {
					if x == l {
						return 1
					}
				}
				return 0
			}
			fmt.Fprintf(&b, "%s,%s,%s,%d,%d,%d,%.17g,%.17g,%.17g\n", text, g, list, in("toxic"), in("insult"), in("threat"), p[0], p[1], p[2])
		}
	}
	return b.String(), len(distinct)
}

func multiCfg(data string) Config {
	return Config{Source: strings.NewReader(data), Name: "tox.csv", Dataset: dataset.Options{GroupCols: []string{"group"}},
		LabelListCol: "labels", Checks: []string{CheckGroups, CheckCounterfactual, CheckConsistency}, ConsistencyRows: 50, Seed: 1}
}

func labelAudit(t *testing.T, rep *Report, label string) *Report {
	t.Helper()
	for _, la := range rep.MultiLabel.Labels {
		if la.Label == label {
			return la.Report
		}
	}
	t.Fatalf("no label %q in the report", label)
	return nil
}

func TestMultiLabelAuditFindsPlantedLabel(t *testing.T) {
	data, distinct := toxData(400, 1)
	m := &toxModel{}
	rep, err := Run(context.Background(), m, nil, multiCfg(data))
	require.NoError(t, err)
	require.NotNil(t, rep.MultiLabel)
	assert.Equal(t, "multi-label", rep.Head)
	assert.Equal(t, 800, rep.Rows)
	assert.Equal(t, 800, rep.Labelled)
	ml := rep.MultiLabel
	require.Len(t, ml.Labels, 3)

	// The planted bias is on "toxic" only: its group verdict fails, the
	// others' do not.
	assert.Equal(t, stats.Fail, labelAudit(t, rep, "toxic").Groups[0].Verdict.Status, labelAudit(t, rep, "toxic").Groups[0].Verdict.Reason)
	for _, l := range []string{"insult", "threat"} {
		assert.NotEqual(t, stats.Fail, labelAudit(t, rep, l).Groups[0].Verdict.Status, l)
	}
	assert.Equal(t, stats.Fail, ml.Verdict.Status)

	// One Holm family across labels × pairs × metrics, stated at the top
	// and in every label's group report.
	size := 0
	for _, la := range ml.Labels {
		for _, p := range la.Report.Groups[0].Pairs {
			for _, tst := range p.Tests {
				if tst.Estimate.Defined() {
					size++
				}
			}
		}
		assert.Equal(t, ml.Family.Size, la.Report.Groups[0].Family.Size)
	}
	assert.Equal(t, size, ml.Family.Size)
	assert.Equal(t, 15, size) // 3 labels × 1 pair × 5 metrics
	require.NotNil(t, rep.Family)
	assert.Contains(t, rep.Family.Of, "3 labels × 1 group columns")

	// The label-by-group table: every label × group.
	assert.Len(t, ml.Table, 3*2)
	assert.Len(t, ml.Verdicts, 3)

	// Gold rates read from the list column (plain and JSON cells): toxic
	// is every insult and threat row.
	toxic := ml.Labels[0]
	require.NotNil(t, toxic.GoldPositives)
	assert.InDelta(t, 0.3, toxic.GoldPositives.Value, 0.05)

	// Every check ran per label, and the counterfactual swap of "muslim"
	// moves only toxic's probability.
	for _, la := range ml.Labels {
		assert.NotNil(t, la.Report.Counterfactual, la.Label)
		assert.NotNil(t, la.Report.Consistency, la.Label)
	}
	// Each text is scored once for all labels: the rows (one pass) plus
	// the edits, never three times.
	rowsAndEdits := m.scored
	assert.GreaterOrEqual(t, rowsAndEdits, distinct)
	m2 := &toxModel{}
	cfg := multiCfg(data)
	cfg.Checks = []string{CheckGroups}
	_, err = Run(context.Background(), m2, nil, cfg)
	require.NoError(t, err)
	assert.Equal(t, distinct, m2.scored, "groups alone: each distinct text scored exactly once for three labels")

	js, err := json.Marshal(rep)
	require.NoError(t, err)
	for _, key := range []string{`"multi_label"`, `"label_by_group"`, `"family"`, `"head":"multi-label"`, `"label_column_verdicts"`} {
		assert.Contains(t, string(js), key)
	}
	assert.NotEmpty(t, rep.Summary)
	assert.True(t, strings.Contains(fmt.Sprint(rep.Summary), "Label by group"))
}

func TestMultiLabelCleanNotFlagged(t *testing.T) {
	// No identity bias: drop the planted word from the model's view by
	// auditing a dataset whose groups differ in an unweighted word.
	data, _ := toxData(400, 2)
	data = strings.ReplaceAll(data, "muslim ", "tall ")
	rep, err := Run(context.Background(), &toxModel{}, nil, multiCfg(data))
	require.NoError(t, err)
	for _, v := range rep.MultiLabel.Verdicts {
		assert.NotEqual(t, stats.Fail, v.Verdict.Status, v.Label+": "+v.Verdict.Reason)
	}
}

func TestMultiLabelGoldColumnsAndGivenOutputs(t *testing.T) {
	data, _ := toxData(300, 3)
	base, err := Run(context.Background(), &toxModel{}, nil, multiCfg(data))
	require.NoError(t, err)

	// One 0/1 column per label gives the same gold labels as the list.
	cfg := multiCfg(data)
	cfg.LabelListCol, cfg.LabelCols = "", []string{"toxic", "insult", "threat"}
	cols, err := Run(context.Background(), &toxModel{}, nil, cfg)
	require.NoError(t, err)
	for i := range toxLabels {
		assert.Equal(t, *base.MultiLabel.Labels[i].GoldPositives, *cols.MultiLabel.Labels[i].GoldPositives)
	}

	// Given outputs, one score column per label, no model: the same group
	// figures and verdicts as the model's own audit.
	cfg = multiCfg(data)
	cfg.Checks = nil
	cfg.ScoreCols = []string{"p_toxic", "p_insult", "p_threat"}
	cfg.Labels = toxLabels
	given, err := Run(context.Background(), nil, nil, cfg)
	require.NoError(t, err)
	require.NotNil(t, given.MultiLabel)
	assert.Equal(t, base.MultiLabel.Family.Size, given.MultiLabel.Family.Size)
	for i := range toxLabels {
		a, b := base.MultiLabel.Labels[i].Report.Groups[0], given.MultiLabel.Labels[i].Report.Groups[0]
		assert.Equal(t, a.Verdict.Status, b.Verdict.Status, toxLabels[i])
		assert.Equal(t, a.Groups[0].PositiveRate.Value, b.Groups[0].PositiveRate.Value, toxLabels[i])
	}
	names := fmt.Sprint(given.SkippedChecks)
	assert.Contains(t, names, CheckCounterfactual)
}

func TestMultiLabelThresholds(t *testing.T) {
	data, _ := toxData(200, 4)
	cfg := multiCfg(data)
	cfg.Checks = []string{CheckGroups}
	low, err := Run(context.Background(), &toxModel{}, nil, cfg)
	require.NoError(t, err)
	cfg = multiCfg(data)
	cfg.Checks = []string{CheckGroups}
	cfg.LabelThresholds = map[string]float64{"TOXIC": 0.99}
	high, err := Run(context.Background(), &toxModel{}, nil, cfg)
	require.NoError(t, err)
	assert.Equal(t, 0.99, high.MultiLabel.Labels[0].Threshold)
	assert.Equal(t, 0.5, high.MultiLabel.Labels[1].Threshold)
	assert.Less(t, high.MultiLabel.Labels[0].Positives.Value, low.MultiLabel.Labels[0].Positives.Value)
	assert.Equal(t, high.MultiLabel.Labels[1].Positives, low.MultiLabel.Labels[1].Positives)
}

func TestMultiLabelInputErrors(t *testing.T) {
	data, _ := toxData(50, 5)
	for _, c := range []struct {
		edit func(*Config)
		want string
	}{
		{func(c *Config) { c.LabelThresholds = map[string]float64{"toxic": 1.5} }, `threshold 1.5 for label "toxic"`},
		{func(c *Config) { c.LabelThresholds = map[string]float64{"spam": 0.5} }, `threshold for "spam": not one of the labels`},
		{func(c *Config) { c.LabelListCol, c.LabelCols = "", []string{"toxic", "spam"} }, `label column "spam" is not named after one of the labels`},
		{func(c *Config) { c.LabelCols = []string{"toxic"} }, "not both"},
		{func(c *Config) { c.Checks = []string{CheckFaithfulness} }, "check faithfulness does not run on a multi-label model"},
		{func(c *Config) { c.Positive = "toxic" }, `--positive "toxic"`},
	} {
		cfg := multiCfg(data)
		c.edit(&cfg)
		_, err := Run(context.Background(), &toxModel{}, nil, cfg)
		assert.ErrorContains(t, err, c.want)
	}
	// A list naming an unknown label makes its row malformed: counted,
	// quoted with the value, the audit goes on.
	bad := "text,group,labels\nyou idiot,a,toxic|spam\nhello,a,\n"
	rep, err := Run(context.Background(), &toxModel{}, nil, Config{Source: strings.NewReader(bad), Name: "bad.csv",
		Dataset: dataset.Options{GroupCols: []string{"group"}}, LabelListCol: "labels", Checks: []string{CheckGroups}, MaxSkippedShare: 1})
	require.NoError(t, err)
	assert.Equal(t, 1, rep.Rows)
	assert.Equal(t, 1, rep.Skipped)
	require.Len(t, rep.SkippedExamples, 1)
	assert.Contains(t, rep.SkippedExamples[0].Reason, `"spam" is not one of the labels`)
}

// rateModel is a pure-Go regression head: the score is 3, plus 1 for
// "great", minus 1 for "awful", plus shift for "dialectword", plus she
// for "she" and sheGreat more when the text is also "great" (so the
// effect of a he → she swap varies from text to text).
type rateModel struct{ shift, she, sheGreat float64 }

func (rateModel) Labels() []string  { return []string{"score"} }
func (rateModel) Head() engine.Head { return engine.Regression }
func (m rateModel) Predict(_ context.Context, texts []string) ([]models.Prediction, error) {
	out := make([]models.Prediction, len(texts))
	for i, t := range texts {
		s := 3.0
		for _, w := range strings.Fields(t) {
			switch w {
			case "great":
				s++
			case "awful":
				s--
			case "dialectword":
				s += m.shift
			case "she":
				s += m.she
			}
		}
		if strings.Contains(" "+t+" ", " she ") && strings.Contains(t, "great") {
			s += m.sheGreat
		}
		out[i] = models.Prediction{Text: t, Logits: []float32{float32(s)}, Probabilities: []float64{s}}
	}
	return out, nil
}

// rateData: two groups of n reviews; group "b" texts carry
// "dialectword"; each text is great, awful or neither at equal rates in
// both groups.
func rateData(n int, seed uint64) string {
	rng := rand.New(rand.NewPCG(seed, 22))
	var b strings.Builder
	b.WriteString("text,group,template\n")
	for i := range n {
		for _, g := range []string{"a", "b"} {
			w := []string{"great", "awful", "fine", "ok"}[rng.IntN(4)]
			extra := ""
			if g == "b" {
				extra = " dialectword"
			}
			fmt.Fprintf(&b, "the film was %s%s %d,%s,t%d\n", w, extra, i, g, i)
		}
	}
	return b.String()
}

func TestRegressionAuditComparesMeans(t *testing.T) {
	cfg := func(data string) Config {
		return Config{Source: strings.NewReader(data), Name: "rate.csv", Dataset: dataset.Options{GroupCols: []string{"group"}}, PairCol: "template", Seed: 1}
	}
	// A planted gap of 0.5 score units, tolerance 0.1: FAIL.
	rep, err := Run(context.Background(), rateModel{shift: 0.5}, nil, cfg(rateData(300, 1)))
	require.NoError(t, err)
	assert.Equal(t, "regression", rep.Head)
	assert.Empty(t, rep.Groups, "no rates for a regression head")
	require.Len(t, rep.GroupMeans, 1)
	m := rep.GroupMeans[0]
	require.Len(t, m.Pairs, 1)
	assert.Equal(t, "b", m.Pairs[0].A)
	assert.InDelta(t, 0.5, m.Pairs[0].Difference, 0.2) // the planted shift, up to the sampling of words
	assert.Equal(t, stats.Fail, m.Verdict.Status, m.Verdict.Reason)
	// Paired by template: the within-frame difference is exactly the shift
	// plus the word draw's difference; the frames compare scores.
	require.Len(t, rep.Paired, 1)
	assert.Equal(t, 0.1, rep.Paired[0].Tolerance)
	skipped := fmt.Sprint(rep.SkippedChecks)
	for _, ch := range []string{CheckConsistency, CheckSlices, CheckData, CheckFaithfulness} {
		assert.Contains(t, skipped, ch)
	}
	assert.NotContains(t, skipped, CheckCounterfactual)
	require.NotNil(t, rep.RegressionCounterfactual)
	assert.Equal(t, 0, rep.RegressionCounterfactual.Texts, "no identity term in these texts")
	assert.Nil(t, rep.Accuracy)

	// No gap: not flagged; with a tolerance of 1 score unit a gap of 0.5
	// is shown immaterial.
	clean, err := Run(context.Background(), rateModel{}, nil, cfg(rateData(300, 2)))
	require.NoError(t, err)
	assert.NotEqual(t, stats.Fail, clean.GroupMeans[0].Verdict.Status)
	c := cfg(rateData(300, 1))
	c.ScoreTolerance = 1
	wide, err := Run(context.Background(), rateModel{shift: 0.5}, nil, c)
	require.NoError(t, err)
	assert.Equal(t, stats.Pass, wide.GroupMeans[0].Verdict.Status, wide.GroupMeans[0].Verdict.Reason)

	js, err := json.Marshal(rep)
	require.NoError(t, err)
	assert.Contains(t, string(js), `"group_means"`)
	assert.Contains(t, string(js), `"head":"regression"`)
}

func TestRegressionGivenOutputsAndErrors(t *testing.T) {
	// A score column out of [0, 1] is fine for a regression head.
	var b bytes.Buffer
	b.WriteString("text,group,score\n")
	rng := rand.New(rand.NewPCG(7, 7))
	for i := range 200 {
		fmt.Fprintf(&b, "t%d,a,%.6f\n", i, 4+rng.NormFloat64()*0.3)
		fmt.Fprintf(&b, "u%d,b,%.6f\n", i, 4+rng.NormFloat64()*0.3)
	}
	cfg := Config{Source: bytes.NewReader(b.Bytes()), Name: "scores.csv", Dataset: dataset.Options{GroupCols: []string{"group"}},
		ScoreCol: "score", Head: engine.Regression}
	rep, err := Run(context.Background(), nil, nil, cfg)
	require.NoError(t, err)
	require.Len(t, rep.GroupMeans, 1)
	assert.InDelta(t, 4, rep.GroupMeans[0].Groups[0].Mean, 0.1)
	assert.NotEqual(t, stats.Fail, rep.GroupMeans[0].Verdict.Status)

	for _, c := range []struct {
		edit func(*Config)
		want string
	}{
		{func(c *Config) { c.Checks = []string{CheckConsistency} }, "check consistency does not apply to a regression head"},
		{func(c *Config) { c.ScoreTolerance = -2 }, "score tolerance -2"},
		{func(c *Config) { c.Dataset.LabelCol = "label" }, `reads no label (--label-col "label"`},
		{func(c *Config) { c.FitThresholds = "demographic-parity" }, "group thresholds act on decisions"},
	} {
		cfg := Config{Source: strings.NewReader(rateData(20, 1)), Name: "rate.csv", Dataset: dataset.Options{GroupCols: []string{"group"}}}
		c.edit(&cfg)
		_, err := Run(context.Background(), rateModel{}, nil, cfg)
		assert.ErrorContains(t, err, c.want)
	}
	// A model that is multi-label cannot be audited as regression.
	_, err = Run(context.Background(), &toxModel{}, nil, Config{Source: strings.NewReader("text\nx\n"), Name: "x.csv", Head: engine.Regression})
	assert.ErrorContains(t, err, "the model is multi-label but the audit was asked to treat it as regression")
}

func TestRegressionCounterfactualScoreChanges(t *testing.T) {
	// "he" and "she" texts; the model adds she (and sheGreat more on
	// "great" texts) to the score of texts saying "she", so swapping he →
	// she moves a score by she or she + sheGreat.
	var b strings.Builder
	b.WriteString("text\n")
	for i := range 200 {
		w := []string{"great", "awful", "fine"}[i%3]
		fmt.Fprintf(&b, "he said the film was %s %d\n", w, i)
		fmt.Fprintf(&b, "she said the play was %s %d\n", w, i)
	}
	run := func(m rateModel) *RegressionCounterfactual {
		rep, err := Run(context.Background(), m, nil, Config{Source: strings.NewReader(b.String()), Name: "he.csv",
			Checks: []string{CheckCounterfactual}, ScoreTolerance: 0.1})
		require.NoError(t, err)
		require.NotNil(t, rep.RegressionCounterfactual)
		return rep.RegressionCounterfactual
	}
	gender := func(rc *RegressionCounterfactual, from string) RegressionCFDirection {
		for _, d := range rc.Directions {
			if d.Family == "gender" && d.From == from {
				return d
			}
		}
		t.Fatalf("no gender direction from %s: %+v", from, rc.Directions)
		return RegressionCFDirection{}
	}
	// Planted: +0.5, +0.7 on a third of the texts: material against ±0.1.
	rc := run(rateModel{she: 0.5, sheGreat: 0.2})
	assert.Equal(t, 400, rc.Texts)
	up := gender(rc, "male")
	assert.InDelta(t, 0.5+0.2*67.0/200, up.Change.Mean, 1e-9) // 67 of the 200 "he" texts are great
	assert.Equal(t, stats.Fail, up.Verdict.Status, up.Verdict.Reason)
	assert.Equal(t, stats.Fail, gender(rc, "female").Verdict.Status)
	assert.Equal(t, stats.Fail, rc.Verdict.Status)
	assert.Contains(t, rc.Note, "term families only")
	assert.Equal(t, len(rc.Family.Members), rc.Family.Size)

	// Small: +0.01, +0.03: shown immaterial (PASS).
	small := run(rateModel{she: 0.01, sheGreat: 0.02})
	assert.Equal(t, stats.Pass, gender(small, "male").Verdict.Status, gender(small, "male").Verdict.Reason)

	// None: every change is exactly 0, a zero-width interval: never
	// evidence either way (WARN, not PASS).
	none := run(rateModel{})
	assert.Equal(t, stats.Warn, gender(none, "male").Verdict.Status)
}

func TestRegressionStateMergesAndEncodes(t *testing.T) {
	// A regression audit split in two, one half encoded and decoded, then
	// merged, gives Run's group means and counterfactual to the bit.
	data := rateData(200, 9)
	lines := strings.Split(strings.TrimSuffix(data, "\n"), "\n")
	header, rows := lines[0], lines[1:]
	for i := range rows {
		if i%3 == 0 {
			rows[i] = strings.Replace(rows[i], "the film", "she said the film", 1)
		}
	}
	m := rateModel{shift: 0.3, she: 0.2, sheGreat: 0.1}
	cfg := func(src string) Config {
		return Config{Source: strings.NewReader(src), Name: "rate.csv", Dataset: dataset.Options{GroupCols: []string{"group"}}, PairCol: "template", Seed: 3}
	}
	whole, err := Run(context.Background(), m, nil, cfg(header+"\n"+strings.Join(rows, "\n")+"\n"))
	require.NoError(t, err)

	half := func(part []string) *State {
		c := cfg("")
		st, err := NewState(m, c)
		require.NoError(t, err)
		require.NoError(t, ReadBatches(context.Background(), strings.NewReader(header+"\n"+strings.Join(part, "\n")+"\n"), "rate.csv", st.ReaderOptions(), 64,
			func(b Batch) error { return st.Add(context.Background(), b) }))
		return st
	}
	a, b := half(rows[:250]), half(rows[250:])
	enc, err := b.MarshalBinary()
	require.NoError(t, err)
	b2, err := NewState(m, cfg(""))
	require.NoError(t, err)
	require.NoError(t, b2.UnmarshalBinary(enc))
	require.NoError(t, a.Merge(b2))
	merged, err := Finish(context.Background(), a, m, nil)
	require.NoError(t, err)
	for _, pick := range []func(*Report) any{
		func(r *Report) any { return r.GroupMeans },
		func(r *Report) any { return r.RegressionCounterfactual },
		func(r *Report) any { return r.Paired },
	} {
		x, err := json.Marshal(pick(whole))
		require.NoError(t, err)
		y, err := json.Marshal(pick(merged))
		require.NoError(t, err)
		assert.JSONEq(t, string(x), string(y))
	}
	require.NotNil(t, whole.RegressionCounterfactual)
	assert.Greater(t, whole.RegressionCounterfactual.Texts, 100)
}

// The probability cache empties itself when full; a batch that holds a
// text scored before and new texts that overflow it still gets every
// text's probabilities (it once failed with "internal: text not scored").
func TestProbCacheEmptiesWithoutLosingABatch(t *testing.T) {
	m := &toxModel{}
	c := &probCache{clf: m, labels: toxLabels, max: 2, m: map[string]cached{}}
	ctx := context.Background()
	_, err := c.get(ctx, []string{"you idiot", "a muslim"})
	require.NoError(t, err)
	got, err := c.get(ctx, []string{"you idiot", "kill", "kill", "fine"})
	require.NoError(t, err)
	require.Len(t, got, 4)
	for i, text := range []string{"you idiot", "kill", "kill", "fine"} {
		assert.InDeltaSlice(t, engine.MultiLabel.Probabilities(toxLogits(text)), got[i].p, 1e-12, text)
	}
	assert.Equal(t, 4, m.scored, "the cached text is not scored again; the repeated new one once")
}
