package audit

import (
	"context"
	"encoding/csv"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/internal/mergetest"
)

// withOutputColumns appends the model's positive-class probability and
// predicted label to every well-formed row of a CSV corpus (the malformed
// ones are left as they are, and stay malformed).
func withOutputColumns(t *testing.T, corpus string, clf Classifier) string {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(corpus, "\n"), "\n")
	var b strings.Builder
	b.WriteString(lines[0] + ",score,predicted\n")
	for _, l := range lines[1:] {
		rec, err := csv.NewReader(strings.NewReader(l)).Read()
		if err != nil {
			b.WriteString(l + "\n")
			continue
		}
		preds, err := clf.Predict(context.Background(), []string{rec[0]})
		require.NoError(t, err)
		p := preds[0]
		b.WriteString(l + "," + strconv.FormatFloat(p.Probabilities[1], 'g', -1, 64) + "," + p.Label + "\n")
	}
	return b.String()
}

func outputsConfig(score, pred string) Config {
	cfg := mergeConfig(11)
	cfg.Checks = nil // the default: every check that needs no model
	cfg.ScoreCol, cfg.PredictionCol = score, pred
	cfg.FitThresholds = "equal-opportunity"
	return cfg
}

// An audit of given outputs goes through the same mergeable State: parts
// read into States, some through the wire, merged as a random tree, give
// the one-pass report, and that report's figures are the model's own
// audit's.
func TestOutputsAuditMergesAndMatchesTheModel(t *testing.T) {
	ctx := context.Background()
	clf := newPlantedModel(0.05, rand.New(rand.NewPCG(3, 3)))
	corpus := mergeCorpus()
	given := withOutputColumns(t, corpus, clf)

	modelCfg := mergeConfig(11)
	modelCfg.Checks = []string{CheckData, CheckGroups, CheckSlices}
	modelCfg.FitThresholds = "equal-opportunity"
	modelCfg.Source = strings.NewReader(corpus)
	byModel, err := Run(ctx, clf, nil, modelCfg)
	require.NoError(t, err)

	cfg := outputsConfig("score", "predicted")
	cfg.Source = strings.NewReader(given)
	whole, err := Run(ctx, nil, nil, cfg)
	require.NoError(t, err)
	assert.Equal(t, []string{CheckData, CheckGroups, CheckSlices}, whole.Checks)
	var skipped []string
	for _, s := range whole.SkippedChecks {
		skipped = append(skipped, s.Check)
		assert.Contains(t, s.Reason, `needs the model`)
		assert.Contains(t, s.Reason, `--score-col "score" and --prediction-col "predicted"`)
	}
	assert.Equal(t, []string{CheckCounterfactual, CheckConsistency, CheckFaithfulness, CheckStability}, skipped)

	want, got := reportNumbers(t, byModel), reportNumbers(t, whole)
	for _, k := range []string{"groups", "paired", "slices", "data_bias", "accuracy", "positive_prediction_rate", "rows", "labelled_rows", "skipped_rows"} {
		require.NotNil(t, want[k], k)
		assert.Equal(t, want[k], got[k], k)
	}
	assert.Equal(t, byModel.ThresholdFit.Groups, whole.ThresholdFit.Groups)

	lines := strings.Split(strings.TrimSuffix(given, "\n"), "\n")
	header, body := lines[0], lines[1:]
	wantWhole := reportNumbers(t, whole)
	for trial := range 3 {
		rng := rand.New(rand.NewPCG(uint64(trial), 5))
		k := 2 + trial
		parts := make([][]string, k)
		for i, j := range rng.Perm(len(body)) {
			parts[i%k] = append(parts[i%k], body[j])
		}
		var states []*State
		fresh := func() *State {
			s, err := NewState(nil, outputsConfig("score", "predicted"))
			require.NoError(t, err)
			return s
		}
		for i, p := range parts {
			st := fresh()
			src := header + "\n" + strings.Join(p, "\n") + "\n"
			require.NoError(t, ReadBatches(ctx, strings.NewReader(src), "templates.csv", st.ReaderOptions(), 5+rng.IntN(40),
				func(b Batch) error { return st.Add(ctx, b) }))
			if i%2 == 0 {
				data, err := st.MarshalBinary()
				require.NoError(t, err)
				dec := fresh()
				require.NoError(t, dec.UnmarshalBinary(data))
				st = dec
			}
			states = append(states, st)
		}
		merged := mergetest.Merge(t, rng, states, fresh)
		rep, err := Finish(ctx, merged, nil, nil)
		require.NoError(t, err)
		assert.Equal(t, wantWhole, reportNumbers(t, rep), "trial %d, %d parts", trial, k)
	}

	// Merging with a State of another output column is refused.
	a, b := fresh2(t, "score", "predicted"), fresh2(t, "score", "")
	assert.Error(t, a.Merge(b))
}

func fresh2(t *testing.T, score, pred string) *State {
	t.Helper()
	s, err := NewState(nil, outputsConfig(score, pred))
	require.NoError(t, err)
	return s
}

// Configurations that cannot work are refused with the reason.
func TestOutputsAuditRefuses(t *testing.T) {
	cfg := outputsConfig("score", "")
	cfg.Checks = []string{CheckGroups, CheckConsistency}
	_, err := NewState(nil, cfg)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "check consistency needs the model")
	assert.Contains(t, err.Error(), "CheckList edits")

	cfg = outputsConfig("score", "")
	cfg.Labels = []string{"a", "b", "c"}
	_, err = NewState(nil, cfg)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "alone decides between two labels")

	cfg = outputsConfig("", "predicted")
	_, err = NewState(nil, cfg)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "give --score-col")

	cfg = outputsConfig("x", "x")
	cfg.FitThresholds = ""
	_, err = NewState(nil, cfg)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `both "x"`)
}
