package stats

import (
	"bytes"
	"encoding/gob"
	"math"
	"math/big"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// hardValues mixes magnitudes from 1e-300 to 1e300, exact cancellations,
// duplicates and subnormals: the inputs on which a running sum is wrong
// and order-dependent.
func hardValues(rng *rand.Rand, n int) []float64 {
	v := make([]float64, 0, n)
	for len(v) < n {
		switch rng.IntN(6) {
		case 0:
			v = append(v, rng.NormFloat64())
		case 1:
			v = append(v, rng.NormFloat64()*math.Pow(10, float64(rng.IntN(600)-300)))
		case 2:
			x := rng.NormFloat64() * 1e16
			v = append(v, x, -x) // exact cancellation
		case 3:
			v = append(v, math.SmallestNonzeroFloat64*float64(rng.IntN(100)-50))
		case 4:
			v = append(v, 1, 1e-16, -1) // the classic lost bit
		default:
			if len(v) > 0 {
				v = append(v, v[rng.IntN(len(v))]) // a duplicate
			}
		}
	}
	return v[:n]
}

// exactReference is the sum rounded once, via big.Float with room for the
// whole exponent range.
func exactReference(v []float64) float64 {
	z := new(big.Float).SetPrec(2200)
	for _, x := range v {
		z.Add(z, new(big.Float).SetFloat64(x))
	}
	f, _ := z.Float64()
	return f
}

func TestExactSumIsCorrectlyRoundedAndOrderFree(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for trial := range 200 {
		v := hardValues(rng, 1+rng.IntN(300))
		want := exactReference(v)
		var one ExactSum
		for _, x := range v {
			one.Add(x)
		}
		require.Equal(t, math.Float64bits(want), math.Float64bits(one.Value()), "trial %d: %v vs exact %v", trial, one.Value(), want)

		// Shuffled, split into parts, merged in a random order, one part
		// through GobEncode/GobDecode: the same bits.
		rng.Shuffle(len(v), func(i, j int) { v[i], v[j] = v[j], v[i] })
		k := 1 + rng.IntN(5)
		parts := make([]*ExactSum, k)
		for i := range parts {
			parts[i] = new(ExactSum)
		}
		for _, x := range v {
			parts[rng.IntN(k)].Add(x)
		}
		b, err := parts[0].GobEncode()
		require.NoError(t, err)
		var back ExactSum
		require.NoError(t, back.GobDecode(b))
		parts[0] = &back
		for len(parts) > 1 {
			i, j := rng.IntN(len(parts)), rng.IntN(len(parts)-1)
			if j >= i {
				j++
			}
			parts[i].Merge(parts[j])
			parts = append(parts[:j], parts[j+1:]...)
		}
		require.Equal(t, math.Float64bits(want), math.Float64bits(parts[0].Value()), "trial %d merged", trial)
	}
}

func TestExactSumKnownCases(t *testing.T) {
	sum := func(v ...float64) float64 {
		var s ExactSum
		for _, x := range v {
			s.Add(x)
		}
		return s.Value()
	}
	assert.Equal(t, 0.0, sum(), "empty")
	assert.Equal(t, 1e-16, sum(1, 1e-16, -1), "a running sum gives 0")
	assert.Equal(t, 1.0, sum(0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1), "a running sum gives 0.9999999999999999")
	// Half-way case: 1 + 2^-53 is a tie (rounds to even, 1) unless a
	// smaller partial pushes it over.
	assert.Equal(t, 1.0, sum(1, 0x1p-53))
	assert.Equal(t, 1+0x1p-52, sum(1, 0x1p-53, 0x1p-100))
	assert.True(t, math.IsNaN(sum(1, math.NaN())))
	assert.True(t, math.IsNaN(sum(math.Inf(1), math.Inf(-1))))
	assert.Equal(t, math.Inf(1), sum(1, math.Inf(1), 1e308))
	assert.Equal(t, math.Inf(-1), sum(math.Inf(-1), 5))
	assert.Equal(t, math.Inf(1), sum(math.MaxFloat64, math.MaxFloat64), "overflow counts as the infinity it became")
}

// An ExactSum sits inside a gob snapshot of another type, and garbage is
// rejected with an error.
func TestExactSumGob(t *testing.T) {
	type holder struct{ S ExactSum }
	var h holder
	for _, x := range []float64{1, 1e-20, math.Inf(1), 3} {
		h.S.Add(x)
	}
	var buf bytes.Buffer
	require.NoError(t, gob.NewEncoder(&buf).Encode(h))
	var back holder
	require.NoError(t, gob.NewDecoder(&buf).Decode(&back))
	assert.Equal(t, math.Inf(1), back.S.Value())
	assert.Equal(t, h.S.nan, back.S.nan)
	assert.Equal(t, h.S.partials, back.S.partials)

	var s ExactSum
	for _, bad := range [][]byte{nil, {9}, {1, 0, 0, 0, 5, 1, 2}, {1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xf8, 0x7f}} {
		assert.Error(t, s.GobDecode(bad), "%x", bad)
	}
}

func TestPairedStreamMergesToTheSinglePass(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for trial := range 60 {
		n := rng.IntN(400)
		capacity := []int{0, 1, 20, 1000}[rng.IntN(4)]
		seed := rng.Uint64()
		type row struct {
			d   float64
			key uint64
		}
		rows := make([]row, n)
		for i := range rows {
			d := math.Round(rng.NormFloat64()*20) / 100 // many ties and exact zeros
			rows[i] = row{d, uint64(rng.IntN(n + 1))}   // duplicate keys too
		}
		single := NewPairedStream(capacity, seed)
		for _, r := range rows {
			single.AddKeyed(r.d, r.key)
		}
		want := single.Summary(0.95)

		rng.Shuffle(n, func(i, j int) { rows[i], rows[j] = rows[j], rows[i] })
		k := 1 + rng.IntN(5)
		parts := make([]*PairedStream, k)
		for i := range parts {
			parts[i] = NewPairedStream(capacity, seed)
		}
		for _, r := range rows {
			parts[rng.IntN(k)].AddKeyed(r.d, r.key)
		}
		b, err := parts[k-1].GobEncode()
		require.NoError(t, err)
		var back PairedStream
		require.NoError(t, back.GobDecode(b))
		parts[k-1] = &back
		for len(parts) > 1 {
			i, j := rng.IntN(len(parts)), rng.IntN(len(parts)-1)
			if j >= i {
				j++
			}
			require.NoError(t, parts[i].Merge(parts[j]))
			parts = append(parts[:j], parts[j+1:]...)
		}
		got := parts[0].Summary(0.95)
		assertSamePaired(t, want, got, "trial %d (n %d, capacity %d, %d parts)", trial, n, capacity, k)
		// The kept sample itself is the same multiset.
		wantKept, gotKept := slices.Clone(single.sample), slices.Clone(parts[0].sample)
		slices.SortFunc(wantKept, pairedEntry.compare)
		slices.SortFunc(gotKept, pairedEntry.compare)
		assert.Equal(t, len(wantKept), len(gotKept))
		if len(wantKept) > 0 {
			assert.Equal(t, wantKept, gotKept)
		}
	}
}

// assertSamePaired compares two summaries bit for bit (NaN equal to NaN).
func assertSamePaired(t *testing.T, want, got Paired, msgAndArgs ...any) {
	t.Helper()
	assert.Equal(t, [4]int{want.N, want.Positive, want.Negative, want.Ties}, [4]int{got.N, got.Positive, got.Negative, got.Ties}, msgAndArgs...)
	for _, pair := range [][2]float64{{want.Mean, got.Mean}, {want.Low, got.Low}, {want.High, got.High},
		{want.SignP, got.SignP}, {want.TP, got.TP}, {want.WilcoxonP, got.WilcoxonP}} {
		assert.Equal(t, math.Float64bits(pair[0]), math.Float64bits(pair[1]), msgAndArgs...)
	}
}

func TestPairedStreamMergeAndDecodeErrors(t *testing.T) {
	a := NewPairedStream(10, 1)
	require.Error(t, a.Merge(NewPairedStream(11, 1)), "capacity differs")
	require.Error(t, a.Merge(NewPairedStream(10, 2)), "seed differs")
	a.Add(0.5)
	require.NoError(t, a.Merge(a), "merging with itself doubles the rows")
	assert.Equal(t, 2, a.N())
	assert.Equal(t, 2, a.Kept())
	assert.Equal(t, 0.5, a.Mean())

	var s PairedStream
	assert.Error(t, s.GobDecode([]byte("not a gob")))
	// A well-formed gob of an inconsistent stream.
	bad := a.capacity
	a.capacity = 1
	b, err := a.GobEncode()
	a.capacity = bad
	require.NoError(t, err)
	assert.ErrorContains(t, s.GobDecode(b), "capacity 1")
}

// The exact moments match a two-pass reference on data with a large mean
// and a tiny spread, where Σd² − (Σd)²/n in floats would cancel badly.
func TestPairedStreamMomentsAreExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	d := make([]float64, 500)
	for i := range d {
		d[i] = 1000 + rng.NormFloat64()*1e-6
	}
	s := NewPairedStream(0, 0)
	for _, v := range d {
		s.Add(v)
	}
	mean, m2 := s.moments()
	refMean := exactReference(d) / float64(len(d))
	dev := make([]float64, len(d))
	for i, v := range d {
		dev[i] = (v - refMean) * (v - refMean)
	}
	refM2 := exactReference(dev)
	assert.InDelta(t, refMean, mean, 1e-12*refMean)
	assert.InDelta(t, refM2, m2, 1e-6*refM2, "relative 1e-6: the two-pass reference itself rounds each deviation")
}

// Zeros and exact cancellations leave no partial behind, so the encoding
// of such a sum decodes.
func TestExactSumZeros(t *testing.T) {
	var s ExactSum
	for _, x := range []float64{0, math.Copysign(0, -1), 3, -3} {
		s.Add(x)
	}
	assert.Empty(t, s.partials)
	assert.Equal(t, math.Float64bits(0), math.Float64bits(s.Value()))
	b, err := s.GobEncode()
	require.NoError(t, err)
	var back ExactSum
	require.NoError(t, back.GobDecode(b))
	assert.Equal(t, 0.0, back.Value())
}
