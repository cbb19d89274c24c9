package attribution

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/evaluate"
)

// --target all on the shipped binary model: each label's attributions are
// those of --target LABEL with the same seed (within 1e-9), and the whole
// costs the evaluations of one explanation, since every label is fitted
// from the same coalitions.
func TestAllTargetsMatchesEachTarget(t *testing.T) {
	x := realExplainer(t, evaluate.Probability)
	labels := x.model().Labels()
	require.Len(t, labels, 2)
	ctx := context.Background()
	const long = "the acting was superb but the plot made no sense and the ending dragged on forever"
	cases := []Request{
		// Sampled, with standard errors; every label at once runs the plain
		// estimator, so the one-label runs compared with it do too.
		{Text: long, Method: MethodKernelSHAP, Budget: 256, Seed: 7, Plain: true},
		{Text: "not bad at all", Method: MethodKernelSHAP, Budget: 512}, // 2^4 ≤ budget: enumerated
		{Text: "a gorgeous , witty , seductive movie .", Method: MethodExact},
		{Text: long, Method: MethodLIME, Budget: 200, Seed: 3},
		{Text: long, Method: MethodOcclusion},
	}
	for _, base := range cases {
		all := base
		all.AllTargets = true
		got, err := x.Explain(ctx, all)
		require.NoError(t, err, base.Method)
		require.Len(t, got.Labels, len(labels), base.Method)
		assert.Equal(t, got.Predicted, got.Target, "the main attribution is the predicted label's")
		for k, name := range labels {
			one := base
			one.Target = name
			want, err := x.Explain(ctx, one)
			require.NoError(t, err)
			la := got.Labels[k]
			assert.Equal(t, name, la.Label)
			assert.Equal(t, k, la.Index)
			require.Len(t, la.Attributions, len(want.Features))
			for i, f := range want.Features {
				assert.InDelta(t, f.Attribution, la.Attributions[i], 1e-9, "%s label %s feature %d", base.Method, name, i)
				if f.StdErr != nil {
					require.NotNil(t, la.StdErrs)
					assert.InDelta(t, *f.StdErr, la.StdErrs[i], 1e-9)
				} else {
					assert.Nil(t, la.StdErrs)
				}
			}
			assert.InDelta(t, want.FX, la.FX, 1e-9)
			assert.InDelta(t, want.BaseValue, la.BaseValue, 1e-9)
			assert.Equal(t, want.Evaluations, got.Evaluations, "%s: one explanation's evaluations for every label", base.Method)
			if name == got.Target {
				for i, f := range got.Features {
					assert.Equal(t, f.Attribution, la.Attributions[i])
				}
			}
		}
		// Probabilities sum to one, so on a binary model the two labels'
		// attributions are opposite (output prob).
		for i := range got.Features {
			assert.InDelta(t, -got.Labels[0].Attributions[i], got.Labels[1].Attributions[i], 1e-6, base.Method)
		}
	}

	_, err := x.Explain(ctx, Request{Text: "fine", Method: MethodPath, AllTargets: true})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "--target LABEL")
}

func TestShareBatchWall(t *testing.T) {
	a, b := &Result{RuntimeSeconds: 0.1}, &Result{RuntimeSeconds: 0.3}
	shareBatchWall([]*Result{a, nil, b}, 2)
	assert.Equal(t, 2, a.BatchTexts)
	assert.InDelta(t, 0.5, a.WallShareSeconds, 1e-12)
	assert.InDelta(t, 1.5, b.WallShareSeconds, 1e-12)
	assert.Equal(t, 2.0, b.BatchWallSeconds)
	one := &Result{}
	shareBatchWall([]*Result{one}, 0.25)
	assert.Equal(t, 1, one.BatchTexts)
	assert.Equal(t, 0.25, one.WallShareSeconds)
	c, d := &Result{}, &Result{}
	shareBatchWall([]*Result{c, d}, 1)
	assert.Equal(t, 0.5, c.WallShareSeconds, "no model time: an even share")
}
