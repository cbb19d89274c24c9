package gobsnap

import (
	"math"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type snap struct {
	N   int
	Sum []float64
}

func TestRoundTripKeepsEveryBitAndRefusesLeftovers(t *testing.T) {
	in := snap{N: 3, Sum: []float64{0.1, math.Nextafter(1, 2), math.Copysign(0, -1)}}
	data, err := Encode("pkg", "a snapshot", in)
	require.NoError(t, err)
	var out snap
	require.NoError(t, Decode("pkg", "a snapshot", data, &out))
	require.Len(t, out.Sum, 3)
	for i := range in.Sum {
		assert.Equal(t, math.Float64bits(in.Sum[i]), math.Float64bits(out.Sum[i]))
	}

	err = Decode("pkg", "a snapshot", append(data, 0), &out)
	assert.EqualError(t, err, "pkg: decoding a snapshot: 1 bytes left over after "+strconv.Itoa(len(data)))
	err = Decode("pkg", "a snapshot", []byte("garbage"), &out)
	assert.ErrorContains(t, err, "pkg: decoding a snapshot (7 bytes)")
	_, err = Encode("pkg", "a function", func() {})
	assert.ErrorContains(t, err, "pkg: encoding a function")
}
