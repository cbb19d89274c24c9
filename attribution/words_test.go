package attribution

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestIsNegation(t *testing.T) {
	assert.True(t, IsNegation("isn't") && IsNegation("Never") && IsNegation("n't") && IsNegation("won’t"))
	assert.False(t, IsNegation("note") || IsNegation("know") || IsNegation("nothingness"))
}
