package paired

import (
	"encoding/json"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/fairness/stats"
)

// frameGame fills frames with one row per group: a frame effect shared by
// every group (what pooling cannot separate from the groups), a per-row
// noise, and a planted shift for group "b".
func frameGame(t *testing.T, rng *rand.Rand, frames int, shift, noise float64) *Report {
	t.Helper()
	a, err := NewAccumulator(Options{Column: "group", FrameColumn: "template"})
	require.NoError(t, err)
	for f := range frames {
		base := 0.2 + 0.6*rng.Float64()
		frame := string(rune('A'+f%26)) + string(rune('a'+f/26%26)) + string(rune('0'+f/676))
		for _, g := range []string{"a", "b"} {
			s := base + noise*rng.NormFloat64()
			if g == "b" {
				s += shift
			}
			a.Add(frame, g, s, s > 0.5)
		}
	}
	return a.Result()
}

func TestPlantedShiftIsFoundWithinItsInterval(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	r := frameGame(t, rng, 120, 0.15, 0.05)
	require.Len(t, r.Pairs, 1)
	p := r.Pairs[0]
	assert.Equal(t, "a", p.A)
	assert.Equal(t, "b", p.B)
	assert.Equal(t, 120, p.Score.N)
	// d = a − b, so the planted +0.15 for b reads −0.15.
	assert.True(t, p.Score.Low <= -0.15 && -0.15 <= p.Score.High, "interval [%v, %v] must contain the planted −0.15", p.Score.Low, p.Score.High)
	assert.Equal(t, stats.Fail, p.Verdict.Status, p.Verdict.Reason)
	assert.Equal(t, stats.Fail, r.Verdict.Status)
	assert.Equal(t, []string{"a − b"}, r.Failing)
	assert.Greater(t, p.Score.Negative, 110)
	_, err := json.Marshal(r)
	require.NoError(t, err)
}

// False alarms on clean frames stay at the nominal level, and a planted
// shift beyond the tolerance is found nearly always.
func TestVerdictCalibratedBySimulation(t *testing.T) {
	const sims = 400
	rng := rand.New(rand.NewPCG(2, 3))
	significant := 0
	fails := func(shift float64) int {
		n := 0
		for range sims {
			r := frameGame(t, rng, 40, shift, 0.1)
			if r.Verdict.Status == stats.Fail {
				n++
			}
			if shift == 0 && r.Pairs[0].PAdjusted < stats.DefaultAlpha {
				significant++
			}
		}
		return n
	}
	clean := fails(0)
	// The test itself holds its level: "significant" on clean frames at
	// about 5%, whatever the tolerance then makes of it.
	sig := stats.Wilson(significant, sims, stats.Z95)
	assert.LessOrEqual(t, sig.Low, stats.DefaultAlpha, "clean frames significant %d of %d times", significant, sims)
	ci := stats.Wilson(clean, sims, stats.Z95)
	assert.LessOrEqual(t, ci.Low, stats.DefaultAlpha, "clean frames FAILed %d of %d times", clean, sims)
	assert.LessOrEqual(t, float64(clean)/sims, 0.07)
	planted := fails(0.2)
	assert.GreaterOrEqual(t, float64(planted)/sims, 0.9, "planted shift 0.2 FAILed only %d of %d times", planted, sims)
	t.Logf("clean frames significant %d of %d (%.3f); FAIL share over %d simulations of 40 frames: clean %d (%.3f, 95%% CI %.3f–%.3f), planted 0.2: %d", significant, sims, float64(significant)/sims, sims, clean, float64(clean)/sims, ci.Low, ci.High, planted)
}

func TestBookkeeping(t *testing.T) {
	a, err := NewAccumulator(Options{Skip: []string{""}, MaxFrames: 2})
	require.NoError(t, err)
	// The two frames whose names hash lowest are kept, whatever the order
	// they come in: t1 and t2 here, and t3, seen first, is dropped later.
	t1, t2, t3 := "t1", "t2", "t3"
	names := []string{t1, t2, t3}
	slices.SortFunc(names, func(x, y string) int {
		if keyOf(x).less(keyOf(y)) {
			return -1
		}
		return 1
	})
	t1, t2, t3 = names[0], names[1], names[2]
	a.Add(t3, "a", 0.6, true)  // beyond MaxFrames, once t1 and t2 arrive
	a.Add("", "a", 0.5, false) // no frame
	a.Add(t1, "", 0.5, false)  // missing group
	a.Add(t1, "a", 0.9, true)
	a.Add(t1, "a", 0.7, true) // two rows of one group average
	a.Add(t1, "b", 0.2, false)
	a.Add(t2, "a", 0.6, true)
	a.Add(t3, "b", 0.6, true) // dropped on arrival
	r := a.Result()
	assert.Equal(t, 8, r.Rows)
	assert.Equal(t, 1, r.NoFrameRows)
	assert.Equal(t, 1, r.SkippedRows)
	assert.Equal(t, 2, r.DroppedRows)
	assert.Equal(t, 2, r.Frames)
	assert.Equal(t, 1, r.MatchedFrames)
	assert.NotEmpty(t, r.Warnings)
	// b is in one frame only: no pair can be tested.
	assert.Empty(t, r.Pairs)
	assert.Equal(t, stats.Info, r.Verdict.Status)
	_, err = NewAccumulator(Options{Tolerance: -1})
	assert.ErrorContains(t, err, "tolerance -1")
}

// The column's pairs are one Holm family: each verdict judges the pair's
// t interval at the level the correction gives it, and FAIL is exactly
// "Holm rejects |mean difference| ≤ tolerance".
func TestPairsAreOneHolmFamily(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	a, err := NewAccumulator(Options{Column: "group", FrameColumn: "template"})
	require.NoError(t, err)
	shift := map[string]float64{"a": 0, "b": 0.16, "c": 0.02, "d": 0.11}
	for f := range 60 {
		base := 0.2 + 0.5*rng.Float64()
		for _, g := range []string{"a", "b", "c", "d"} {
			s := base + shift[g] + 0.08*rng.NormFloat64()
			a.Add(string(rune('A'+f%26))+string(rune('0'+f/26)), g, s, s > 0.5)
		}
	}
	r := a.Result()
	require.Len(t, r.Pairs, 6)
	assert.Equal(t, 6, r.Family.Size)
	assert.Len(t, r.Family.Members, 6)
	for _, p := range r.Pairs {
		assert.Less(t, p.Evidence.Low, p.Score.Low, "the corrected interval is wider than the plain 95% one")
		assert.Greater(t, p.Evidence.High, p.Score.High)
		// Between 1 − α (a step-6 rejection) and 1 − α/6.
		assert.True(t, p.Confidence >= 0.95-1e-12 && p.Confidence <= 1-0.05/6+1e-12, "%v", p.Confidence)
		outside := p.Evidence.Low > 0.1 || p.Evidence.High < -0.1
		assert.Equal(t, p.PMaterialHolm < 0.05, outside, "%s − %s", p.A, p.B)
		assert.Equal(t, outside, p.Verdict.Status == stats.Fail, "%s − %s: %s", p.A, p.B, p.Verdict.Reason)
	}
	assert.Equal(t, stats.Fail, r.Verdict.Status, "a 0.16 shift on 60 frames is shown beyond 0.1")
	b, err := json.Marshal(r)
	require.NoError(t, err)
	var back Report
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, r.Pairs[0].PMaterialHolm, back.Pairs[0].PMaterialHolm)
	assert.Equal(t, r.Family, back.Family)
}
