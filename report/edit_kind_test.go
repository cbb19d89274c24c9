package report

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/attribution"
	"github.com/lucid-nlp/lucid/attribution/edit"
)

// The page says how the edited text writes the removed words, the way
// lucid explain's terminal line does.
func TestEditedTextSaysItsKind(t *testing.T) {
	for _, c := range []struct {
		edit edit.Edit
		want string
	}{
		{edit.Edit{EditKind: edit.WordMask, Fill: "[MASK]", EditedText: "[MASK] good"}, "Edited text (one [MASK] per removed word; lucid predict gives the same)"},
		{edit.Edit{EditKind: edit.Delete, EditedText: "good"}, "Edited text (removed words cut out; lucid predict gives the same)"},
	} {
		a := explanation("not good", 0.9, 0.3, 0.4)
		e := c.edit
		e.Found, e.Removed, e.Words, e.Label, e.Probability = true, []int{0}, []string{"not"}, "negative", 0.6
		a.Counterfactual = &e
		var buf bytes.Buffer
		require.NoError(t, WriteExplanations(&buf, []*attribution.Result{a}))
		assert.Contains(t, buf.String(), c.want)
	}
}
