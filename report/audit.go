package report

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"html/template"
	"io"
	"math"
	"slices"
	"strings"

	"github.com/lucid-nlp/lucid/attribution"
	"github.com/lucid-nlp/lucid/audit"
	"github.com/lucid-nlp/lucid/fairness/consistency"
	"github.com/lucid-nlp/lucid/fairness/counterfactual"
	"github.com/lucid-nlp/lucid/fairness/group"
	fstats "github.com/lucid-nlp/lucid/fairness/stats"
)

// WriteAudit writes report.html for an audit: one self-contained file.
func WriteAudit(w io.Writer, r *audit.Report) error {
	if r == nil {
		return errors.New("report: nil audit report")
	}
	var buf bytes.Buffer
	if err := templates.ExecuteTemplate(&buf, "audit", buildAudit(r)); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// How many skipped rows, worst pairs and failing examples a page lists.
const (
	maxSkipped  = 5
	maxPairs    = 10
	maxWorst    = 5
	maxExamples = 3
)

type auditView struct {
	R                                                 *audit.Report
	Rows, Labelled, Unlabelled, Skipped, Seconds, RPS Num
	Rule                                              *ruleV
	Timings                                           []timingV
	Paired                                            []pairedV
	PairedNote                                        string
	// DataProblem is set when more rows were skipped than the decision
	// rule's max_skipped_share: the summary then judges nothing else, and
	// the verdicts in the sections are shown as what they would be.
	DataProblem bool
	SkippedRows []audit.SkippedRow
	MoreSkipped int
	Accuracy    *MetricV
	AccuracyOf  string
	PosRate     MetricV
	Findings    []findingV
	Checks      []checkV
	Sure        []template.HTML
	Groups      []groupV
	GroupsNote  string
	CF          *cfV
	CFNote      string
	Cons        *consV
	ConsNote    string
	Suite       *suiteV
	Slices      []sliceV
	SliceMax    string
	SlicesNote  string
	Faith       []faithV
	FaithNote   string
	Stab        []stabV
	StabNote    string
	// History is the trend of the headline metrics over runs (history.go).
	History  []trendV
	Labels   template.HTML
	DataBias *dataBiasV
	DataNote string

	// Multi is a multi-label audit's label-by-group section; Means a
	// regression head's group means (heads.go).
	Multi *multiV
	Means []meansV
	RegCF *regCFV
}

type findingV struct {
	Check, Status, Class string
	Message              template.HTML
}

type checkV struct {
	Name, What string
	Ran        bool
}

// checkText says in plain words what each check asks.
var checkText = map[string]string{
	audit.CheckData:           "Data bias: is a label more frequent in the data where an identity term or a group occurs? (no model involved)",
	audit.CheckGroups:         "Group fairness: does the model predict the positive label, and make mistakes, at similar rates for different groups of people?",
	audit.CheckCounterfactual: "Identity terms: does the prediction change when only an identity word (e.g. “he” → “she”) is swapped?",
	audit.CheckConsistency:    "Consistency: does the prediction survive harmless edits (typos, punctuation, case) and move the right way under meaningful ones (negation, intensifiers)?",
	audit.CheckSlices:         "Slices: is the model less accurate on some kinds of text (short, long, negated, …)?",
	audit.CheckFaithfulness:   "Faithfulness: do the explanation methods point at the words the model actually relies on?",
	audit.CheckStability:      "Explanation stability: do explanations stay the same when recomputed with another seed or budget?",
}

var statusClass = map[string]string{"pass": "pass", "warn": "warn", "fail": "fail", "info": "info"}

func (v *auditView) note(check, empty string) string {
	if !slices.Contains(v.R.Checks, check) {
		return "Not run: this check was not requested for this audit."
	}
	return "Not run: " + empty
}

func buildAudit(r *audit.Report) *auditView {
	v := &auditView{R: r,
		Rows:       count("rows", r.Rows),
		Labelled:   count("labelled_rows", r.Labelled),
		Unlabelled: count("unlabelled_rows", r.Unlabelled),
		Rule:       buildRule(r.Rule),
		Timings:    buildTimings(r),
		Skipped:    count("skipped_rows", r.Skipped),
		Seconds:    numD("seconds", r.Seconds, digitsSeconds),
		RPS:        numD("rows_per_second", r.RowsPerSecond, digitsRPS),
		PosRate:    rateV("positive_prediction_rate", r.Prediction),
		Labels:     joinHTML(r.Labels, ", "),
	}
	if limit, ok := r.Rule.Thresholds["max_skipped_share"]; ok && r.Skipped > 0 {
		v.DataProblem = float64(r.Skipped)/float64(r.Rows+r.Skipped) > limit
	}
	v.SkippedRows = r.SkippedExamples
	if len(v.SkippedRows) > maxSkipped {
		v.SkippedRows = v.SkippedRows[:maxSkipped]
	}
	v.MoreSkipped = r.Skipped - len(v.SkippedRows)
	if r.Accuracy != nil {
		a := rateV("accuracy", *r.Accuracy)
		v.Accuracy = &a
		v.AccuracyOf = fmt.Sprintf("%d of %d labelled rows correct", r.Accuracy.Count, r.Accuracy.Of)
	}
	names := append(dataNames(r), dataBiasNames(r)...)
	for _, f := range r.Summary {
		cl := statusClass[strings.ToLower(f.Status)]
		if cl == "" {
			cl = "info"
		}
		st := visible(strings.ToLower(f.Status))
		if st == "" {
			st = "info"
		}
		v.Findings = append(v.Findings, findingV{Check: f.Check, Status: st, Class: cl, Message: message(f.Message, names)})
	}
	for _, c := range r.Checks {
		what := checkText[c]
		if what == "" {
			what = visible(c)
		}
		v.Checks = append(v.Checks, checkV{Name: c, What: what, Ran: v.hasData(c)})
	}
	v.Sure = sureNote(r)

	for _, g := range r.Groups {
		if g != nil {
			v.Groups = append(v.Groups, buildGroup(g))
		}
	}
	v.Multi = buildMulti(r)
	v.RegCF = buildRegCF(r.RegressionCounterfactual)
	for _, m := range r.GroupMeans {
		v.Means = append(v.Means, buildMeans(m))
	}
	if len(v.Groups) == 0 && v.Multi == nil && len(v.Means) == 0 {
		v.GroupsNote = v.note(audit.CheckGroups, "no group column was given (name one or more columns holding a group per row).")
	}
	for _, p := range r.Paired {
		if p != nil {
			v.Paired = append(v.Paired, buildPaired(p))
		}
	}
	if len(v.Paired) == 0 {
		v.PairedNote = "Not run: no frame column was given (a column saying which texts are variants of the same frame, e.g. a template id)."
		if !slices.Contains(r.Checks, audit.CheckGroups) {
			v.PairedNote = v.note(audit.CheckGroups, "")
		}
	}
	if r.Counterfactual != nil {
		v.CF = buildCF(r.Counterfactual)
	} else {
		v.CFNote = v.note(audit.CheckCounterfactual, "no counterfactual results.")
	}
	if r.Consistency != nil && len(r.Consistency.Tests) > 0 {
		v.Cons = buildCons(r.Consistency)
	} else {
		v.ConsNote = v.note(audit.CheckConsistency, "no consistency results.")
	}
	if r.Suite != nil {
		v.Suite = buildSuite(r.Suite)
	}
	if r.DataBias != nil {
		v.DataBias = buildDataBias(r.DataBias)
	} else {
		v.DataNote = v.note(audit.CheckData, "no data scan results.")
	}
	v.buildSlices()
	v.buildFaith()
	for _, s := range r.Stability {
		k := "stability:" + string(s.Method) + ":" + s.Setting + ":"
		sp := MetricV{Val: num(k+"mean_spearman", s.Spearman), Low: num(k+"mean_spearman:low", s.SpearmanCI.Low), High: num(k+"mean_spearman:high", s.SpearmanCI.High)}
		// An interval report.json holds as zeros was not measured (a report
		// from before intervals, or fewer than two texts).
		sp.NoCI = !finite(s.SpearmanCI.Low) || !finite(s.SpearmanCI.High) || (s.SpearmanCI.Low == 0 && s.SpearmanCI.High == 0)
		pb := pNum(k+"p_below_threshold", s.PBelow)
		if sp.NoCI && s.PBelow == 0 {
			pb = dash
		}
		v.Stab = append(v.Stab, stabV{Method: string(s.Method), Setting: s.Setting, Texts: count(k+"texts", s.Texts),
			Spearman: sp, PBelow: pb, Overlap: num(k+"mean_top3_overlap", s.TopKOverlap), Verdict: verdict(k+"verdict", s.Verdict)})
	}
	if len(v.Stab) == 0 {
		v.StabNote = v.note(audit.CheckStability, "no stability results.")
	}
	return v
}

// dataNames are the data strings an audit's summary messages may embed:
// column, group, slice, test, family, method and setting names.
func dataNames(r *audit.Report) []string {
	var names []string
	for _, g := range r.Groups {
		if g == nil {
			continue
		}
		names = append(names, g.Column, g.Reference)
		for _, s := range g.Groups {
			names = append(names, s.Group)
		}
	}
	for _, s := range r.Slices {
		names = append(names, s.Name)
	}
	for _, p := range r.Paired {
		if p == nil {
			continue
		}
		names = append(names, p.Column, p.FrameColumn)
		for _, g := range p.Groups {
			names = append(names, g.Group)
		}
	}
	if r.Consistency != nil {
		for _, t := range r.Consistency.Tests {
			names = append(names, t.Name)
		}
	}
	if r.Counterfactual != nil {
		for _, f := range r.Counterfactual.Families {
			names = append(names, f.Family)
		}
	}
	for _, m := range r.Faithfulness {
		names = append(names, string(m.Method))
	}
	for _, s := range r.Stability {
		names = append(names, string(s.Method), s.Setting)
	}
	return names
}

// hasData reports whether the report holds results for a check.
func (v *auditView) hasData(check string) bool {
	r := v.R
	if r.MultiLabel != nil {
		// A multi-label audit's results are its labels' reports.
		for _, la := range r.MultiLabel.Labels {
			if (&auditView{R: la.Report}).hasData(check) {
				return true
			}
		}
		return false
	}
	switch check {
	case audit.CheckData:
		return r.DataBias != nil
	case audit.CheckGroups:
		return len(r.Groups) > 0 || len(r.GroupMeans) > 0
	case audit.CheckCounterfactual:
		return r.Counterfactual != nil
	case audit.CheckConsistency:
		return r.Consistency != nil && len(r.Consistency.Tests) > 0
	case audit.CheckSlices:
		return len(r.Slices) > 0
	case audit.CheckFaithfulness:
		return len(r.Faithfulness) > 0
	case audit.CheckStability:
		return len(r.Stability) > 0
	}
	return true
}

// sureNote is the "how sure we are" paragraph, in sentences.
func sureNote(r *audit.Report) []template.HTML {
	conf, resamples, minSize, small := 0.95, 0, 0, []string{}
	for _, g := range r.Groups {
		if g == nil {
			continue
		}
		if g.Confidence > 0 {
			conf = g.Confidence
		}
		resamples, minSize = max(resamples, g.Resamples), max(minSize, g.MinGroupSize)
		for _, s := range g.Groups {
			if s.Small || len(s.Flags) > 0 {
				small = append(small, string(htmlf("%s = %s", g.Column, s.Group)))
			}
		}
	}
	if r.Rows == 0 {
		return []template.HTML{"No rows were read, so there is nothing to measure yet."}
	}
	s := []template.HTML{htmlf("Every number comes from a sample of %d rows, so it is shown with a %s confidence interval in brackets: the range the true value most likely lies in.", r.Rows, template.HTML(pct(conf)))}
	if len(r.Groups) > 0 {
		t := "Group rates have Wilson score intervals, disparate impact MOVER-R's, and pairwise differences Newcombe's at the level their Holm family gives them; only the spread summaries (highest minus lowest) come from a bootstrap (the rows of each group resampled"
		if resamples > 0 {
			t += fmt.Sprintf(" %d times", resamples)
		}
		s = append(s, template.HTML(template.HTMLEscapeString(t+").")))
	}
	s = append(s, htmlf("Accuracy, consistency failure rates and slice accuracies use Wilson score intervals."))
	if minSize > 0 {
		s = append(s, htmlf("Groups with fewer than %d rows are marked “small”: their numbers can swing a lot by chance.", minSize))
	}
	if len(small) > 0 {
		s = append(s, htmlf("Read with care (small group or wide interval): %s.", template.HTML(strings.Join(small, ", "))))
	}
	if len(r.Groups) > 0 {
		s = append(s, htmlf("Whether two groups differ materially is decided by the pairwise tests below (the difference's own interval, corrected for the column's family of tests, against the tolerance), not by whether the two groups' own intervals overlap."))
	}
	return s
}

// --- group fairness ---

type groupV struct {
	R                 *group.Report
	Confidence        string
	Charts            []Chart
	Overall           groupRowV
	Groups            []groupRowV
	Disparities       []dispV
	Small             int
	FourFifthsFlagged bool
	Pairs             pairsV
}

type groupRowV struct {
	Name                                                        string
	Count                                                       Num
	Labelled                                                    int
	Accuracy, PositiveRate, TPR, FPR, FNR, Precision, Disparate MetricV
	Small, Below, Reference, Missing                            bool
	Pooled                                                      int
	Flags                                                       []string
}

type dispV struct {
	Name, Label, Explain string
	M                    MetricV
	MaxGroup, MinGroup   string
	Excluded, Flags      []string
	FourFifths           bool
}

var dispText = map[string][2]string{
	group.DemographicParityDifference: {"Demographic parity difference", "highest minus lowest positive rate (0 = parity)"},
	group.DemographicParityRatio:      {"Demographic parity ratio", "lowest over highest positive rate (1 = parity)"},
	group.DisparateImpact:             {"Disparate impact", "lowest positive rate over the reference group’s; below 0.8 fails the four-fifths rule"},
	group.EqualOpportunityDifference:  {"Equal opportunity difference", "highest minus lowest true positive rate (0 = parity)"},
	group.EqualizedOddsDifference:     {"Equalized odds difference", "the larger of the TPR and FPR differences (0 = parity)"},
	group.PredictiveParityDifference:  {"Predictive parity difference", "highest minus lowest precision (0 = parity)"},
}

func groupRow(key string, g *group.GroupStats) groupRowV {
	return groupRowV{Name: g.Group, Count: count(key+"count", g.Count), Labelled: g.Labelled,
		Accuracy: metricV(key+"accuracy", g.Accuracy), PositiveRate: metricV(key+"positive_rate", g.PositiveRate),
		TPR: metricV(key+"tpr", g.TPR), FPR: metricV(key+"fpr", g.FPR), FNR: metricV(key+"fnr", g.FNR),
		Precision: metricV(key+"precision", g.Precision), Disparate: metricV(key+"disparate_impact", g.DisparateImpact),
		Small: g.Small, Below: g.BelowFourFifths, Missing: g.Missing, Pooled: g.PooledGroups, Flags: g.Flags}
}

func buildGroup(r *group.Report) groupV {
	v := groupV{R: r, Confidence: pct(r.Confidence), Pairs: buildPairs(r)}
	if r.Confidence == 0 {
		v.Confidence = "95%"
	}
	v.Overall = groupRow("group-overall:"+r.Column+":", &r.Overall)
	v.Overall.Disparate = MetricV{} // undefined by construction; not shown
	for i := range r.Groups {
		g := &r.Groups[i]
		row := groupRow("group:"+r.Column+":"+g.Group+":", g)
		row.Reference = g.Group == r.Reference
		v.Groups = append(v.Groups, row)
		if g.Small {
			v.Small++
		}
	}
	below := func(g *group.GroupStats) bool { return g.BelowFourFifths }
	pr := rateChart("Positive rate", htmlf("share of rows predicted “%s”", r.Positive), r, func(g *group.GroupStats) group.Metric { return g.PositiveRate }, below)
	pr.addMark(r.Overall.PositiveRate.Value, "all rows", "overall")
	if ref, ok := r.Group(r.Reference); ok && finite(ref.PositiveRate.Value) {
		pr.addMark(group.FourFifths*ref.PositiveRate.Value, "4/5 of "+isolate(truncate(r.Reference, 14)), "fourfifths")
	}
	tpr := rateChart("True positive rate", htmlf("share of truly “%s” rows the model finds", r.Positive), r, func(g *group.GroupStats) group.Metric { return g.TPR }, nil)
	tpr.addMark(r.Overall.TPR.Value, "all rows", "overall")
	fpr := rateChart("False positive rate", htmlf("share of other rows wrongly predicted “%s”", r.Positive), r, func(g *group.GroupStats) group.Metric { return g.FPR }, nil)
	fpr.addMark(r.Overall.FPR.Value, "all rows", "overall")
	acc := rateChart("Accuracy", htmlf("share of labelled rows predicted correctly"), r, func(g *group.GroupStats) group.Metric { return g.Accuracy }, nil)
	acc.addMark(r.Overall.Accuracy.Value, "all rows", "overall")
	v.Charts = []Chart{pr, tpr, fpr, acc}

	for _, d := range r.Disparities {
		t, ok := dispText[d.Name]
		if !ok {
			t = [2]string{visible(d.Name), ""}
		}
		dv := dispV{Name: d.Name, Label: t[0], Explain: t[1], M: metricV("disparity:"+r.Column+":"+d.Name, d.Metric),
			MaxGroup: d.MaxGroup, MinGroup: d.MinGroup, Excluded: d.Excluded, Flags: d.Flags}
		dv.FourFifths = d.Name == group.DisparateImpact && finite(d.Metric.Value) && d.Metric.Value < group.FourFifths
		if dv.FourFifths {
			v.FourFifthsFlagged = true
		}
		v.Disparities = append(v.Disparities, dv)
	}
	return v
}

// --- counterfactual ---

type cfV struct {
	R *audit.Counterfactual
	// Judged is the verdicts with their evidence, nil for a report
	// written before them.
	Judged    *cfJudgedV
	Families  []cfStatV
	Pairs     []cfStatV
	MorePairs int
	Worst     []worstV
	Explained []explainedV
}

type cfStatV struct {
	Family, From, To, Term, Replacement string
	Texts, Flips                        int
	Swaps                               Num
	MeanAbs, Mean, MaxAbs, FlipRate     Num
	Empty, Bad                          bool
}

type worstV struct {
	Family, Term, Replacement string
	Original, Swapped         []Seg
	OrigLabel, SwappedLabel   string
	OrigP, SwappedP           string
	Delta                     Num
	Flip                      bool
	// Agreed is set when the swap rewrote other words for grammar.
	Agreed bool
}

type explainedV struct {
	Ex                    worstV
	Original, Swapped     *Heat
	OrigInfo, SwappedInfo template.HTML
	Legend                Legend
	Words                 []wordV
	Note                  string
}

type wordV struct {
	Original, Swapped string
	// Mark says what the swap did to the word: "swap" (the swapped term),
	// "agree" (rewritten for grammar), or "" (unchanged).
	Mark                  string
	Before, After, Delta  Num
	DeltaClass            string
	BeforeStyle, AftStyle template.CSS
}

func cfStat(key string, s counterfactual.Stats) cfStatV {
	v := cfStatV{Family: s.Family, From: s.FromGroup, To: s.ToGroup, Term: s.Term, Replacement: s.Replacement,
		Texts: s.Texts, Flips: s.Flips, Empty: s.Swaps == 0}
	if key == "" {
		v.Swaps, v.MeanAbs, v.Mean, v.MaxAbs, v.FlipRate = count("", s.Swaps), num("", s.MeanAbsDelta), signed("", s.MeanDelta), num("", s.MaxAbsDelta), num("", s.FlipRate)
	} else {
		v.Swaps, v.MeanAbs, v.Mean, v.MaxAbs, v.FlipRate = count(key+"swaps", s.Swaps), num(key+"mean_abs_delta", s.MeanAbsDelta),
			signed(key+"mean_delta", s.MeanDelta), num(key+"max_abs_delta", s.MaxAbsDelta), num(key+"flip_rate", s.FlipRate)
	}
	v.Bad = s.Flips > 0
	if v.Empty { // no swaps: the means are not measured
		v.MeanAbs, v.Mean, v.MaxAbs, v.FlipRate = dash, dash, dash, dash
	}
	return v
}

// probOf is p(target) from probs ordered as labels, NaN when unknown.
func probOf(probs []float64, labels []string, target string) float64 {
	i := slices.Index(labels, target)
	if i < 0 || i >= len(probs) {
		return math.NaN()
	}
	return probs[i]
}

func worst(r *counterfactual.Result, e counterfactual.Example) worstV {
	return worstV{Family: e.Swap.Family, Term: e.Swap.Term, Replacement: e.Swap.Replacement,
		Original: markSpans(e.Original, e.Swap.Spans, e.Swap.Agreements), Swapped: markSpans(e.Swap.Text, e.Swap.NewSpans, e.Swap.NewAgreements),
		Agreed:    len(e.Swap.Agreements)+len(e.Swap.NewAgreements) > 0,
		OrigLabel: e.OriginalLabel, SwappedLabel: e.SwappedLabel,
		OrigP:    fmtFloat(probOf(e.OriginalProbs, r.Labels, r.Target), digitsRate),
		SwappedP: fmtFloat(probOf(e.SwappedProbs, r.Labels, r.Target), digitsRate),
		Delta:    signed("", e.Delta), Flip: e.OriginalLabel != e.SwappedLabel}
}

func buildCF(c *audit.Counterfactual) *cfV {
	v := &cfV{R: c, Judged: buildCFJudged(&c.Result)}
	for _, s := range c.Families {
		v.Families = append(v.Families, cfStat("cf:"+s.Family+":", s))
	}
	pairs := slices.Clone(c.Pairs)
	pairs = slices.DeleteFunc(pairs, func(s counterfactual.Stats) bool { return s.Swaps == 0 })
	slices.SortStableFunc(pairs, func(a, b counterfactual.Stats) int { return cmp.Compare(b.MeanAbsDelta, a.MeanAbsDelta) })
	if len(pairs) > maxPairs {
		v.MorePairs = len(pairs) - maxPairs
		pairs = pairs[:maxPairs]
	}
	for _, s := range pairs {
		v.Pairs = append(v.Pairs, cfStat("", s))
	}
	for i, e := range c.Worst {
		if i == maxWorst {
			break
		}
		v.Worst = append(v.Worst, worst(&c.Result, e))
	}
	for i, x := range c.Explained {
		ev := explainedV{Ex: worst(&c.Result, x.Example)}
		m := maxAbs(x.Original, x.Swapped)
		ev.Legend = Legend{Target: targetName(c.Target), Max: fmtFloat(m, digitsRate)}
		sw := x.Example.Swap
		if x.Original != nil {
			h := markedHeatmap(x.Original, m, sw.Spans, sw.Agreements)
			ev.Original, ev.OrigInfo = &h, resultInfo(x.Original)
		}
		if x.Swapped != nil {
			h := markedHeatmap(x.Swapped, m, sw.NewSpans, sw.NewAgreements)
			ev.Swapped, ev.SwappedInfo = &h, resultInfo(x.Swapped)
		}
		wm := 0.0
		for _, d := range x.WordDeltas {
			wm = math.Max(wm, math.Max(math.Abs(d.Before), math.Abs(d.After)))
		}
		for j, d := range x.WordDeltas {
			mark := cmp.Or(wordMark(x.Original, j, sw.Spans, sw.Agreements), wordMark(x.Swapped, j, sw.NewSpans, sw.NewAgreements))
			if mark == "" && d.Original != d.Swapped { // offsets unknown: still a change
				mark = "swap"
			}
			ev.Words = append(ev.Words, wordV{Original: d.Original, Swapped: d.Swapped, Mark: mark,
				Before: signed("", d.Before), After: signed("", d.After),
				Delta:       signed(fmt.Sprintf("cf-explained:%d:word:%d:delta", i, j), d.Delta),
				DeltaClass:  heatClass(d.Delta),
				BeforeStyle: heatBG(d.Before, wm), AftStyle: heatBG(d.After, wm)})
		}
		if len(x.WordDeltas) == 0 {
			ev.Note = "No word-by-word comparison: the two texts have different numbers of words."
		}
		v.Explained = append(v.Explained, ev)
	}
	return v
}

// wordMark says what a swap did to feature j of r (see swapKind); "" when
// r has no such feature or its byte offsets do not fit its text.
func wordMark(r *attribution.Result, j int, swapped, agreed []counterfactual.Span) string {
	if r == nil || j >= len(r.Features) {
		return ""
	}
	f := r.Features[j]
	if !(0 <= f.ByteStart && f.ByteStart < f.ByteEnd && f.ByteEnd <= len(r.Text)) {
		return ""
	}
	return swapKind(f.ByteStart, f.ByteEnd, swapped, agreed)
}

// resultInfo is a one-line description of an explanation.
func resultInfo(r *attribution.Result) template.HTML {
	s := bdi(string(r.Method))
	if r.Predicted != "" {
		s += htmlf(" · predicted %s", r.Predicted)
	}
	if p, ok := r.Probabilities[r.Target]; ok {
		s += htmlf(" · p(%s) = %v", r.Target, template.HTML(fmtFloat(p, digitsRate)))
	}
	return s
}

// --- consistency ---

type consV struct {
	R                    *consistency.Result
	Scale                string
	Tolerance, Threshold Num
	Tests                []testV
}

type testV struct {
	Name, Expect, Kind, ExpectText string
	Tested, NA, Failures           Num
	Saturated, AtCeiling           Num
	Flips, FlipsWithin             Num
	Invariance                     bool
	Rate                           MetricV
	// Validity is the share of the generator's edits that were valid
	// tests when labelled by hand, beside the failure rate it qualifies.
	Validity      MetricV
	ValidityOf    string
	P             Num
	Bar           Bar
	MeanAbs, Mean Num
	// Delta is the mean signed Δp with its t interval, nil when the
	// result has none (fewer than two tested texts).
	Delta        *MetricV
	Examples     []consExV
	MoreExamples int
	Class        string
	Verdict      verdictV
}

type consExV struct {
	Original, Edited       string
	OrigLabel, EditedLabel string
	OrigP, EditedP         string
	Delta                  Num
	Flip                   bool
}

var expectText = map[string]string{
	"invariant":          "the predicted label should not change",
	"decrease":           "p(target) should go down",
	"increase":           "p(target) should go up",
	"toward-prediction":  "p(target) should move further towards the prediction",
	"against-prediction": "p(target) should move against the prediction",
}

func buildCons(r *consistency.Result) *consV {
	his := []float64{}
	for _, t := range r.Tests {
		his = append(his, t.FailureRate, t.FailureCI.High)
	}
	scale := niceMax(his...)
	v := &consV{R: r, Scale: fmtFloat(scale, 1),
		Tolerance: num("consistency-run:tolerance", r.Tolerance), Threshold: num("consistency-run:fail_rate_threshold", r.FailRateThreshold)}
	for _, t := range r.Tests {
		k := "consistency:" + t.Name + ":"
		exp := t.Expect.String()
		tv := testV{Name: t.Name, Expect: exp, ExpectText: expectText[exp], Kind: "directional",
			Tested: count(k+"tested", t.Tested), NA: count(k+"not_applicable", t.NotApplicable), Failures: count(k+"failures", t.Failures),
			Saturated: count(k+"saturated", t.Saturated), AtCeiling: count(k+"at_ceiling", t.AtCeiling),
			Flips: count(k+"flips", t.Flips), FlipsWithin: count(k+"flips_within_tolerance", t.FlipsWithinTolerance),
			MeanAbs: num("", t.MeanAbsDelta), Mean: signed("", t.MeanDelta), P: dash, Verdict: verdict(k+"verdict", t.Verdict)}
		if t.Tested == 0 {
			tv.MeanAbs, tv.Mean = dash, dash
		}
		if t.Evidence != nil {
			tv.P = pNum(k+"p_holm", t.Evidence.P)
		}
		if d := t.Delta; d != nil {
			tv.Delta = &MetricV{Val: signed(k+"delta:mean", d.Mean), Low: signed(k+"delta:low", d.Low), High: signed(k+"delta:high", d.High),
				NoCI: !finite(d.Low) || !finite(d.High)}
			if !finite(d.Mean) {
				tv.Delta.Undefined = "no tested text"
			}
		}
		if t.Expect == consistency.Invariant {
			tv.Kind, tv.Invariance = "invariance", true
		}
		undef := ""
		if t.Tested == 0 {
			undef = "no text this edit applies to"
		}
		tv.Rate = intervalV(k+"failure_rate", t.FailureRate, t.FailureCI, undef)
		if v := t.Validity; v != nil {
			tv.Validity = intervalV(k+"validity:rate", v.Rate, v.CI, "")
			tv.ValidityOf = fmt.Sprintf("%d of %d hand-labelled edits", v.Valid, v.Labelled)
		} else {
			tv.Validity = intervalV("", math.NaN(), fstats.Interval{}, "not measured")
		}
		tv.Class = tv.Verdict.Class
		bc := "bar-" + tv.Class
		if t.Tested == 0 {
			tv.Bar = bar(math.NaN(), 0, 0, scale, bc)
		} else {
			tv.Bar = bar(t.FailureRate, t.FailureCI.Low, t.FailureCI.High, scale, bc)
		}
		for i, e := range t.Examples {
			if i == maxExamples {
				tv.MoreExamples = len(t.Examples) - maxExamples
				break
			}
			tv.Examples = append(tv.Examples, consExV{Original: e.Original, Edited: e.Edited,
				OrigLabel: e.OriginalLabel, EditedLabel: e.EditedLabel,
				OrigP: fmtFloat(probOf(e.OriginalProbs, r.Labels, r.Target), digitsRate), EditedP: fmtFloat(probOf(e.EditedProbs, r.Labels, r.Target), digitsRate),
				Delta: signed("", e.Delta), Flip: e.OriginalLabel != e.EditedLabel})
		}
		v.Tests = append(v.Tests, tv)
	}
	return v
}

// --- slices ---

type sliceV struct {
	Name      string
	Count     Num
	Correct   int
	Acc       MetricV
	Gap       Num
	RestCount Num
	// VsRest is the accuracy minus the rest's with its interval, nil when
	// the slice was not compared (the whole data, or an empty side).
	VsRest  *MetricV
	P       Num
	Bar     Bar
	Verdict verdictV
}

func (v *auditView) buildSlices() {
	for _, s := range v.R.Slices {
		k := "slice:" + s.Name + ":"
		undef := ""
		if s.Count == 0 {
			undef = "no text in this slice"
		}
		sv := sliceV{Name: s.Name, Count: count(k+"count", s.Count), Correct: s.Correct,
			Acc: intervalV(k+"accuracy", s.Accuracy, s.CI, undef), Gap: signed(k+"gap", s.Gap),
			RestCount: count(k+"rest_count", s.RestCount), P: dash, Verdict: verdict(k+"verdict", s.Verdict)}
		if s.Count == 0 {
			sv.Gap = dash
		}
		if e := s.Evidence; e != nil {
			vs := MetricV{Val: signed(k+"vs_rest", e.Estimate), Low: signed(k+"vs_rest:low", e.Low), High: signed(k+"vs_rest:high", e.High),
				NoCI: !finite(e.Low) || !finite(e.High)}
			if !finite(e.Estimate) {
				vs.Undefined = "no estimate"
			}
			sv.VsRest, sv.P = &vs, pNum(k+"p_holm", e.P)
		}
		cl := "bar-" + sv.Verdict.Class
		if s.Count == 0 {
			sv.Bar = bar(math.NaN(), 0, 0, 1, cl)
		} else {
			sv.Bar = bar(s.Accuracy, s.CI.Low, s.CI.High, 1, cl)
		}
		v.Slices = append(v.Slices, sv)
	}
	if len(v.Slices) == 0 {
		v.SlicesNote = v.note(audit.CheckSlices, "no slice results.")
	}
}

// --- faithfulness ---

type faithV struct {
	Method string
	Texts  Num
	Failed int
	Cells  []faithCell
}

type faithCell struct {
	N    Num
	Best bool
	// CI is the mean's t interval, for the columns that have one.
	CI *[2]Num
}

// faithCols are the faithfulness columns: JSON name, value, and whether
// higher is better.
var faithCols = []struct {
	key    string
	digits int
	get    func(*audit.MethodFaithfulness) float64
	higher bool
}{
	{"comprehensiveness", digitsRate, func(m *audit.MethodFaithfulness) float64 { return m.Comprehensiveness }, true},
	{"sufficiency", digitsRate, func(m *audit.MethodFaithfulness) float64 { return m.Sufficiency }, false},
	{"aopc_deletion", digitsRate, func(m *audit.MethodFaithfulness) float64 { return m.AOPCDeletion }, true},
	{"aopc_insertion", digitsRate, func(m *audit.MethodFaithfulness) float64 { return m.AOPCInsertion }, true},
	{"evaluations_per_text", digitsRPS, func(m *audit.MethodFaithfulness) float64 { return m.Evaluations }, false},
	{"wall_seconds_per_text", digitsRate, func(m *audit.MethodFaithfulness) float64 { return m.WallSeconds }, false},
}

func (v *auditView) buildFaith() {
	fs := v.R.Faithfulness
	for i := range fs {
		m := &fs[i]
		k := "faithfulness:" + string(m.Method) + ":"
		fv := faithV{Method: string(m.Method), Texts: count(k+"texts", m.Texts), Failed: m.Failed}
		for _, c := range faithCols {
			cell := faithCell{N: numD(k+c.key, c.get(m), c.digits)}
			if ci := m.ComprehensivenessCI; c.key == "comprehensiveness" && finite(ci.Low) && finite(ci.High) && (ci.Low != 0 || ci.High != 0) {
				cell.CI = &[2]Num{num(k+c.key+":low", ci.Low), num(k+c.key+":high", ci.High)}
			}
			fv.Cells = append(fv.Cells, cell)
		}
		v.Faith = append(v.Faith, fv)
	}
	if len(fs) > 1 {
		for j, c := range faithCols {
			best := math.NaN()
			for i := range fs {
				x := c.get(&fs[i])
				if finite(x) && (math.IsNaN(best) || (c.higher && x > best) || (!c.higher && x < best)) {
					best = x
				}
			}
			for i := range fs {
				if x := c.get(&fs[i]); finite(x) && fmtFloat(x, c.digits) == fmtFloat(best, c.digits) {
					v.Faith[i].Cells[j].Best = true
				}
			}
		}
	}
	if len(v.Faith) == 0 {
		v.FaithNote = v.note(audit.CheckFaithfulness, "no faithfulness results.")
	}
}

// --- stability ---

type stabV struct {
	Method, Setting string
	Texts           Num
	Spearman        MetricV
	PBelow, Overlap Num
	Verdict         verdictV
}
