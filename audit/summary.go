package audit

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/lucid-nlp/lucid/fairness/consistency"
	"github.com/lucid-nlp/lucid/fairness/group"
	"github.com/lucid-nlp/lucid/fairness/paired"
	"github.com/lucid-nlp/lucid/fairness/stats"
)

// Thresholds behind the summary's pass / warn / fail. They are conventions
// for a first read, not verdicts: the report's numbers and intervals are
// what to judge by.
const (
	// parityWarn: a demographic parity or equal opportunity difference
	// whose interval lies wholly above this is worth a look.
	parityWarn = 0.10
	// cfMeanWarn and cfFlipFail: counterfactual swaps that move the
	// probability by this much on average, or flip this share of labels.
	cfMeanWarn = 0.02
	cfFlipWarn = 0.01
	cfFlipFail = 0.05
	// invarianceWarn and invarianceFail: label changes under
	// meaning-preserving edits.
	invarianceWarn = 0.02
	invarianceFail = 0.10
	// sliceGapWarn: a slice whose accuracy interval lies wholly this far
	// below the overall accuracy.
	sliceGapWarn = 0.05
	// stabilityWarn: mean rank correlation between two runs below this.
	stabilityWarn = 0.8
)

// ruleText is the decision rule in words, as report.json and the HTML
// state it.
const ruleText = "Every check's effect is judged by one rule (fairness/stats.Decide): " +
	"FAIL when the effect is significant after Holm correction (p < alpha) and its estimate lies outside the tolerance; " +
	"WARN when it is significant but inside the tolerance (significant but small), outside the tolerance but not significant (large but underpowered), " +
	"or not significant with an interval that reaches outside the tolerance (inconclusive); " +
	"PASS when it is not significant and its whole interval lies inside the tolerance. " +
	"Rates whose ideal is 0 (flip and failure rates) are tested one-sided against their tolerance (exact binomial), so FAIL means the rate is shown to exceed it. " +
	"When more than max_skipped_share of the rows are malformed, nothing else is judged: the data problem is the finding."

func decisionRule(cfg Config) Rule {
	return Rule{Text: ruleText, Alpha: stats.DefaultAlpha, Thresholds: map[string]float64{
		"parity_difference":       cfg.Tolerance,
		"paired_score_difference": cfg.Tolerance,
		"disparate_impact_low":    group.FourFifths,
		"max_skipped_share":       cfg.MaxSkippedShare,
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
	if r.Accuracy != nil {
		out = append(out, Finding{Check: "data", Status: "info", Message: fmt.Sprintf("Accuracy %.1f%% (95%% interval %.1f–%.1f%%) on %d labelled rows.",
			100*r.Accuracy.Value, 100*r.Accuracy.Low, 100*r.Accuracy.High, r.Accuracy.Of)})
	}
	for _, g := range r.Groups {
		out = append(out, groupFinding(g))
	}
	for _, p := range r.Paired {
		out = append(out, pairedFinding(p))
	}
	if cf := r.Counterfactual; cf != nil {
		out = append(out, counterfactualFinding(cf))
	}
	if c := r.Consistency; c != nil {
		var fails, warns []string
		for _, t := range c.Tests {
			if t.Expect != consistency.Invariant || t.Tested == 0 {
				continue
			}
			desc := fmt.Sprintf("%s %.1f%% of %d", t.Name, 100*t.FailureRate, t.Tested)
			switch {
			case t.FailureCI.Low > invarianceFail:
				fails = append(fails, desc)
			case t.FailureRate > invarianceWarn:
				warns = append(warns, desc)
			}
		}
		switch {
		case len(fails) > 0:
			out = append(out, Finding{Check: "consistency", Status: "fail", Message: "Meaning-preserving edits change the prediction too often: " + strings.Join(append(fails, warns...), "; ") + "."})
		case len(warns) > 0:
			out = append(out, Finding{Check: "consistency", Status: "warn", Message: "Some meaning-preserving edits change the prediction: " + strings.Join(warns, "; ") + "."})
		default:
			out = append(out, Finding{Check: "consistency", Status: "pass", Message: fmt.Sprintf("Meaning-preserving edits rarely change the prediction (each below %.0f%% on %d sampled rows).", 100*invarianceWarn, c.Texts)})
		}
	}
	var weak []string
	for _, s := range r.Slices {
		if s.Name != "all" && s.CI.High < r.Accuracy.Value-sliceGapWarn {
			weak = append(weak, fmt.Sprintf("%s (%.1f%% on %d rows)", s.Name, 100*s.Accuracy, s.Count))
		}
	}
	if len(r.Slices) > 0 {
		if len(weak) > 0 {
			out = append(out, Finding{Check: "slices", Status: "warn", Message: "The model is clearly less accurate on: " + strings.Join(weak, ", ") + "."})
		} else {
			out = append(out, Finding{Check: "slices", Status: "pass", Message: "No data slice is clearly less accurate than the whole."})
		}
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
		if s.Spearman < stabilityWarn {
			out = append(out, Finding{Check: "stability", Status: "warn", Message: fmt.Sprintf("%s explanations change between runs (%s): mean rank correlation %.2f.", s.Method, s.Setting, s.Spearman)})
		} else {
			out = append(out, Finding{Check: "stability", Status: "pass", Message: fmt.Sprintf("%s explanations are stable (%s): mean rank correlation %.2f.", s.Method, s.Setting, s.Spearman)})
		}
	}
	return out
}

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
	f.Message = fmt.Sprintf("By %s within %s (%d matched frames, %d pairs): %s − %s mean score difference %+.3f [%.3f, %+.3f], %s scored higher in %d of %d frames (%d ties), Holm p=%.2g: %s.",
		p.Column, p.FrameColumn, p.MatchedFrames, len(p.Pairs), worst.A, worst.B, s.Mean, s.Low, s.High, worst.A, s.Positive, s.N, s.Ties, worst.PAdjusted, worst.Verdict.Reason)
	if len(p.Failing) > 1 {
		f.Message += fmt.Sprintf(" Failing pairs: %s.", strings.Join(p.Failing, ", "))
	}
	return f
}

func groupFinding(g *group.Report) Finding {
	var fails, warns []string
	for _, d := range g.Disparities {
		if !d.Metric.Defined() {
			continue
		}
		switch d.Name {
		case group.DisparateImpact:
			if d.Metric.Value < group.FourFifths {
				fails = append(fails, fmt.Sprintf("disparate impact %.2f (below the four-fifths rule; %s vs %s)", d.Metric.Value, d.MinGroup, d.MaxGroup))
			}
		case group.DemographicParityDifference, group.EqualOpportunityDifference, group.EqualizedOddsDifference:
			if d.Metric.Low > parityWarn {
				warns = append(warns, fmt.Sprintf("%s %.2f [%.2f, %.2f]", strings.ReplaceAll(d.Name, "_", " "), d.Metric.Value, d.Metric.Low, d.Metric.High))
			}
		}
	}
	var small []string
	for _, s := range g.Groups {
		if s.Small {
			small = append(small, s.Group)
		}
	}
	sort.Strings(small)
	note := ""
	if len(small) > 0 {
		note = fmt.Sprintf(" Groups too small to say much: %s.", strings.Join(small, ", "))
	}
	switch {
	case len(fails) > 0:
		return Finding{Check: "groups", Status: "fail", Message: fmt.Sprintf("By %s: %s.%s", g.Column, strings.Join(append(fails, warns...), "; "), note)}
	case len(warns) > 0:
		return Finding{Check: "groups", Status: "warn", Message: fmt.Sprintf("By %s: %s.%s", g.Column, strings.Join(warns, "; "), note)}
	}
	return Finding{Check: "groups", Status: "pass", Message: fmt.Sprintf("By %s: no disparity beyond the thresholds across %d groups.%s", g.Column, len(g.Groups), note)}
}

func counterfactualFinding(cf *Counterfactual) Finding {
	if cf.Swaps == 0 {
		return Finding{Check: "counterfactual", Status: "info", Message: fmt.Sprintf("No text mentions an identity term of the audited families (%d texts read).", cf.Texts)}
	}
	var worst []string
	status := "pass"
	for _, f := range cf.Families {
		if f.Swaps == 0 {
			continue
		}
		desc := fmt.Sprintf("%s: mean |Δp| %.3f, %.1f%% of %d swaps flip the label", f.Family, f.MeanAbsDelta, 100*f.FlipRate, f.Swaps)
		switch {
		case f.FlipRate > cfFlipFail:
			status = "fail"
			worst = append(worst, desc)
		case f.FlipRate > cfFlipWarn || f.MeanAbsDelta > cfMeanWarn:
			if status == "pass" {
				status = "warn"
			}
			worst = append(worst, desc)
		}
	}
	if status == "pass" {
		return Finding{Check: "counterfactual", Status: "pass", Message: fmt.Sprintf("Swapping identity terms barely moves predictions (%d swaps in %d texts).", cf.Swaps, cf.TextsWithTerms)}
	}
	return Finding{Check: "counterfactual", Status: status, Message: "Swapping identity terms moves predictions: " + strings.Join(worst, "; ") + ". The worst pairs are explained below."}
}
