package report

import (
	"math"
	"strings"
	"unicode/utf8"

	"github.com/lucid-nlp/lucid/attribution"
	"github.com/lucid-nlp/lucid/audit"
	"github.com/lucid-nlp/lucid/fairness/consistency"
	"github.com/lucid-nlp/lucid/fairness/counterfactual"
	"github.com/lucid-nlp/lucid/fairness/group"
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
	}

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
	cf := &audit.Counterfactual{
		Result: counterfactual.Result{Target: "positive", Labels: labels, Texts: 1000, TextsWithTerms: 212, Swaps: 240,
			Families: []counterfactual.Stats{
				{Family: "gender", Texts: 212, Swaps: 240, MeanAbsDelta: 0.0412, MeanDelta: -0.0187, MaxAbsDelta: 0.29, Flips: 6, FlipRate: 0.025},
				{Family: "religion", Texts: 0, Swaps: 0},
			},
			Pairs: []counterfactual.Stats{
				{Family: "gender", Term: "she", Replacement: "he", Texts: 80, Swaps: 80, MeanAbsDelta: 0.0611, MeanDelta: -0.0402, MaxAbsDelta: 0.29, Flips: 3, FlipRate: 0.0375},
				{Family: "gender", Term: "sister", Replacement: "brother", Texts: 12, Swaps: 12, MeanAbsDelta: 0.0701, MeanDelta: -0.05, MaxAbsDelta: 0.13, Flips: 1, FlipRate: 0.0833},
				{Family: "gender", Term: "he", Replacement: "she", Texts: 90, Swaps: 90, MeanAbsDelta: 0.0203, MeanDelta: 0.011, MaxAbsDelta: 0.08, Flips: 0},
			},
			Worst: []counterfactual.Example{ex, ex2},
		},
		Explained: []audit.ExplainedSwap{{Example: ex, Original: origExp, Swapped: swapExp, WordDeltas: deltas}},
	}

	cons := &consistency.Result{Target: "positive", Labels: labels, Texts: 1000, Tests: []consistency.TestResult{
		{Name: "typo", Expect: consistency.Invariant, Tested: 980, NotApplicable: 20, Failures: 29, FailureRate: 0.0296,
			FailureCI: fstats.Interval{Low: 0.0207, High: 0.0422}, PassRate: 0.9704, MeanAbsDelta: 0.0231, MeanDelta: -0.0044,
			Examples: []consistency.Example{
				{Original: "A gripping, " + injection + " tale", Edited: "A gripipng, " + injection + " tale", OriginalProbs: []float64{0.47, 0.53},
					EditedProbs: []float64{0.55, 0.45}, OriginalLabel: "positive", EditedLabel: "negative", Delta: -0.08},
			}},
		{Name: "negation", Expect: consistency.Decrease, Tested: 400, NotApplicable: 600, Failures: 88, FailureRate: 0.22,
			FailureCI: fstats.Interval{Low: 0.1822, High: 0.2631}, PassRate: 0.78, MeanAbsDelta: 0.31, MeanDelta: -0.27,
			Examples: []consistency.Example{
				{Original: "The film is good.", Edited: "The film is not good.", OriginalProbs: []float64{0.2, 0.8},
					EditedProbs: []float64{0.18, 0.82}, OriginalLabel: "positive", EditedLabel: "positive", Delta: 0.02},
			}},
		{Name: "titlecase", Expect: consistency.Invariant, Tested: 0, NotApplicable: 1000},
	}}

	return &audit.Report{
		Model: "models/sst2-mini-bert", Data: "data/reviews & more.csv", Labels: labels, Positive: "positive", Seed: 42,
		GeneratedAt: "2025-01-02T03:04:05Z", Checks: []string{"groups", "counterfactual", "consistency", "slices", "faithfulness", "stability"},
		Rows: 1000, Labelled: 944, Skipped: 3,
		SkippedExamples: []audit.SkippedRow{{Line: 17, Reason: "missing text column"}, {Line: 301, Reason: `label "maybe" is not one of negative, positive`}, {Line: 877, Reason: "invalid UTF-8"}},
		Seconds:         12.345678, RowsPerSecond: 81.0005,
		Accuracy:   &audit.Rate{Value: 0.8305, Low: 0.8054, High: 0.853, Count: 784, Of: 944},
		Prediction: audit.Rate{Value: 0.49, Low: 0.4591, High: 0.521, Count: 490, Of: 1000},
		Summary: []audit.Finding{
			{Check: "groups", Status: "fail", Message: `gender: "nonbinary" gets the positive label at 0.26 of the rate of "female" (below the four-fifths rule); small group, read with care.`},
			{Check: "counterfactual", Status: "warn", Message: "Swapping gender terms changes p(positive) by 0.041 on average and flips 2.5% of predictions."},
			{Check: "consistency", Status: "fail", Message: "negation: 22% of negated texts did not lower p(positive)."},
			{Check: "slices", Status: "pass", Message: "No slice is clearly less accurate than the whole."},
			{Check: "data", Status: "info", Message: "3 malformed rows were skipped."},
		},
		Groups:         []*group.Report{gender, dialect},
		Counterfactual: cf,
		Consistency:    cons,
		Slices: []consistency.SliceStats{
			{Name: "short", Count: 210, Correct: 168, Accuracy: 0.8, CI: fstats.Interval{Low: 0.7409, High: 0.8483}, Gap: -0.0305},
			{Name: "negated", Count: 150, Correct: 99, Accuracy: 0.66, CI: fstats.Interval{Low: 0.5812, High: 0.7307}, Gap: -0.1705},
			{Name: "long", Count: 300, Correct: 262, Accuracy: 0.8733, CI: fstats.Interval{Low: 0.8308, High: 0.9064}, Gap: 0.0428},
			{Name: "empty", Count: 0},
		},
		Faithfulness: []audit.MethodFaithfulness{
			{Method: attribution.MethodKernelSHAP, Texts: 50, Comprehensiveness: 0.4123, Sufficiency: 0.0712, AOPCDeletion: 0.3891, AOPCInsertion: 0.4410, Evaluations: 512, WallSeconds: 0.4521},
			{Method: attribution.MethodLIME, Texts: 50, Failed: 1, Comprehensiveness: 0.3611, Sufficiency: 0.1034, AOPCDeletion: 0.3302, AOPCInsertion: 0.4012, Evaluations: 512, WallSeconds: 0.4388},
			{Method: attribution.MethodOcclusion, Texts: 50, Comprehensiveness: 0.3305, Sufficiency: 0.1288, AOPCDeletion: 0.3123, AOPCInsertion: 0.3655, Evaluations: 14.2, WallSeconds: 0.0153},
		},
		Stability: []audit.Stability{
			{Method: attribution.MethodKernelSHAP, Setting: "seed 43", Texts: 20, Spearman: 0.9123, TopKOverlap: 0.95},
			{Method: attribution.MethodLIME, Setting: "seed 43", Texts: 20, Spearman: 0.7012, TopKOverlap: 0.8167},
			{Method: attribution.MethodKernelSHAP, Setting: "budget 256", Texts: 20, Spearman: 0.8876, TopKOverlap: 0.9},
		},
	}
}
