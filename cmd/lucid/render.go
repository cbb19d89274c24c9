package main

import (
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/rivo/uniseg"

	"github.com/lucid-nlp/lucid/attribution"
)

// displayWidth is the number of terminal columns s takes, by the Unicode
// East Asian Width rules (a CJK character or an emoji takes two, a
// combining mark none), so that columns after it line up.
func displayWidth(s string) int { return uniseg.StringWidth(s) }

// padRight pads s with spaces to w columns; a longer s is cut, whole
// grapheme clusters at a time, to w−1 columns and "…".
func padRight(s string, w int) string {
	dw := displayWidth(s)
	if dw <= w {
		return s + strings.Repeat(" ", w-dw)
	}
	var b strings.Builder
	used := 0
	g := uniseg.NewGraphemes(s)
	for g.Next() {
		cw := g.Width()
		if used+cw > w-1 {
			break
		}
		b.WriteString(g.Str())
		used += cw
	}
	b.WriteString("…")
	return b.String() + strings.Repeat(" ", max(0, w-used-1))
}

// methodLine says what ran and how many model evaluations it spent
// (attribution.MethodDescription, the summary's own method sentence in
// its precise form): "exact" only when every coalition was evaluated.
func methodLine(r *attribution.Result) string {
	return attribution.MethodDescription(r).Technical
}

// costLine is one text's own cost: its evaluations and model time, and,
// when several texts shared batches, its share of their wall time (the
// shared wall time alone would charge every text for all of them).
func costLine(r *attribution.Result) string {
	s := fmt.Sprintf("%d evaluations, %.3fs in the model", r.Evaluations, r.RuntimeSeconds)
	if r.BatchTexts > 1 {
		return s + fmt.Sprintf(", %.3fs wall as its share of %d texts explained together (%.3fs wall for all)",
			r.WallShareSeconds, r.BatchTexts, r.BatchWallSeconds)
	}
	return s + fmt.Sprintf(", %.3fs wall", r.WallSeconds)
}

// renderLabels prints every label's attributions (--target all) as a
// compact table: the features in order, one column per label, then each
// label's f(x) and base value.
func renderLabels(w io.Writer, r *attribution.Result, order []int, top int) {
	shown := order[:max(0, min(top, len(order)))]
	textWidth := len("feature")
	for _, i := range shown {
		textWidth = max(textWidth, displayWidth(termSafe(r.Features[i].Text)))
	}
	textWidth = min(textWidth, 24)
	colWidth := 9
	for _, l := range r.Labels {
		colWidth = max(colWidth, displayWidth(termSafe(l.Label)))
	}
	col := func(s string) string { return strings.Repeat(" ", max(0, colWidth-displayWidth(s))) + s }
	fmt.Fprintf(w, "every label, from the same %d evaluations (%s):\n", r.Evaluations, r.Output)
	fmt.Fprintf(w, "  %s", padRight("feature", textWidth))
	for _, l := range r.Labels {
		fmt.Fprintf(w, "  %s", col(termSafe(l.Label)))
	}
	fmt.Fprintln(w)
	row := func(name string, value func(l attribution.LabelAttribution) float64, format string) {
		fmt.Fprintf(w, "  %s", padRight(name, textWidth))
		for _, l := range r.Labels {
			v := value(l)
			if math.IsNaN(v) {
				fmt.Fprintf(w, "  %s", col("n/a"))
				continue
			}
			fmt.Fprintf(w, "  %s", col(fmt.Sprintf(format, v)))
		}
		fmt.Fprintln(w)
	}
	for _, i := range shown {
		row(termSafe(r.Features[i].Text), func(l attribution.LabelAttribution) float64 {
			if i >= len(l.Attributions) {
				return math.NaN()
			}
			return l.Attributions[i]
		}, "%+.4f")
	}
	row("f(x)", func(l attribution.LabelAttribution) float64 { return l.FX }, "%.4f")
	row("base", func(l attribution.LabelAttribution) float64 { return l.BaseValue }, "%.4f")
}
