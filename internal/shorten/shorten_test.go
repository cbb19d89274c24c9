package shorten

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestBytes(t *testing.T) {
	assert.Equal(t, "short", Bytes("short", 5))
	assert.Equal(t, "shor…", Bytes("shorter", 4))
	// "é" is 2 bytes: a cut inside it moves back to the character's start.
	assert.Equal(t, "ab…", Bytes("abé", 3))
	assert.Equal(t, "abé…", Bytes("abéc", 4))
	assert.Equal(t, "…", Bytes("é", 1))
	assert.Equal(t, "", Prefix("é", 1))
	assert.Equal(t, "ab", Prefix("ab", 9))
}
