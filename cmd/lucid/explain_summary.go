package main

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/lucid-nlp/lucid/attribution"
)

// summaryWidth is the column the terminal summary wraps at.
const summaryWidth = 80

// renderSummary prints the result's summary, wrapped (plain, or with the
// precise figures when technical), and the counterfactual edit's text when
// one was searched for. Both come from the input and the model folder, so
// both pass through termSafe.
func renderSummary(w io.Writer, r *attribution.Result, technical bool) {
	if e := r.Counterfactual; e != nil {
		if e.Found {
			fmt.Fprintf(w, "counterfactual: %s\n", termSafe(e.Sentence()))
			fmt.Fprintf(w, "  edited (%s): %s → %s (%.4f, as lucid predict gives), %d evaluations of the model\n", e.KindWords(), termSafe(e.EditedText), termSafe(e.Label), e.Probability, e.Evaluations)
		} else {
			fmt.Fprintf(w, "counterfactual: %s (%d evaluation%s)\n", termSafe(e.Sentence()), e.Evaluations, map[bool]string{true: "", false: "s"}[e.Evaluations == 1])
		}
	}
	text := r.Summary
	if technical {
		text = r.SummaryTechnical
	}
	if text == "" {
		if r.Counterfactual != nil {
			fmt.Fprintln(w)
		}
		return
	}
	fmt.Fprintf(w, "%s\n\n", wrapWords("summary: "+termSafe(text), summaryWidth, "  "))
}

// wrapWords breaks s at spaces into lines of at most width code points
// (a longer word gets a line of its own), continuation lines indented.
func wrapWords(s string, width int, indent string) string {
	var b strings.Builder
	line := 0
	for i, word := range strings.Fields(s) {
		n := utf8.RuneCountInString(word)
		switch {
		case i == 0:
		case line+1+n > width:
			b.WriteString("\n" + indent)
			line = utf8.RuneCountInString(indent)
		default:
			b.WriteByte(' ')
			line++
		}
		b.WriteString(word)
		line += n
	}
	return b.String()
}
