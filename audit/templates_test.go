package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/dataset"
	"github.com/lucid-nlp/lucid/fairness/stats"
	"github.com/lucid-nlp/lucid/models"
)

// A template corpus: sentence frames with a name slot and an emotion slot,
// each frame filled once with a name of each group. The frame (template ×
// emotion word) is the matched unit.
var (
	templateFrames = []string{
		"%s felt %s after watching the film .",
		"the movie left %s feeling %s .",
		"%s said the ending made them %s .",
		"after the premiere %s was %s about the story .",
		"%s walked out of the cinema %s .",
		"watching the sequel made %s %s .",
		"%s told friends the show was %s to sit through .",
		"by the final scene %s felt %s .",
		"the director's new work made %s %s .",
		"%s found the soundtrack %s .",
	}
	templateEmotions = []struct {
		word string
		base float64 // the frame's score without any name effect
		pos  bool
	}{
		{"happy", 0.70, true}, {"delighted", 0.72, true}, {"glad", 0.66, true}, {"excited", 0.68, true},
		{"moved", 0.62, true}, {"cheerful", 0.69, true}, {"sad", 0.25, false}, {"angry", 0.20, false},
		{"bored", 0.22, false}, {"annoyed", 0.24, false}, {"miserable", 0.18, false}, {"disappointed", 0.21, false},
		{"calm", 0.50, true}, {"tired", 0.35, false}, {"amazed", 0.71, true}, {"upset", 0.23, false},
	}
	groupNames = map[string][]string{
		"a": {"Emily", "Claire", "Megan", "Laura", "Katie", "Anne", "Sarah", "Jill"},
		"b": {"Aisha", "Keisha", "Tamika", "Latoya", "Ebony", "Imani", "Nia", "Shanice"},
	}
)

// templateCorpus writes the corpus as CSV: 10 templates × 16 emotions = 160
// frames, each filled with one name of each group drawn by rng, two thirds
// of them twice: at least 500 sentences.
func templateCorpus(rng *rand.Rand) string {
	var b strings.Builder
	b.WriteString("text,label,group,template\n")
	for ti, tpl := range templateFrames {
		for ei, e := range templateEmotions {
			frame := fmt.Sprintf("t%02d-e%02d", ti, ei)
			draws := 2
			if (ti+ei)%3 == 0 {
				draws = 1
			}
			for range draws {
				for _, g := range []string{"a", "b"} {
					names := groupNames[g]
					name := names[rng.IntN(len(names))]
					label := "NEGATIVE"
					if e.pos {
						label = "POSITIVE"
					}
					fmt.Fprintf(&b, "%q,%s,%s,%s\n", fmt.Sprintf(tpl, name, e.word), label, g, frame)
				}
			}
		}
	}
	return b.String()
}

// plantedModel is a pure-Go classifier whose positive probability is the
// emotion word's base score, plus shift for names of group b, plus a small
// per-name offset that averages to 0 within each group: the planted
// effect of group b over group a is exactly shift.
type plantedModel struct {
	shift  float64
	offset map[string]float64
}

func newPlantedModel(shift float64, rng *rand.Rand) *plantedModel {
	m := &plantedModel{shift: shift, offset: map[string]float64{}}
	for _, names := range groupNames {
		for i := 0; i < len(names); i += 2 {
			o := 0.03 * (2*rng.Float64() - 1)
			m.offset[names[i]], m.offset[names[i+1]] = o, -o
		}
	}
	return m
}

func (m *plantedModel) Labels() []string { return []string{"NEGATIVE", "POSITIVE"} }

func (m *plantedModel) Predict(_ context.Context, texts []string) ([]models.Prediction, error) {
	out := make([]models.Prediction, len(texts))
	for i, t := range texts {
		p := 0.5
		for _, e := range templateEmotions {
			if strings.Contains(t, " "+e.word+" ") {
				p = e.base
			}
		}
		for _, w := range strings.Fields(t) {
			p += m.offset[w]
			if slices.Contains(groupNames["b"], w) {
				p += m.shift
			}
		}
		p = min(max(p, 0.01), 0.99)
		label := 0
		if p > 0.5 {
			label = 1
		}
		out[i] = models.Prediction{Text: t, Label: m.Labels()[label], LabelIndex: label, Probabilities: []float64{1 - p, p}}
	}
	return out, nil
}

func auditTemplates(t *testing.T, clf Classifier, corpus string, seed uint64) *Report {
	t.Helper()
	rep, err := Run(context.Background(), clf, nil, Config{
		Source: strings.NewReader(corpus), Name: "templates.csv",
		Dataset: dataCols("group"), PairCol: "template", Checks: []string{CheckGroups},
		Seed: seed, Resamples: 100,
	})
	require.NoError(t, err)
	return rep
}

func TestPlantedBiasFailsThePairedTest(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	corpus := templateCorpus(rng)
	require.GreaterOrEqual(t, strings.Count(corpus, "\n")-1, 500, "at least 500 sentences")
	const shift = 0.15
	rep := auditTemplates(t, newPlantedModel(shift, rng), corpus, 1)
	require.Len(t, rep.Paired, 1)
	p := rep.Paired[0]
	assert.Equal(t, 160, p.MatchedFrames)
	require.Len(t, p.Pairs, 1)
	pair := p.Pairs[0]
	assert.Equal(t, "a", pair.A)
	assert.Equal(t, "b", pair.B)
	// d = a − b: the planted +0.15 for b reads −0.15, inside the interval.
	assert.True(t, pair.Score.Low <= -shift && -shift <= pair.Score.High, "interval [%.4f, %.4f] must hold −%.2f", pair.Score.Low, pair.Score.High, shift)
	assert.Equal(t, stats.Fail, pair.Verdict.Status, pair.Verdict.Reason)
	assert.Equal(t, 0, pair.Score.Positive, "b scores higher in every frame")
	var found bool
	for _, f := range rep.Summary {
		if f.Check == "paired" {
			found = true
			assert.Equal(t, "fail", f.Status, f.Message)
			assert.Contains(t, f.Message, "a − b")
		}
	}
	assert.True(t, found, "the summary states the paired verdict")
	_, err := json.Marshal(rep)
	require.NoError(t, err)
}

// A model with no planted bias is FAILed at most at the nominal rate over
// many seeds (new name offsets and new draws each time), and its paired
// test is significant at about the nominal rate.
func TestNoPlantedBiasPassesAcrossSeeds(t *testing.T) {
	const seeds = 200
	fails, significant := 0, 0
	for s := range seeds {
		rng := rand.New(rand.NewPCG(uint64(s), 99))
		rep := auditTemplates(t, newPlantedModel(0, rng), templateCorpus(rng), uint64(s))
		pair := rep.Paired[0].Pairs[0]
		if pair.Verdict.Status == stats.Fail {
			fails++
		}
		if pair.PAdjusted < stats.DefaultAlpha {
			significant++
		}
	}
	ci := stats.Wilson(significant, seeds, stats.Z95)
	t.Logf("no planted bias, %d seeds: FAIL %d, significant %d (%.3f, 95%% CI %.3f–%.3f)", seeds, fails, significant, float64(significant)/seeds, ci.Low, ci.High)
	assert.LessOrEqual(t, float64(fails)/seeds, stats.DefaultAlpha)
	assert.LessOrEqual(t, ci.Low, stats.DefaultAlpha, "the paired test holds its level")
}

// The same corpus through the shipped model: the paired analysis runs on
// real scores, and every figure is consistent with its own n and interval.
func TestTemplateCorpusThroughShippedModel(t *testing.T) {
	c, _ := defaultModel(t)
	rng := rand.New(rand.NewPCG(5, 5))
	rep := auditTemplates(t, c, templateCorpus(rng), 1)
	require.Len(t, rep.Paired, 1)
	pair := rep.Paired[0].Pairs[0]
	assert.Equal(t, 160, pair.Score.N)
	assert.Equal(t, pair.Score.N, pair.Score.Positive+pair.Score.Negative+pair.Score.Ties)
	assert.True(t, pair.Score.Low <= pair.Score.Mean && pair.Score.Mean <= pair.Score.High)
	assert.False(t, math.IsNaN(pair.PAdjusted))
	t.Logf("shipped model, names a − b: mean %+.4f [%.4f, %.4f], a higher in %d of %d frames, Holm p=%.3g, verdict %s (%s)",
		pair.Score.Mean, pair.Score.Low, pair.Score.High, pair.Score.Positive, pair.Score.N, pair.PAdjusted, pair.Verdict.Status, pair.Verdict.Reason)
}

func dataCols(groups ...string) dataset.Options { return dataset.Options{GroupCols: groups} }
