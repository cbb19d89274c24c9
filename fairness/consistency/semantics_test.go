package consistency

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"hash/fnv"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/lucid-nlp/lucid/fairness/stats"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestJudge(t *testing.T) {
	const rise, fall, inv = 1.0, -1.0, 0.0
	cases := []struct {
		name    string
		po, pe  float64
		sign    float64
		tol     float64
		want    outcome
		badness float64
	}{
		{"INV move within tolerance", 0.70, 0.65, inv, 0.1, passed, 0.05},
		{"INV move beyond tolerance, no flip", 0.70, 0.55, inv, 0.1, failed, 0.15},
		{"INV move beyond tolerance, up", 0.20, 0.45, inv, 0.1, failed, 0.25},
		{"INV flip within tolerance", 0.52, 0.47, inv, 0.1, passed, 0.05},
		{"INV flip beyond tolerance", 0.60, 0.30, inv, 0.1, failed, 0.30},
		// 0.5, 0.625 and 0.125 are exact in binary: a move of exactly τ passes.
		{"INV move of exactly the tolerance", 0.5, 0.625, inv, 0.125, passed, 0.125},
		{"DIR rise, wrong way within tolerance", 0.60, 0.55, rise, 0.1, passed, 0.05},
		{"DIR rise, wrong way beyond tolerance", 0.60, 0.45, rise, 0.1, failed, 0.15},
		{"DIR rise, no move at the ceiling", 0.99, 0.99, rise, 0.1, passed, 0},
		{"DIR rise, drop from the ceiling", 0.95, 0.50, rise, 0.1, failed, 0.45},
		{"DIR rise, expected way", 0.40, 0.80, rise, 0.1, passed, -0.40},
		{"DIR rise, original cannot fail", 0.05, 0.01, rise, 0.1, saturatedOriginal, 0},
		{"DIR rise, original at exactly τ cannot fail", 0.125, 0, rise, 0.125, saturatedOriginal, 0},
		{"DIR fall, original cannot fail", 0.95, 0.99, fall, 0.1, saturatedOriginal, 0},
		{"DIR fall, wrong way beyond tolerance", 0.30, 0.45, fall, 0.1, failed, 0.15},
		{"DIR fall, wrong way within tolerance", 0.30, 0.35, fall, 0.1, passed, 0.05},
		{"DIR fall, expected way", 0.80, 0.10, fall, 0.1, passed, -0.70},
		{"DIR fall, no move at the floor", 0.02, 0.02, fall, 0.1, passed, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o, b := judge(c.po, c.pe, c.sign, c.tol)
			assert.Equal(t, c.want, o)
			assert.InDelta(t, c.badness, b, 1e-12)
		})
	}
}

// table is a pure-Go binary classifier whose p(positive) for each text is
// set by hand; a text it does not know is an error.
type table map[string]float64

func (table) Labels() []string { return []string{"negative", "positive"} }

func (m table) Probabilities(_ context.Context, texts []string) ([][]float64, error) {
	out := make([][]float64, len(texts))
	for i, s := range texts {
		p, ok := m[s]
		if !ok {
			return nil, &unknownText{s}
		}
		out[i] = []float64{1 - p, p}
	}
	return out, nil
}

type unknownText struct{ s string }

func (e *unknownText) Error() string { return "table: unknown text " + e.s }

// mark is the edit the table tests use: it appends "!".
func mark(text string, _ *rand.Rand) (string, bool) { return text + "!", true }

// pairs builds a table of originals "t0", "t1", ... with their marked
// edits, from [p(original), p(edited)] pairs.
func pairs(ps ...[2]float64) (table, []string) {
	m := table{}
	var texts []string
	for i, p := range ps {
		s := "t" + string(rune('a'+i))
		m[s], m[s+"!"] = p[0], p[1]
		texts = append(texts, s)
	}
	return m, texts
}

func TestInvarianceCounts(t *testing.T) {
	clf, texts := pairs(
		[2]float64{0.80, 0.75}, // within τ: pass
		[2]float64{0.80, 0.60}, // 0.20 without a flip: fail
		[2]float64{0.52, 0.47}, // flip by 0.05: pass, flip within tolerance
		[2]float64{0.70, 0.20}, // flip by 0.50: fail
		[2]float64{0.10, 0.12}, // within τ: pass
	)
	r := run(t, clf, Config{Tests: []Test{{"mark", mark, Invariant}}}, texts...)
	tr := r.Tests[0]
	assert.Equal(t, 5, tr.Tested)
	assert.Zero(t, tr.Saturated, "invariance tests have no saturated originals")
	assert.Equal(t, 2, tr.Failures)
	assert.Equal(t, 2, tr.Flips)
	assert.Equal(t, 1, tr.FlipsWithinTolerance)
	assert.InDelta(t, 0.4, tr.FailureRate, 1e-12)
	assert.Equal(t, stats.Wilson(2, 5, stats.Z95), tr.FailureCI)
	require.Len(t, tr.Examples, 2)
	assert.Equal(t, "td!", tr.Examples[0].Edited, "the larger move first")
	assert.Equal(t, "tb!", tr.Examples[1].Edited)
	assert.Equal(t, DefaultTolerance, r.Tolerance)
	assert.Equal(t, DefaultFailRateThreshold, r.FailRateThreshold)

	// A wider tolerance forgives the 0.20 move; the 0.50 flip still fails.
	r = run(t, clf, Config{Tests: []Test{{"mark", mark, Invariant}}, Tolerance: 0.25}, texts...)
	assert.Equal(t, 1, r.Tests[0].Failures)
	assert.Equal(t, 1, r.Tests[0].FlipsWithinTolerance)
	assert.Equal(t, 0.25, r.Tolerance)
}

func TestDirectionalCounts(t *testing.T) {
	clf, texts := pairs(
		[2]float64{0.60, 0.55}, // rise expected (toward a positive prediction); 0.05 wrong way: pass
		[2]float64{0.60, 0.45}, // 0.15 wrong way: fail
		[2]float64{0.99, 0.99}, // no move at the ceiling: pass, at ceiling
		[2]float64{0.95, 0.50}, // drop from the ceiling: fail, at ceiling
		[2]float64{0.30, 0.35}, // negative prediction, fall expected; 0.05 wrong way: pass
		[2]float64{0.30, 0.45}, // 0.15 wrong way: fail
		[2]float64{0.05, 0.05}, // fall expected at the floor: pass, at ceiling
		[2]float64{0.40, 0.10}, // expected way: pass
	)
	r := run(t, clf, Config{Tests: []Test{{"toward", mark, TowardPrediction}, {"against", mark, AgainstPrediction}}}, texts...)

	toward := testNamed(t, r, "toward")
	assert.Equal(t, 8, toward.Tested)
	assert.Zero(t, toward.Saturated, "a binary argmax is never within τ of the far bound")
	assert.Equal(t, 3, toward.Failures)
	assert.Equal(t, 3, toward.AtCeiling)
	assert.Zero(t, toward.Flips, "flips are counted for invariance tests only")
	require.Len(t, toward.Examples, 3)
	assert.Equal(t, "td!", toward.Examples[0].Edited, "0.45 the wrong way first")

	// Against the prediction: a rise for the negative predictions, a fall
	// for the positive ones. The originals at 0.95, 0.99 (fall expected)
	// and 0.05 (rise expected) cannot move the wrong way by more than τ:
	// they are saturated, out of the denominator.
	against := testNamed(t, r, "against")
	assert.Equal(t, 3, against.Saturated)
	assert.Equal(t, 5, against.Tested)
	assert.Equal(t, 8, against.Tested+against.Saturated+against.NotApplicable)
	// 0.60→0.55, 0.60→0.45 (fall expected), 0.30→0.35, 0.30→0.45 (rise
	// expected): the right way. 0.40→0.10: 0.30 the wrong way, fail.
	assert.Equal(t, 1, against.Failures)
	assert.InDelta(t, 0.2, against.FailureRate, 1e-12)
	require.NotNil(t, against.Delta)
	assert.Equal(t, 5, against.Delta.N, "Δp summarised over the tested texts only")
	assert.InDelta(t, (-0.05-0.15+0.05+0.15-0.30)/5, against.Delta.Mean, 1e-12)
}

func TestHolmAcrossTests(t *testing.T) {
	// Three tests on the same 40 texts; the edits fail on the first 2, 8
	// and 14 of them.
	clf := table{}
	var texts []string
	fails := map[string]int{"a": 2, "b": 8, "c": 14}
	var tests []Test
	for name, k := range fails {
		suffix := "|" + name
		tests = append(tests, Test{Name: name, Expect: Invariant, Edit: func(text string, _ *rand.Rand) (string, bool) { return text + suffix, true }})
		for i := range 40 {
			s := "text " + string(rune('A'+i))
			clf[s] = 0.8
			clf[s+suffix] = 0.78
			if i < k {
				clf[s+suffix] = 0.3
			}
		}
	}
	for i := range 40 {
		texts = append(texts, "text "+string(rune('A'+i)))
	}
	r := run(t, clf, Config{Tests: tests}, texts...)
	raw := make([]float64, len(r.Tests))
	for i, tr := range r.Tests {
		require.Equal(t, 40, tr.Tested)
		require.Equal(t, fails[tr.Name], tr.Failures)
		assert.InDelta(t, stats.BinomialUpper(tr.Failures, 40, DefaultFailRateThreshold), tr.RawP, 1e-15, tr.Name)
		raw[i] = tr.RawP
	}
	adj := stats.Holm(raw)
	for i, tr := range r.Tests {
		require.NotNil(t, tr.Evidence)
		assert.Equal(t, adj[i], tr.Evidence.P, tr.Name)
		assert.Equal(t, tr.FailureRate, tr.Evidence.Estimate)
		// The interval judged is the Wilson interval at the level the
		// run's Holm family gives the test, wider than the plain 95% one.
		assert.LessOrEqual(t, tr.Evidence.Low, tr.FailureCI.Low)
		assert.GreaterOrEqual(t, tr.Evidence.High, tr.FailureCI.High)
		assert.GreaterOrEqual(t, tr.Evidence.Confidence, 0.95)
		assert.Equal(t, [2]float64{0, DefaultFailRateThreshold}, [2]float64{tr.Evidence.Lower, tr.Evidence.Upper})
		assert.Equal(t, stats.Decide(*tr.Evidence), tr.Verdict)
	}
	// 14/40 = 0.35 is far beyond 0.1 (raw p ≈ 1e-5): FAIL. 8/40: raw p ≈
	// 0.08 and ≈ 0.16 after Holm: not shown, but 0.2 is outside [0, 0.1],
	// so WARN. 2/40: the interval reaches above 0.1: WARN.
	byName := map[string]TestResult{}
	for _, tr := range r.Tests {
		byName[tr.Name] = tr
	}
	assert.Equal(t, stats.Fail, byName["c"].Verdict.Status)
	assert.Equal(t, stats.Warn, byName["b"].Verdict.Status)
	assert.Greater(t, byName["b"].Evidence.P, byName["b"].RawP, "Holm raised the middle p-value")
	assert.Equal(t, stats.Warn, byName["a"].Verdict.Status)

	// A test that tested nothing has no evidence, an INFO verdict, and
	// stays out of the family; the report is valid JSON.
	none := Test{Name: "none", Expect: Invariant, Edit: func(string, *rand.Rand) (string, bool) { return "", false }}
	r = run(t, clf, Config{Tests: append(tests, none)}, texts...)
	nr := testNamed(t, r, "none")
	assert.Nil(t, nr.Evidence)
	assert.Equal(t, 1.0, nr.RawP)
	assert.Nil(t, nr.Delta)
	assert.Equal(t, stats.Info, nr.Verdict.Status)
	for i, tr := range r.Tests[:3] {
		assert.Equal(t, adj[i], tr.Evidence.P, "the untested test does not enlarge the family")
	}
	_, err := json.Marshal(r)
	require.NoError(t, err)
}

// planted is a binary classifier for the calibration simulation: an
// original's p(positive) is drawn from [0.2, 0.8] by its hash; its edit
// ("~" appended) moves p by 0.03 either way, except on a planted share of
// texts where it moves p by 0.3 towards the other label.
type planted struct {
	share float64
	seed  uint64
}

func (planted) Labels() []string { return []string{"negative", "positive"} }

func (c planted) Probabilities(_ context.Context, texts []string) ([][]float64, error) {
	out := make([][]float64, len(texts))
	for i, s := range texts {
		orig, edited := strings.CutSuffix(s, "~")
		u1, u2 := c.uniforms(orig)
		p := 0.2 + 0.6*u1
		if edited {
			switch {
			case u2 < c.share && p >= 0.5:
				p -= 0.3
			case u2 < c.share:
				p += 0.3
			case u2 < (1+c.share)/2:
				p -= 0.03
			default:
				p += 0.03
			}
		}
		out[i] = []float64{1 - p, p}
	}
	return out, nil
}

func (c planted) uniforms(s string) (float64, float64) {
	h := fnv.New128a()
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], c.seed)
	h.Write(b[:])
	h.Write([]byte(s))
	sum := h.Sum(nil)
	u := func(x []byte) float64 { return float64(binary.LittleEndian.Uint64(x)>>11) / (1 << 53) }
	return u(sum[:8]), u(sum[8:])
}

// The verdict over a test's failure rate is calibrated: a clean edit
// (moves of 0.03) PASSes; an edit that fails exactly at the threshold rate
// is FAILed at most α of the time; a planted failure rate of 0.3 is FAILed
// nearly always. 300 runs of 300 texts each.
func TestVerdictCalibratedBySimulation(t *testing.T) {
	tilde := func(text string, _ *rand.Rand) (string, bool) { return text + "~", true }
	const sims, n = 300, 300
	texts := make([]string, n)
	for i := range texts {
		texts[i] = "review " + strings.Repeat("x", i%7) + string(rune('A'+i%26)) + string(rune('a'+i/26))
	}
	rate := func(share float64, want stats.Status) float64 {
		hits := 0
		for s := range sims {
			r := run(t, planted{share: share, seed: uint64(s)}, Config{Tests: []Test{{"edit", tilde, Invariant}}, Examples: -1}, texts...)
			if r.Tests[0].Verdict.Status == want {
				hits++
			}
		}
		return float64(hits) / sims
	}
	clean := rate(0, stats.Pass)
	assert.Equal(t, 1.0, clean, "a clean edit always passes")
	falseAlarm := rate(DefaultFailRateThreshold, stats.Fail)
	assert.LessOrEqual(t, falseAlarm, stats.DefaultAlpha, "FAIL rate at the threshold")
	power := rate(0.3, stats.Fail)
	assert.GreaterOrEqual(t, power, 0.95, "FAIL rate with 30%% failing")
	t.Logf("PASS rate clean %.3f; FAIL rate at threshold %.3f, planted 0.3 %.3f (n=%d, %d runs)", clean, falseAlarm, power, n, sims)
}
