package attribution

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/lucid-nlp/lucid/attribution/game"
	"github.com/lucid-nlp/lucid/attribution/shapley"
)

// The summary (Summarize) follows one template, sentence by sentence;
// each sentence is a Claim whose condition is stated by its kind:
//
//  1. Verdict: "The model says L and is very sure (probability 0.94)."
//     (fairly sure, leans to, unsure), from the predicted label's
//     probability graded by SureVery, SureFairly and SureLeaning. A
//     multi-label model's verdict gives the explained label's own sigmoid
//     probability, without a grade ("each label is scored on its own");
//     a regression head's gives its score ("The model's score is 0.875."),
//     never a probability or a grade, and its drivers push towards "a
//     higher score".
//  2. Only when the explained label T is not the predicted one: "This
//     explanation is about T (probability 0.06), not the predicted label."
//  3. Drivers, exactly one of:
//     - quiet: the words' attributions are all tiny and so is the change
//     they make together (Σ|φ| and |f(x) − base| below the negligible
//     change): "The words barely move the model towards or away from T,
//     so no word is singled out."
//     - overlap: the values are all tiny but together the words move the
//     score (occlusion of words that stand in for each other): said so.
//     - cancel: the words pushing towards T and those pulling against it
//     largely offset each other (|f(x) − base| < CancelShare·Σ|φ|): named, no shares.
//     - below: the score of T with the text is below its score with every
//     word hidden (f(x) < base): said in plain words, the words pulling
//     against T named first, no shares.
//     - push: f(x) > base. The main driver is the largest attribution
//     towards T (φ > 0). Shares are of the push towards T, P = Σ of the
//     positive φ, so each is in 0–100% and they add up to at most 100%.
//     "comes mostly from 'w' (62% of it)" when w's share is above
//     DominantShare and no other word ties with it; words that tie with
//     the main driver (within SignZ standard errors of the difference, or
//     within TieMargin of it) are named together ("'a' and 'b' push about
//     equally"); otherwise "is shared: 'a' (35%), 'b' (20%) …" (words with
//     at least MentionShare of P, at most SummaryWords). Then the words
//     pulling against T (φ < 0, |φ| ≥ MentionShare·P), named without
//     shares, or "Nothing pulls noticeably the other way."
//  4. Structure, when it holds: a negation carrying NegationShare of Σ|φ|,
//     an even spread, single words whose removal flips a two-label
//     occlusion's prediction.
//  5. Method: what ran and how many model evaluations it spent ("exact"
//     only when every coalition of the game was evaluated).
//  6. Precision, at most once and only when it matters: "These numbers are
//     rough: run with a larger --budget." (or --steps, or the method's own
//     caveat).
//  7. The counterfactual edit, when one was searched for.
//
// The plain text (Claim.Text, Summarize) has no "f(x)", no "base", no
// "standard error"; the technical text (Claim.Technical,
// SummarizeTechnical) says the same with the precise figures.

// The thresholds the summary decides its claims by.
const (
	// SureVery, SureFairly and SureLeaning grade the predicted label's
	// probability p (rounded to the two decimals the summary shows): "very
	// sure" when p ≥ SureVery, "fairly sure" when
	// p ≥ SureFairly, "leans" when p ≥ SureLeaning, and "unsure" below.
	// Set from the shipped model's range on SST-2 dev (872 sentences:
	// p from 0.5005 to 0.9485, median 0.922), so that each word occurs:
	// 420 very sure, 295 fairly sure, 100 leans, 57 unsure.
	SureVery    = 0.93
	SureFairly  = 0.80
	SureLeaning = 0.65
	// NegligibleProb and NegligibleLogit are the total |φ| below which the
	// words are said to barely move the score (in probability, and in
	// logit or log-odds units).
	NegligibleProb  = 0.01
	NegligibleLogit = 0.05
	// CancelShare: the words "largely offset each other" when |f(x) − base| is below
	// this share of Σ|φ|; no shares are quoted then.
	CancelShare = 0.2
	// DominantShare: "comes mostly from w" only when w's share of the push
	// towards the label is above this and no word ties with it.
	DominantShare = 0.5
	// TieMargin: two drivers tie when the second is within this share of
	// the first (φ₂ ≥ (1 − TieMargin)·φ₁), or when their difference is
	// within SignZ standard errors of the difference.
	TieMargin = 0.10
	// MentionShare: a word is named as pushing towards or pulling against
	// the label only when |φ| is at least this share of the push towards
	// it (Σ of the positive φ).
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
	// RoughSERatio: sampled values are "rough" when the largest standard
	// error is above this share of the largest |φ|, or when a named word's
	// sign is not settled (|φ| < SignZ·SE).
	RoughSERatio = 0.25
	// SignZ is the multiple of a standard error within which a sign, or the
	// order of two drivers, is not settled (an approximate 95% interval).
	SignZ = 1.96
	// LIMEPoorFit: LIME's weighted R² below which its surrogate "fits
	// poorly".
	LIMEPoorFit = 0.5
	// PathIncomplete: the path method's relative completeness error above
	// which its values are rough (raise --steps).
	PathIncomplete = 0.20
	// OcclusionGapShare: occlusion's single-word drops are said to show
	// interacting words when their efficiency gap is above this share of
	// |f(x) − base|.
	OcclusionGapShare = 0.25
	// PartitionRoughShare: partition values are rough when more than this
	// share of the credit reached the words through imputed splits.
	PartitionRoughShare = 0.25
)

// ClaimKind names what a summary claim asserts.
type ClaimKind string

// The claims a summary can make; each is made only under the condition
// its comment states (with the thresholds above). Features are indexes
// into Result.Features; Shares are per feature.
const (
	// ClaimPrediction: the predicted label and the grade (Level) of its
	// probability (Value).
	ClaimPrediction ClaimKind = "prediction"
	// ClaimTarget: the explained label is not the predicted one; Value is
	// its probability.
	ClaimTarget ClaimKind = "target"
	// ClaimQuiet: Σ|φ| (Value) and |f(x) − base| are below the negligible
	// change; no word is named.
	ClaimQuiet ClaimKind = "quiet"
	// ClaimOverlap: Σ|φ| (Value) is below the negligible change but
	// |f(x) − base| is not (methods whose values need not add up): no word
	// matters alone, the words together do.
	ClaimOverlap ClaimKind = "overlap"
	// ClaimCancel: |f(x) − base| < CancelShare·Σ|φ| (Value is the ratio);
	// Features the largest towards (φ > 0) then against (φ < 0), Shares
	// their φ; no share is quoted.
	ClaimCancel ClaimKind = "cancel"
	// ClaimBelow: f(x) < base (Value is f(x) − base); Features as for
	// ClaimCancel; no share is quoted.
	ClaimBelow ClaimKind = "below"
	// ClaimDriver: f(x) > base. Features are the main driver (the largest
	// φ > 0) and the words that tie with it, or the words with φ ≥
	// MentionShare·P (at most SummaryWords); Shares are φ/P, P = Σ of the
	// positive φ; Level is "mostly" (one word, share > DominantShare, no
	// tie), "tie" or "shared".
	ClaimDriver ClaimKind = "driver"
	// ClaimNoneTowards: f(x) > base but no φ > 0 (possible only with the
	// methods whose values need not add up to f(x) − base); Features the
	// largest pull against, if any.
	ClaimNoneTowards ClaimKind = "none_towards"
	// ClaimAgainst: after a ClaimDriver, the words with φ < 0 and |φ| ≥
	// MentionShare·P (at most SummaryWords), largest first; Shares their φ.
	ClaimAgainst ClaimKind = "against"
	// ClaimNoneAgainst: after a ClaimDriver, no word has φ < 0 with |φ| ≥
	// MentionShare·P.
	ClaimNoneAgainst ClaimKind = "none_against"
	// ClaimSensitive: saliency (a gradient norm, no direction): Features
	// are the largest values.
	ClaimSensitive ClaimKind = "sensitive"
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
	// ClaimWindows: a windowed explanation (Result.Windowing): how the
	// windows combine and whether that agrees with the whole-text
	// prediction; Value is the number of windows.
	ClaimWindows ClaimKind = "windows"
	// ClaimMethod: what ran (Level: MethodDescription's exactness) and the
	// model evaluations it spent (Value).
	ClaimMethod ClaimKind = "method"
	// ClaimRough: the numbers are rough (Level says why: "stderr",
	// "uncalibrated" (KernelSHAP's standard errors at too small a budget),
	// "unsettled", "fit", "completeness", "interacting", "unresolved");
	// Value is the figure that made them so.
	ClaimRough ClaimKind = "rough"
	// ClaimEdit: the counterfactual edit (Result.Counterfactual) as found,
	// or why none was.
	ClaimEdit ClaimKind = "edit"
)

// Claim is one sentence of a summary with the numbers it rests on, so
// that a test (or a program) can check it without parsing the text.
type Claim struct {
	Kind     ClaimKind `json:"kind"`
	Features []int     `json:"features,omitempty"`
	Shares   []float64 `json:"shares,omitempty"`
	// Value is the claim's one number, Level its grade in words.
	Value float64 `json:"value"`
	Level string  `json:"level,omitempty"`
	// Text is the plain sentence, Technical the same claim with its
	// precise figures.
	Text      string `json:"text"`
	Technical string `json:"technical"`
}

// Summarize is r's plain-words summary: the texts of Claims(r), one
// sentence each.
func Summarize(r *Result) string {
	return joinClaims(Claims(r), false)
}

// SummarizeTechnical is r's summary with the precise figures (f(x), base
// value, shares of f(x) − base, standard errors): the technical texts of
// Claims(r).
func SummarizeTechnical(r *Result) string {
	return joinClaims(Claims(r), true)
}

func joinClaims(cs []Claim, technical bool) string {
	parts := make([]string, 0, len(cs))
	for _, c := range cs {
		if technical {
			parts = append(parts, c.Technical)
		} else {
			parts = append(parts, c.Text)
		}
	}
	return strings.Join(parts, " ")
}

// Claims derives r's summary claims from its numbers alone: the same
// result gives the same claims, in the template's order (see the
// thresholds above).
func Claims(r *Result) []Claim {
	if r == nil {
		return nil
	}
	var out []Claim
	switch r.Head {
	case "regression":
		// One output, a score: no probability, no certainty, no other label.
		v := r.Probabilities[r.Predicted]
		out = append(out, Claim{Kind: ClaimPrediction, Value: v, Level: "score",
			Text:      fmt.Sprintf("The model's score is %.3f.", v),
			Technical: fmt.Sprintf("Regression head: score = %.4f (its raw output; no probability).", v)})
		return append(out, afterVerdict(r)...)
	case "multi-label":
		// Each label has its own sigmoid: the explained label's probability
		// says nothing of the others', so no "wins" and no certainty.
		q := r.Probabilities[r.Target]
		c := Claim{Kind: ClaimPrediction, Value: q, Level: "label",
			Text:      fmt.Sprintf("The model gives %s probability %.2f; each label is scored on its own, so several may apply.", r.Target, q),
			Technical: fmt.Sprintf("Multi-label: p(%s) = %.4f, its own sigmoid.", r.Target, q)}
		if r.Target != r.Predicted {
			c.Text += fmt.Sprintf(" Its most probable label is %s (%.2f).", r.Predicted, r.Probabilities[r.Predicted])
			c.Technical += fmt.Sprintf(" Highest: p(%s) = %.4f.", r.Predicted, r.Probabilities[r.Predicted])
		}
		out = append(out, c)
		return append(out, afterVerdict(r)...)
	}
	p := r.Probabilities[r.Predicted]
	// Graded as shown (two decimals), so that "0.93" never reads "fairly".
	level := Certainty(math.Round(p*100) / 100)
	var text string
	switch level {
	case "very sure", "fairly sure":
		text = fmt.Sprintf("The model says %s and is %s (probability %.2f).", r.Predicted, level, p)
	case "leans":
		text = fmt.Sprintf("The model leans to %s (probability %.2f).", r.Predicted, p)
	default:
		text = fmt.Sprintf("The model is unsure: %s wins narrowly (probability %.2f).", r.Predicted, p)
	}
	out = append(out, Claim{Kind: ClaimPrediction, Value: p, Level: level, Text: text,
		Technical: fmt.Sprintf("Predicted %s, p = %.4f (%s).", r.Predicted, p, level)})
	if r.Target != r.Predicted {
		q := r.Probabilities[r.Target]
		out = append(out, Claim{Kind: ClaimTarget, Value: q,
			Text:      fmt.Sprintf("This explanation is about %s (probability %.2f), not the predicted label.", r.Target, q),
			Technical: fmt.Sprintf("Explaining %s, p = %.4f.", r.Target, q)})
	}
	return append(out, afterVerdict(r)...)
}

// afterVerdict is every claim after the verdict and target sentences.
func afterVerdict(r *Result) []Claim {
	var out []Claim
	if w := r.Windowing; w != nil {
		out = append(out, windowClaim(r, w))
	}
	drivers := driverClaims(r)
	out = append(out, drivers...)
	out = append(out, structureClaims(r)...)
	desc := MethodDescription(r)
	method := Claim{Kind: ClaimMethod, Value: float64(r.Evaluations), Level: desc.Exactness,
		Text: "Method: " + desc.Plain + ".", Technical: "Method: " + desc.Technical + "."}
	if hasStdErr(r) {
		largest, se := 0.0, 0.0
		for _, f := range r.Features {
			largest = max(largest, math.Abs(f.Attribution))
			if f.StdErr != nil {
				se = max(se, *f.StdErr)
			}
		}
		method.Technical += fmt.Sprintf(" Largest standard error %.4f", se)
		if largest > 0 {
			method.Technical += fmt.Sprintf(" (%.0f%% of the largest |φ|)", 100*math.Min(se/largest, 99.99))
		}
		method.Technical += "."
	}
	out = append(out, method)
	if c, ok := roughClaim(r, drivers); ok {
		out = append(out, c)
	}
	if e := r.Counterfactual; e != nil {
		c := Claim{Kind: ClaimEdit, Features: e.Removed, Value: float64(len(e.Removed))}
		if e.Found {
			c.Text = upperFirst(e.Sentence()) + "."
			c.Value = e.Probability
		} else {
			c.Text = "No counterfactual edit: " + e.Message + "."
		}
		c.Technical = c.Text
		out = append(out, c)
	}
	return out
}

// Certainty grades a probability: "very sure", "fairly sure", "leans" or
// "unsure" (the summary grades the predicted label's, rounded to the two
// decimals it shows).
func Certainty(p float64) string {
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

// NegligibleChange is the Σ|φ| below which the summary says the words
// barely move the score, for an output (prob, logit, logodds).
func NegligibleChange(output string) float64 {
	if output == "" || output == "prob" {
		return NegligibleProb
	}
	return NegligibleLogit
}

// pushes are r's attributions split by direction: the positive ones
// (towards the target) and the negative ones, each largest |φ| first, and
// their sums P = Σφ⁺ and N = Σ|φ⁻|.
type pushes struct {
	towards, against []int
	P, N             float64
}

func splitPushes(r *Result) pushes {
	var s pushes
	for i, f := range r.Features {
		switch a := f.Attribution; {
		case a > 0:
			s.towards = append(s.towards, i)
			s.P += a
		case a < 0:
			s.against = append(s.against, i)
			s.N -= a
		}
	}
	byMagnitude := func(a, b int) int {
		return cmp.Compare(math.Abs(r.Features[b].Attribution), math.Abs(r.Features[a].Attribution))
	}
	slices.SortStableFunc(s.towards, byMagnitude)
	slices.SortStableFunc(s.against, byMagnitude)
	return s
}

// ties reports whether attributions a ≥ b (with standard errors, nil
// when not sampled) are too close to order: within TieMargin of a, or
// within SignZ standard errors of their difference.
func ties(a, b float64, seA, seB *float64) bool {
	if b >= (1-TieMargin)*a {
		return true
	}
	if seA != nil && seB != nil {
		return a-b <= SignZ*math.Hypot(*seA, *seB)
	}
	return false
}

// driverClaims is the template's step 3: which words push the score of
// the target, and how much of the push each gives.
func driverClaims(r *Result) []Claim {
	T := r.Target
	if r.Head == "regression" {
		// "towards LABEL_0" says nothing: the push is up the score.
		T = "a higher score"
	}
	s := splitPushes(r)
	if r.Method == MethodSaliency {
		// A gradient norm has no direction: only "most sensitive to".
		idx := s.towards[:min(len(s.towards), SummaryWords)]
		if len(idx) == 0 {
			return []Claim{{Kind: ClaimQuiet, Value: 0,
				Text:      fmt.Sprintf("The score of %s is not sensitive to any word.", T),
				Technical: "Every saliency is 0."}}
		}
		return []Claim{{Kind: ClaimSensitive, Features: idx, Shares: attrs(r, idx),
			Text:      fmt.Sprintf("The score of %s is most sensitive to %s (saliency shows how much, not which way).", T, quoted(r, idx)),
			Technical: fmt.Sprintf("Largest saliency: %s.", withValues(r, idx, nil))}}
	}
	total := s.P + s.N
	diff := r.FX - r.BaseValue
	if total < NegligibleChange(r.Output) && math.Abs(diff) >= NegligibleChange(r.Output) {
		// Single-word values that miss what the words do together
		// (occlusion, LIME, gradients): the words stand in for each other.
		way := "towards"
		if diff < 0 {
			way = "away from"
		}
		return []Claim{{Kind: ClaimOverlap, Value: total,
			Text:      fmt.Sprintf("No word moves the model much on its own, yet together the words move it %s %s: they stand in for each other.", way, T),
			Technical: fmt.Sprintf("Σ|φ| = %.4f, yet f(x) − base = %+.4f (%s): the single-feature values miss what the words do together.", total, diff, outputName(r))}}
	}
	if total < NegligibleChange(r.Output) {
		return []Claim{{Kind: ClaimQuiet, Value: total,
			Text:      fmt.Sprintf("The words barely move the model towards or away from %s, so no word is singled out.", T),
			Technical: fmt.Sprintf("Σ|φ| = %.4f, below %.2g (%s): no word singled out; f(x) − base = %+.4f.", total, NegligibleChange(r.Output), outputName(r), diff)}}
	}
	// The largest each way, for the cancel and below cases.
	var both []int
	if len(s.towards) > 0 {
		both = append(both, s.towards[0])
	}
	if len(s.against) > 0 {
		both = append(both, s.against[0])
	}
	if math.Abs(diff) < CancelShare*total {
		c := Claim{Kind: ClaimCancel, Features: both, Shares: attrs(r, both), Value: math.Abs(diff) / total}
		switch {
		case len(s.towards) > 0 && len(s.against) > 0:
			c.Text = fmt.Sprintf("Words pushing towards %s (mainly '%s') and words pulling against it (mainly '%s') largely offset each other, so no single word decides it.",
				T, ShortText(r.Features[s.towards[0]].Text), ShortText(r.Features[s.against[0]].Text))
		default: // one direction only: the method's values need not add up
			c.Text = fmt.Sprintf("Together the words barely move the model towards or away from %s, though '%s' alone moves it most, so no single word decides it.", T, ShortText(r.Features[both[0]].Text))
		}
		c.Technical = fmt.Sprintf("|f(x) − base| = %.4f is %.0f%% of Σ|φ| = %.4f (below %.0f%%): the attributions largely offset each other; largest each way: %s.",
			math.Abs(diff), 100*c.Value, total, 100*CancelShare, withValues(r, both, nil))
		return []Claim{c}
	}
	if diff < 0 {
		// Against first: they are what moved the score.
		order := slices.Clone(both)
		slices.Reverse(order)
		c := Claim{Kind: ClaimBelow, Features: order, Shares: attrs(r, order), Value: diff}
		c.Text = fmt.Sprintf("Taken together, the words make the model less inclined to %s than it is with the words hidden", T)
		if len(s.against) > 0 {
			c.Text += fmt.Sprintf(": %s pulls away from it most", "'"+ShortText(r.Features[s.against[0]].Text)+"'")
		}
		if len(s.towards) > 0 {
			c.Text += fmt.Sprintf(", while '%s' pushes towards it most", ShortText(r.Features[s.towards[0]].Text))
		}
		c.Text += "."
		c.Technical = fmt.Sprintf("f(x) = %.4f is below base = %.4f (f(x) − base = %+.4f): no shares; largest each way: %s.",
			r.FX, r.BaseValue, diff, withValues(r, order, nil))
		return []Claim{c}
	}

	// The push towards T: f(x) > base.
	if len(s.towards) == 0 { // only with methods whose values need not add up
		c := Claim{Kind: ClaimNoneTowards, Text: fmt.Sprintf("No word pushes towards %s on its own.", T),
			Technical: fmt.Sprintf("No φ > 0, though f(x) − base = %+.4f.", diff)}
		if len(s.against) > 0 {
			c.Features = s.against[:1]
			c.Text = fmt.Sprintf("No word pushes towards %s on its own; '%s' pulls against it most.", T, ShortText(r.Features[s.against[0]].Text))
		}
		return []Claim{c}
	}
	top := s.towards[0]
	tied := []int{top}
	for _, i := range s.towards[1:] {
		if len(tied) == SummaryWords {
			break
		}
		if ties(r.Features[top].Attribution, r.Features[i].Attribution, r.Features[top].StdErr, r.Features[i].StdErr) {
			tied = append(tied, i)
		}
	}
	share := func(i int) float64 { return r.Features[i].Attribution / s.P }
	c := Claim{Kind: ClaimDriver}
	switch {
	case len(tied) > 1:
		c.Level, c.Features = "tie", tied
		c.Text = fmt.Sprintf("%s push towards %s about equally (%s of the push towards it).", upperFirst(quoted(r, tied)), T, percents(r, tied, s.P))
	case share(top) > DominantShare:
		c.Level, c.Features = "mostly", tied
		c.Text = fmt.Sprintf("The push towards %s comes mostly from '%s' (%.0f%% of it).", T, ShortText(r.Features[top].Text), 100*share(top))
	default:
		c.Level = "shared"
		for _, i := range s.towards {
			if len(c.Features) == SummaryWords || r.Features[i].Attribution < MentionShare*s.P {
				break
			}
			c.Features = append(c.Features, i)
		}
		c.Text = fmt.Sprintf("The push towards %s is shared: %s.", T, withPercents(r, c.Features, s.P))
	}
	for _, i := range c.Features {
		c.Shares = append(c.Shares, share(i))
	}
	c.Value = c.Shares[0]
	c.Technical = fmt.Sprintf("Towards %s (φ, share of Σφ⁺ = %.4f; f(x) − base = %+.4f): %s.", T, s.P, diff, withValues(r, c.Features, &s.P))
	out := []Claim{c}

	var against []int
	for _, i := range s.against {
		if len(against) == SummaryWords || -r.Features[i].Attribution < MentionShare*s.P {
			break
		}
		against = append(against, i)
	}
	if len(against) > 0 {
		out = append(out, Claim{Kind: ClaimAgainst, Features: against, Shares: attrs(r, against),
			Text:      fmt.Sprintf("Pulling the other way: %s.", quoted(r, against)),
			Technical: fmt.Sprintf("Against it (φ, Σφ⁻ = %.4f): %s.", -s.N, withValues(r, against, nil))})
	} else {
		out = append(out, Claim{Kind: ClaimNoneAgainst, Value: MentionShare,
			Text:      "Nothing pulls noticeably the other way.",
			Technical: fmt.Sprintf("No φ < 0 reaches %.0f%% of Σφ⁺.", 100*MentionShare)})
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
	if total < NegligibleChange(r.Output) {
		return nil
	}
	n := len(r.Features)
	if n >= EvenMinWords {
		mean := total / float64(n)
		if ratio := largest / mean; ratio <= EvenSpreadRatio {
			out = append(out, Claim{Kind: ClaimEven, Value: ratio,
				Text:      "No word stands out: the weight is spread evenly over the words.",
				Technical: fmt.Sprintf("Even spread: largest |φ| %.4f is %.2f× the mean %.4f (≤ %.0f×).", largest, ratio, mean, EvenSpreadRatio)})
		}
	}
	if r.Method != MethodSaliency {
		for i, f := range r.Features {
			if !IsNegation(f.Text) {
				continue
			}
			if share := math.Abs(f.Attribution) / total; share >= NegationShare {
				dir := "pushes towards"
				if f.Attribution < 0 {
					dir = "pulls against"
				}
				out = append(out, Claim{Kind: ClaimNegation, Features: []int{i}, Value: share,
					Text:      fmt.Sprintf("The negation '%s' matters: it %s %s.", ShortText(f.Text), dir, r.Target),
					Technical: fmt.Sprintf("Negation '%s': φ = %+.4f, %.0f%% of Σ|φ|.", f.Text, f.Attribution, 100*share)})
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
				Text:      "No single word's removal changes the prediction.",
				Technical: fmt.Sprintf("No f(x) − φᵢ crosses %g.", line)})
		} else {
			parts := make([]string, len(flips))
			for j, i := range flips {
				parts[j] = fmt.Sprintf("'%s' (%s %.3f)", r.Features[i].Text, r.Target, after[j])
			}
			verb := "changes"
			if len(flips) > 1 {
				verb = "each change"
			}
			out = append(out, Claim{Kind: ClaimFlipWord, Features: flips, Shares: after, Value: line,
				Text:      fmt.Sprintf("Removing %s alone %s the prediction.", quoted(r, flips), verb),
				Technical: fmt.Sprintf("Removing %s alone crosses %g.", joinAnd(parts), line)})
		}
	}
	return out
}

// flipLine is the target score below which a two-label model's prediction
// flips, when the occlusion numbers tell: f(x) − φ_i is then the score with
// word i removed.
func flipLine(r *Result) (float64, bool) {
	if (r.Method != MethodOcclusion && r.Method != MethodCounterfactual) || len(r.Probabilities) != 2 || r.Target != r.Predicted || r.Windowing != nil ||
		(r.Head != "" && r.Head != "single-label") { // sigmoids and scores have no line between two labels
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

// roughClaim is the template's step 6: one sentence, only when the
// numbers are too uncertain to read as they stand. drivers are the
// claims whose words are checked for an unsettled sign.
func roughClaim(r *Result, drivers []Claim) (Claim, bool) {
	d := r.Diagnostics
	largest, se := 0.0, 0.0
	for _, f := range r.Features {
		largest = max(largest, math.Abs(f.Attribution))
		if f.StdErr != nil {
			se = max(se, *f.StdErr)
		}
	}
	budget := "These numbers are rough: run with a larger --budget."
	if hasStdErr(r) && largest > 0 {
		if ratio := se / largest; ratio > RoughSERatio {
			return Claim{Kind: ClaimRough, Level: "stderr", Value: ratio, Text: budget,
				Technical: fmt.Sprintf("Rough: the largest standard error (%.4f) is %.0f%% of the largest |φ| (above %.0f%%).", se, 100*ratio, 100*RoughSERatio)}, true
		}
		if c, ok := d[shapley.DiagStdErrCalibrated]; ok && c == 0 {
			return Claim{Kind: ClaimRough, Level: "uncalibrated", Value: se, Text: budget,
				Technical: fmt.Sprintf("Rough: the standard errors (largest %.4f) are not calibrated at budget %d: the true error can be larger.", se, r.Settings.Budget)}, true
		}
		for _, c := range drivers {
			for _, i := range c.Features {
				f := r.Features[i]
				if f.StdErr != nil && math.Abs(f.Attribution) < SignZ**f.StdErr {
					return Claim{Kind: ClaimRough, Level: "unsettled", Features: []int{i}, Value: *f.StdErr, Text: budget,
						Technical: fmt.Sprintf("Rough: the sign of '%s' (%+.4f ± %.4f) is within %.2f standard errors of zero.", f.Text, f.Attribution, *f.StdErr, SignZ)}, true
				}
			}
		}
	}
	switch r.Method {
	case MethodLIME:
		if score, ok := d["score"]; ok && score < LIMEPoorFit {
			return Claim{Kind: ClaimRough, Level: "fit", Value: score,
				Text:      "LIME's simple stand-in model fits this one poorly here, so read these numbers with care.",
				Technical: fmt.Sprintf("LIME's weighted R² is %.2f (below %.1f): read its weights with care.", score, LIMEPoorFit)}, true
		}
	case MethodPath:
		if rel, ok := d["completeness_error_relative"]; ok && rel > PathIncomplete {
			return Claim{Kind: ClaimRough, Level: "completeness", Value: rel,
				Text:      "These numbers are rough: run with a larger --steps.",
				Technical: fmt.Sprintf("The path attributions miss %.0f%% of f(x) − f(baseline): raise --steps.", 100*rel)}, true
		}
	case MethodOcclusion, MethodCounterfactual:
		diff := math.Abs(r.FX - r.BaseValue)
		if gap, ok := d[game.DiagEfficiencyGap]; ok && diff > 0 && gap/diff > OcclusionGapShare {
			return Claim{Kind: ClaimRough, Level: "interacting", Value: gap / diff,
				Text:      "The words work together, so leaving out one at a time gives only a rough picture.",
				Technical: fmt.Sprintf("Occlusion's single-word drops miss f(x) − base by %.0f%% (efficiency gap %.4f): the words interact.", 100*gap/diff, gap)}, true
		}
	case MethodPartition:
		if u, ok := d[shapley.DiagUnresolved]; ok && u > PartitionRoughShare {
			return Claim{Kind: ClaimRough, Level: "unresolved", Value: u, Text: budget,
				Technical: fmt.Sprintf("Rough: %.0f%% of the credit reached the words through imputed splits (above %.0f%%).", 100*u, 100*PartitionRoughShare)}, true
		}
	}
	return Claim{}, false
}

// windowClaim says how a windowed explanation's windows combine, and
// whether that agrees with what the model says on the text as predict
// reads it.
func windowClaim(r *Result, w *Windowing) Claim {
	c := Claim{Kind: ClaimWindows, Value: float64(w.Windows), Level: w.Rule}
	if w.Windows <= 1 {
		c.Text = "The text fits in one window, so this is the same prediction as lucid predict gives."
		c.Technical = fmt.Sprintf("One window: the prediction is lucid predict's (%s %.4f).", w.PredictLabel, w.PredictProbability)
		return c
	}
	what := "probabilities"
	if r.Head == "regression" {
		what = "scores"
	}
	c.Text = fmt.Sprintf("The text is longer than the model reads at once, so it was read in %d overlapping windows and their %s averaged: %s (%.2f).",
		w.Windows, what, r.Predicted, r.Probabilities[r.Predicted])
	if w.PredictLabel == r.Predicted {
		c.Text += fmt.Sprintf(" lucid predict, which reads only the first %d tokens, agrees (%s, %.2f).", w.PredictTokens, w.PredictLabel, w.PredictProbability)
	} else {
		c.Text += fmt.Sprintf(" lucid predict, which reads only the first %d tokens, says %s (%.2f) instead.", w.PredictTokens, w.PredictLabel, w.PredictProbability)
	}
	c.Technical = fmt.Sprintf("Windows: %d, combined by %s: %s %.4f; lucid predict (first %d tokens, truncated): %s %.4f.",
		w.Windows, w.Rule, r.Predicted, r.Probabilities[r.Predicted], w.PredictTokens, w.PredictLabel, w.PredictProbability)
	return c
}

// MethodDescriptionText says what ran for an explanation, plainly and
// precisely. Exactness is "exact" only when every coalition of the game
// was evaluated (exact, or KernelSHAP whose budget covered 2^n); else
// "exact_owen" (partition with every split valued: exact Owen values of
// the binarized hierarchy, which are not the Shapley values), "estimate",
// or "approximation" (the methods that are not Shapley estimates).
type MethodDescriptionText struct {
	Plain, Technical, Exactness string
}

// MethodDescription names what actually ran for r and how many model
// evaluations it spent (r.Evaluations, the prediction run included).
func MethodDescription(r *Result) MethodDescriptionText {
	n := len(r.Features)
	evals := countOf(r.Evaluations, "model evaluation")
	coalitions := func() string {
		if n < 63 {
			return fmt.Sprintf("2^%d = %d", n, uint64(1)<<uint(n))
		}
		return fmt.Sprintf("2^%d", n)
	}
	var d MethodDescriptionText
	switch {
	case r.Method == MethodExact || (r.Method == MethodKernelSHAP && r.Diagnostics[shapley.DiagExact] == 1):
		d.Exactness = "exact"
		d.Plain = fmt.Sprintf("exact Shapley values: every combination of the %s was tried (%s)", countOf(n, "word"), evals)
		d.Technical = fmt.Sprintf("%s, exact Shapley values (all %s coalitions evaluated; %s)", r.Method, coalitions(), evals)
		if r.Settings.Features != "" && r.Settings.Features != "words" {
			d.Plain = fmt.Sprintf("exact Shapley values: every combination of the %d %s was tried (%s)", n, r.Settings.Features, evals)
		}
	case r.Method == MethodKernelSHAP:
		d.Exactness = "estimate"
		d.Plain = fmt.Sprintf("KernelSHAP, an estimate of Shapley values from %s", evals)
		d.Technical = fmt.Sprintf("kernelshap estimate (budget %d of the %s coalitions; %s)", r.Settings.Budget, coalitions(), evals)
	case r.Method == MethodPartition:
		d.Exactness = "estimate"
		d.Plain = fmt.Sprintf("partition, which credits the text's sentences and phrases first and then the words inside them, from %s", evals)
		if r.Diagnostics[shapley.DiagExact] == 1 {
			d.Exactness = "exact_owen"
			d.Technical = fmt.Sprintf("partition: exact Owen values of the binarized hierarchy (every split valued; not Shapley values, which would need all %s coalitions; %s)", coalitions(), evals)
		} else {
			d.Technical = fmt.Sprintf("partition: Owen values of the binarized hierarchy, estimated (%.0f%% of the credit through imputed splits; %s)", 100*r.Diagnostics[shapley.DiagUnresolved], evals)
		}
	case r.Method == MethodLIME:
		d.Exactness = "approximation"
		d.Plain = fmt.Sprintf("LIME, a simple stand-in model fitted to the model's answers on %d sampled variations of the text (%s)", r.Settings.Budget, evals)
		if r.Evaluations < r.Settings.Budget {
			d.Plain = fmt.Sprintf("LIME, a simple stand-in model fitted to the model's answers on %d sampled variations of the text (%s: a repeated variation is run once)", r.Settings.Budget, evals)
		}
		d.Technical = fmt.Sprintf("lime (weighted linear surrogate, %d samples, kernel width %g; %s)", r.Settings.Budget, r.Settings.KernelWidth, evals)
	case r.Method == MethodPath:
		d.Exactness = "approximation"
		d.Plain = fmt.Sprintf("integrated gradients along %d steps (%s)", r.Settings.Steps, evals)
		d.Technical = fmt.Sprintf("ig (%d %s quadrature points; %s)", r.Settings.Steps, r.Settings.Quadrature, evals)
		switch r.Settings.Derivatives {
		case DerivativesGradientGraph:
			d.Plain = fmt.Sprintf("integrated gradients along %d steps, gradients from the model's gradient graph (%s)", r.Settings.Steps, evals)
			d.Technical = fmt.Sprintf("ig (%d %s quadrature points, gradients from model_grad.onnx; %s)", r.Settings.Steps, r.Settings.Quadrature, evals)
		case DerivativesFiniteDifferences:
			d.Plain = fmt.Sprintf("integrated gradients along %d steps, gradients estimated by finite differences because %s (%s)",
				r.Settings.Steps, r.Settings.DerivativesReason, evals)
			d.Technical = fmt.Sprintf("ig (%d %s quadrature points, finite differences: %s; %s)", r.Settings.Steps, r.Settings.Quadrature, r.Settings.DerivativesReason, evals)
		}
	case r.Method == MethodOcclusion || r.Method == MethodCounterfactual:
		d.Exactness = "approximation"
		d.Plain = fmt.Sprintf("occlusion, each word left out once (%s)", evals)
		if r.Settings.Features != "" && r.Settings.Features != "words" {
			d.Plain = fmt.Sprintf("occlusion, each of the %s left out once (%s)", r.Settings.Features, evals)
		}
		d.Technical = fmt.Sprintf("%s (single-feature drops; %s)", r.Method, evals)

	case r.Method == MethodGradInput:
		d.Exactness = "approximation"
		d.Plain = fmt.Sprintf("gradient × input (%s)", evals)
		d.Technical = fmt.Sprintf("grad-input (one gradient row; %s)", evals)
		if r.Settings.BaseImplied {
			d.Technical = fmt.Sprintf("grad-input (one gradient row; base implied: f(x) − Σ; %s)", evals)
		}
	case r.Method == MethodSaliency:
		d.Exactness = "approximation"
		d.Plain = fmt.Sprintf("saliency, the size of the gradient (%s)", evals)
		d.Technical = fmt.Sprintf("saliency (gradient L2 norm; %s)", evals)
	default:
		d.Exactness = "approximation"
		d.Plain = fmt.Sprintf("%s (%s)", r.Method, evals)
		d.Technical = d.Plain
	}
	if e := r.Counterfactual; e != nil {
		// The edit search is counted apart (Edit.Evaluations).
		more := countOf(e.Evaluations, "more model evaluation")
		d.Plain += fmt.Sprintf(", then a search for the smallest edit (%s)", more)
		d.Technical += fmt.Sprintf(", then the edit search (%s)", more)
	}
	if w := r.Windowing; w != nil && w.Windows > 1 {
		d.Plain += fmt.Sprintf(", over %d windows", w.Windows)
		d.Technical += fmt.Sprintf(", over %d windows (budget per window)", w.Windows)
	}
	return d
}

func countOf(n int, what string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", what)
	}
	return fmt.Sprintf("%d %ss", n, what)
}

func outputName(r *Result) string {
	if r.Output == "" {
		return "prob"
	}
	return r.Output
}

func attrs(r *Result, idx []int) []float64 {
	out := make([]float64, len(idx))
	for j, i := range idx {
		out[j] = r.Features[i].Attribution
	}
	return out
}

// quoted is 'a', 'b' and 'c'.
func quoted(r *Result, idx []int) string {
	parts := make([]string, len(idx))
	for j, i := range idx {
		parts[j] = "'" + ShortText(r.Features[i].Text) + "'"
	}
	return joinAnd(parts)
}

// percents is "30% and 28%": each feature's share of total.
func percents(r *Result, idx []int, total float64) string {
	parts := make([]string, len(idx))
	for j, i := range idx {
		parts[j] = fmt.Sprintf("%.0f%%", 100*r.Features[i].Attribution/total)
	}
	return joinAnd(parts)
}

// withPercents is "'a' (35%), 'b' (20%) and 'c' (12%)".
func withPercents(r *Result, idx []int, total float64) string {
	parts := make([]string, len(idx))
	for j, i := range idx {
		parts[j] = fmt.Sprintf("'%s' (%.0f%%)", ShortText(r.Features[i].Text), 100*r.Features[i].Attribution/total)
	}
	return joinAnd(parts)
}

// withValues is "'a' (+0.3000 ± 0.0020, 64%)": φ, its standard error when
// sampled, and its share of *total when total is given.
func withValues(r *Result, idx []int, total *float64) string {
	parts := make([]string, len(idx))
	for j, i := range idx {
		f := r.Features[i]
		s := fmt.Sprintf("%+.4f", f.Attribution)
		if f.StdErr != nil {
			s += fmt.Sprintf(" ± %.4f", *f.StdErr)
		}
		if total != nil {
			s += fmt.Sprintf(", %.0f%%", 100*f.Attribution / *total)
		}
		parts[j] = fmt.Sprintf("'%s' (%s)", f.Text, s)
	}
	return joinAnd(parts)
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

// ShortTextRunes is the longest feature text the plain summary quotes
// whole; a longer one (a sentence, a phrase) is quoted by its first words
// and "…".
const ShortTextRunes = 40

// ShortText is s as the plain summary quotes it: whole up to
// ShortTextRunes code points, else its first words within that and "…".
func ShortText(s string) string {
	if utf8.RuneCountInString(s) <= ShortTextRunes {
		return s
	}
	out := ""
	for _, w := range strings.Fields(s) {
		next := w
		if out != "" {
			next = out + " " + w
		}
		if utf8.RuneCountInString(next) > ShortTextRunes-1 {
			break
		}
		out = next
	}
	if out == "" { // one long word: cut by code points
		out = string([]rune(s)[:ShortTextRunes-1])
	}
	return out + "…"
}
