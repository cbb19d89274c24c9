package bytesize

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParse(t *testing.T) {
	for in, want := range map[string]int64{
		"512MiB": 512 << 20, "2GiB": 2 << 30, "2G": 2 << 30, "1.5GiB": 3 << 29, "1000": 1000,
		"4 GB": 4e9, "64kib": 64 << 10, "1TiB": 1 << 40, "100B": 100,
		"1MiB": 1 << 20, "2KB": 2000, "1.5K": 1536, "100": 100,
	} {
		got, err := Parse(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	for _, in := range []string{"", "lots", "-1GiB", "0", "2XB", "1XB", "abc", "GiB", "1e400", "Inf"} {
		_, err := Parse(in)
		assert.ErrorContains(t, err, "want a positive size", in)
	}
}

func TestFormat(t *testing.T) {
	assert.Equal(t, "2.0 GiB", Format(2<<30))
	assert.Equal(t, "1.5 MiB", Format(3<<19))
	assert.Equal(t, "100 B", Format(100))
	assert.Equal(t, "1.0 TiB", Format(1<<40))
}
