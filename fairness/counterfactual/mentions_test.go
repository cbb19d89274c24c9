package counterfactual

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestMentionsFindsEveryTermSwapsWouldDeduplicate(t *testing.T) {
	var gender Family
	for _, f := range Families() {
		if f.Name == "gender" {
			gender = f
		}
	}
	require.NotEmpty(t, gender.Groups)
	text := "He told her the Old Man's story; theme."
	ms := Mentions(text, gender)
	var terms []string
	for _, m := range ms {
		terms = append(terms, m.Term)
		require.Equal(t, m.Term, lowerWords(text[m.Span.Start:m.Span.End]))
	}
	// "her" is found although the swap he → she already rewrites it, so
	// Counterfactuals credits no swap to it; "theme" does not match "he".
	require.Contains(t, terms, "he")
	require.Contains(t, terms, "her")
	require.NotContains(t, terms, "the")
}

func lowerWords(s string) string {
	e := parseTerm(s)
	if e == nil {
		return ""
	}
	return e.term
}

func TestMentionsTitleOnly(t *testing.T) {
	g := mustSelect(t, "gender")[0]
	var terms []string
	for _, m := range Mentions("I miss her, said Miss Jones to Lord Byron of the lord of the rings.", g) {
		terms = append(terms, m.Term)
	}
	require.Equal(t, []string{"her", "miss", "lord"}, terms)
}
