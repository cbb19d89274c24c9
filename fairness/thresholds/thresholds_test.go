package thresholds

import (
	"bytes"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/fairness/group"
	"github.com/lucid-nlp/lucid/fairness/stats"
)

func sigmoid(z float64) float64 { return 1 / (1 + math.Exp(-z)) }
func logit(p float64) float64   { return math.Log(p / (1 - p)) }

// world is a simulated model with a planted gap: a row of group g with
// true label y (positive with probability base[g]) gets the logit score
// N(mu[g]·(2y−1) + shift[g], 1), and the model decides positive at score
// 0.5. The model separates group "b" less well and scores it a little
// lower, and b has fewer positives: at 0.5, b's TPR is 0.22 below a's, its
// FPR 0.07 above, its positive rate 0.23 below.
type world struct {
	mu, shift, base map[string]float64
}

var planted = world{
	mu:    map[string]float64{"a": 2, "b": 1},
	shift: map[string]float64{"a": 0, "b": -0.3},
	base:  map[string]float64{"a": 0.6, "b": 0.4},
}

type row struct {
	group string
	text  string
	score float64
	y     bool
}

func (w world) sample(n int, seed uint64) []row {
	rng := rand.New(rand.NewPCG(seed, 7))
	rows := make([]row, n)
	for i := range rows {
		g := "a"
		if i%2 == 1 {
			g = "b"
		}
		y := rng.Float64() < w.base[g]
		m := -w.mu[g]
		if y {
			m = w.mu[g]
		}
		rows[i] = row{group: g, text: "row " + string(rune('a'+i%26)) + strings.Repeat("x", i%7) + itoa(i), score: sigmoid(m + w.shift[g] + rng.NormFloat64()), y: y}
	}
	return rows
}

func itoa(i int) string {
	var b []byte
	for {
		b = append([]byte{byte('0' + i%10)}, b...)
		if i /= 10; i == 0 {
			return string(b)
		}
	}
}

// population is P(positive) under rule r of group g's rows with label y,
// computed exactly from the normal model (no sampling).
func (w world) population(r Rule, g string, y bool) float64 {
	m := -w.mu[g] + w.shift[g]
	if y {
		m = w.mu[g] + w.shift[g]
	}
	cdf := func(c float64) float64 { // P(score < c)
		return 0.5 * math.Erfc(-(logit(c)-m)/math.Sqrt2)
	}
	total, lo := 0.0, 0.0
	for i, c := range r.Cuts {
		hi := cdf(c)
		total += (hi - lo) * r.Probabilities[i]
		lo = hi
	}
	return total + (1-lo)*r.Probabilities[len(r.Cuts)]
}

func fit(t testing.TB, rows []row, c Constraint) *File {
	f, _ := fitScores(t, rows, c)
	return f
}

func fitScores(t testing.TB, rows []row, c Constraint) (*File, *Scores) {
	t.Helper()
	s := NewScores()
	for _, r := range rows {
		require.NoError(t, s.Add(r.group, r.score, r.y, r.score >= 0.5))
	}
	f, err := Fit(s, Options{Constraint: c, Column: "group", Positive: "pos", Seed: 11})
	require.NoError(t, err)
	return f, s
}

func TestBinsAndCutsAgree(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		s := sigmoid(rng.NormFloat64() * 12)
		b := binOf(s)
		require.True(t, b >= 0 && b < NumBins)
		k := rng.IntN(NumBins + 1)
		assert.Equal(t, b >= k, s >= edges[k], "score %v bin %d threshold bin %d", s, b, k)
	}
	assert.Equal(t, 0, binOf(0))
	assert.Equal(t, NumBins-1, binOf(1))
	for k := 1; k < NumBins; k++ {
		require.Greater(t, edges[k], edges[k-1])
		assert.Equal(t, k, binOf(edges[k]), "an edge starts its bin")
	}
}

func TestUpperHull(t *testing.T) {
	pts := []vertex{{0, 0, 5}, {0, 1, 4}, {0.2, 0.5, 3}, {0.5, 2, 2}, {0.8, 2.2, 1}, {1, 1, 0}}
	h := upperHull(pts)
	// (0,0) loses to (0,1) at the same x; (0.2,0.5) lies under (0,1)–(0.5,2).
	assert.Equal(t, []vertex{{0, 1, 4}, {0.5, 2, 2}, {0.8, 2.2, 1}, {1, 1, 0}}, h)
	m := at(h, 0.25)
	assert.InDelta(t, 1.5, m.y, 1e-12)
	assert.Equal(t, 4, m.lo.k)
	assert.Equal(t, 2, m.hi.k)
	assert.InDelta(t, 0.5, m.w, 1e-12)
	assert.InDelta(t, 2.2, at(h, 0.8).y, 1e-12)
}

func TestRuleFromBins(t *testing.T) {
	for _, tc := range []struct {
		name  string
		ks    []int
		probs []float64
		want  Rule
	}{
		{"plain threshold", []int{100, 100}, []float64{0, 0.3, 1}, Rule{[]float64{edges[100]}, []float64{0, 1}}},
		{"mixed", []int{100, 200}, []float64{0, 0.3, 1}, Rule{[]float64{edges[100], edges[200]}, []float64{0, 0.3, 1}}},
		{"everything positive", []int{0, 0}, []float64{0, 0.5, 1}, Rule{nil, []float64{1}}},
		{"nothing positive", []int{NumBins, NumBins}, []float64{0, 0.5, 1}, Rule{nil, []float64{0}}},
		{"mix of all and some", []int{0, 50}, []float64{0, 0.4, 1}, Rule{[]float64{edges[50]}, []float64{0.4, 1}}},
		{"equal neighbours merge", []int{10, 20}, []float64{0.2, 0.2, 0.9}, Rule{[]float64{edges[20]}, []float64{0.2, 0.9}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := ruleFromBins(tc.ks, tc.probs)
			assert.Equal(t, tc.want, got)
			require.NoError(t, got.validate())
		})
	}
}

// The fitted rules reach the shared target exactly on the data they were
// fitted on, and no other rules with that property are more accurate than
// the hull allows.
func TestFitReachesTargetInSample(t *testing.T) {
	rows := planted.sample(6000, 3)
	for _, c := range Constraints {
		t.Run(string(c), func(t *testing.T) {
			f, s := fitScores(t, rows, c)
			require.Len(t, f.Groups, 2)
			for _, g := range f.Groups {
				switch c {
				case DemographicParity:
					assert.InDelta(t, *f.Target.PositiveRate, *g.Expected.PositiveRate, 1e-9, g.Group)
				case EqualOpportunity:
					assert.InDelta(t, *f.Target.TPR, *g.Expected.TPR, 1e-9, g.Group)
				case EqualizedOdds:
					assert.InDelta(t, *f.Target.TPR, *g.Expected.TPR, 1e-9, g.Group)
					assert.InDelta(t, *f.Target.FPR, *g.Expected.FPR, 1e-9, g.Group)
				}
			}
			// The rules can never beat each group's own best threshold
			// (no constraint); parity here costs at most 0.1 (equalized
			// odds, which must randomise, about 0.07).
			best := 0.0
			for _, h := range s.groups {
				top := 0.0
				for _, v := range DemographicParity.curve(h) {
					top = max(top, v.y)
				}
				best += top
			}
			best /= float64(f.Fit.FittedRows)
			assert.LessOrEqual(t, *f.Fit.ExpectedAccuracyFitted, best+1e-12)
			assert.Greater(t, *f.Fit.ExpectedAccuracyFitted, best-0.1)
		})
	}
}

// Equalized odds needs randomisation here: group b's ROC hull lies below
// a's, so a must mix its hull point with the diagonal.
func TestEqualizedOddsRandomizes(t *testing.T) {
	f := fit(t, planted.sample(6000, 4), EqualizedOdds)
	a, ok := f.Rule("a")
	require.True(t, ok)
	assert.True(t, a.Randomized, "group a's rule %+v", a.Rule)
	assert.Greater(t, a.Probabilities[0], 0.0, "the diagonal mixture gives low scores a floor")
	assert.Less(t, a.Probabilities[len(a.Probabilities)-1], 1.0, "and high scores a ceiling")
}

// The planted gap, fitted on one sample and judged on another, over 20
// seeds: before, the constraint's metrics FAIL; after, no verdict FAILs,
// the pairwise difference's interval contains 0 in most runs (its 95%
// interval covers the held-out sampling noise, not the fit's, so somewhat
// less often than 95%), and in the population (computed exactly from the
// model) the fitted rules' gap is below 0.02; the accuracy change comes
// with its interval.
func TestFitClosesPlantedGapOnHeldOutRows(t *testing.T) {
	const seeds = 20
	for _, c := range Constraints {
		t.Run(string(c), func(t *testing.T) {
			contains := map[string]int{}
			var changes []float64
			for seed := range uint64(seeds) {
				train, test := planted.sample(40000, 100+seed), planted.sample(10000, 200+seed)
				f := fit(t, train, c)
				cmp, err := NewComparison(f, group.Options{Resamples: 200})
				require.NoError(t, err)
				for _, r := range test {
					cmp.Add(r.group, r.text, r.score, r.score >= 0.5, true, r.y)
				}
				e, err := cmp.Result(seed)
				require.NoError(t, err)
				require.Equal(t, stats.Fail, e.VerdictBefore.Status, e.VerdictBefore.Reason)
				require.NotEqual(t, stats.Fail, e.VerdictAfter.Status, e.VerdictAfter.Reason)
				require.Len(t, e.Tests, len(c.Metrics()))
				for _, ct := range e.Tests {
					require.NotNil(t, ct.After)
					after := ct.After.Test.Estimate
					if after.Low <= 0 && 0 <= after.High {
						contains[ct.Metric]++
					}
				}
				ra, _ := f.Rule("a")
				rb, _ := f.Rule("b")
				for _, y := range []bool{true, false} {
					pa, pb := planted.population(ra.Rule, "a", y), planted.population(rb.Rule, "b", y)
					switch {
					case c == DemographicParity:
						pa = planted.base["a"]*planted.population(ra.Rule, "a", true) + (1-planted.base["a"])*planted.population(ra.Rule, "a", false)
						pb = planted.base["b"]*planted.population(rb.Rule, "b", true) + (1-planted.base["b"])*planted.population(rb.Rule, "b", false)
					case c == EqualOpportunity && !y:
						continue
					}
					require.InDelta(t, pa, pb, 0.02, "seed %d: population rate (label %v): a %.4f, b %.4f", seed, y, pa, pb)
				}
				ch := e.AccuracyChange
				require.NotNil(t, ch)
				require.Equal(t, len(test), ch.N)
				require.True(t, ch.Low <= ch.Value && ch.Value <= ch.High, "%+v", ch)
				require.Equal(t, len(test), e.FittedRows)
				changes = append(changes, ch.Value)
				if seed == 0 {
					for _, ct := range e.Tests {
						b, a := ct.Before.Test.Estimate, ct.After.Test.Estimate
						t.Logf("%s %s: before %.3f [%.3f, %.3f] %s; after %.3f [%.3f, %.3f] %s", c, ct.Metric, b.Value, b.Low, b.High,
							ct.Before.Test.Verdict.Status, a.Value, a.Low, a.High, ct.After.Test.Verdict.Status)
					}
					t.Logf("%s: accuracy %.4f -> %.4f, change %.4f [%.4f, %.4f] McNemar p=%.2g; randomized rows %d of %d",
						c, e.AccuracyBefore.Value, e.AccuracyAfter.Value, ch.Value, ch.Low, ch.High, ch.P, e.RandomizedRows, e.Rows)
				}
			}
			for _, m := range c.Metrics() {
				t.Logf("%s: the %s difference's interval contains 0 in %d of %d runs", c, m, contains[m], seeds)
				assert.GreaterOrEqual(t, contains[m], seeds*8/10, m)
			}
			s := stats.PairedSummary(changes, 0.95)
			t.Logf("%s: mean accuracy change over %d runs %.4f [%.4f, %.4f]", c, seeds, s.Mean, s.Low, s.High)
		})
	}
}

// The paired interval covers the true accuracy change at about the
// nominal rate (Agresti–Min): 400 simulated samples of 2,000 rows whose
// discordant cells have known probabilities.
func TestPairedChangeCoverage(t *testing.T) {
	const sims, n = 400, 2000
	pGain, pLose := 0.03, 0.05
	rng := rand.New(rand.NewPCG(9, 9))
	covered := 0
	for range sims {
		g, l := 0, 0
		for range n {
			u := rng.Float64()
			switch {
			case u < pGain:
				g++
			case u < pGain+pLose:
				l++
			}
		}
		ch := pairedChange(g, l, n, stats.Z95)
		if ch.Low <= pGain-pLose && pGain-pLose <= ch.High {
			covered++
		}
	}
	rate := float64(covered) / sims
	assert.InDelta(t, 0.95, rate, 0.03, "coverage %.3f", rate)
}

func TestDecide(t *testing.T) {
	f := fit(t, planted.sample(6000, 4), EqualizedOdds)
	a, _ := f.Rule("a")
	require.True(t, a.Randomized)
	// A score in a randomised region: the share of positives over many
	// texts is the region's probability; the same text always decides the
	// same way; another seed decides otherwise for some texts.
	var score, p float64
	for i, q := range a.Probabilities {
		if q > 0 && q < 1 {
			p = q
			if i == 0 {
				score = a.Cuts[0] / 2
			} else {
				score = a.Cuts[i-1]
			}
			break
		}
	}
	other := *f
	other.Seed++
	require.NoError(t, other.Validate())
	pos, differ := 0, 0
	const n = 20000
	for i := range n {
		text := "text " + itoa(i)
		d := f.Decide("a", text, score, false)
		require.True(t, d.Fitted)
		require.True(t, d.Randomized)
		assert.InDelta(t, p, d.Probability, 1e-15)
		assert.Equal(t, d, f.Decide("a", text, score, true), "the same row decides the same way")
		if d.Positive {
			pos++
		}
		if d.Positive != other.Decide("a", text, score, false).Positive {
			differ++
		}
	}
	sd := math.Sqrt(p * (1 - p) / n)
	assert.InDelta(t, p, float64(pos)/n, 5*sd)
	assert.Greater(t, differ, 0)
	// A group without a rule keeps the model's decision.
	assert.Equal(t, Decision{Positive: true, Probability: 1}, f.Decide("c", "x", 0.1, true))
	assert.Equal(t, Decision{Positive: false, Probability: 0}, f.Decide("", "x", 0.9, false))
}

func TestFileRoundTrip(t *testing.T) {
	f := fit(t, planted.sample(4000, 8), EqualizedOdds)
	var buf bytes.Buffer
	require.NoError(t, f.Write(&buf))
	g, err := Read(&buf, "thresholds.json")
	require.NoError(t, err)
	assert.Equal(t, f.Groups, g.Groups)
	assert.Equal(t, f.Target, g.Target)
	assert.Equal(t, f.Seed, g.Seed)
	for _, s := range []float64{0, 0.01, 0.3, 0.5, 0.7, 0.999, 1} {
		assert.Equal(t, f.Decide("a", "t", s, false), g.Decide("a", "t", s, false))
	}
}

func TestReadRejectsBadFiles(t *testing.T) {
	f := fit(t, planted.sample(4000, 8), DemographicParity)
	var buf bytes.Buffer
	require.NoError(t, f.Write(&buf))
	good := buf.String()
	for _, tc := range []struct{ name, from, to, want string }{
		{"format", `"lucid-thresholds/1"`, `"lucid-thresholds/9"`, `format "lucid-thresholds/9"`},
		{"constraint", `"demographic-parity"`, `"parity"`, `unknown constraint "parity"`},
		{"unknown field", `"format":`, `"formats": 1, "format":`, `unknown field "formats"`},
		{"probability", `"probabilities": [`, `"probabilities": [1.5, `, `probabilities`},
		{"duplicate group", `"group": "b"`, `"group": "a"`, `group "a" has two rules`},
		{"unfitted rule", `"unfitted_rule": "model"`, `"unfitted_rule": "drop"`, `unfitted_rule "drop"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bad := strings.Replace(good, tc.from, tc.to, 1)
			require.NotEqual(t, good, bad, "the test's edit must apply")
			_, err := Read(strings.NewReader(bad), "x.json")
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
	_, err := Read(strings.NewReader(strings.Repeat(" ", MaxFileBytes+1)), "big.json")
	assert.ErrorContains(t, err, "larger than 16 MiB")
	assert.ErrorContains(t, Rule{Cuts: []float64{0.6, 0.4}, Probabilities: []float64{0, 0.5, 1}}.validate(), "strictly ascending")
}

func TestFitErrors(t *testing.T) {
	s := NewScores()
	assert.ErrorContains(t, s.Add("a", math.NaN(), true, true), "score NaN")
	assert.ErrorContains(t, s.Add("a", 1.2, true, true), "score 1.2")
	for i := range 100 {
		require.NoError(t, s.Add("a", float64(i)/100, i%2 == 0, i > 50))
		require.NoError(t, s.Add("b", float64(i)/100, true, i > 50)) // no negatives
	}
	require.NoError(t, s.Add("c", 0.5, true, true)) // small
	require.NoError(t, s.Add(" ", 0.5, true, true))
	_, err := Fit(s, Options{Constraint: "fair", Column: "g"})
	assert.ErrorContains(t, err, `unknown constraint "fair"`)
	_, err = Fit(s, Options{Constraint: EqualizedOdds, Column: "g"})
	assert.ErrorContains(t, err, "1 groups can be fitted, two are needed")
	assert.ErrorContains(t, err, `"b": no labelled negatives`)
	f, err := Fit(s, Options{Constraint: EqualOpportunity, Column: "g"})
	require.NoError(t, err)
	assert.Equal(t, []Unfitted{
		{Group: "c", Rows: 1, Reason: "small: 1 labelled rows, fewer than the minimum of 30"},
		{Group: "(missing)", Rows: 1, Reason: "empty group value"},
	}, f.Unfitted)
	assert.Equal(t, 202, f.Fit.Rows)
	assert.Equal(t, 200, f.Fit.FittedRows)
}

func TestScoresCapGroups(t *testing.T) {
	s := NewScores()
	for i := range MaxGroups + 30 {
		for j := range 40 {
			require.NoError(t, s.Add("g"+itoa(i), float64(j)/40, j%2 == 0, j > 20))
		}
	}
	f, err := Fit(s, Options{Constraint: DemographicParity, Column: "g"})
	require.NoError(t, err)
	assert.Len(t, f.Groups, MaxGroups)
	rows := 0
	for _, u := range f.Unfitted {
		rows += u.Rows
		assert.Contains(t, u.Reason, "beyond the first 256 groups")
	}
	assert.Equal(t, 30*40, rows, "every row beyond the cap is accounted for")
}

// The evaluation judges every metric before and after, not only the
// constraint's: group b's rules here close the TPR gap (equal
// opportunity) while its FPR rises, and Worsened says so.
func TestEvaluationJudgesEveryMetric(t *testing.T) {
	train, test := planted.sample(40000, 301), planted.sample(10000, 302)
	f := fit(t, train, EqualOpportunity)
	cmp, err := NewComparison(f, group.Options{Resamples: 50})
	require.NoError(t, err)
	for _, r := range test {
		cmp.Add(r.group, r.text, r.score, r.score >= 0.5, true, r.y)
	}
	e, err := cmp.Result(1)
	require.NoError(t, err)
	assert.Equal(t, e.Before.Verdict, e.ColumnBefore)
	assert.Equal(t, e.After.Verdict, e.ColumnAfter)
	// Every test whose verdict got more severe is listed, and only those.
	n := 0
	for _, q := range e.After.Pairs {
		p := findPair(e.Before, q.A, q.B)
		require.NotNil(t, p)
		for _, u := range q.Tests {
			was, _ := p.Test(u.Metric)
			if u.Verdict.Status.Severity() > was.Verdict.Status.Severity() && u.Verdict.Status.Severity() >= stats.Warn.Severity() {
				n++
			}
		}
	}
	assert.Len(t, e.Worsened, n)
	// On this planted sample the constrained metric is fixed (FAIL → not
	// FAIL) while the FPR gap is opened: the column still FAILs.
	assert.Equal(t, stats.Fail, e.VerdictBefore.Status)
	assert.NotEqual(t, stats.Fail, e.VerdictAfter.Status)
	assert.Equal(t, stats.Fail, e.ColumnAfter.Status, e.ColumnAfter.Reason)
	require.NotEmpty(t, e.Worsened)
	assert.Contains(t, e.Worsened[0], "fpr a − b: pass → fail")
	t.Logf("constrained: %s → %s; every metric: %s → %s; worsened: %v", e.VerdictBefore.Status, e.VerdictAfter.Status, e.ColumnBefore.Status, e.ColumnAfter.Status, e.Worsened)
}
