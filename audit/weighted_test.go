package audit

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func weightedConfig() Config {
	return Config{Name: "w.csv", Dataset: dataCols("group"), Checks: []string{CheckData}, WeightCol: "w",
		Labels: []string{"NEGATIVE", "POSITIVE"}, Seed: 3}
}

// The data scan's weighted table, like every accumulator of the State:
// parts read apart, encoded, decoded and merged give the one-pass table.
func TestWeightedScanMerges(t *testing.T) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(5, 5))
	var b strings.Builder
	b.WriteString("text,label,group,w\n")
	for i := range 600 {
		label := []string{"NEGATIVE", "POSITIVE", ""}[rng.IntN(3)]
		w := fmt.Sprint(rng.Float64() * 2)
		if i%97 == 0 {
			w = "n/a" // a bad weight, counted apart
		}
		fmt.Fprintf(&b, "text %d,%s,%s,%s\n", i, label, []string{"a", "b", "c"}[rng.IntN(3)], w)
	}
	corpus := b.String()
	cfg := weightedConfig()
	cfg.Source = strings.NewReader(corpus)
	whole, err := Run(ctx, nil, nil, cfg)
	require.NoError(t, err)
	require.NotNil(t, whole.DataBias.Weighted)
	assert.Positive(t, whole.DataBias.Weighted.BadWeights)

	lines := strings.Split(strings.TrimSuffix(corpus, "\n"), "\n")
	var states []*State
	for k := range 3 {
		st, err := NewState(nil, weightedConfig())
		require.NoError(t, err)
		var part []string
		for i := 1 + k; i < len(lines); i += 3 {
			part = append(part, lines[i])
		}
		src := lines[0] + "\n" + strings.Join(part, "\n") + "\n"
		require.NoError(t, ReadBatches(ctx, strings.NewReader(src), "w.csv", st.ReaderOptions(), 17, func(b Batch) error { return st.Add(ctx, b) }))
		data, err := st.MarshalBinary()
		require.NoError(t, err)
		dec, err := NewState(nil, weightedConfig())
		require.NoError(t, err)
		require.NoError(t, dec.UnmarshalBinary(data))
		states = append(states, dec)
	}
	require.NoError(t, states[2].Merge(states[0]))
	require.NoError(t, states[2].Merge(states[1]))
	got, err := Finish(ctx, states[2], nil, nil)
	require.NoError(t, err)
	w, g := whole.DataBias.Weighted, got.DataBias.Weighted
	assert.Equal(t, w.Rows, g.Rows)
	assert.Equal(t, w.Columns, g.Columns)
	assert.Equal(t, w.BadWeights, g.BadWeights)
}

func TestWeightColNeedsDataScanAndGroup(t *testing.T) {
	cfg := weightedConfig()
	cfg.Dataset = dataCols()
	cfg.Source = strings.NewReader("text,label\na,POSITIVE\n")
	_, err := Run(context.Background(), nil, nil, cfg)
	assert.ErrorContains(t, err, `the weight column "w" weighs the data scan's group-by-label table`)
}
