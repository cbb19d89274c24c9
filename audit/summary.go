package audit

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/lucid-nlp/lucid/fairness/consistency"
	"github.com/lucid-nlp/lucid/fairness/counterfactual"
	"github.com/lucid-nlp/lucid/fairness/databias"
	"github.com/lucid-nlp/lucid/fairness/group"
	"github.com/lucid-nlp/lucid/fairness/paired"
	"github.com/lucid-nlp/lucid/fairness/stats"
	"github.com/lucid-nlp/lucid/fairness/suite"
)

// ruleText is the decision rule in words, as report.json and the HTML
// state it.
const ruleText = "Every check's effect is judged by one rule (fairness/stats.Decide): " + stats.RuleText + " " +
	"Group rates have Wilson intervals, pairwise differences Newcombe's and disparate impact MOVER-R's, each at the level the family's Holm correction gives its test. " +
	"Matched frames, the data check, CheckList tests and slices are Holm families the same way (slices one-sided: only a slice worse than the rest fails); a counterfactual direction's signed check uses the Bonferroni level over its family's directions; flip rates are judged by their 95% Wilson interval, with the Holm-corrected exact test beside it. " +
	"Rates whose ideal is 0 (flip and failure rates) have the band [0, tolerance], so FAIL means the rate's interval lies wholly above the tolerance. " +
	"When more than max_skipped_share of the rows are malformed, nothing else is judged: the data problem is the finding."

func decisionRule(cfg Config) Rule {
	return Rule{Text: ruleText, Alpha: stats.DefaultAlpha, Thresholds: map[string]float64{
		"group_rate_difference":            cfg.Tolerance,
		"paired_score_difference":          cfg.Tolerance,
		"counterfactual_signed_delta":      cfg.Tolerance,
		"counterfactual_flip_rate":         counterfactual.DefaultFlipTolerance,
		"checklist_tolerance":              cfg.Tolerance,
		"checklist_failure_rate":           consistency.DefaultFailRateThreshold,
		"slice_accuracy_difference":        consistency.SliceGapTolerance,
		"disparate_impact_lower":           group.FourFifths,
		"disparate_impact_upper":           1 / group.FourFifths,
		"explanation_rank_correlation_min": StabilityThreshold,
		"max_skipped_share":                cfg.MaxSkippedShare,
		"data_positive_share_difference":   cfg.Tolerance,
	}}
}

// summarize writes the findings a person reads first.
func summarize(r *Report, cfg Config) []Finding {
	var out []Finding
	data := fmt.Sprintf("Read %d rows (%d with labels, %d unlabelled).", r.Rows, r.Labelled, r.Unlabelled)
	status := "info"
	read := r.Rows + r.Skipped
	skippedShare := float64(r.Skipped) / float64(max(read, 1))
	dataProblem := skippedShare > cfg.MaxSkippedShare
	if r.Skipped > 0 {
		status = "warn"
		data += fmt.Sprintf(" Skipped %d malformed rows (%.2f%% of %d); the first reasons are listed under Data.", r.Skipped, 100*skippedShare, read)
	}
	if dataProblem {
		status = "fail"
		data = fmt.Sprintf("Data problem: %d of %d rows (%.2f%%) were malformed and skipped, more than the %.2g%% an audit can stand; no other check is judged until the data is fixed.",
			r.Skipped, read, 100*skippedShare, 100*cfg.MaxSkippedShare)
		if len(r.SkippedExamples) > 0 {
			data += fmt.Sprintf(" First: line %d: %s.", r.SkippedExamples[0].Line, r.SkippedExamples[0].Reason)
		}
	}
	out = append(out, Finding{Check: "data", Status: status, Message: data})
	if r.Partial {
		out = append(out, Finding{Check: "data", Status: "warn", Message: "Partial report: " + r.PartialReason + "."})
	}
	defer func() {
		if !dataProblem {
			return
		}
		for i := range out {
			if out[i].Check != "data" && (out[i].Status == "pass" || out[i].Status == "warn" || out[i].Status == "fail") {
				out[i].Message = fmt.Sprintf("Not judged (data problem; would be %s): %s", out[i].Status, out[i].Message)
				out[i].Status = "info"
			}
		}
	}()
	for _, sk := range r.SkippedChecks {
		out = append(out, Finding{Check: sk.Check, Status: "info", Message: "Not run: " + sk.Reason + "."})
	}
	if r.Accuracy != nil {
		out = append(out, Finding{Check: "data", Status: "info", Message: fmt.Sprintf("Accuracy %.1f%% (95%% interval %.1f–%.1f%%) on %d labelled rows.",
			100*r.Accuracy.Value, 100*r.Accuracy.Low, 100*r.Accuracy.High, r.Accuracy.Of)})
	}
	if r.DataBias != nil {
		out = append(out, dataBiasFindings(r.DataBias)...)
		if w := r.DataBias.Weighted; w != nil {
			out = append(out, weightedFinding(w))
		}
	}
	for _, g := range r.Groups {
		out = append(out, groupFinding(g))
	}
	for _, m := range r.GroupMeans {
		out = append(out, groupMeansFinding(m))
	}
	if rc := r.RegressionCounterfactual; rc != nil {
		msg := fmt.Sprintf("Identity-term swaps of %d texts (%d swaps), mean score change per direction against ±%.3g score units: %s.", rc.Texts, rc.Swaps, rc.Tolerance, rc.Verdict.Reason)
		out = append(out, Finding{Check: "counterfactual", Status: string(rc.Verdict.Status), Message: msg})
	}
	for _, p := range r.Paired {
		out = append(out, pairedFinding(p))
	}
	out = append(out, thresholdFindings(r)...)
	if cf := r.Counterfactual; cf != nil {
		out = append(out, counterfactualFindings(cf)...)
	}
	if c := r.Consistency; c != nil {
		out = append(out, consistencyFinding(c))
	}
	if r.Suite != nil {
		out = append(out, suiteFinding(r.Suite))
	}
	if len(r.Slices) > 0 {
		out = append(out, slicesFinding(r.Slices))
	}
	if len(r.Faithfulness) > 0 {
		best := r.Faithfulness[0]
		for _, f := range r.Faithfulness {
			if f.Texts > 0 && f.Comprehensiveness > best.Comprehensiveness {
				best = f
			}
		}
		out = append(out, Finding{Check: "faithfulness", Status: "info", Message: fmt.Sprintf("On this model and data the most faithful explanations came from %s (comprehensiveness %.3f on %d rows).", best.Method, best.Comprehensiveness, best.Texts)})
	}
	for _, s := range r.Stability {
		if s.Texts == 0 {
			continue
		}
		out = append(out, stabilityFinding(s))
	}
	return out
}

// consistencyFinding states the worst CheckList test verdicts: failure
// rates judged one-sided against their threshold, Holm-corrected.
func consistencyFinding(c *consistency.Result) Finding {
	f := Finding{Check: "consistency", Status: string(stats.Info)}
	var judged []string
	tested := 0
	for _, t := range c.Tests {
		if t.Tested == 0 {
			continue
		}
		tested++
		f.Status = string(stats.Worse(stats.Status(f.Status), t.Verdict.Status))
		if t.Verdict.Status == stats.Pass {
			continue
		}
		desc := fmt.Sprintf("%s %s %.1f%% [%.1f, %.1f] of %d", t.Verdict.Status, t.Name, 100*t.FailureRate, 100*t.FailureCI.Low, 100*t.FailureCI.High, t.Tested)
		if t.Saturated > 0 {
			desc += fmt.Sprintf(" (%d saturated, not counted)", t.Saturated)
		}
		judged = append(judged, desc)
	}
	if tested == 0 {
		f.Message = fmt.Sprintf("No consistency test applied to the %d sampled rows.", c.Texts)
		return f
	}
	f.Message = fmt.Sprintf("%d CheckList tests on %d sampled rows (fail: a move beyond %.2g; failure rates tested against %.2g, Holm-corrected): ", tested, c.Texts, c.Tolerance, c.FailRateThreshold)
	if len(judged) == 0 {
		f.Message += "every test passes."
	} else {
		f.Message += strings.Join(judged, "; ") + "; the rest pass."
	}
	return f
}

// slicesFinding states the worst slice: its accuracy against the rest of
// the rows, Fisher's exact test, Holm-corrected across slices.
func slicesFinding(slices []consistency.SliceStats) Finding {
	f := Finding{Check: "slices", Status: string(stats.Info)}
	var judged []string
	for _, s := range slices {
		f.Status = string(stats.Worse(stats.Status(f.Status), s.Verdict.Status))
		if s.Verdict.Status == stats.Warn || s.Verdict.Status == stats.Fail {
			judged = append(judged, fmt.Sprintf("%s %s: accuracy %.1f%% [%.1f, %.1f] on %d rows, %+.1f points vs the rest", s.Verdict.Status, s.Name, 100*s.Accuracy, 100*s.CI.Low, 100*s.CI.High, s.Count, 100*(s.Accuracy-float64(s.RestCorrect)/float64(max(s.RestCount, 1)))))
		}
	}
	if len(judged) == 0 {
		f.Message = "No data slice's accuracy differs from the rest's beyond the tolerance."
		if f.Status == string(stats.Info) {
			f.Message = "No slice could be compared with the rest."
		}
		return f
	}
	f.Message = "Accuracy by slice, against the rest of the rows: " + strings.Join(judged, "; ") + "."
	return f
}

// stabilityFinding judges the mean rank correlation between two runs with
// the same rule as every check: [StabilityThreshold, 1] is the tolerance and
// the test is one-sided, "the mean is below StabilityThreshold".
func stabilityFinding(s Stability) Finding {
	v := s.Verdict
	return Finding{Check: "stability", Status: string(v.Status), Message: fmt.Sprintf("%s explanations across runs (%s): mean rank correlation %.2f [%.2f, %.2f] over %d texts: %s.",
		s.Method, s.Setting, s.Spearman, s.SpearmanCI.Low, s.SpearmanCI.High, s.Texts, v.Reason)}
}

// interval writes [low, high] with format, or "[n/a]" when undefined.
func interval(low, high float64, format string) string {
	if math.IsNaN(low) || math.IsNaN(high) {
		return "[n/a]"
	}
	return fmt.Sprintf("["+format+", "+format+"]", low, high)
}

// pct1 writes a confidence level as a percentage with up to 4 digits
// (99, 99.75).
func pct1(c float64) string { return strconv.FormatFloat(100*c, 'g', 4, 64) }

// pText writes a p-value, "n/a" when there was no test, with enough
// digits to compare with α as the exact value does (stats.FormatP).
func pText(p float64) string { return stats.FormatP(p, stats.DefaultAlpha) }

// pairedFinding states a matched analysis' verdict with its worst pair.
func pairedFinding(p *paired.Report) Finding {
	f := Finding{Check: "paired", Status: string(p.Verdict.Status)}
	if len(p.Pairs) == 0 {
		f.Status = "info"
		f.Message = fmt.Sprintf("By %s within %s: no two groups share a frame (%d frames), nothing to compare.", p.Column, p.FrameColumn, p.Frames)
		return f
	}
	worst := p.Pairs[0]
	for _, q := range p.Pairs {
		if q.Verdict.Status.Severity() > worst.Verdict.Status.Severity() ||
			(q.Verdict.Status == worst.Verdict.Status && math.Abs(q.Score.Mean) > math.Abs(worst.Score.Mean)) {
			worst = q
		}
	}
	s := worst.Score
	f.Message = fmt.Sprintf("By %s within %s (%d matched frames, %d pairs): %s − %s mean score difference %+.3f [%.3f, %+.3f], %s scored higher in %d of %d frames (%d ties), Holm p=%s: %s.",
		p.Column, p.FrameColumn, p.MatchedFrames, len(p.Pairs), worst.A, worst.B, s.Mean, s.Low, s.High, worst.A, s.Positive, s.N, s.Ties, pText(worst.PAdjusted), worst.Verdict.Reason)
	if len(p.Failing) > 1 {
		f.Message += fmt.Sprintf(" Failing pairs: %s.", strings.Join(p.Failing, ", "))
	}
	return f
}

// groupFinding states a group column's verdict: the worst of its pairwise
// tests (signed differences with Fisher's exact test, Holm-corrected, and
// the four-fifths ratio judged by its interval). The fairlearn-style
// max − min figures stay in the report as description only.
func groupFinding(g *group.Report) Finding {
	f := Finding{Check: "groups", Status: string(g.Verdict.Status)}
	if len(g.Pairs) == 0 {
		f.Status = "info"
		f.Message = fmt.Sprintf("By %s: no two groups could be compared (%d groups; %s).", g.Column, len(g.Groups), leftOutText(g))
		return f
	}
	// The worst test: most severe verdict, then the largest effect.
	var worst *group.PairTest
	var worstPair *group.Pair
	for pi := range g.Pairs {
		for ti := range g.Pairs[pi].Tests {
			t := &g.Pairs[pi].Tests[ti]
			if !t.Estimate.Defined() {
				continue
			}
			if worst == nil || t.Verdict.Status.Severity() > worst.Verdict.Status.Severity() ||
				(t.Verdict.Status == worst.Verdict.Status && effectSize(t) > effectSize(worst)) {
				worst, worstPair = t, &g.Pairs[pi]
			}
		}
	}
	tests := 0
	for _, p := range g.Pairs {
		tests += len(p.Tests)
	}
	f.Message = fmt.Sprintf("By %s (%d rows, %d groups compared in %d pairs, %d tests in one Holm family):", g.Column, g.Rows, len(g.PairGroups), len(g.Pairs), tests)
	if g.Family.Size > tests {
		// One label of a multi-label audit: its tests are corrected with
		// every other label's (group.CorrectAcrossLabels).
		f.Message = fmt.Sprintf("By %s (%d rows, %d groups compared in %d pairs, %d tests, corrected in the labels' joint Holm family of %d):", g.Column, g.Rows, len(g.PairGroups), len(g.Pairs), tests, g.Family.Size)
	}
	if worst != nil {
		// Differences are A − B; the disparate impact ratio is B / A.
		what := fmt.Sprintf("%s − %s", worstPair.A, worstPair.B)
		if worst.Metric == group.DisparateImpact {
			what = fmt.Sprintf("%s / %s", worstPair.B, worstPair.A)
		}
		f.Message += fmt.Sprintf(" worst %s %s = %.3f, %s%% interval [%.3f, %.3f], materiality Holm p=%s: %s.",
			strings.ReplaceAll(worst.Metric, "_", " "), what, worst.Estimate.Value, pct1(worst.Confidence), worst.Estimate.Low, worst.Estimate.High, pText(worst.PMaterialHolm), worst.Verdict.Reason)
	}
	if len(g.Failing) > 1 {
		f.Message += fmt.Sprintf(" %d failing tests, listed in the report.", len(g.Failing))
	}
	if left := leftOutText(g); left != "" {
		f.Message += " Not compared: " + left + "."
	}
	for _, w := range g.Warnings {
		f.Message += " " + w
	}
	return f
}

// effectSize is how far a pairwise test's estimate is from no effect.
func effectSize(t *group.PairTest) float64 {
	if t.Metric == group.DisparateImpact {
		return math.Abs(math.Log(t.Estimate.Value))
	}
	return math.Abs(t.Estimate.Value)
}

func leftOutText(g *group.Report) string {
	var parts []string
	for i, l := range g.LeftOut {
		if i == 5 {
			parts = append(parts, fmt.Sprintf("and %d more", len(g.LeftOut)-5))
			break
		}
		parts = append(parts, fmt.Sprintf("%s (%s)", l.Group, l.Reason))
	}
	return strings.Join(parts, ", ")
}

// counterfactualFindings state each family's verdict, one line per family
// that does not pass: the worse of its mean signed Δp per direction (paired
// t, Holm across the directions) and its flip rate (exact test against the
// flip tolerance); the passing families share one line.
func counterfactualFindings(cf *Counterfactual) []Finding {
	if cf.Swaps == 0 {
		return []Finding{{Check: "counterfactual", Status: "info", Message: fmt.Sprintf("No text mentions an identity term of the audited families (%d texts read).", cf.Texts)}}
	}
	var out []Finding
	var passed []string
	for _, f := range cf.Families {
		if f.Swaps == 0 || f.Verdict == nil {
			continue
		}
		if f.Verdict.Status == stats.Pass {
			passed = append(passed, f.Family)
			continue
		}
		msg := fmt.Sprintf("%s: flip rate %.1f%% %s of %d swaps in %d texts", f.Family, 100*f.FlipRate, interval(100*f.FlipInterval.Low, 100*f.FlipInterval.High, "%.1f"), f.Swaps, f.Texts)
		if c := f.FlipCheck; c != nil && counterfactual.IsNameFamily(counterfactual.Family{Name: f.Family}) && !math.IsNaN(c.Evidence.Estimate) {
			// A name family's flip rate is judged over names: quote that
			// interval, not a Wilson interval over swaps.
			msg = fmt.Sprintf("%s: mean name flip rate %.1f%% %s, %s, in %d texts", f.Family, 100*c.Evidence.Estimate, interval(100*c.Evidence.Low, 100*c.Evidence.High, "%.1f"), c.Test, f.Texts)
		}
		if c := f.SignedCheck; c != nil && !math.IsNaN(c.Evidence.Estimate) {
			msg += fmt.Sprintf("; %s: mean signed Δp %+.3f %s, Holm p=%s", c.Test, c.Evidence.Estimate, interval(c.Evidence.Low, c.Evidence.High, "%+.3f"), pText(c.Evidence.P))
		}
		out = append(out, Finding{Check: "counterfactual", Status: string(f.Verdict.Status), Message: msg + ". " + capitalize(f.Verdict.Reason) + "."})
	}
	head := fmt.Sprintf("%d swaps in %d texts with identity terms", cf.Swaps, cf.TextsWithTerms)
	explained := ""
	if len(cf.Explained) > 0 {
		explained = " The worst pairs are explained word by word in report.html."
	}
	switch {
	case len(out) == 0:
		out = append(out, Finding{Check: "counterfactual", Status: "pass", Message: head + ": every family passes (" + strings.Join(passed, ", ") + ")."})
	case len(passed) > 0:
		out = append([]Finding{{Check: "counterfactual", Status: "info", Message: head + "; these families pass: " + strings.Join(passed, ", ") + "." + explained}}, out...)
	default:
		out = append([]Finding{{Check: "counterfactual", Status: "info", Message: head + "." + explained}}, out...)
	}
	return out
}

// capitalize upper-cases the first letter of a reason used as a sentence.
func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// suiteFinding states the user-written suite's verdicts that are not
// PASS, judged as the consistency tests are.
func suiteFinding(r *suite.Result) Finding {
	f := Finding{Check: "suite", Status: string(stats.Info)}
	var judged []string
	tested := 0
	for _, t := range r.Tests {
		if t.Tested == 0 {
			judged = append(judged, fmt.Sprintf("%s %s: nothing tested (%d saturated)", t.Verdict.Status, t.Name, t.Saturated))
			continue
		}
		tested++
		f.Status = string(stats.Worse(stats.Status(f.Status), t.Verdict.Status))
		if t.Verdict.Status == stats.Pass {
			continue
		}
		judged = append(judged, fmt.Sprintf("%s %s %.1f%% [%.1f, %.1f] of %d cases", t.Verdict.Status, t.Name, 100*t.FailureRate, 100*t.FailureCI.Low, 100*t.FailureCI.High, t.Tested))
	}
	f.Message = fmt.Sprintf("Suite %q: %d of %d tests judged (fail: a move beyond %.2g, or the wrong label; failure rates tested against %.2g, Holm-corrected): ", r.Suite, tested, len(r.Tests), r.Tolerance, r.FailRateThreshold)
	if len(judged) == 0 {
		f.Message += "every test passes."
	} else {
		f.Message += strings.Join(judged, "; ") + "."
	}
	return f
}

// weightedFinding states the weighted group-by-label table: how far
// P_w(label | group) is from P_w(label) in each column (0 when the
// weights make group and label independent, as reweighing does).
func weightedFinding(w *databias.WeightedReport) Finding {
	var cols []string
	for _, c := range w.Columns {
		cols = append(cols, fmt.Sprintf("%s: %d groups, largest |P_w(label | group) − P_w(label)| = %.3g", c.Column, len(c.Groups), c.MaxGap))
	}
	msg := fmt.Sprintf("Weighted by %q over %d labelled rows: %s.", w.WeightColumn, w.Rows, strings.Join(cols, "; "))
	if w.BadWeights > 0 {
		msg += fmt.Sprintf(" %d labelled rows left out for a bad weight (%s).", w.BadWeights, strings.Join(w.BadWeightLines, "; "))
	}
	return Finding{Check: "data_bias", Status: string(stats.Info), Message: msg}
}

// groupMeansFinding states a regression column's verdict and its largest
// difference of mean scores.
func groupMeansFinding(m *group.MeanReport) Finding {
	f := Finding{Check: "groups", Status: string(m.Verdict.Status)}
	if len(m.Pairs) == 0 {
		f.Status = "info"
		f.Message = fmt.Sprintf("By %s: no two groups could be compared by mean score (%d groups, %d needed with at least %d rows).", m.Column, len(m.Groups), 2, m.MinGroupSize)
		return f
	}
	worst := &m.Pairs[0]
	for i := range m.Pairs {
		p := &m.Pairs[i]
		if p.Verdict.Status.Severity() > worst.Verdict.Status.Severity() ||
			(p.Verdict.Status == worst.Verdict.Status && math.Abs(p.Difference) > math.Abs(worst.Difference)) {
			worst = p
		}
	}
	f.Message = fmt.Sprintf("By %s, mean score: %s − %s = %.3g (%s). %s.", m.Column, worst.A, worst.B, worst.Difference, worst.Verdict.Reason, m.Verdict.Reason)
	return f
}
