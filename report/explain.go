package report

import (
	"bytes"
	"cmp"
	"fmt"
	"html/template"
	"io"
	"math"
	"slices"
	"strings"

	"github.com/lucid-nlp/lucid/attribution"
)

// WriteExplanations writes a page with one token heatmap per explanation
// (lucid explain --html FILE).
func WriteExplanations(w io.Writer, results []*attribution.Result) error {
	var buf bytes.Buffer
	if err := templates.ExecuteTemplate(&buf, "explanations", buildExplanations(results)); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// maxFeatureRows is how many features an explanation's table lists.
const maxFeatureRows = 12

type explView struct {
	Items []explItem
}

type explItem struct {
	Index int
	Nil   bool
	R     *attribution.Result
	Title string
	Probs []probV
	// ProbsTitle heads Probs: a regression head's one number is a score.
	ProbsTitle          string
	FX, Base, Diff, Sum Num
	SumOff              bool
	Heat                Heat
	Legend              Legend
	Features            []featV
	MoreFeatures        int
	HasStdErr           bool
	Diags               []diagV
	Settings            template.HTML
	Wall, Runtime       string
	// HeatPair is the second text's heatmap of a sentence pair (Heat is
	// then the first text's), nil for one text.
	HeatPair *Heat
	// Cost is the text's own cost: evaluations, model time and its share
	// of the wall time of the texts explained together with it.
	Cost string
	// LabelCols and LabelRows are the per-label table of an explanation
	// of every label (--target all): the top features' attribution to
	// each label, from the same evaluations.
	LabelCols []string
	LabelRows []labelRowV
}

type labelRowV struct {
	Text   string
	Values []Num
}

type probV struct {
	Label          string
	P              Num
	W              float64
	Target, Picked bool
}

type featV struct {
	Text   string
	Attr   Num
	StdErr string
	Class  string
	Style  template.CSS
	// Bar geometry: a centred bar, left (negative) or right (positive).
	X, W float64
}

type diagV struct{ Name, Value string }

func buildExplanations(results []*attribution.Result) *explView {
	v := &explView{}
	for i, r := range results {
		it := explItem{Index: i, R: r, Nil: r == nil}
		if r == nil {
			v.Items = append(v.Items, it)
			continue
		}
		k := fmt.Sprintf("explanation:%d:", i)
		it.Title = truncate(strings.Join(strings.Fields(pairTitle(r)), " "), 80)
		labels := make([]string, 0, len(r.Probabilities))
		for l := range r.Probabilities {
			labels = append(labels, l)
		}
		slices.Sort(labels)
		for _, l := range labels {
			p := r.Probabilities[l]
			w := 0.0
			if finite(p) && r.Head != "regression" { // a score is no share of a bar
				w = round1(math.Max(0, math.Min(1, p)) * 120)
			}
			it.Probs = append(it.Probs, probV{Label: l, P: num(k+"probability:"+l, p), W: w, Target: l == r.Target, Picked: l == r.Predicted})
		}
		switch r.Head {
		case "regression":
			it.ProbsTitle = "Score (regression head: its raw output, not a probability)"
		case "multi-label":
			it.ProbsTitle = "Probabilities (multi-label: each label's own sigmoid; they need not sum to 1)"
		default:
			it.ProbsTitle = "Probabilities"
		}
		it.FX, it.Base = num(k+"f_x", r.FX), num(k+"base_value", r.BaseValue)
		sum := 0.0
		for _, f := range r.Features {
			sum += f.Attribution
		}
		it.Diff, it.Sum = signed("", r.FX-r.BaseValue), signed("", sum)
		it.SumOff = math.Abs(sum-(r.FX-r.BaseValue)) > 1e-3*math.Max(1, math.Abs(r.FX-r.BaseValue))
		m := maxAbs(r)
		it.Legend = Legend{Target: targetName(r.Target), Max: fmtFloat(m, digitsRate)}
		if r.Head == "regression" {
			it.Legend.Target = "a higher score"
		}
		it.Heat, it.HeatPair = pairHeatmaps(r, m)

		order := make([]int, len(r.Features))
		for j := range order {
			order[j] = j
		}
		slices.SortStableFunc(order, func(a, b int) int {
			return cmp.Compare(math.Abs(r.Features[b].Attribution), math.Abs(r.Features[a].Attribution))
		})
		if len(order) > maxFeatureRows {
			it.MoreFeatures = len(order) - maxFeatureRows
			order = order[:maxFeatureRows]
		}
		for _, j := range order {
			f := r.Features[j]
			fv := featV{Text: featureName(f), Attr: signed(fmt.Sprintf("%sfeature:%d:attribution", k, j), f.Attribution),
				Class: heatClass(f.Attribution), Style: heatStyle(f.Attribution, m)}
			if f.StdErr != nil {
				fv.StdErr, it.HasStdErr = fmtFloat(*f.StdErr, digitsRate), true
			}
			const half = 60.0
			if m > 0 && finite(f.Attribution) {
				w := round1(math.Min(1, math.Abs(f.Attribution)/m) * half)
				fv.W, fv.X = w, half
				if f.Attribution < 0 {
					fv.X = half - w
				}
			}
			it.Features = append(it.Features, fv)
		}
		if len(r.Labels) > 0 {
			for _, la := range r.Labels {
				it.LabelCols = append(it.LabelCols, la.Label)
			}
			for _, j := range order {
				row := labelRowV{Text: r.Features[j].Text}
				for _, la := range r.Labels {
					a := math.NaN()
					if j < len(la.Attributions) {
						a = la.Attributions[j]
					}
					row.Values = append(row.Values, signed(fmt.Sprintf("%slabel:%s:feature:%d:attribution", k, la.Label, j), a))
				}
				it.LabelRows = append(it.LabelRows, row)
			}
		}
		names := make([]string, 0, len(r.Diagnostics))
		for n := range r.Diagnostics {
			names = append(names, n)
		}
		slices.Sort(names)
		for _, n := range names {
			it.Diags = append(it.Diags, diagV{n, fmtDiagnostic(r.Diagnostics[n])})
		}
		s := r.Settings
		parts := []template.HTML{htmlf("budget %d", s.Budget)}
		if s.Steps > 0 {
			parts = append(parts, htmlf("steps %d", s.Steps))
		}
		if s.Quadrature != "" {
			parts = append(parts, htmlf("quadrature %s", s.Quadrature))
		}
		if s.Derivatives == attribution.DerivativesFiniteDifferences {
			parts = append(parts, htmlf("derivatives: finite differences (%s)", s.DerivativesReason))
		} else if s.Derivatives != "" {
			parts = append(parts, htmlf("derivatives: %s (model_grad.onnx)", s.Derivatives))
		}
		if s.BaseImplied {
			parts = append(parts, "base implied (f(x) − Σ; no baseline row)")
		}
		if s.Features != "" {
			parts = append(parts, htmlf("features %s", s.Features))
		}
		if s.Mask != "" {
			parts = append(parts, htmlf("mask %s", s.Mask))
		}
		parts = append(parts, htmlf("seed %d", s.Seed))
		if s.KernelWidth > 0 {
			parts = append(parts, htmlf("kernel width %v", template.HTML(fmtFloat(s.KernelWidth, digitsRate))))
		}
		if s.Refine {
			parts = append(parts, "odd refinement")
		}
		for i, p := range parts {
			if i > 0 {
				it.Settings += " · "
			}
			it.Settings += p
		}
		it.Wall, it.Runtime = fmtFloat(r.WallSeconds, digitsSeconds), fmtFloat(r.RuntimeSeconds, digitsSeconds)
		it.Cost = explanationCost(r)
		v.Items = append(v.Items, it)
	}
	return v
}

// fmtDiagnostic prints a diagnostic: a whole number (a count, a 0/1 flag)
// as an integer, anything else with the rate's digits.
func fmtDiagnostic(v float64) string {
	if finite(v) && v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return fmt.Sprintf("%d", int64(v))
	}
	return fmtFloat(v, digitsRate)
}

// explanationCost is one explanation's own cost. When several texts were
// explained together their rows shared batches, and the shared wall time
// would charge each text for all: the text's share is given instead.
func explanationCost(r *attribution.Result) string {
	s := fmt.Sprintf("%d model evaluations · %s s in the model", r.Evaluations, fmtFloat(r.RuntimeSeconds, 3))
	if r.BatchTexts > 1 {
		return s + fmt.Sprintf(" · %s s wall as its share of %d texts explained together (%s s for all)",
			fmtFloat(r.WallShareSeconds, 3), r.BatchTexts, fmtFloat(r.BatchWallSeconds, digitsSeconds))
	}
	return s + fmt.Sprintf(" · %s s wall", fmtFloat(r.WallSeconds, 3))
}
