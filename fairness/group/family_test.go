package group

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/fairness/stats"
)

// A multi-label audit: one accumulator per label, corrected as one Holm
// family by CorrectAcrossLabels. Simulated, seeded, rates logged with
// Wilson intervals (go test -v -run AcrossLabels ./fairness/group/).

// simulateLabels makes one dataset of a four-label classifier over three
// groups of n rows: label l of group g is positive with probability
// base, and predicted positive with probability tpr or fpr, except that
// gap[l] is added to group g0's rates of label l (to its TPR alone with
// tprOnly).
func simulateLabels(t *testing.T, rng *rand.Rand, n int, gap []float64, tprOnly ...bool) []Labelled {
	t.Helper()
	var out []Labelled
	for l, d := range gap {
		a, err := NewAccumulator(Options{Column: "g", Resamples: simResamples, MinGroupSize: 20})
		require.NoError(t, err)
		for g := range 3 {
			spec := groupSpec{n: n, base: 0.3, tprV: 0.7, fprV: 0.1}
			if g == 0 {
				spec.tprV += d
				if len(tprOnly) == 0 || !tprOnly[0] {
					spec.fprV += d
				}
			}
			draw(a, rng, fmt.Sprintf("g%d", g), spec)
		}
		r, err := a.Result(uint64(l))
		require.NoError(t, err)
		out = append(out, Labelled{Label: fmt.Sprintf("L%d", l), Report: r})
	}
	return out
}

func TestAcrossLabelsCleanNotFlagged(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 5))
	const sims = 200
	flagged := 0
	for range sims {
		rs := simulateLabels(t, rng, 400, []float64{0, 0, 0, 0})
		fam := CorrectAcrossLabels(rs, 0)
		// 4 labels × 3 pairs × 5 metrics, all defined at these sizes.
		require.Equal(t, 60, fam.Size)
		any := false
		for _, l := range rs {
			assert.Equal(t, fam.Size, l.Report.Family.Size)
			if l.Report.Verdict.Status == stats.Fail {
				any = true
			}
		}
		if any {
			flagged++
		}
	}
	t.Logf("no gap, 4 labels × 3 groups × 5 metrics: datasets with any FAIL %s", share(flagged, sims))
	assert.LessOrEqual(t, float64(flagged)/sims, 0.05)
}

func TestAcrossLabelsPlantedGapFound(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 6))
	const sims = 200
	found, elsewhere := 0, 0
	for range sims {
		rs := simulateLabels(t, rng, 600, []float64{0, 0.25, 0, 0})
		CorrectAcrossLabels(rs, 0)
		if rs[1].Report.Verdict.Status == stats.Fail {
			found++
		}
		for _, l := range []int{0, 2, 3} {
			if rs[l].Report.Verdict.Status == stats.Fail {
				elsewhere++
				break
			}
		}
	}
	t.Logf("gap 0.25 in TPR and FPR of label L1, group g0 (600 rows a group): L1 FAILed %s; another label FAILed %s", share(found, sims), share(elsewhere, sims))
	assert.GreaterOrEqual(t, float64(found)/sims, 0.95)
	assert.LessOrEqual(t, float64(elsewhere)/sims, 0.05)
}

func TestAcrossLabelsWidensIntervals(t *testing.T) {
	// The joint family is larger than one label's, so each test's
	// interval is drawn at a higher level and can only widen.
	rng := rand.New(rand.NewPCG(21, 7))
	rs := simulateLabels(t, rng, 300, []float64{0, 0.1, 0, 0.2})
	before := rs[1].Report.Pairs[0].Tests[0]
	single := rs[1].Report.Family.Size
	fam := CorrectAcrossLabels(rs, 0)
	after := rs[1].Report.Pairs[0].Tests[0]
	assert.Greater(t, fam.Size, single)
	assert.GreaterOrEqual(t, after.Confidence, before.Confidence)
	assert.LessOrEqual(t, after.Estimate.Low, before.Estimate.Low+1e-12)
	assert.GreaterOrEqual(t, after.Estimate.High, before.Estimate.High-1e-12)
	assert.Contains(t, fam.Members[0], "L0: ")
	assert.Contains(t, rs[1].Report.Verdict.Reason, `label "L1"`)
}

func TestAcrossLabelsEdgeNotFlaggedBeyondNominal(t *testing.T) {
	// The hardest clean case: every label's TPR gap between g0 and the
	// others sits exactly on the tolerance 0.1 (its positive rate,
	// precision and disparate impact move less, inside their bands). The
	// family-wise rate of a FAIL anywhere must stay at most α = 0.05.
	rng := rand.New(rand.NewPCG(21, 9))
	const sims = 200
	flagged := 0
	for range sims {
		rs := simulateLabels(t, rng, 400, []float64{0.1, 0.1, 0.1, 0.1}, true)
		CorrectAcrossLabels(rs, 0)
		for _, l := range rs {
			if l.Report.Verdict.Status == stats.Fail {
				flagged++
				break
			}
		}
	}
	t.Logf("TPR gap exactly at the tolerance on all 4 labels: datasets with any FAIL %s", share(flagged, sims))
	assert.LessOrEqual(t, float64(flagged)/sims, 0.05)
}
