package report

import (
	"bytes"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/attribution"
)

// The explanations page gives each text its own cost (its share of a
// shared batch, not the batch's wall time) and prints whole-number
// diagnostics as integers.
func TestExplanationsPageCostAndIntegers(t *testing.T) {
	r := &attribution.Result{Text: "not bad", Method: attribution.MethodKernelSHAP, Target: "POSITIVE", Predicted: "POSITIVE",
		Probabilities: map[string]float64{"POSITIVE": 0.9, "NEGATIVE": 0.1}, FX: 0.9, BaseValue: 0.5,
		Features:    []attribution.FeatureAttribution{{Text: "not", ByteEnd: 3, End: 3, Attribution: 0.1}, {Text: "bad", Start: 4, End: 7, ByteStart: 4, ByteEnd: 7, Attribution: 0.3}},
		Evaluations: 5, RuntimeSeconds: 0.05, WallSeconds: 1.3, BatchTexts: 12, BatchWallSeconds: 1.3, WallShareSeconds: 0.061,
		Diagnostics: map[string]float64{"exact": 1, "sampled_pairs": 240, "efficiency_gap": 1.5e-3}}
	var buf bytes.Buffer
	require.NoError(t, WriteExplanations(&buf, []*attribution.Result{r}))
	page := buf.String()
	assert.Contains(t, page, "5 model evaluations · 0.050 s in the model · 0.061 s wall as its share of 12 texts explained together (1.30 s for all)")
	assert.NotContains(t, page, "1.0000")
	assert.NotContains(t, page, "240.0000")
	assert.Regexp(t, `sampled_pairs</bdi></td><td class="n">240<`, page)
	assert.Contains(t, page, "0.0015")

	assert.Equal(t, "3", fmtDiagnostic(3))
	assert.Equal(t, "0", fmtDiagnostic(0))
	assert.Equal(t, "0.2500", fmtDiagnostic(0.25))
	assert.Equal(t, "n/a", fmtDiagnostic(math.NaN()))
}
