package attribution

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/evaluate"
	"github.com/lucid-nlp/lucid/perturb"
)

// checkClaims checks every claim of r's summary against r's numbers,
// independently of how Claims derived it, and returns how many claims of
// each kind it checked. A claim the numbers contradict fails the test.
func checkClaims(t *testing.T, x *Explainer, r *Result) map[ClaimKind]int {
	t.Helper()
	claims := Claims(r)
	texts := make([]string, len(claims))
	kinds := map[ClaimKind]int{}
	for i, c := range claims {
		texts[i] = c.Text
		kinds[c.Kind]++
	}
	require.Equal(t, strings.Join(texts, " "), r.Summary, "the summary is its claims' texts")
	diff := r.FX - r.BaseValue
	total, largest := 0.0, 0.0
	for _, f := range r.Features {
		total += math.Abs(f.Attribution)
		largest = max(largest, math.Abs(f.Attribution))
	}
	ctx := fmt.Sprintf("%q (%s)", r.Text, r.Method)
	for _, c := range claims {
		for _, i := range c.Features {
			require.True(t, i >= 0 && i < len(r.Features), ctx)
			if c.Kind != ClaimEdit {
				assert.Contains(t, c.Text, "'"+r.Features[i].Text+"'", "%s: a claim names its words: %s", ctx, c.Text)
			}
		}
		switch c.Kind {
		case ClaimPrediction:
			p := r.Probabilities[r.Predicted]
			assert.Equal(t, p, c.Value, ctx)
			for l, q := range r.Probabilities {
				assert.LessOrEqual(t, q, p, "%s: %s is the most probable label, not %s", ctx, r.Predicted, l)
			}
			want := map[string]bool{"very sure": p >= SureVery, "fairly sure": p >= SureFairly && p < SureVery,
				"leans": p >= SureLeaning && p < SureFairly, "unsure": p < SureLeaning}
			assert.True(t, want[c.Level], "%s: %q at p = %v", ctx, c.Level, p)
			assert.Contains(t, c.Text, r.Predicted)
		case ClaimTarget:
			assert.NotEqual(t, r.Target, r.Predicted, ctx)
		case ClaimNegligible:
			assert.Less(t, math.Abs(diff), NegligibleChange(r.Output), ctx)
		case ClaimDominant:
			share := r.Features[c.Features[0]].Attribution / diff
			assert.Greater(t, share, DominantShare, ctx)
			assert.InDelta(t, share, c.Value, 1e-12, ctx)
		case ClaimTowards, ClaimAgainst:
			assert.LessOrEqual(t, len(c.Features), SummaryWords, ctx)
			sign := 1.0
			if c.Kind == ClaimAgainst {
				sign = -1
			}
			smallest := math.Inf(1)
			for j, i := range c.Features {
				a := r.Features[i].Attribution
				assert.Greater(t, sign*a, 0.0, "%s: %s names '%s' (%v)", ctx, c.Kind, r.Features[i].Text, a)
				assert.GreaterOrEqual(t, math.Abs(a), MentionShare*math.Abs(diff), ctx)
				assert.InDelta(t, a/diff, c.Shares[j], 1e-12, ctx)
				assert.Contains(t, c.Text, fmt.Sprintf("%.0f%%", 100*a/diff), ctx)
				smallest = min(smallest, math.Abs(a))
			}
			if len(c.Features) < SummaryWords {
				// every word in that direction large enough is named
				for i, f := range r.Features {
					if sign*f.Attribution > 0 && math.Abs(f.Attribution) >= MentionShare*math.Abs(diff) {
						assert.Contains(t, c.Features, i, "%s: '%s' should be named %s", ctx, f.Text, c.Kind)
					}
				}
			} else {
				for i, f := range r.Features {
					if sign*f.Attribution > smallest {
						assert.Contains(t, c.Features, i, "%s: '%s' is larger than a word named %s", ctx, f.Text, c.Kind)
					}
				}
			}
		case ClaimNoneAgainst:
			for _, f := range r.Features {
				assert.False(t, f.Attribution < 0 && math.Abs(f.Attribution) >= MentionShare*math.Abs(diff), "%s: '%s' pulls against", ctx, f.Text)
			}
		case ClaimNoneTowards:
			for _, f := range r.Features {
				assert.False(t, f.Attribution > 0 && math.Abs(f.Attribution) >= MentionShare*math.Abs(diff), "%s: '%s' pushes towards", ctx, f.Text)
			}
		case ClaimEven:
			require.GreaterOrEqual(t, len(r.Features), EvenMinWords, ctx)
			assert.LessOrEqual(t, largest, EvenSpreadRatio*total/float64(len(r.Features)), ctx)
		case ClaimNegation:
			f := r.Features[c.Features[0]]
			assert.True(t, IsNegation(f.Text), "%s: '%s' is no negation", ctx, f.Text)
			assert.GreaterOrEqual(t, math.Abs(f.Attribution)/total, NegationShare, ctx)
		case ClaimFlipWord, ClaimNoFlipWord:
			require.Contains(t, []Method{MethodOcclusion, MethodCounterfactual}, r.Method, ctx)
			require.Len(t, r.Probabilities, 2, ctx)
			require.Equal(t, r.Target, r.Predicted, ctx)
			for i, f := range r.Features {
				flips := r.FX-f.Attribution < c.Value
				assert.Equal(t, flips, containsInt(c.Features, i), "%s: removing '%s' leaves %v (line %v)", ctx, f.Text, r.FX-f.Attribution, c.Value)
				if flips && r.Output == "prob" {
					// The model, re-run without the word, says the other label.
					label, _ := rerun(t, x, r.Text, perturb.Words, perturb.MaskToken, []int{i})
					assert.NotEqual(t, r.Predicted, label, "%s: removing '%s'", ctx, f.Text)
				}
			}
		case ClaimExact:
			assert.True(t, r.Method == MethodExact || r.Diagnostics[DiagExact] == 1, ctx)
		case ClaimPrecision:
			se := 0.0
			for _, f := range r.Features {
				require.NotNil(t, f.StdErr, ctx)
				se = max(se, *f.StdErr)
			}
			ratio := se / largest
			assert.InDelta(t, ratio, c.Value, 1e-12, ctx)
			want := map[string]bool{"precise": ratio <= PreciseSERatio, "rough": ratio > RoughSERatio,
				"moderately precise": ratio > PreciseSERatio && ratio <= RoughSERatio}
			assert.True(t, want[c.Level], "%s: %q at %v", ctx, c.Level, ratio)
		case ClaimCalibrated:
			assert.Equal(t, r.Diagnostics[DiagStdErrCalibrated], c.Value, ctx)
			assert.Equal(t, c.Value == 1, !strings.Contains(c.Text, "not calibrated"), ctx)
		case ClaimUnsettled:
			for _, i := range c.Features {
				f := r.Features[i]
				assert.Less(t, math.Abs(f.Attribution), SignZ**f.StdErr, ctx)
			}
		case ClaimFit:
			score := r.Diagnostics["score"]
			want := map[string]bool{"well": score >= LIMEGoodFit, "poorly": score < LIMEPoorFit, "moderately": score >= LIMEPoorFit && score < LIMEGoodFit}
			assert.True(t, want[c.Level], "%s: %q at R² %v", ctx, c.Level, score)
		case ClaimCompleteness:
			rel := r.Diagnostics["completeness_error_relative"]
			want := map[string]bool{"complete": rel <= PathComplete, "incomplete": rel > PathIncomplete, "roughly complete": rel > PathComplete && rel <= PathIncomplete}
			assert.True(t, want[c.Level], "%s: %q at %v", ctx, c.Level, rel)
		case ClaimOcclusionGap:
			ratio := r.Diagnostics[DiagEfficiencyGap] / math.Abs(diff)
			assert.Equal(t, ratio <= OcclusionGapShare, c.Level == "additive", ctx)
		case ClaimEdit:
			e := r.Counterfactual
			require.NotNil(t, e, ctx)
			if e.Found {
				label, _ := rerun(t, x, r.Text, perturb.Words, perturb.MaskToken, e.Removed)
				assert.Equal(t, e.Label, label, ctx)
				assert.NotEqual(t, e.From, label, ctx)
			}
		default:
			t.Errorf("%s: a claim of unknown kind %q", ctx, c.Kind)
		}
	}
	// Claims that must be made whenever their condition holds.
	assert.Equal(t, 1, kinds[ClaimPrediction], ctx)
	if math.Abs(diff) >= NegligibleChange(r.Output) {
		assert.Equal(t, 1, kinds[ClaimAgainst]+kinds[ClaimNoneAgainst], "%s: against, or none against", ctx)
		assert.Equal(t, 1, kinds[ClaimTowards]+kinds[ClaimNoneTowards], "%s: towards, or none towards", ctx)
	}
	return kinds
}

func containsInt(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func TestSummaryClaimsOnHandMadeResults(t *testing.T) {
	se := 0.002
	r := &Result{Text: "not bad at all", Method: MethodKernelSHAP, Output: "prob", Target: "POSITIVE", Predicted: "POSITIVE",
		Probabilities: map[string]float64{"POSITIVE": 0.97, "NEGATIVE": 0.03}, FX: 0.97, BaseValue: 0.5,
		Settings:    Settings{Budget: 512},
		Diagnostics: map[string]float64{DiagStdErrCalibrated: 1},
		Features: []FeatureAttribution{
			{Text: "not", Attribution: 0.30, StdErr: &se}, {Text: "bad", Attribution: 0.20, StdErr: &se},
			{Text: "at", Attribution: -0.05, StdErr: &se}, {Text: "all", Attribution: 0.02, StdErr: &se}}}
	r.Summary = Summarize(r)
	kinds := checkClaims(t, nil, r)
	assert.Contains(t, r.Summary, "The model says POSITIVE and is very sure (probability 0.970).")
	assert.Contains(t, r.Summary, "It is driven mostly by 'not', which accounts for 64% of f(x) − base")
	assert.Contains(t, r.Summary, "'not' (+0.3000, 64%) and 'bad' (+0.2000, 43%)")
	assert.Contains(t, r.Summary, "The negation 'not' carries 53%")
	assert.Contains(t, r.Summary, "precise")
	assert.Contains(t, r.Summary, "calibrated")
	assert.Equal(t, 1, kinds[ClaimAgainst], "'at' (−0.05) is 10.6% of f(x) − base (0.47), above MentionShare")

	// Shares at the thresholds: 0.5 exactly is not "mostly".
	r.Features = []FeatureAttribution{{Text: "a", Attribution: 0.235}, {Text: "b", Attribution: 0.235}}
	r.Diagnostics = map[string]float64{DiagExact: 1}
	cs := Claims(r)
	for _, c := range cs {
		assert.NotEqual(t, ClaimDominant, c.Kind)
	}
	// A negligible change names no word.
	r.FX = 0.505
	r.Summary = Summarize(r)
	assert.Contains(t, r.Summary, "barely move")
	assert.NotContains(t, r.Summary, "'a'")
	checkClaims(t, nil, r)
	// Evenly spread.
	r.FX = 0.9
	r.Features = []FeatureAttribution{{Text: "a", Attribution: 0.1}, {Text: "b", Attribution: 0.1}, {Text: "c", Attribution: 0.1}, {Text: "d", Attribution: 0.1}}
	r.Summary = Summarize(r)
	assert.Contains(t, r.Summary, "spread evenly")
	checkClaims(t, nil, r)
	assert.True(t, IsNegation("isn't") && IsNegation("Never") && !IsNegation("note"))
}

// The summary's claims, on 200 SST-2 dev sentences explained by
// occlusion (every flip-word claim re-run through the model) and 200 by
// KernelSHAP at a small budget (sampled, with standard errors): no claim
// contradicts the numbers.
func TestSummaryClaimsHoldOnSST2(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the model on 200 sentences twice")
	}
	texts := sst2Dev(t, 200)
	x := realExplainer(t, evaluate.Probability)
	total := map[ClaimKind]int{}
	for _, req := range []Request{{Method: MethodOcclusion}, {Method: MethodKernelSHAP, Budget: 64}} {
		reqs := make([]Request, len(texts))
		for i, s := range texts {
			reqs[i] = req
			reqs[i].Text = s
		}
		results, errs := x.ExplainAll(context.Background(), reqs, 8)
		for i, r := range results {
			require.NoError(t, errs[i], texts[i])
			for k, n := range checkClaims(t, x, r) {
				total[k] += n
			}
		}
	}
	t.Logf("claims checked on %d SST-2 dev sentences × {occlusion, kernelshap budget 64}: %v", len(texts), total)
	for _, k := range []ClaimKind{ClaimPrediction, ClaimTowards, ClaimDominant, ClaimNegation, ClaimFlipWord, ClaimNoFlipWord, ClaimPrecision, ClaimCalibrated, ClaimOcclusionGap} {
		assert.Positive(t, total[k], "claims of kind %s were made and checked", k)
	}
}
