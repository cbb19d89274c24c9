package evaluate

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/perturb"
)

// ScoreAll gives every label's score from one run per distinct row, equal
// to what Score gives label by label.
func TestScoreAllMatchesScorePerLabel(t *testing.T) {
	rows := []perturb.Row{row(1, 2, 3), row(4, 5, 6), row(1, 2, 3), row(7, 8)}
	for _, out := range []Output{Probability, Logit, LogOdds} {
		m := &sumModel{}
		e := New(m, Options{BatchSize: 8, Output: out})
		all, st, err := e.ScoreAll(context.Background(), rows)
		require.NoError(t, err)
		require.Len(t, all, len(rows))
		assert.Equal(t, 3, st.Evaluations, "three distinct rows, whatever the labels")
		for label := range 3 {
			one, _, err := New(&sumModel{}, Options{BatchSize: 8, Output: out}).Score(context.Background(), rows, label)
			require.NoError(t, err)
			for i := range rows {
				require.Len(t, all[i], 3)
				assert.InDelta(t, one[i], all[i][label], 1e-12, "%v label %d row %d", out, label, i)
			}
		}
	}
	got, st, err := New(&sumModel{}, Options{}).ScoreAll(context.Background(), nil)
	require.NoError(t, err)
	assert.Nil(t, got)
	assert.Zero(t, st.Evaluations)
}
