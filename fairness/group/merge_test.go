package group

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/internal/mergetest"
)

// groupRow is one row of a random stream.
type groupRow struct {
	labelled, yTrue, yPred bool
	group                  string
}

func (r groupRow) addTo(a *Accumulator) {
	if r.labelled {
		a.Add(r.yTrue, r.yPred, r.group)
	} else {
		a.AddUnlabelled(r.yPred, r.group)
	}
}

// randomGroupRows draws n rows over `distinct` group names with skewed
// sizes, some missing values, some unlabelled rows and many duplicates.
func randomGroupRows(rng *rand.Rand, n, distinct int) []groupRow {
	rows := make([]groupRow, n)
	for i := range rows {
		g := fmt.Sprintf("g%d", min(rng.IntN(distinct), rng.IntN(distinct))) // skewed towards small indices
		if rng.IntN(20) == 0 {
			g = []string{"", "  "}[rng.IntN(2)]
		}
		rows[i] = groupRow{labelled: rng.IntN(5) > 0, yTrue: rng.IntN(2) == 0, yPred: rng.IntN(3) == 0, group: g}
	}
	return rows
}

// mergeParts feeds rows, shuffled and split into k parts, to k fresh
// accumulators, round-trips one through MarshalBinary/UnmarshalBinary, and
// merges them in a random tree order.
func mergeParts(t *testing.T, rng *rand.Rand, opts Options, rows []groupRow, k int) *Accumulator {
	t.Helper()
	rows = append([]groupRow(nil), rows...)
	rng.Shuffle(len(rows), func(i, j int) { rows[i], rows[j] = rows[j], rows[i] })
	parts := make([]*Accumulator, k)
	for i := range parts {
		a, err := NewAccumulator(opts)
		require.NoError(t, err)
		parts[i] = a
	}
	for _, r := range rows {
		r.addTo(parts[rng.IntN(k)])
	}
	fresh := func() *Accumulator {
		a, err := NewAccumulator(opts)
		require.NoError(t, err)
		return a
	}
	data, err := mergetest.Merge(t, rng, parts, fresh).MarshalBinary()
	require.NoError(t, err)
	final, err := NewAccumulator(opts)
	require.NoError(t, err)
	require.NoError(t, final.UnmarshalBinary(data))
	return final
}

func TestAccumulatorMergesToTheSinglePass(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	for trial := range 25 {
		opts := Options{Column: "c", Resamples: 50, MinGroupSize: 1 + rng.IntN(10),
			Groups: []string{"g0", "declared-but-absent"}, MissingAsGroup: trial%3 == 0}
		distinct := 1 + rng.IntN(25)
		if trial%2 == 0 {
			// Pooled at Result, not while streaming: at most 10 × MaxGroups
			// names are tracked, the declared absent one among them.
			opts.MaxGroups = 1 + rng.IntN(3)
			distinct = 1 + rng.IntN(10*opts.MaxGroups-1)
		}
		rows := randomGroupRows(rng, rng.IntN(600), distinct)
		single, err := NewAccumulator(opts)
		require.NoError(t, err)
		for _, r := range rows {
			r.addTo(single)
		}
		k := 1 + rng.IntN(5)
		merged := mergeParts(t, rng, opts, rows, k)
		seed := rng.Uint64()
		want, err := single.Result(seed)
		require.NoError(t, err)
		got, err := merged.Result(seed)
		require.NoError(t, err)
		wantJSON, err := json.Marshal(want)
		require.NoError(t, err)
		gotJSON, err := json.Marshal(got)
		require.NoError(t, err)
		require.Equal(t, string(wantJSON), string(gotJSON), "trial %d: %d rows, %d parts", trial, len(rows), k)
	}
}

// With more than 10 × MaxGroups distinct values, parts pool while they
// stream; the merge is then approximate in which groups are kept, but the
// rows all count and every group named has its exact table.
func TestAccumulatorMergeAfterPooling(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	opts := Options{MaxGroups: 2, MinGroupSize: 1, Resamples: 20}
	rows := randomGroupRows(rng, 3000, 200)
	truth := map[string]*cells{}
	for _, r := range rows {
		name := r.group
		if isMissing(name) {
			name = MissingGroup
		}
		if truth[name] == nil {
			truth[name] = new(cells)
		}
		truth[name][r.cell()]++
	}
	merged := mergeParts(t, rng, opts, rows, 4)
	require.NotNil(t, merged.pooled, "200 names over a cap of 20 must pool")
	assert.Equal(t, len(rows), merged.Rows())
	r, err := merged.Result(1)
	require.NoError(t, err)
	assert.Equal(t, len(rows), r.Rows)
	for _, g := range r.Groups {
		if g.PooledGroups > 0 {
			continue
		}
		want := truth[g.Group]
		assert.Equal(t, [4]int{want[tp], want[fp], want[fn], want[tn]}, [4]int{g.TP, g.FP, g.FN, g.TN}, g.Group)
	}
}

// cell is the index of the confusion cell the row counts in.
func (r groupRow) cell() int {
	switch {
	case !r.labelled && r.yPred:
		return up
	case !r.labelled:
		return un
	case r.yTrue && r.yPred:
		return tp
	case r.yTrue:
		return fn
	case r.yPred:
		return fp
	}
	return tn
}

func TestAccumulatorMergeAndUnmarshalErrors(t *testing.T) {
	a, err := NewAccumulator(Options{Resamples: 100})
	require.NoError(t, err)
	b, err := NewAccumulator(Options{Resamples: 200})
	require.NoError(t, err)
	a.Add(true, true, "x")
	b.Add(true, true, "x")
	assert.ErrorContains(t, a.Merge(b), "different options")
	assert.Equal(t, 1, a.Rows(), "a failed merge changes nothing")

	data, err := b.MarshalBinary()
	require.NoError(t, err)
	assert.ErrorContains(t, a.UnmarshalBinary(data), "options")
	assert.Error(t, a.UnmarshalBinary([]byte("garbage")))
	assert.Error(t, a.UnmarshalBinary(nil))
	assert.Equal(t, 1, a.Rows(), "a failed decode changes nothing")

	require.NoError(t, a.Merge(a), "merging with itself doubles the rows")
	assert.Equal(t, 2, a.Rows())
}
