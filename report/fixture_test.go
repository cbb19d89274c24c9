package report

import (
	"fmt"
	"math"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/lucid-nlp/lucid/attribution"
	"github.com/lucid-nlp/lucid/audit"
	"github.com/lucid-nlp/lucid/fairness/consistency"
	"github.com/lucid-nlp/lucid/fairness/counterfactual"
	"github.com/lucid-nlp/lucid/fairness/group"
	"github.com/lucid-nlp/lucid/fairness/paired"
	fstats "github.com/lucid-nlp/lucid/fairness/stats"
)

var nan = math.NaN()

// injection is a text that would run a script if it were not escaped.
const injection = `<script>alert("xss")</script>`

func m(v, lo, hi float64) group.Metric {
	return group.Metric{Value: v, Low: lo, High: hi, Resamples: 1000}
}

func undefined(why string) group.Metric {
	return group.Metric{Value: nan, Low: nan, High: nan, Undefined: why}
}

// words returns the whitespace-separated words of text with their byte
// and character offsets, as features with the given attributions.
func words(text string, attrs ...float64) []attribution.FeatureAttribution {
	var fs []attribution.FeatureAttribution
	i := 0
	for _, w := range strings.Fields(text) {
		bs := strings.Index(text[i:], w) + i
		be := bs + len(w)
		i = be
		f := attribution.FeatureAttribution{Text: w, ByteStart: bs, ByteEnd: be,
			Start: utf8.RuneCountInString(text[:bs]), End: utf8.RuneCountInString(text[:be]), Tokens: []string{strings.ToLower(w)}}
		if len(fs) < len(attrs) {
			f.Attribution = attrs[len(fs)]
		}
		fs = append(fs, f)
	}
	return fs
}

func explanation(text string, p float64, attrs ...float64) *attribution.Result {
	pred := "positive"
	if p < 0.5 {
		pred = "negative"
	}
	fs := words(text, attrs...)
	sum := 0.0
	for _, f := range fs {
		sum += f.Attribution
	}
	se := 0.01
	fs[0].StdErr = &se
	return &attribution.Result{Text: text, Model: "models/sst2-mini-bert", Method: attribution.MethodKernelSHAP,
		Settings: attribution.Settings{Budget: 512, Features: "words", Mask: "mask", Seed: 7},
		Output:   "prob", Target: "positive", TargetIndex: 1, Predicted: pred,
		Probabilities: map[string]float64{"negative": 1 - p, "positive": p},
		FX:            p, BaseValue: p - sum, Features: fs, Evaluations: 512,
		RuntimeSeconds: 0.41, WallSeconds: 0.45, Diagnostics: map[string]float64{"efficiency_gap": 0.0001}}
}

// judged is evidence with the verdict the decision rule gives it.
func judged(est, lo, hi, p, lower, upper float64) (fstats.Evidence, fstats.Verdict) {
	e := fstats.Evidence{Estimate: est, Low: lo, High: hi, P: p, Lower: lower, Upper: upper, Alpha: fstats.DefaultAlpha}
	return e, fstats.Decide(e)
}

// pairTest is one pairwise group test judged with tolerance ±tol (a
// difference) or the four-fifths region (disparate impact).
func pairTest(metric string, est group.Metric, table [4]int, p, pHolm, tol float64) group.PairTest {
	lower, upper := -tol, tol
	if metric == group.DisparateImpact {
		lower, upper = group.FourFifths, 1/group.FourFifths
	}
	e, v := judged(est.Value, est.Low, est.High, pHolm, lower, upper)
	return group.PairTest{Metric: metric, Estimate: est, Table: table, P: p, Evidence: e, Verdict: v}
}

// pair is a pair of groups with its tests; its verdict is the worst.
func pair(a, b string, tests ...group.PairTest) group.Pair {
	p := group.Pair{A: a, B: b, Tests: tests, Verdict: fstats.Verdict{Status: fstats.Info}}
	for _, t := range tests {
		if t.Verdict.Status.Severity() > p.Verdict.Status.Severity() {
			p.Verdict = t.Verdict
		}
	}
	return p
}

// pairedPair is a matched comparison judged against ±0.1.
func pairedPair(a, b string, s fstats.Paired, rateDiff, pHolm float64) paired.Pair {
	e, v := judged(s.Mean, s.Low, s.High, pHolm, -0.1, 0.1)
	return paired.Pair{A: a, B: b, Score: s, PositiveRateDifference: rateDiff, PAdjusted: pHolm, Evidence: e, Verdict: v}
}

func stats(name string, n, tp, fp, fn, tn int, acc, pr, tpr, fpr, fnr, prec, di group.Metric) group.GroupStats {
	return group.GroupStats{Group: name, Count: n, Labelled: tp + fp + fn + tn, TP: tp, FP: fp, FN: fn, TN: tn,
		PredictedPositive: tp + fp, Accuracy: acc, PositiveRate: pr, TPR: tpr, FPR: fpr, FNR: fnr, Precision: prec,
		BaseRate: m(float64(tp+fn)/float64(max(1, tp+fp+fn+tn)), 0, 1), DisparateImpact: di}
}

// fixture is a realistic audit report: two group columns (one group with
// an undefined TPR and a four-fifths flag), counterfactuals with an
// explained swap, consistency with failing examples, slices, faithfulness
// for three methods and stability.
func fixture() *audit.Report {
	gender := &group.Report{Column: "gender", Positive: "positive", Rows: 944, Labelled: 944,
		Reference: "female", ReferenceRule: "highest positive rate among groups that are not small",
		Confidence: 0.95, Resamples: 1000, Seed: 1, MinGroupSize: 30, MaxCIWidth: 0.2,
		Overall: stats("", 944, 380, 90, 70, 404, m(0.8305, 0.8061, 0.8538), m(0.4979, 0.4661, 0.5297), m(0.8444, 0.8104, 0.8771),
			m(0.1822, 0.1490, 0.2168), m(0.1556, 0.1229, 0.1896), m(0.8085, 0.7722, 0.8429), undefined("overall has no reference")),
		Groups: []group.GroupStats{
			stats("female", 480, 210, 50, 30, 190, m(0.8333, 0.7979, 0.8667), m(0.5417, 0.4958, 0.5854), m(0.875, 0.8318, 0.9143),
				m(0.2083, 0.1577, 0.2604), m(0.125, 0.0857, 0.1682), m(0.8077, 0.7588, 0.8545), m(1, 1, 1)),
			stats("male", 450, 170, 38, 40, 202, m(0.8267, 0.7911, 0.8622), m(0.4622, 0.4156, 0.5089), m(0.8095, 0.7545, 0.8621),
				m(0.1583, 0.1137, 0.2051), m(0.1905, 0.1379, 0.2455), m(0.8173, 0.7634, 0.8679), m(0.8533, 0.7526, 0.9614)),
			stats("nonbinary", 14, 0, 2, 0, 12, m(0.8571, 0.6429, 1), m(0.1429, 0, 0.3571), undefined("no positive labels in the group"),
				m(0.1429, 0, 0.3571), undefined("no positive labels in the group"), group.Metric{Value: 0, Low: nan, High: nan},
				m(0.2637, 0, 0.6912)),
		},
	}
	gender.Groups[2].Small, gender.Groups[2].BelowFourFifths = true, true
	gender.Groups[2].Flags = []string{"small group (14 rows < 30)", "wide interval (accuracy: 0.357 > 0.2)"}
	gender.Disparities = []group.Disparity{
		{Name: group.DemographicParityDifference, Metric: m(0.3988, 0.1685, 0.5467), MaxGroup: "female", MinGroup: "nonbinary",
			Flags: []string{"rests on a small group: nonbinary"}},
		{Name: group.DemographicParityRatio, Metric: m(0.2637, 0, 0.6912), MaxGroup: "female", MinGroup: "nonbinary"},
		{Name: group.DisparateImpact, Metric: m(0.2637, 0, 0.6912), MaxGroup: "female", MinGroup: "nonbinary",
			Flags: []string{`below the four-fifths rule (0.8 of "female"): nonbinary`}},
		{Name: group.EqualOpportunityDifference, Metric: m(0.0655, 0.0032, 0.1289), MaxGroup: "female", MinGroup: "male",
			Excluded: []string{`"nonbinary": no positive labels in the group`}},
		{Name: group.EqualizedOddsDifference, Metric: m(0.1429, 0.0511, 0.3104), MaxGroup: "female", MinGroup: "nonbinary"},
		{Name: group.PredictiveParityDifference, Metric: m(0.8173, 0.7634, 1), MaxGroup: "male", MinGroup: "nonbinary"},
	}
	gender.ParityTolerance, gender.Alpha, gender.MaxPairGroups, gender.MaxGroups = 0.05, 0.05, 10, 50
	gender.PairGroups = []string{"female", "male"}
	gender.LeftOut = []group.LeftOut{{Group: "nonbinary", Reason: "small: 14 rows, fewer than the minimum of 30"}}
	gender.Pairs = []group.Pair{pair("female", "male",
		// The corrected interval lies wholly above +0.05: FAIL.
		pairTest(group.PositiveRate, m(0.0795, 0.0560, 0.1030), [4]int{260, 220, 208, 242}, 0.014, 0.014, 0.05),
		pairTest(group.TPR, m(0.0655, 0.0032, 0.1289), [4]int{210, 30, 170, 40}, 0.06, 0.06, 0.05),
		pairTest(group.FPR, m(0.0500, -0.0200, 0.1200), [4]int{50, 190, 38, 202}, 0.2, 0.2, 0.05),
		pairTest(group.Precision, m(-0.0096, -0.0400, 0.0300), [4]int{210, 50, 170, 38}, 0.8, 0.8, 0.05),
		pairTest(group.DisparateImpact, m(0.8533, 0.7526, 0.9614), [4]int{260, 220, 208, 242}, 0.014, 0.014, 0.05),
	)}
	gender.Verdict = gender.Pairs[0].Verdict
	gender.Failing = []string{"positive_rate female − male = 0.080, 99% interval [0.056, 0.103] outside the tolerance [-0.05, 0.05], Holm p (materiality)=0.014"}
	gender.Family = fstats.Family{Of: `every test that can make "gender" FAIL: 1 pair × 5 metrics`, Size: 5, Correction: "holm", Alpha: 0.05,
		Members: []string{"positive_rate female vs male", "tpr female vs male", "fpr female vs male", "precision female vs male", "disparate_impact female vs male"}}
	gender.Warnings = []string{"a group is literally named \"" + injection + "\"; shown escaped"}
	dialect := &group.Report{Column: "dialect", Positive: "positive", Rows: 1000, Labelled: 944, Reference: "sae",
		ReferenceRule: "highest positive rate among groups that are not small", Confidence: 0.95, Resamples: 1000, MinGroupSize: 30, MaxCIWidth: 0.2,
		Overall: stats("", 1000, 380, 90, 70, 404, m(0.8305, 0.8061, 0.8538), m(0.49, 0.459, 0.521), m(0.8444, 0.8104, 0.8771),
			m(0.1822, 0.1490, 0.2168), m(0.1556, 0.1229, 0.1896), m(0.8085, 0.7722, 0.8429), undefined("overall has no reference")),
		Groups: []group.GroupStats{
			stats("sae", 700, 280, 55, 40, 290, m(0.8571, 0.8306, 0.8827), m(0.5071, 0.4700, 0.5443), m(0.875, 0.8378, 0.9091),
				m(0.1594, 0.1221, 0.1986), m(0.125, 0.0909, 0.1622), m(0.8358, 0.7955, 0.875), m(1, 1, 1)),
			stats("aae", 300, 100, 35, 30, 114, m(0.767, 0.7168, 0.8136), m(0.45, 0.3933, 0.5067), m(0.7692, 0.6953, 0.8387),
				m(0.2349, 0.1678, 0.3046), m(0.2308, 0.1613, 0.3047), m(0.7407, 0.6667, 0.8134), m(0.8873, 0.7663, 1.0161)),
		},
		Disparities: []group.Disparity{
			{Name: group.DemographicParityDifference, Metric: m(0.0571, -0.0102, 0.1244), MaxGroup: "sae", MinGroup: "aae"},
			{Name: group.DemographicParityRatio, Metric: m(0.8873, 0.7663, 1), MaxGroup: "sae", MinGroup: "aae"},
			{Name: group.DisparateImpact, Metric: m(0.8873, 0.7663, 1), MaxGroup: "sae", MinGroup: "aae"},
			{Name: group.EqualOpportunityDifference, Metric: m(0.1058, 0.0212, 0.1907), MaxGroup: "sae", MinGroup: "aae"},
			{Name: group.EqualizedOddsDifference, Metric: m(0.1058, 0.0301, 0.1907), MaxGroup: "sae", MinGroup: "aae"},
			{Name: group.PredictiveParityDifference, Metric: m(0.0951, 0.0102, 0.1799), MaxGroup: "sae", MinGroup: "aae"},
		},
		ParityTolerance: 0.05, Alpha: 0.05, MaxPairGroups: 10, MaxGroups: 2, PairGroups: []string{"sae", "aae"},
		LeftOut: []group.LeftOut{{Group: "other (3 groups)", Reason: "pools 3 groups beyond the maximum of 2"},
			{Group: "(missing)", Reason: "missing group value (compared only with --missing-group as-group)"}},
		Warnings: []string{`"dialect" has more than 2 distinct values: the other 3 groups (20 rows) are pooled into one row, which is left out of the comparisons`},
	}
	pooled := stats("other (3 groups)", 20, 5, 3, 2, 8, m(0.7222, 0.5, 0.9), m(0.4, 0.2, 0.6), m(0.7143, 0.4, 1),
		m(0.2727, 0.05, 0.55), m(0.2857, 0, 0.6), m(0.625, 0.3, 1), m(0.7887, 0.4, 1.2))
	pooled.PooledGroups, pooled.Small = 3, true
	missing := stats("(missing)", 12, 3, 2, 1, 5, m(0.7273, 0.45, 1), m(0.4167, 0.15, 0.7), m(0.75, 0.33, 1),
		m(0.2857, 0, 0.6), m(0.25, 0, 0.67), m(0.6, 0.2, 1), m(0.8217, 0.3, 1.4))
	missing.Missing, missing.Small = true, true
	dialect.Groups = append(dialect.Groups, pooled, missing)
	dialect.Pairs = []group.Pair{pair("sae", "aae",
		pairTest(group.PositiveRate, m(0.0571, -0.0102, 0.1244), [4]int{355, 345, 135, 165}, 0.09, 0.09, 0.05),
		pairTest(group.TPR, m(0.1058, 0.0212, 0.1907), [4]int{280, 40, 100, 30}, 0.008, 0.008, 0.05),
		// The corrected interval lies wholly below −0.05: FAIL.
		pairTest(group.FPR, m(-0.0755, -0.1500, -0.0510), [4]int{55, 290, 35, 114}, 3.1e-07, 3.1e-07, 0.05),
		pairTest(group.Precision, m(0.0951, 0.0102, 0.1799), [4]int{280, 55, 100, 35}, 0.02, 0.02, 0.05),
		pairTest(group.DisparateImpact, m(0.8873, 0.7663, 1.0161), [4]int{355, 345, 135, 165}, 0.09, 0.09, 0.05),
	)}
	dialect.Verdict = dialect.Pairs[0].Verdict
	dialect.Failing = []string{"tpr sae − aae", "fpr sae − aae", "precision sae − aae"}

	pairedGender := &paired.Report{Column: "gender", FrameColumn: "template", Rows: 944, Frames: 400, MatchedFrames: 380, NoFrameRows: 4,
		Tolerance: 0.1, Confidence: 0.95, Alpha: 0.05, Test: "paired t-test on per-frame score differences, Holm-corrected across pairs",
		Groups: []paired.Group{{Group: "female", Rows: 480, Frames: 380, MeanScore: 0.6123, InPairs: true}, {Group: "male", Rows: 450, Frames: 380, MeanScore: 0.5511, InPairs: true},
			{Group: "nonbinary", Rows: 14, Frames: 1, MeanScore: 0.5, InPairs: false}},
		Pairs: []paired.Pair{pairedPair("female", "male", fstats.Paired{N: 380, Mean: 0.0612, Low: 0.0421, High: 0.0803, Positive: 240, Negative: 120, Ties: 20,
			SignP: 2.1e-10, TP: 4.3e-09, WilcoxonP: 1.2e-09}, 0.07, 4.3e-09)},
		Warnings: []string{"1 groups left out of the pairs (present in fewer than 2 frames, or beyond the 20 groups in the most frames)"},
	}
	pairedGender.Verdict = pairedGender.Pairs[0].Verdict
	pairedDialect := &paired.Report{Column: "dialect", FrameColumn: "template", Rows: 1000, Frames: 300, MatchedFrames: 290, SkippedRows: 12,
		Tolerance: 0.1, Confidence: 0.95, Alpha: 0.05, Test: "paired t-test on per-frame score differences, Holm-corrected across pairs",
		Groups: []paired.Group{{Group: "aae", Rows: 300, Frames: 290, MeanScore: 0.4012, InPairs: true}, {Group: "sae", Rows: 700, Frames: 295, MeanScore: 0.5533, InPairs: true}},
		Pairs: []paired.Pair{pairedPair("aae", "sae", fstats.Paired{N: 290, Mean: -0.1521, Low: -0.1890, High: -0.1152, Positive: 60, Negative: 221, Ties: 9,
			SignP: 1.5e-22, TP: 8.8e-14, WilcoxonP: 3.3e-16}, -0.11, 8.8e-14)},
		Failing: []string{"aae − sae"},
	}
	pairedDialect.Verdict = pairedDialect.Pairs[0].Verdict

	orig := "She is a brilliant engineer at the café " + injection
	swapped := "He is a brilliant engineer at the café " + injection
	origExp := explanation(orig, 0.91, 0.031, 0.002, 0.0, 0.412, 0.088, -0.004, 0.001, 0.010, -0.021)
	swapExp := explanation(swapped, 0.62, -0.182, 0.004, 0.001, 0.395, 0.071, -0.006, 0.002, 0.012, -0.019)
	var deltas []audit.WordDelta
	for i := range origExp.Features {
		o, s := origExp.Features[i], swapExp.Features[i]
		deltas = append(deltas, audit.WordDelta{Original: o.Text, Swapped: s.Text, Before: o.Attribution, After: s.Attribution, Delta: s.Attribution - o.Attribution})
	}
	labels := []string{"negative", "positive"}
	ex := counterfactual.Example{Original: orig, OriginalProbs: []float64{0.09, 0.91}, SwappedProbs: []float64{0.38, 0.62},
		OriginalLabel: "positive", SwappedLabel: "positive", Delta: -0.29,
		Swap: counterfactual.Swap{Family: "gender", FromGroup: "female", ToGroup: "male", Term: "she", Replacement: "he", Text: swapped,
			Spans: []counterfactual.Span{{Start: 0, End: 3}}, NewSpans: []counterfactual.Span{{Start: 0, End: 2}}}}
	ex2 := counterfactual.Example{Original: "My sister & I loved it", OriginalProbs: []float64{0.45, 0.55}, SwappedProbs: []float64{0.58, 0.42},
		OriginalLabel: "positive", SwappedLabel: "negative", Delta: -0.13,
		Swap: counterfactual.Swap{Family: "gender", FromGroup: "female", ToGroup: "male", Term: "sister", Replacement: "brother", Text: "My brother & I loved it",
			Spans: []counterfactual.Span{{Start: 3, End: 9}}, NewSpans: []counterfactual.Span{{Start: 3, End: 10}}}}
	// A swap that rewrote a word for grammar: "her" follows the swapped
	// noun.
	agreeOrig, agreeSwapped := "My aunt is a hero to her kids", "My uncle is a hero to his kids"
	ex3 := counterfactual.Example{Original: agreeOrig, OriginalProbs: []float64{0.2, 0.8}, SwappedProbs: []float64{0.31, 0.69},
		OriginalLabel: "positive", SwappedLabel: "positive", Delta: -0.11,
		Swap: counterfactual.Swap{Family: "gender", FromGroup: "female", ToGroup: "male", Term: "aunt", Replacement: "uncle", Text: agreeSwapped,
			Spans: spansOf(agreeOrig, "aunt"), NewSpans: spansOf(agreeSwapped, "uncle"),
			Agreements: spansOf(agreeOrig, "her"), NewAgreements: spansOf(agreeSwapped, "his")}}
	agreeOrigExp := explanation(agreeOrig, 0.8, 0.01, 0.12, 0.0, 0.02, 0.21, 0.0, 0.0, -0.03)
	agreeSwapExp := explanation(agreeSwapped, 0.69, 0.02, 0.03, 0.0, -0.01, 0.15, 0.0, 0.0, -0.04)
	var agreeDeltas []audit.WordDelta
	for i := range agreeOrigExp.Features {
		o, s := agreeOrigExp.Features[i], agreeSwapExp.Features[i]
		agreeDeltas = append(agreeDeltas, audit.WordDelta{Original: o.Text, Swapped: s.Text, Before: o.Attribution, After: s.Attribution, Delta: s.Attribution - o.Attribution})
	}
	cf := &audit.Counterfactual{
		Result: counterfactual.Result{Target: "positive", Labels: labels, Texts: 1000, TextsWithTerms: 212, Swaps: 23431,
			Families: []counterfactual.Stats{
				{Family: "gender", Texts: 170, Swaps: 190, MeanAbsDelta: 0.0412, MeanDelta: -0.0187, MaxAbsDelta: 0.29, Flips: 3, FlipRate: 3.0 / 190},
				{Family: "religion", Texts: 0, Swaps: 0},
				{Family: "names", Texts: 23000, Swaps: 23001, MeanAbsDelta: 0.1401, MeanDelta: -0.0061, MaxAbsDelta: 0.52, Flips: 1720, FlipRate: 1720.0 / 23001},
			},
			// The directions: gender's female → male significant but
			// small (warn), male → female clean (pass); names' directions
			// large and flipping (fail, one with a sampled Wilcoxon), and
			// one with a single text (no interval: warn, inconclusive).
			Groups: []counterfactual.Stats{
				direction("gender", "female", "male", 92, 3, 0.0611, counterfactual.Signed{Paired: fstats.Paired{N: 80, Mean: -0.0402, Low: -0.0561, High: -0.0243,
					Positive: 18, Negative: 58, Ties: 4, SignP: 3.1e-06, TP: 2.2e-06, WilcoxonP: 1.4e-06}, WilcoxonN: 80}),
				direction("gender", "male", "female", 98, 0, 0.0203, counterfactual.Signed{Paired: fstats.Paired{N: 90, Mean: 0.011, Low: -0.004, High: 0.026,
					Positive: 48, Negative: 40, Ties: 2, SignP: 0.46, TP: 0.15, WilcoxonP: 0.2}, WilcoxonN: 90}),
				direction("names", "european_american_female", "african_american_female", 12000, 900, 0.1402, counterfactual.Signed{Paired: fstats.Paired{N: 12000,
					Mean: -0.1312, Low: -0.1341, High: -0.1283, Positive: 1500, Negative: 10300, Ties: 200, SignP: 1e-300, TP: 2e-250, WilcoxonP: 3e-280},
					WilcoxonN: 10000, Sampled: true}),
				withClustered(direction("names", "african_american_female", "european_american_female", 11000, 820, 0.1401, counterfactual.Signed{Paired: fstats.Paired{N: 11000,
					Mean: 0.1288, Low: 0.1259, High: 0.1317, Positive: 9800, Negative: 1100, Ties: 100, SignP: 1e-300, TP: 5e-240, WilcoxonP: 7e-270},
					WilcoxonN: 10000, Sampled: true}), counterfactual.Clustered{Unit: "name", Paired: fstats.Paired{N: 20, Mean: 0.1291, Low: -0.0432, High: 0.3014,
					Positive: 11, Negative: 9, SignP: 0.82, TP: 0.13, WilcoxonP: 0.2}, Partners: 20, SE: 0.083, DF: 31.2, FlipRate: 0.071, FlipLow: 0.012, FlipHigh: 0.13, FlipP: 0.24}),
				direction("names", "european_american_male", "african_american_male", 1, 0, 0.02, counterfactual.Signed{Paired: fstats.Paired{N: 1,
					Mean: -0.02, Low: nan, High: nan, Negative: 1, SignP: 1, TP: nan, WilcoxonP: 1}, WilcoxonN: 1}),
			},
			Pairs: []counterfactual.Stats{
				{Family: "gender", Term: "she", Replacement: "he", Texts: 80, Swaps: 80, MeanAbsDelta: 0.0611, MeanDelta: -0.0402, MaxAbsDelta: 0.29, Flips: 3, FlipRate: 0.0375},
				{Family: "gender", Term: "sister", Replacement: "brother", Texts: 12, Swaps: 12, MeanAbsDelta: 0.0701, MeanDelta: -0.05, MaxAbsDelta: 0.13, Flips: 1, FlipRate: 0.0833},
				{Family: "gender", Term: "he", Replacement: "she", Texts: 90, Swaps: 90, MeanAbsDelta: 0.0203, MeanDelta: 0.011, MaxAbsDelta: 0.08, Flips: 0},
			},
			Worst: []counterfactual.Example{ex, ex3, ex2},
		},
		Explained: []audit.ExplainedSwap{{Example: ex, Original: origExp, Swapped: swapExp, WordDeltas: deltas},
			{Example: ex3, Original: agreeOrigExp, Swapped: agreeSwapExp, WordDeltas: agreeDeltas}},
	}
	judgeCounterfactual(&cf.Result, counterfactual.DefaultTolerance, counterfactual.DefaultFlipTolerance)

	typoE, typoV := judged(0.0296, 0.0207, 0.0422, 1, 0, 0.05)
	negE, negV := judged(0.22, 0.1822, 0.2631, 3e-20, 0, 0.05)
	cons := &consistency.Result{Target: "positive", Labels: labels, Texts: 1000, Tolerance: 0.1, FailRateThreshold: 0.05, Tests: []consistency.TestResult{
		{Name: "typo", Expect: consistency.Invariant, Tested: 980, NotApplicable: 20, Failures: 29, FailureRate: 0.0296,
			FailureCI: fstats.Interval{Low: 0.0207, High: 0.0422}, PassRate: 0.9704, MeanAbsDelta: 0.0231, MeanDelta: -0.0044,
			Flips: 35, FlipsWithinTolerance: 12, RawP: 0.9999, Evidence: &typoE, Verdict: typoV,
			Validity: &consistency.Validity{Valid: 10, Labelled: 10, Rate: 1, CI: fstats.Interval{Low: 0.7225, High: 1}, Sample: "testdata/validity.tsv"},
			Delta:    &fstats.Paired{N: 980, Mean: -0.0044, Low: -0.0071, High: -0.0017, Positive: 400, Negative: 560, Ties: 20, SignP: 2.6e-07, TP: 0.0014, WilcoxonP: 0.0009},
			Examples: []consistency.Example{
				{Original: "A gripping, " + injection + " tale", Edited: "A gripipng, " + injection + " tale", OriginalProbs: []float64{0.47, 0.53},
					EditedProbs: []float64{0.55, 0.45}, OriginalLabel: "positive", EditedLabel: "negative", Delta: -0.08},
			}},
		{Name: "negation", Expect: consistency.Decrease, Tested: 400, NotApplicable: 550, Saturated: 50, AtCeiling: 31, Failures: 88, FailureRate: 0.22,
			FailureCI: fstats.Interval{Low: 0.1822, High: 0.2631}, PassRate: 0.78, MeanAbsDelta: 0.31, MeanDelta: -0.27,
			RawP: 1e-20, Evidence: &negE, Verdict: negV,
			Delta: &fstats.Paired{N: 400, Mean: -0.27, Low: -0.3012, High: -0.2388, Positive: 70, Negative: 325, Ties: 5, SignP: 1e-40, TP: 1e-30, WilcoxonP: 1e-35},
			Examples: []consistency.Example{
				{Original: "The film is good.", Edited: "The film is not good.", OriginalProbs: []float64{0.2, 0.8},
					EditedProbs: []float64{0.18, 0.82}, OriginalLabel: "positive", EditedLabel: "positive", Delta: 0.02},
			}},
		{Name: "titlecase", Expect: consistency.Invariant, Tested: 0, NotApplicable: 1000, RawP: 1, Verdict: fstats.Verdict{Status: fstats.Info, Reason: "nothing tested"}},
	}}

	return &audit.Report{
		Model: "models/sst2-mini-bert", Data: "data/reviews & more.csv", Labels: labels, Positive: "positive", Seed: 42,
		GeneratedAt: "2025-01-02T03:04:05Z", Checks: []string{"groups", "counterfactual", "consistency", "slices", "faithfulness", "stability"},
		Rule: audit.Rule{Text: "Every check's effect is judged by one rule: FAIL when significant after Holm correction and outside the tolerance; WARN when only one holds or the interval reaches outside; PASS otherwise.",
			Alpha: 0.05, Thresholds: map[string]float64{"parity_difference": 0.05, "paired_score_difference": 0.1, "disparate_impact_low": 0.8, "max_skipped_share": 0.01}},
		Rows: 1000, Labelled: 944, Unlabelled: 56, Skipped: 3,
		SkippedExamples: []audit.SkippedRow{{Line: 17, Reason: "missing text column"}, {Line: 301, Reason: `label "maybe" is not one of negative, positive`}, {Line: 877, Reason: "invalid UTF-8"}},
		Seconds:         12.345678, RowsPerSecond: 123.1013,
		Timings: []audit.Timing{{Phase: "reading", Seconds: 8.1234, Items: 1000}, {Phase: "groups", Seconds: 0.4321}, {Phase: "counterfactual", Seconds: 1.2},
			{Phase: "consistency", Seconds: 2.1, Items: 1000}, {Phase: "faithfulness", Seconds: 0.4, Items: 50}, {Phase: "stability", Seconds: 0.09, Items: 20}},
		Accuracy:   &audit.Rate{Value: 0.8305, Low: 0.8054, High: 0.853, Count: 784, Of: 944},
		Prediction: audit.Rate{Value: 0.49, Low: 0.4591, High: 0.521, Count: 490, Of: 1000},
		Summary: []audit.Finding{
			{Check: "groups", Status: "fail", Message: `gender: "nonbinary" gets the positive label at 0.26 of the rate of "female" (below the four-fifths rule); small group, read with care.`},
			{Check: "counterfactual", Status: "warn", Message: "Swapping gender terms changes p(positive) by 0.041 on average and flips 2.5% of predictions."},
			{Check: "consistency", Status: "fail", Message: "negation: 22% of negated texts did not lower p(positive)."},
			{Check: "paired", Status: "fail", Message: "By dialect within template (290 matched frames, 1 pairs): aae − sae mean score difference -0.152."},
			{Check: "slices", Status: "fail", Message: "Accuracy by slice, against the rest of the rows: fail negated."},
			{Check: "data", Status: "info", Message: "3 malformed rows were skipped."},
			{Check: "stability", Status: "pass", Message: "kernelshap explanations across runs (seed 43): mean rank correlation 0.91 [0.88, 0.94] over 20 texts."},
		},
		Groups:         []*group.Report{gender, dialect},
		Paired:         []*paired.Report{pairedGender, pairedDialect},
		Counterfactual: cf,
		Consistency:    cons,
		Slices: []consistency.SliceStats{
			slice("short", 210, 168, 0.8, 0.7409, 0.8483, -0.0305, 734, 616, -0.0392, -0.1012, 0.0152, 0.36),
			slice("negated", 150, 99, 0.66, 0.5812, 0.7307, -0.1705, 794, 685, -0.2027, -0.2837, -0.1268, 5e-09),
			slice("long", 300, 262, 0.8733, 0.8308, 0.9064, 0.0428, 644, 522, 0.0627, 0.0132, 0.1074, 0.12),
			{Name: "empty", Count: 0, Verdict: fstats.Verdict{Status: fstats.Info, Reason: "empty slice"}},
		},
		Faithfulness: []audit.MethodFaithfulness{
			{Method: attribution.MethodKernelSHAP, Texts: 50, Comprehensiveness: 0.4123, ComprehensivenessCI: fstats.Interval{Low: 0.3712, High: 0.4534}, Sufficiency: 0.0712, AOPCDeletion: 0.3891, AOPCInsertion: 0.4410, Evaluations: 512, WallSeconds: 0.4521},
			{Method: attribution.MethodLIME, Texts: 50, Failed: 1, Comprehensiveness: 0.3611, ComprehensivenessCI: fstats.Interval{Low: 0.3107, High: 0.4115}, Sufficiency: 0.1034, AOPCDeletion: 0.3302, AOPCInsertion: 0.4012, Evaluations: 512, WallSeconds: 0.4388},
			{Method: attribution.MethodOcclusion, Texts: 50, Comprehensiveness: 0.3305, Sufficiency: 0.1288, AOPCDeletion: 0.3123, AOPCInsertion: 0.3655, Evaluations: 14.2, WallSeconds: 0.0153},
		},
		Stability: []audit.Stability{
			stability(attribution.MethodKernelSHAP, "seed 43", 20, 0.9123, 0.8801, 0.9445, 0.9999, 0.95),
			stability(attribution.MethodLIME, "seed 43", 20, 0.7012, 0.6204, 0.7820, 0.012, 0.8167),
			{Method: attribution.MethodKernelSHAP, Setting: "budget 256", Texts: 20, Spearman: 0.8876, TopKOverlap: 0.9},
		},
	}
}

// stability is a stability result judged as the audit judges it: the
// mean rank correlation against [audit.StabilityThreshold, 1] with the
// one-sided p of "the mean is below the threshold".
func stability(m attribution.Method, setting string, texts int, rho, lo, hi, pBelow, overlap float64) audit.Stability {
	_, v := judged(rho, lo, hi, pBelow, audit.StabilityThreshold, 1)
	return audit.Stability{Method: m, Setting: setting, Texts: texts, Spearman: rho, SpearmanCI: fstats.Interval{Low: lo, High: hi},
		PBelow: pBelow, Verdict: v, TopKOverlap: overlap}
}

// spansOf is the byte spans of each word's first occurrence in text as
// a whole word ("her" is not the start of "hero").
func spansOf(text string, words ...string) []counterfactual.Span {
	var out []counterfactual.Span
	for _, w := range words {
		loc := regexp.MustCompile(`\b` + regexp.QuoteMeta(w) + `\b`).FindStringIndex(text)
		if loc == nil {
			panic("spansOf: no word " + w + " in " + text)
		}
		out = append(out, counterfactual.Span{Start: loc[0], End: loc[1]})
	}
	return out
}

// direction is one direction's swaps: its paired analysis, flips among
// swaps and mean |Δp| (the checks come from judgeCounterfactual).
func direction(family, from, to string, swaps, flips int, meanAbs float64, s counterfactual.Signed) counterfactual.Stats {
	return counterfactual.Stats{Family: family, FromGroup: from, ToGroup: to, Texts: s.N, Swaps: swaps, Flips: flips,
		FlipRate: float64(flips) / float64(swaps), MeanAbsDelta: meanAbs, MeanDelta: s.Mean, MaxAbsDelta: 2 * meanAbs, Signed: &s}
}

// withClustered gives a name family's direction its analysis over names.
func withClustered(s counterfactual.Stats, c counterfactual.Clustered) counterfactual.Stats {
	c.Texts, c.Swaps = s.Texts, s.Swaps
	s.Clustered = &c
	return s
}

// judgeCounterfactual gives r's families and directions their intervals,
// checks and verdicts as the counterfactual package does: per direction
// the mean signed Δp (paired t p, Holm across the family's directions)
// against ±tol and the flip rate (Wilson interval, one-sided binomial p,
// Holm) against [0, flipTol], each judged by fstats.Decide; per family
// its worst direction's signed check and its pooled flip check.
func judgeCounterfactual(r *counterfactual.Result, tol, flipTol float64) {
	z := fstats.ZFor(counterfactual.DefaultConfidence)
	worse := func(a, b counterfactual.Check) *fstats.Verdict {
		if b.Verdict.Status.Severity() > a.Verdict.Status.Severity() {
			return &fstats.Verdict{Status: b.Verdict.Status, Reason: "flip rate: " + b.Verdict.Reason}
		}
		return &fstats.Verdict{Status: a.Verdict.Status, Reason: "mean signed Δp: " + a.Verdict.Reason}
	}
	flipCheck := func(s counterfactual.Stats, raw, adj float64) *counterfactual.Check {
		e, v := judged(s.FlipRate, s.FlipInterval.Low, s.FlipInterval.High, adj, 0, flipTol)
		if s.Swaps == 0 {
			e, v = judged(nan, 0, 1, adj, 0, flipTol)
		}
		return &counterfactual.Check{Evidence: e, PRaw: raw, Test: "exact binomial", Verdict: v}
	}
	for i := range r.Families {
		f := &r.Families[i]
		f.FlipInterval = fstats.Wilson(f.Flips, f.Swaps, z)
		var dirs []int
		for j := range r.Groups {
			if r.Groups[j].Family == f.Family {
				dirs = append(dirs, j)
			}
		}
		tp, fp := make([]float64, len(dirs)), make([]float64, len(dirs))
		for k, j := range dirs {
			tp[k], fp[k] = r.Groups[j].Signed.TP, fstats.BinomialUpper(r.Groups[j].Flips, r.Groups[j].Swaps, flipTol)
		}
		tAdj, fAdj := fstats.Holm(tp), fstats.Holm(fp)
		var worst *counterfactual.Check
		for k, j := range dirs {
			g := &r.Groups[j]
			g.FlipInterval = fstats.Wilson(g.Flips, g.Swaps, z)
			e, v := judged(g.Signed.Mean, g.Signed.Low, g.Signed.High, tAdj[k], -tol, tol)
			g.SignedCheck = &counterfactual.Check{Evidence: e, PRaw: g.Signed.TP, Test: fmt.Sprintf("paired t over %d texts, Holm over %d directions", g.Signed.N, len(dirs)), Verdict: v}
			g.FlipCheck = flipCheck(*g, fp[k], fAdj[k])
			g.Verdict = worse(*g.SignedCheck, *g.FlipCheck)
			if worst == nil || v.Status.Severity() > worst.Verdict.Status.Severity() ||
				(v.Status == worst.Verdict.Status && math.Abs(e.Estimate) > math.Abs(worst.Evidence.Estimate)) {
				c := *g.SignedCheck
				c.Test = fmt.Sprintf("worst direction %s → %s: %s", g.FromGroup, g.ToGroup, c.Test)
				worst = &c
			}
		}
		if worst == nil {
			e, v := judged(nan, nan, nan, nan, -tol, tol)
			worst = &counterfactual.Check{Evidence: e, PRaw: nan, Test: "no swaps", Verdict: v}
		}
		f.SignedCheck = worst
		raw := fstats.BinomialUpper(f.Flips, f.Swaps, flipTol)
		f.FlipCheck = flipCheck(*f, raw, raw)
		f.Verdict = worse(*f.SignedCheck, *f.FlipCheck)
	}
}

// slice is a slice compared with the rest of the rows (Fisher's test,
// Holm p) and judged against ±consistency.SliceGapTolerance.
func slice(name string, n, correct int, acc, lo, hi, gap float64, restN, restCorrect int, diff, dlo, dhi, p float64) consistency.SliceStats {
	e, v := judged(diff, dlo, dhi, p, -consistency.SliceGapTolerance, consistency.SliceGapTolerance)
	return consistency.SliceStats{Name: name, Count: n, Correct: correct, Accuracy: acc, CI: fstats.Interval{Low: lo, High: hi}, Gap: gap,
		RestCount: restN, RestCorrect: restCorrect, RawP: p, Evidence: &e, Verdict: v}
}

// partial is the fixture as an interrupted audit leaves it: the figures of
// the rows read, none of the checks that run after reading.
func partial() *audit.Report {
	r := fixture()
	r.Partial, r.PartialReason = true, "interrupted (context canceled) after 1000 rows; checks that run the model after reading were not run"
	r.Counterfactual, r.Consistency, r.Faithfulness, r.Stability = nil, nil, nil, nil
	r.Timings = r.Timings[:2]
	return r
}
