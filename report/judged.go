package report

import (
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/lucid-nlp/lucid/audit"
	"github.com/lucid-nlp/lucid/fairness/group"
	"github.com/lucid-nlp/lucid/fairness/paired"
	fstats "github.com/lucid-nlp/lucid/fairness/stats"
)

// This file builds the parts of the audit page that show how verdicts were
// earned: the decision rule, the pairwise group tests, the matched
// (paired) analysis and the timings.

// --- decision rule ---

type ruleV struct {
	Text       string
	Alpha      Num
	Thresholds []thresholdV
}

type thresholdV struct {
	Name, What string
	Value      Num
}

// thresholdText says what each threshold of the decision rule is for.
var thresholdText = map[string]string{
	"parity_difference":       "tolerance for a difference in a rate between two groups (positive rate, TPR, FPR, precision): a difference within ± this is too small to matter",
	"paired_score_difference": "tolerance for the mean score difference between two groups within the same frames",
	"disparate_impact_low":    "four-fifths rule: a ratio of positive rates between this and its inverse is within tolerance",
	"max_skipped_share":       "largest share of malformed rows an audit can stand before nothing else is judged",
	// The names the audit writes (audit.decisionRule).
	"group_rate_difference":            "tolerance for a difference in a rate between two groups (positive rate, TPR, FPR, precision): a difference within ± this is too small to matter",
	"counterfactual_signed_delta":      "tolerance for the mean signed change in p(target) when identity terms are swapped one way (a family's direction)",
	"counterfactual_flip_rate":         "largest share of swaps that may change the predicted label",
	"checklist_tolerance":              "CheckList tolerance: how far an edit may move p(target) before it counts as a failure",
	"checklist_failure_rate":           "largest share of failures a behavioural test may have",
	"slice_accuracy_difference":        "tolerance for the difference in accuracy between a slice and the rest of the texts",
	"disparate_impact_lower":           "four-fifths rule: lowest ratio of positive rates (B / A) within tolerance",
	"disparate_impact_upper":           "highest ratio of positive rates (B / A) within tolerance, the inverse of four-fifths",
	"explanation_rank_correlation_min": "lowest mean rank correlation between two runs of an explanation method that counts as stable",
	"data_positive_share_difference":   "tolerance for the difference in the positive-label share where a term or group occurs and elsewhere, in the data itself",
}

func buildRule(r audit.Rule) *ruleV {
	if r.Text == "" && len(r.Thresholds) == 0 {
		return nil
	}
	v := &ruleV{Text: r.Text, Alpha: pNum("decision_rule:alpha", r.Alpha)}
	names := make([]string, 0, len(r.Thresholds))
	for k := range r.Thresholds {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		what := thresholdText[k]
		if what == "" {
			what = visible(strings.ReplaceAll(k, "_", " "))
		}
		v.Thresholds = append(v.Thresholds, thresholdV{Name: k, What: what, Value: num("decision_rule:thresholds:"+k, r.Thresholds[k])})
	}
	return v
}

// --- pairwise group tests ---

type pairTestV struct {
	A, B, Measure string
	Est           MetricV
	Level         string // the interval's level, from the family's correction
	NA, NB        Num
	KA, KB        Num
	P, PMaterial  Num // Holm-adjusted: against no difference; materiality
	Verdict       verdictV
}

// pairMeasure names a pairwise test's measure and how it is formed.
var pairMeasure = map[string]string{
	group.PositiveRate:    "positive rate, A − B",
	group.TPR:             "true positive rate, A − B",
	group.FPR:             "false positive rate, A − B",
	group.Precision:       "precision, A − B",
	group.DisparateImpact: "disparate impact, B / A",
}

type pairsV struct {
	Verdict         verdictV
	Family          fstats.Family
	Judged, Settled []pairTestV // fail and warn; pass and info
	Tests           int
	LeftOut         []group.LeftOut
	Warnings        []string
	Failing         []string
	Tolerance       Num
	Alpha           Num
}

func buildPairs(r *group.Report) pairsV {
	v := pairsV{Verdict: verdict("group-verdict:"+r.Column, r.Verdict), Family: r.Family, LeftOut: r.LeftOut, Warnings: r.Warnings, Failing: r.Failing,
		Tolerance: num("", r.ParityTolerance), Alpha: pNum("", r.Alpha)}
	var all []pairTestV
	for _, p := range r.Pairs {
		for _, t := range p.Tests {
			k := "pair:" + r.Column + ":" + p.A + ":" + p.B + ":" + t.Metric
			m := pairMeasure[t.Metric]
			if m == "" {
				m = visible(t.Metric)
			}
			est := metricV(k, t.Estimate)
			if t.Metric != group.DisparateImpact { // a difference: signed
				est.Val.Text, est.Low.Text, est.High.Text = fmtSigned(t.Estimate.Value, digitsRate), fmtSigned(t.Estimate.Low, digitsRate), fmtSigned(t.Estimate.High, digitsRate)
			}
			all = append(all, pairTestV{A: p.A, B: p.B, Measure: m, Est: est,
				KA: count(k+":table:0", t.Table[0]), NA: count(k+":n_a", t.Table[0]+t.Table[1]),
				KB: count(k+":table:2", t.Table[2]), NB: count(k+":n_b", t.Table[2]+t.Table[3]),
				P: pNum(k+":p_holm", t.Evidence.P), PMaterial: pNum(k+":p_material_holm", t.PMaterialHolm),
				Level: levelText(t.Confidence), Verdict: verdict(k+":verdict", t.Verdict)})
		}
	}
	v.Tests = len(all)
	v.Judged, v.Settled = splitJudged(all, func(t pairTestV) verdictV { return t.Verdict })
	return v
}

// levelText writes an interval's confidence level ("99%", "99.75%"),
// "" when there is none.
func levelText(c float64) string {
	if !(c > 0) {
		return ""
	}
	return strconv.FormatFloat(100*c, 'g', 4, 64) + "%"
}

// --- matched (paired) analysis ---

type pairedV struct {
	R                                                        *paired.Report
	Rows, Frames, Matched, NoFrame, SkippedRows, DroppedRows Num
	Tolerance                                                Num
	Confidence                                               string
	Verdict                                                  verdictV
	Groups                                                   []pairedGroupV
	Pairs                                                    []pairedPairV
}

type pairedGroupV struct {
	Name         string
	Rows, Frames Num
	Mean         Num
	InPairs      bool
}

type pairedPairV struct {
	A, B                       string
	N, Pos, Neg, Ties          Num
	Mean                       MetricV
	RateDiff                   Num
	SignP, TP, WilcoxonP, Holm Num
	Verdict                    verdictV
}

func buildPaired(r *paired.Report) pairedV {
	k := "paired:" + r.Column + ":"
	v := pairedV{R: r, Rows: count(k+"rows", r.Rows), Frames: count(k+"frames", r.Frames), Matched: count(k+"matched_frames", r.MatchedFrames),
		NoFrame: count(k+"no_frame_rows", r.NoFrameRows), SkippedRows: count(k+"skipped_group_rows", r.SkippedRows),
		DroppedRows: count(k+"dropped_rows", r.DroppedRows), Tolerance: num("", r.Tolerance), Confidence: pct(r.Confidence),
		Verdict: verdict("paired-verdict:"+r.Column, r.Verdict)}
	if r.Confidence == 0 {
		v.Confidence = "95%"
	}
	for _, g := range r.Groups {
		gk := "paired-group:" + r.Column + ":" + g.Group + ":"
		v.Groups = append(v.Groups, pairedGroupV{Name: g.Group, Rows: count(gk+"rows", g.Rows), Frames: count(gk+"frames", g.Frames),
			Mean: num(gk+"mean_score", g.MeanScore), InPairs: g.InPairs})
	}
	for _, p := range r.Pairs {
		pk := k + p.A + ":" + p.B + ":"
		s := p.Score
		pv := pairedPairV{A: p.A, B: p.B, N: count(pk+"n", s.N), Pos: count(pk+"positive", s.Positive), Neg: count(pk+"negative", s.Negative),
			Ties: count(pk+"ties", s.Ties), RateDiff: signed(pk+"positive_rate_difference", p.PositiveRateDifference),
			SignP: pNum(pk+"sign_p", s.SignP), TP: pNum(pk+"t_p", s.TP), WilcoxonP: pNum(pk+"wilcoxon_p", s.WilcoxonP),
			Holm: pNum(pk+"p_adjusted", p.PAdjusted), Verdict: verdict(pk+"verdict", p.Verdict)}
		pv.Mean = MetricV{Val: signed(pk+"mean", s.Mean), Low: signed(pk+"low", s.Low), High: signed(pk+"high", s.High)}
		if !finite(s.Mean) {
			pv.Mean.Undefined = "no matched frames"
		}
		pv.Mean.NoCI = !finite(s.Low) || !finite(s.High)
		v.Pairs = append(v.Pairs, pv)
	}
	bySeverity(v.Pairs, func(p pairedPairV) fstats.Status { return fstats.Status(p.Verdict.Status) })
	return v
}

// --- timings ---

// timingV is one phase in the footer's sentence: Lead, then Items when
// the phase counts them, then After, then the seconds (and, for reading,
// the rows per second of that phase alone).
type timingV struct {
	Lead, After string
	Items       *Num
	Seconds     Num
	RPS         *Num
}

// phaseText words each phase: before and after its item count.
var phaseText = map[string][2]string{
	"reading":                 {"reading and scoring", "rows took"},
	audit.CheckGroups:         {"group statistics and tests", ""},
	audit.CheckCounterfactual: {"counterfactual swaps", ""},
	audit.CheckConsistency:    {"consistency tests on", "rows"},
	"suite":                   {"the test suite on", "texts"},
	audit.CheckFaithfulness:   {"faithfulness on", "texts"},
	audit.CheckStability:      {"explanation stability on", "texts"},
}

func buildTimings(r *audit.Report) []timingV {
	var out []timingV
	for _, t := range r.Timings {
		k := "timing:" + t.Phase + ":"
		w, ok := phaseText[t.Phase]
		if !ok {
			w = [2]string{visible(t.Phase), "items"}
		}
		tv := timingV{Lead: w[0], After: w[1], Seconds: secondsNum(k+"seconds", t.Seconds)}
		if t.Items > 0 {
			n := count(k+"items", t.Items)
			tv.Items = &n
		} else if t.Phase == "reading" {
			tv.After = "took"
		} else {
			tv.After = ""
		}
		if t.Phase == "reading" && t.Seconds > 0 {
			rps := numD("rows_per_second", r.RowsPerSecond, digitsRPS)
			tv.RPS = &rps
		}
		out = append(out, tv)
	}
	if len(out) > 0 {
		out[0].Lead = capitalize(out[0].Lead)
	}
	return out
}

// capitalize upper-cases the first letter of a sentence.
func capitalize(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}
