package stats

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Reference values from R 4.x (fisher.test, binom.test, wilcox.test,
// t.test, p.adjust(method = "holm")).
func TestExactTestsMatchR(t *testing.T) {
	// Fisher's tea-tasting-like table: fisher.test(matrix(c(1,11,9,3),2)).
	assert.InDelta(t, 0.002759, FisherExact(1, 9, 11, 3), 1e-6)
	assert.InDelta(t, 1.0, FisherExact(5, 5, 5, 5), 1e-12)
	// binom.test(9, 10): sign test with 9 positive, 1 negative.
	assert.InDelta(t, 0.02148438, SignTest(9, 1), 1e-8)
	assert.InDelta(t, 1.0, SignTest(0, 0), 0)
	// binom.test(3, 10, 0.1, alternative = "greater").
	assert.InDelta(t, 0.07019083, BinomialUpper(3, 10, 0.1), 1e-8)
	assert.Equal(t, 1.0, BinomialUpper(0, 10, 0.1))
}

func TestPairedMatchesR(t *testing.T) {
	// wilcox.test(x, y, paired = TRUE) and t.test(x, y, paired = TRUE)
	// from R's own example: V = 40, p = 0.03906; t = 3.0354, p = 0.01618.
	x := []float64{1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30}
	y := []float64{0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29}
	d := make([]float64, len(x))
	for i := range x {
		d[i] = x[i] - y[i]
	}
	p := PairedSummary(d, 0.95)
	assert.Equal(t, 9, p.N)
	assert.Equal(t, 7, p.Positive)
	assert.Equal(t, 2, p.Negative)
	assert.InDelta(t, 0.4318889, p.Mean, 1e-6)
	assert.InDelta(t, 0.03906, p.WilcoxonP, 1e-5)
	assert.InDelta(t, 0.01618, p.TP, 1e-5)
	// t interval from R: 0.1037787 0.7599991.
	assert.InDelta(t, 0.1037787, p.Low, 1e-6)
	assert.InDelta(t, 0.7599991, p.High, 1e-6)
}

func TestHolm(t *testing.T) {
	got := Holm([]float64{0.01, 0.04, 0.03, 0.005, math.NaN()})
	want := []float64{0.03, 0.06, 0.06, 0.02}
	for i, w := range want {
		assert.InDelta(t, w, got[i], 1e-12, "p[%d]", i)
	}
	assert.True(t, math.IsNaN(got[4]))
}

func TestWilsonCoversAtNominalRate(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, p := range []float64{0.05, 0.3} {
		covered := 0
		const sims, n = 4000, 80
		for range sims {
			k := 0
			for range n {
				if rng.Float64() < p {
					k++
				}
			}
			if Wilson(k, n, Z95).Contains(p) {
				covered++
			}
		}
		rate := float64(covered) / sims
		assert.InDelta(t, 0.95, rate, 0.025, "p=%v coverage %v", p, rate)
	}
}

func TestDecide(t *testing.T) {
	cases := []struct {
		name   string
		e      Evidence
		want   Status
		reason string
	}{
		{"material: interval wholly above the band", Evidence{Estimate: 0.2, Low: 0.15, High: 0.25, P: 0.001, Lower: -0.1, Upper: 0.1}, Fail, "material"},
		{"material: interval wholly below the band", Evidence{Estimate: -0.2, Low: -0.25, High: -0.11, P: 0.001, Lower: -0.1, Upper: 0.1}, Fail, "material"},
		// The old rule FAILed this one (significant, estimate outside the
		// band); the interval reaches into the band, so it is not shown.
		{"estimate outside, interval reaching in", Evidence{Estimate: 0.12, Low: 0.05, High: 0.19, P: 0.001, Lower: -0.1, Upper: 0.1}, Warn, "significant but not shown material"},
		{"significant but small", Evidence{Estimate: 0.03, Low: 0.01, High: 0.05, P: 0.001, Lower: -0.1, Upper: 0.1}, Pass, "equivalent"},
		{"significant, straddling the edge", Evidence{Estimate: 0.08, Low: 0.02, High: 0.14, P: 0.001, Lower: -0.1, Upper: 0.1}, Warn, "significant but not shown material"},
		{"large but underpowered", Evidence{Estimate: -0.2, Low: -0.5, High: 0.1, P: 0.3, Lower: -0.1, Upper: 0.1}, Warn, "inconclusive"},
		{"inconclusive", Evidence{Estimate: 0.02, Low: -0.15, High: 0.2, P: 0.6, Lower: -0.1, Upper: 0.1}, Warn, "inconclusive"},
		{"equivalent", Evidence{Estimate: 0.01, Low: -0.03, High: 0.05, P: 0.6, Lower: -0.1, Upper: 0.1}, Pass, "equivalent"},
		{"zero-width interval is never a pass", Evidence{Estimate: -0.05, Low: -0.05, High: -0.05, P: 0.62, Lower: -0.1, Upper: 0.1}, Warn, "zero width"},
		{"no interval", Evidence{Estimate: 0.3, Low: math.NaN(), High: math.NaN(), P: math.NaN(), Lower: -0.1, Upper: 0.1}, Warn, "inconclusive"},
		{"no estimate", Evidence{Estimate: math.NaN(), P: math.NaN()}, Info, "no estimate"},
		{"ratio below four-fifths", Evidence{Estimate: 0.6, Low: 0.5, High: 0.7, P: 0.001, Lower: 0.8, Upper: 1.25}, Fail, "material"},
		{"ratio straddling four-fifths", Evidence{Estimate: 0.75, Low: 0.6, High: 0.9, P: 0.001, Lower: 0.8, Upper: 1.25}, Warn, "significant but not shown material"},
		{"stated level in the reason", Evidence{Estimate: 0.2, Low: 0.15, High: 0.25, P: 0.001, Lower: -0.1, Upper: 0.1, Confidence: 0.99}, Fail, "99% interval"},
	}
	for _, c := range cases {
		v := Decide(c.e)
		assert.Equal(t, c.want, v.Status, "%s: %s", c.name, v.Reason)
		assert.Contains(t, v.Reason, c.reason, c.name)
	}
}

func TestFormatPAgreesWithTheComparison(t *testing.T) {
	cases := []struct {
		p, alpha float64
		want     string
	}{
		{0.0497, 0.05, "0.0497"}, // not "0.05" beside "< 0.05"
		{0.0503, 0.05, "0.0503"},
		{0.049999, 0.05, "0.049999"},
		{0.05, 0.05, "0.05"},
		{0.012345, 0.05, "0.012"},
		{0.5, 0.05, "0.5"},
		{1e-9, 0.05, "1e-09"},
		{0.00996, 0.01, "0.00996"},
	}
	for _, c := range cases {
		got := FormatP(c.p, c.alpha)
		assert.Equal(t, c.want, got, "p=%v α=%v", c.p, c.alpha)
	}
	assert.Equal(t, "n/a", FormatP(math.NaN(), 0.05))
	// The rule's reasons use it: the data check once printed
	// "p=0.05 < 0.05" for 0.0497.
	v := Decide(Evidence{Estimate: 0.08, Low: 0.01, High: 0.15, P: 0.0497, Lower: -0.1, Upper: 0.1})
	assert.Contains(t, v.Reason, "p=0.0497 < 0.05")
}

// The interval and the corrected test agree: for every p-value OutsideP
// gives, the interval at 1 − level lies outside the band exactly when the
// p-value is below the level HolmLevels gives it.
func TestOutsidePAndHolmLevelsAgreeWithTheInterval(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	const tol, alpha = 0.1, 0.05
	for range 300 {
		m := 1 + rng.IntN(12)
		type cell struct{ k1, n1, k2, n2 int }
		cells := make([]cell, m)
		ps := make([]float64, m)
		for i := range cells {
			n1, n2 := 20+rng.IntN(400), 20+rng.IntN(400)
			c := cell{rng.IntN(n1 + 1), n1, rng.IntN(n2 + 1), n2}
			cells[i] = c
			ps[i] = OutsideP(func(z float64) Interval { return NewcombeZ(c.k1, c.n1, c.k2, c.n2, z) }, -tol, tol)
			require.False(t, math.IsNaN(ps[i]))
		}
		levels := HolmLevels(ps, alpha)
		adj := Holm(ps)
		for i, c := range cells {
			iv := NewcombeZ(c.k1, c.n1, c.k2, c.n2, ZFor(1-levels[i]))
			outside := iv.Low > tol || iv.High < -tol
			rejected := adj[i] < alpha
			// Bisection leaves the inverted p within 1e-10 in z of the
			// boundary; a p that close to its level could go either way.
			if math.Abs(ps[i]-levels[i]) > 1e-6*levels[i] {
				assert.Equal(t, rejected, outside, "p=%v level=%v Holm=%v interval %v", ps[i], levels[i], adj[i], iv)
			}
		}
	}
	assert.Equal(t, 1.0, OutsideP(func(z float64) Interval { return NewcombeZ(50, 100, 45, 100, z) }, -0.1, 0.1), "estimate inside the band")
}

// Newcombe's and MOVER-R's intervals keep their coverage where the
// percentile bootstrap does not: at small n and rates at 0 or 1.
func TestScoreIntervalsCoverAtTheEdges(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 11))
	draw := func(n int, p float64) int {
		k := 0
		for range n {
			if rng.Float64() < p {
				k++
			}
		}
		return k
	}
	const sims = 2000
	for _, c := range []struct {
		n1, n2 int
		p1, p2 float64
	}{{20, 20, 0.02, 0.1}, {30, 200, 0.5, 0.5}, {100, 100, 0.9, 0.98}, {40, 40, 0.1, 0.3}} {
		diff, ratio, ratioN := 0, 0, 0
		for range sims {
			k1, k2 := draw(c.n1, c.p1), draw(c.n2, c.p2)
			if NewcombeZ(k1, c.n1, k2, c.n2, Z95).Contains(c.p1 - c.p2) {
				diff++
			}
			if k2 > 0 {
				ratioN++
				if RatioZ(k1, c.n1, k2, c.n2, Z95).Contains(c.p1 / c.p2) {
					ratio++
				}
			}
		}
		d, r := float64(diff)/sims, float64(ratio)/float64(ratioN)
		t.Logf("n=%d,%d p=%.2f,%.2f: Newcombe coverage %.3f, MOVER-R ratio coverage %.3f", c.n1, c.n2, c.p1, c.p2, d, r)
		// Never below 93% (4 standard errors of a 2,000-draw share under
		// 95%). Above 97.5% only where a group expects fewer than 5
		// successes: score intervals are conservative there, by design of
		// the discrete data, and that is the safe side.
		assert.GreaterOrEqual(t, d, 0.93, "difference")
		assert.GreaterOrEqual(t, r, 0.93, "ratio")
		if min(float64(c.n1)*c.p1, float64(c.n2)*c.p2, float64(c.n1)*(1-c.p1), float64(c.n2)*(1-c.p2)) >= 5 {
			assert.LessOrEqual(t, d, 0.975, "difference")
			assert.LessOrEqual(t, r, 0.975, "ratio")
		}
	}
	// A ratio with no successes in the numerator is [0, U], U finite.
	iv := RatioZ(0, 50, 10, 50, Z95)
	assert.Equal(t, 0.0, iv.Low)
	assert.Less(t, iv.High, 1.0)
	assert.Greater(t, iv.High, 0.0)
}

// The rule over a pairwise rate difference with Newcombe's interval:
// clean data, and a true gap just inside the tolerance, are FAILed at
// most at the nominal rate; a gap well beyond it nearly always.
func TestDecideCalibratedBySimulation(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	run := func(pa, pb float64, n, sims int) float64 {
		fails := 0
		for range sims {
			ka, kb := 0, 0
			for range n {
				if rng.Float64() < pa {
					ka++
				}
				if rng.Float64() < pb {
					kb++
				}
			}
			d := float64(ka-kb) / float64(n)
			iv := Newcombe(ka, n, kb, n)
			v := Decide(Evidence{Estimate: d, Low: iv.Low, High: iv.High, P: FisherExact(ka, n-ka, kb, n-kb), Lower: -0.1, Upper: 0.1})
			if v.Status == Fail {
				fails++
			}
		}
		return float64(fails) / float64(sims)
	}
	null := run(0.5, 0.5, 200, 400)
	require.LessOrEqual(t, null, DefaultAlpha, "false alarms on clean data")
	edge := run(0.55, 0.45, 200, 400)
	require.LessOrEqual(t, edge, DefaultAlpha, "false alarms at the tolerance's edge")
	power := run(0.65, 0.35, 200, 400)
	require.GreaterOrEqual(t, power, 0.9, "power against a planted gap of 0.3")
	t.Logf("FAIL rate: clean %.3f, gap 0.1 (the edge) %.3f, gap 0.3 %.3f, n=200 per group", null, edge, power)
}

func TestUndefinedFiguresEncodeAsNull(t *testing.T) {
	p := PairedSummary([]float64{0.3}, 0.95)
	e := Evidence{Estimate: 0.3, Low: math.NaN(), High: math.NaN(), P: math.NaN(), Lower: -0.1, Upper: 0.1}
	b, err := json.Marshal(struct {
		P Paired
		E Evidence
	}{p, e})
	require.NoError(t, err)
	assert.Contains(t, string(b), `"low":null`)
	var back struct {
		P Paired
		E Evidence
	}
	require.NoError(t, json.Unmarshal(b, &back))
	assert.True(t, math.IsNaN(back.P.Low))
	assert.True(t, math.IsNaN(back.E.P))
	assert.Equal(t, 0.3, back.E.Estimate)
}

// fisherDirect is Fisher's test summed term by term, the definition the
// fast walk must reproduce.
func fisherDirect(a, b, c, d int) float64 {
	r1, c1, n := a+b, a+c, a+b+c+d
	if n == 0 || r1 == 0 || r1 == n || c1 == 0 || c1 == n {
		return 1
	}
	lo, hi := max(0, c1-(n-r1)), min(r1, c1)
	logp := func(x int) float64 {
		return logChoose(c1, x) + logChoose(n-c1, r1-x) - logChoose(n, r1)
	}
	obs := logp(a)
	s := 0.0
	for x := lo; x <= hi; x++ {
		if lp := logp(x); lp <= obs+1e-7 {
			s += math.Exp(lp)
		}
	}
	return min(1, s)
}

func TestFisherMatchesItsDefinition(t *testing.T) {
	// Hand cases, edges, then random tables of every size up to tens of
	// thousands a cell. Tolerance: 1e-9 absolute and relative.
	cases := [][4]int{{5, 5, 2, 8}, {3, 1, 1, 3}, {0, 10, 10, 0}, {0, 0, 3, 4}, {1, 0, 0, 1}, {7, 7, 7, 7}}
	rng := rand.New(rand.NewPCG(8, 9))
	for range 400 {
		scale := []int{5, 50, 500, 30000}[rng.IntN(4)]
		cases = append(cases, [4]int{rng.IntN(scale), rng.IntN(scale), rng.IntN(scale), rng.IntN(scale)})
	}
	for range 100 { // near-null tables, where the p-value is large
		n := 100 + rng.IntN(20000)
		k := n/3 + rng.IntN(n/50+1)
		cases = append(cases, [4]int{k, n - k, n / 3, n - n/3})
	}
	for _, c := range cases {
		want := fisherDirect(c[0], c[1], c[2], c[3])
		got := FisherExact(c[0], c[1], c[2], c[3])
		assert.InDelta(t, want, got, 1e-9+1e-9*want, "%v", c)
	}
	// R: fisher.test(matrix(c(5, 2, 5, 8), 2)).
	assert.InDelta(t, 0.3498452012383901, FisherExact(5, 5, 2, 8), 1e-12)
}

// A stream holding fewer values than it was given: every field but
// WilcoxonP is exact against PairedSummary on all of them; within its
// capacity it is PairedSummary itself.
func TestPairedStreamBeyondItsSample(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	all := make([]float64, 3000)
	for i := range all {
		all[i] = rng.NormFloat64()*0.1 + 0.01
		if i%10 == 0 {
			all[i] = 0 // ties
		}
	}
	s := NewPairedStream(1000, 1)
	for _, v := range all {
		s.Add(v)
	}
	assert.Equal(t, 3000, s.N())
	assert.Equal(t, 1000, s.Kept(), "memory is capped")
	got, want := s.Summary(0.95), PairedSummary(all, 0.95)
	assert.Equal(t, [4]int{want.N, want.Positive, want.Negative, want.Ties}, [4]int{got.N, got.Positive, got.Negative, got.Ties})
	for name, pair := range map[string][2]float64{
		"mean": {want.Mean, got.Mean}, "low": {want.Low, got.Low}, "high": {want.High, got.High},
		"sign": {want.SignP, got.SignP}, "t": {want.TP, got.TP},
	} {
		assert.InDelta(t, pair[0], pair[1], 1e-9*math.Max(1, math.Abs(pair[0])), name)
	}
	assert.Less(t, got.WilcoxonP, 0.05, "the sample still shows the shift of 0.01")

	small := NewPairedStream(100, 1)
	for _, v := range all[:50] {
		small.Add(v)
	}
	assert.Equal(t, PairedSummary(all[:50], 0.95), small.Summary(0.95))
	empty := NewPairedStream(10, 1).Summary(0.95)
	assert.Equal(t, 0, empty.N)
	assert.True(t, math.IsNaN(empty.Mean))
}

func TestNewcombe(t *testing.T) {
	// Newcombe (1998), Table II example (b): 56/70 − 48/80 = 0.2, method
	// 10 interval [0.0524, 0.3339].
	iv := Newcombe(56, 70, 48, 80)
	assert.InDelta(t, 0.0524, iv.Low, 1e-4)
	assert.InDelta(t, 0.3339, iv.High, 1e-4)
	// Example (e), 0/10 − 0/20: [−0.1611, 0.2775].
	iv = Newcombe(0, 10, 0, 20)
	assert.InDelta(t, -0.1611, iv.Low, 1e-4)
	assert.InDelta(t, 0.2775, iv.High, 1e-4)
}

// HolmFamily leaves a member without an interval out of the family (it
// does not enlarge m) and gives each member its Holm level: a family of
// one clear effect and one null effect draws the null's interval at
// 1 − α/(m − r) = 95% once the clear one is rejected.
func TestHolmFamily(t *testing.T) {
	clear := func(z float64) Interval { return NewcombeZ(400, 500, 100, 500, z) } // 0.8 − 0.2
	null := func(z float64) Interval { return NewcombeZ(250, 500, 245, 500, z) }  // 0.5 − 0.49
	got := HolmFamily([]Member{{clear, -0.1, 0.1}, {nil, -0.1, 0.1}, {null, -0.1, 0.1}}, 0.05)
	require.Len(t, got, 3)
	assert.True(t, math.IsNaN(got[1].P) && math.IsNaN(got[1].Confidence), "no interval: out of the family")
	assert.InDelta(t, 1-0.05/2, got[0].Confidence, 1e-12, "rejected at step 1 of 2")
	assert.InDelta(t, 0.95, got[2].Confidence, 1e-12, "not rejected, one rejection: α/(2 − 1)")
	assert.Less(t, got[0].PHolm, 0.05)
	assert.Greater(t, got[0].Interval.Low, 0.1)
	assert.Equal(t, 1.0, got[2].P, "its estimate is inside the band")
	assert.Equal(t, Pass, Decide(Evidence{Estimate: 0.01, Low: got[2].Interval.Low, High: got[2].Interval.High, P: 1, Lower: -0.1, Upper: 0.1}).Status)
}
