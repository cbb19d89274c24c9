package audit

import (
	"fmt"
	"sort"
	"strings"

	"github.com/lucid-nlp/lucid/fairness/consistency"
	"github.com/lucid-nlp/lucid/fairness/group"
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

// summarize writes the findings a person reads first.
func summarize(r *Report) []Finding {
	var out []Finding
	data := fmt.Sprintf("Read %d rows (%d with labels).", r.Rows, r.Labelled)
	status := "info"
	if r.Skipped > 0 {
		status = "warn"
		data += fmt.Sprintf(" Skipped %d malformed rows; the first reasons are listed under Data.", r.Skipped)
	}
	out = append(out, Finding{Check: "data", Status: status, Message: data})
	if r.Accuracy != nil {
		out = append(out, Finding{Check: "data", Status: "info", Message: fmt.Sprintf("Accuracy %.1f%% (95%% interval %.1f–%.1f%%) on %d labelled rows.",
			100*r.Accuracy.Value, 100*r.Accuracy.Low, 100*r.Accuracy.High, r.Accuracy.Of)})
	}
	for _, g := range r.Groups {
		out = append(out, groupFinding(g))
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
