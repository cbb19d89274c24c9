package augment

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// Provenance says where a counterfactual copy came from.
type Provenance struct {
	// Line is the first line of the original row in the input file.
	Line int `json:"line"`
	// Family is the identity family of the swap; From and To its groups.
	Family string `json:"family"`
	From   string `json:"from"`
	To     string `json:"to"`
	// Term is the family's term found in the row, Replacement what it was
	// swapped for (both lower case, as in counterfactual.Swap).
	Term        string `json:"term"`
	Replacement string `json:"replacement"`
}

// String writes the provenance as it appears in the provenance column:
// "LINE|FAMILY|FROM→TO|TERM→REPLACEMENT".
func (p Provenance) String() string {
	return strconv.Itoa(p.Line) + "|" + p.Family + "|" + p.From + arrow + p.To + "|" + p.Term + arrow + p.Replacement
}

const arrow = "→"

// ParseProvenance reads a provenance cell written by String. An empty cell
// (an original row) is an error: it has no provenance.
func ParseProvenance(s string) (Provenance, error) {
	parts := strings.Split(s, "|")
	if len(parts) != 4 {
		return Provenance{}, fmt.Errorf("augment: provenance %q: want LINE|FAMILY|FROM→TO|TERM→REPLACEMENT", s)
	}
	line, err := strconv.Atoi(parts[0])
	if err != nil || line < 1 {
		return Provenance{}, fmt.Errorf("augment: provenance %q: line %q is not a line number", s, parts[0])
	}
	from, to, ok1 := strings.Cut(parts[2], arrow)
	term, repl, ok2 := strings.Cut(parts[3], arrow)
	if !ok1 || !ok2 {
		return Provenance{}, fmt.Errorf("augment: provenance %q: want FROM→TO and TERM→REPLACEMENT", s)
	}
	return Provenance{Line: line, Family: parts[1], From: from, To: to, Term: term, Replacement: repl}, nil
}

// checkName reports a family, group or term name that the provenance
// format cannot carry unambiguously, or that would break a TSV row.
func checkName(what, s string) error {
	if strings.Contains(s, "|") || strings.Contains(s, arrow) {
		return fmt.Errorf("augment: %s %q contains %q or %q, which separate the provenance column's parts; rename it", what, s, "|", arrow)
	}
	if strings.ContainsFunc(s, unicode.IsControl) {
		return fmt.Errorf("augment: %s %q contains a control character (a tab or line break?); rename it", what, s)
	}
	return nil
}
