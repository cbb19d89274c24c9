package attribution

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
)

// The thresholds the plain-words summary (Summarize) decides its claims
// by. A claim is made only when its condition on the numbers holds; the
// tests check every claim against them on SST-2.
const (
	// SureVery, SureFairly and SureLeaning grade the predicted label's
	// probability p: "very sure" when p ≥ SureVery, "fairly sure" when
	// p ≥ SureFairly, "leans" when p ≥ SureLeaning, and "unsure" below.
	SureVery    = 0.95
	SureFairly  = 0.80
	SureLeaning = 0.60
	// NegligibleProb and NegligibleLogit are the |f(x) − base| below which
	// the words are said to barely move the score (in probability, and in
	// logit or log-odds units); shares of so small a change mean nothing,
	// so no word is then named as a driver.
	NegligibleProb  = 0.01
	NegligibleLogit = 0.05
	// DominantShare: "driven mostly by X" only when X's attribution is more
	// than this share of f(x) − base (same sign, so above one half).
	DominantShare = 0.5
	// MentionShare: a word is named as pushing towards or against the
	// target only when |φ| is at least this share of |f(x) − base|.
	MentionShare = 0.10
	// SummaryWords is the most words named in each direction.
	SummaryWords = 3
	// EvenMinWords and EvenSpreadRatio: the attribution is "spread evenly"
	// when there are at least EvenMinWords words and the largest |φ| is at
	// most EvenSpreadRatio times the mean |φ|.
	EvenMinWords    = 4
	EvenSpreadRatio = 2.0
	// NegationShare: a negation word (not, no, never, n't, …) is pointed
	// out when its |φ| is at least this share of Σ|φ|.
	NegationShare = 0.15
	// PreciseSERatio and RoughSERatio grade KernelSHAP's sampling error
	// by the largest standard error over the largest |φ|: "precise" at
	// or below PreciseSERatio, "rough" above RoughSERatio, "moderately
	// precise" between.
	PreciseSERatio = 0.10
	RoughSERatio   = 0.25
	// SignZ is the multiple of a standard error within which a named
	// word's sign is "not settled" (|φ| < SignZ·SE: its approximate 95%
	// interval includes zero).
	SignZ = 1.96
	// LIMEGoodFit and LIMEPoorFit grade LIME's weighted R² (diagnostic
	// "score"): the surrogate fits "well" at or above LIMEGoodFit,
	// "poorly" below LIMEPoorFit, "moderately" between.
	LIMEGoodFit = 0.8
	LIMEPoorFit = 0.5
	// PathComplete and PathIncomplete grade the path method's relative
	// completeness error |Σφ − (f(x) − f(baseline))| / |f(x) − f(baseline)|:
	// "complete" at or below PathComplete, "incomplete" above
	// PathIncomplete, "roughly complete" between.
	PathComplete   = 0.05
	PathIncomplete = 0.20
	// OcclusionGapShare: occlusion's single-word drops are said to "add up"
	// to f(x) − base when their efficiency gap is at most this share of
	// |f(x) − base|, and to show interacting words when above it.
	OcclusionGapShare = 0.25
)

// negations are the words the summary treats as negations (lower case;
// also any word ending in n't or n’t).
var negations = map[string]bool{
	"not": true, "no": true, "never": true, "nothing": true, "nobody": true, "none": true,
	"neither": true, "nor": true, "nowhere": true, "without": true, "cannot": true,
	"n't": true, "hardly": true, "barely": true, "lacks": true, "lacking": true,
}

// IsNegation reports whether word reads as a negation to the summary.
func IsNegation(word string) bool {
	w := strings.ToLower(strings.TrimSpace(word))
	return negations[w] || strings.HasSuffix(w, "n't") || strings.HasSuffix(w, "n’t")
}

// ClaimKind names what a summary claim asserts.
type ClaimKind string

// The claims a summary can make; each is made only under the condition
// its constant's comment (and the thresholds above) state.
const (
	// ClaimPrediction: the predicted label and a certainty grade (Level)
	// of its probability (Value).
	ClaimPrediction ClaimKind = "prediction"
	// ClaimTarget: the explanation is of a label other than the predicted
	// one; Value is its probability.
	ClaimTarget ClaimKind = "target"
	// ClaimNegligible: |f(x) − base| (Value) is below the negligible
	// change for the output.
	ClaimNegligible ClaimKind = "negligible"
	// ClaimDominant: Features[0]'s share of f(x) − base (Value) is above
	// DominantShare.
	ClaimDominant ClaimKind = "dominant"
	// ClaimTowards and ClaimAgainst: Features are the words with φ > 0
	// (towards) or φ < 0 (against) whose |φ| ≥ MentionShare·|f(x) − base|,
	// largest |φ| first, at most SummaryWords; Shares their φ/(f(x) − base).
	ClaimTowards ClaimKind = "towards"
	ClaimAgainst ClaimKind = "against"
	// ClaimNoneAgainst: no word has φ < 0 with |φ| ≥ MentionShare·|f(x) −
	// base|.
	ClaimNoneAgainst ClaimKind = "none_against"
	// ClaimNoneTowards: no word has φ > 0 with |φ| ≥ MentionShare·|f(x) −
	// base|.
	ClaimNoneTowards ClaimKind = "none_towards"
	// ClaimEven: at least EvenMinWords words and max|φ| ≤ EvenSpreadRatio ×
	// mean|φ| (Value is the ratio).
	ClaimEven ClaimKind = "even"
	// ClaimNegation: Features[0] is a negation word whose |φ|/Σ|φ| (Value)
	// is at least NegationShare.
	ClaimNegation ClaimKind = "negation"
	// ClaimFlipWord: occlusion on a two-label model, explaining the
	// predicted label in prob or logodds: removing Features[i] alone leaves
	// the target's score (Shares[i], = f(x) − φ) on the other side of 0.5
	// (prob) or 0 (logodds).
	ClaimFlipWord ClaimKind = "flip_word"
	// ClaimNoFlipWord: as ClaimFlipWord's setting, and no single word's
	// removal crosses that line.
	ClaimNoFlipWord ClaimKind = "no_flip_word"
	// ClaimExact: the values are exact Shapley values (method exact, or
	// KernelSHAP's diagnostic "exact" = 1).
	ClaimExact ClaimKind = "exact"
	// ClaimPrecision: sampled KernelSHAP; Value is max SE / max|φ| and
	// Level its grade (precise, moderately precise, rough).
	ClaimPrecision ClaimKind = "precision"
	// ClaimCalibrated: Value is the diagnostic stderr_calibrated (1 or 0).
	ClaimCalibrated ClaimKind = "calibration"
	// ClaimUnsettled: named words (Features) whose |φ| < SignZ·SE.
	ClaimUnsettled ClaimKind = "unsettled_sign"
	// ClaimFit: LIME's weighted R² (Value) and its grade (Level).
	ClaimFit ClaimKind = "fit"
	// ClaimCompleteness: the path method's relative completeness error
	// (Value) and its grade (Level).
	ClaimCompleteness ClaimKind = "completeness"
	// ClaimOcclusionGap: occlusion's efficiency gap over |f(x) − base|
	// (Value); Level "additive" (≤ OcclusionGapShare) or "interacting".
	ClaimOcclusionGap ClaimKind = "occlusion_gap"
	// ClaimEdit: the counterfactual edit (Result.Counterfactual) as found,
	// or why none was.
	ClaimEdit ClaimKind = "edit"
)

// Claim is one sentence of a summary with the numbers it rests on, so
// that a test (or a program) can check it without parsing the text.
type Claim struct {
	Kind ClaimKind `json:"kind"`
	// Features are indexes into Result.Features the claim names.
	Features []int `json:"features,omitempty"`
	// Shares are per-feature numbers (see the kind): shares of f(x) − base,
	// or scores after removal.
	Shares []float64 `json:"shares,omitempty"`
	// Value is the claim's one number, Level its grade in words.
	Value float64 `json:"value"`
	Level string  `json:"level,omitempty"`
	Text  string  `json:"text"`
}

// Summarize is r's plain-words summary: the texts of Claims(r), one
// sentence each.
func Summarize(r *Result) string {
	cs := Claims(r)
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = c.Text
	}
	return strings.Join(parts, " ")
}

// Claims derives r's summary claims from its numbers alone: the same
// result gives the same claims. Every claim's condition is stated by its
// kind and the thresholds above.
func Claims(r *Result) []Claim {
	if r == nil {
		return nil
	}
	var out []Claim
	add := func(c Claim) { out = append(out, c) }

	p := r.Probabilities[r.Predicted]
	level := certainty(p)
	var text string
	switch level {
	case "very sure", "fairly sure":
		text = fmt.Sprintf("The model says %s and is %s (probability %.3f).", r.Predicted, level, p)
	case "leans":
		text = fmt.Sprintf("The model leans to %s (probability %.3f).", r.Predicted, p)
	default:
		text = fmt.Sprintf("The model is unsure: %s wins narrowly (probability %.3f).", r.Predicted, p)
	}
	add(Claim{Kind: ClaimPrediction, Value: p, Level: level, Text: text})
	if r.Target != r.Predicted {
		add(Claim{Kind: ClaimTarget, Value: r.Probabilities[r.Target],
			Text: fmt.Sprintf("This explains %s instead (probability %.3f).", r.Target, r.Probabilities[r.Target])})
	}

	diff := r.FX - r.BaseValue
	units := r.Output
	if units == "" {
		units = "prob"
	}
	if math.Abs(diff) < NegligibleChange(r.Output) {
		add(Claim{Kind: ClaimNegligible, Value: math.Abs(diff),
			Text: fmt.Sprintf("The words barely move the score of %s: f(x) − base = %+.4f (%s), so no word is singled out.", r.Target, diff, units)})
	} else {
		out = append(out, driverClaims(r, diff)...)
	}
	out = append(out, structureClaims(r)...)
	out = append(out, uncertaintyClaims(r, out)...)
	if e := r.Counterfactual; e != nil {
		c := Claim{Kind: ClaimEdit, Features: e.Removed, Value: float64(len(e.Removed))}
		if e.Found {
			c.Text = upperFirst(e.Sentence()) + "."
			c.Value = e.Probability
		} else {
			c.Text = "No counterfactual edit: " + e.Message + "."
		}
		add(c)
	}
	return out
}

// NegligibleChange is the |f(x) − base| below which the summary says the
// words barely move the score, for an output (prob, logit, logodds).
func NegligibleChange(output string) float64 {
	if output == "" || output == "prob" {
		return NegligibleProb
	}
	return NegligibleLogit
}

func certainty(p float64) string {
	switch {
	case p >= SureVery:
		return "very sure"
	case p >= SureFairly:
		return "fairly sure"
	case p >= SureLeaning:
		return "leans"
	}
	return "unsure"
}

// driverClaims names the words that move f(x) − base most, each way.
func driverClaims(r *Result, diff float64) []Claim {
	var out []Claim
	var pos, neg []int
	for i, f := range r.Features {
		if math.Abs(f.Attribution) < MentionShare*math.Abs(diff) || math.IsNaN(f.Attribution) {
			continue
		}
		if f.Attribution > 0 {
			pos = append(pos, i)
		} else if f.Attribution < 0 {
			neg = append(neg, i)
		}
	}
	byMagnitude := func(a, b int) int {
		return cmp.Compare(math.Abs(r.Features[b].Attribution), math.Abs(r.Features[a].Attribution))
	}
	slices.SortStableFunc(pos, byMagnitude)
	slices.SortStableFunc(neg, byMagnitude)
	pos, neg = pos[:min(len(pos), SummaryWords)], neg[:min(len(neg), SummaryWords)]

	// The dominant word: the largest attribution in the direction of the
	// change, if its share is above one half.
	top := -1
	for i, f := range r.Features {
		if top < 0 || f.Attribution/diff > r.Features[top].Attribution/diff {
			top = i
		}
	}
	if top >= 0 {
		if share := r.Features[top].Attribution / diff; share > DominantShare {
			out = append(out, Claim{Kind: ClaimDominant, Features: []int{top}, Value: share,
				Text: fmt.Sprintf("It is driven mostly by '%s', which accounts for %.0f%% of f(x) − base (%+.4f).", r.Features[top].Text, 100*share, diff)})
		}
	}
	list := func(idx []int) (string, []float64) {
		parts := make([]string, len(idx))
		shares := make([]float64, len(idx))
		for j, i := range idx {
			f := r.Features[i]
			shares[j] = f.Attribution / diff
			parts[j] = fmt.Sprintf("'%s' (%+.4f, %.0f%%)", f.Text, f.Attribution, 100*shares[j])
		}
		return joinAnd(parts), shares
	}
	if len(pos) > 0 {
		s, shares := list(pos)
		out = append(out, Claim{Kind: ClaimTowards, Features: pos, Shares: shares,
			Text: fmt.Sprintf("Towards %s (attribution, share of f(x) − base): %s.", r.Target, s)})
	} else {
		out = append(out, Claim{Kind: ClaimNoneTowards, Value: MentionShare,
			Text: fmt.Sprintf("No word on its own pushes towards %s by as much as %.0f%% of f(x) − base.", r.Target, 100*MentionShare)})
	}
	if len(neg) > 0 {
		s, shares := list(neg)
		out = append(out, Claim{Kind: ClaimAgainst, Features: neg, Shares: shares,
			Text: fmt.Sprintf("Against it: %s.", s)})
	} else {
		out = append(out, Claim{Kind: ClaimNoneAgainst, Value: MentionShare,
			Text: fmt.Sprintf("No word pulls against %s by as much as %.0f%% of f(x) − base.", r.Target, 100*MentionShare)})
	}
	return out
}

// structureClaims: an even spread, large negations, label-flipping words.
func structureClaims(r *Result) []Claim {
	var out []Claim
	total, largest := 0.0, 0.0
	for _, f := range r.Features {
		total += math.Abs(f.Attribution)
		largest = max(largest, math.Abs(f.Attribution))
	}
	n := len(r.Features)
	if n >= EvenMinWords && total > 0 {
		mean := total / float64(n)
		if ratio := largest / mean; ratio <= EvenSpreadRatio {
			out = append(out, Claim{Kind: ClaimEven, Value: ratio,
				Text: fmt.Sprintf("The attribution is spread evenly: no word carries more than %.0f× the average weight (largest |φ| %.4f, average %.4f).", EvenSpreadRatio, largest, mean)})
		}
	}
	if total > 0 {
		for i, f := range r.Features {
			if !IsNegation(f.Text) {
				continue
			}
			if share := math.Abs(f.Attribution) / total; share >= NegationShare {
				dir := "towards"
				if f.Attribution < 0 {
					dir = "against"
				}
				out = append(out, Claim{Kind: ClaimNegation, Features: []int{i}, Value: share,
					Text: fmt.Sprintf("The negation '%s' carries %.0f%% of the total attribution weight (%+.4f, %s %s).", f.Text, 100*share, f.Attribution, dir, r.Target)})
			}
		}
	}
	if line, ok := flipLine(r); ok {
		var flips []int
		var after []float64
		for i, f := range r.Features {
			if v := r.FX - f.Attribution; v < line {
				flips = append(flips, i)
				after = append(after, v)
			}
		}
		if len(flips) == 0 {
			out = append(out, Claim{Kind: ClaimNoFlipWord, Value: line,
				Text: "No single word's removal flips the prediction."})
		} else {
			parts := make([]string, len(flips))
			for j, i := range flips {
				parts[j] = fmt.Sprintf("'%s' (%s %.3f)", r.Features[i].Text, r.Target, after[j])
			}
			verb := "flips"
			if len(flips) > 1 {
				verb = "each flip"
			}
			out = append(out, Claim{Kind: ClaimFlipWord, Features: flips, Shares: after, Value: line,
				Text: fmt.Sprintf("Removing %s alone %s the prediction.", joinAnd(parts), verb)})
		}
	}
	return out
}

// flipLine is the target score below which a two-label model's prediction
// flips, when the occlusion numbers tell: f(x) − φ_i is then the score with
// word i removed.
func flipLine(r *Result) (float64, bool) {
	if (r.Method != MethodOcclusion && r.Method != MethodCounterfactual) || len(r.Probabilities) != 2 || r.Target != r.Predicted {
		return 0, false
	}
	switch r.Output {
	case "", "prob":
		return 0.5, true
	case "logodds":
		return 0, true
	}
	return 0, false
}

// uncertaintyClaims: exact or sampled, and how uncertain, per method.
// named are the claims so far (their words are checked for sign).
func uncertaintyClaims(r *Result, named []Claim) []Claim {
	var out []Claim
	d := r.Diagnostics
	switch {
	case r.Method == MethodExact || d[DiagExact] == 1:
		n := len(r.Features)
		out = append(out, Claim{Kind: ClaimExact, Value: 1,
			Text: fmt.Sprintf("The values are exact Shapley values (all 2^%d = %d coalitions evaluated).", n, uint64(1)<<uint(n))})
	case r.Method == MethodKernelSHAP && hasStdErr(r):
		largest, se := 0.0, 0.0
		for _, f := range r.Features {
			largest = max(largest, math.Abs(f.Attribution))
			if f.StdErr != nil {
				se = max(se, *f.StdErr)
			}
		}
		ratio := math.Inf(1)
		if largest > 0 {
			ratio = se / largest
		}
		level := "moderately precise"
		switch {
		case ratio <= PreciseSERatio:
			level = "precise"
		case ratio > RoughSERatio:
			level = "rough"
		}
		out = append(out, Claim{Kind: ClaimPrecision, Value: ratio, Level: level,
			Text: fmt.Sprintf("The values are KernelSHAP estimates from %d evaluations and %s: the largest standard error (%.4f) is %.0f%% of the largest attribution.", r.Settings.Budget, level, se, 100*math.Min(ratio, 99.99))})
		if c, ok := d[DiagStdErrCalibrated]; ok {
			if c == 1 {
				out = append(out, Claim{Kind: ClaimCalibrated, Value: 1,
					Text: "Their standard errors are calibrated (±1.96 SE covers the exact value about 95% of the time)."})
			} else {
				out = append(out, Claim{Kind: ClaimCalibrated, Value: 0,
					Text: "Their standard errors are not calibrated at this budget: the true error can be larger."})
			}
		}
		var unsettled []int
		seen := map[int]bool{}
		for _, c := range named {
			if c.Kind != ClaimTowards && c.Kind != ClaimAgainst && c.Kind != ClaimDominant {
				continue
			}
			for _, i := range c.Features {
				f := r.Features[i]
				if !seen[i] && f.StdErr != nil && math.Abs(f.Attribution) < SignZ**f.StdErr {
					unsettled = append(unsettled, i)
				}
				seen[i] = true
			}
		}
		if len(unsettled) > 0 {
			parts := make([]string, len(unsettled))
			for j, i := range unsettled {
				parts[j] = fmt.Sprintf("'%s' (%+.4f ± %.4f)", r.Features[i].Text, r.Features[i].Attribution, *r.Features[i].StdErr)
			}
			out = append(out, Claim{Kind: ClaimUnsettled, Features: unsettled,
				Text: fmt.Sprintf("The sign of %s is not settled: within %.2f standard errors of zero.", joinAnd(parts), SignZ)})
		}
	case r.Method == MethodLIME:
		if score, ok := d["score"]; ok {
			level := "moderately"
			switch {
			case score >= LIMEGoodFit:
				level = "well"
			case score < LIMEPoorFit:
				level = "poorly"
			}
			text := fmt.Sprintf("LIME's linear surrogate fits the model %s on its samples (weighted R² %.2f).", level, score)
			if level == "poorly" {
				text = fmt.Sprintf("LIME's linear surrogate fits the model poorly on its samples (weighted R² %.2f): read its weights with care.", score)
			}
			out = append(out, Claim{Kind: ClaimFit, Value: score, Level: level, Text: text})
		}
	case r.Method == MethodPath:
		if rel, ok := d["completeness_error_relative"]; ok {
			level := "roughly complete"
			switch {
			case rel <= PathComplete:
				level = "complete"
			case rel > PathIncomplete:
				level = "incomplete"
			}
			text := fmt.Sprintf("The path attributions add up to f(x) − f(baseline) to within %.1f%% (%s).", 100*rel, level)
			if level == "incomplete" {
				text = fmt.Sprintf("The path attributions miss %.0f%% of f(x) − f(baseline) (incomplete): raise --steps.", 100*rel)
			}
			out = append(out, Claim{Kind: ClaimCompleteness, Value: rel, Level: level, Text: text})
		}
	case r.Method == MethodOcclusion || r.Method == MethodCounterfactual:
		diff := math.Abs(r.FX - r.BaseValue)
		if gap, ok := d[DiagEfficiencyGap]; ok && diff > 0 {
			ratio := gap / diff
			if ratio <= OcclusionGapShare {
				out = append(out, Claim{Kind: ClaimOcclusionGap, Value: ratio, Level: "additive",
					Text: fmt.Sprintf("Occlusion values are single-word drops; here they add up to f(x) − base to within %.0f%%.", 100*ratio)})
			} else {
				out = append(out, Claim{Kind: ClaimOcclusionGap, Value: ratio, Level: "interacting",
					Text: fmt.Sprintf("Occlusion values are single-word drops and here miss f(x) − base by %.0f%%: the words interact, so read them as a rough guide.", 100*ratio)})
			}
		}
	}
	return out
}

func hasStdErr(r *Result) bool {
	for _, f := range r.Features {
		if f.StdErr != nil {
			return true
		}
	}
	return false
}

func joinAnd(parts []string) string {
	switch len(parts) {
	case 0:
		return ""
	case 1:
		return parts[0]
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
