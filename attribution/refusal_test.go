package attribution

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/lucid-nlp/lucid/perturb"
)

func TestExactRefusalNamesTheBindingLimit(t *testing.T) {
	// Above enumeration's cap: no budget would do, and words are words.
	msg := exactRefusal(21, perturb.Words, 1<<20).Error()
	assert.Contains(t, msg, "need 2^21 = 2097152 evaluations, more than exact enumeration's limit of 2^20 = 1048576")
	assert.NotContains(t, msg, "--budget")
	assert.NotContains(t, msg, "--features words")
	assert.Contains(t, msg, "--method kernelshap")

	// Within the cap, above the budget: the budget that would do.
	msg = exactRefusal(14, perturb.Words, 0).Error()
	assert.Contains(t, msg, "need 2^14 = 16384 evaluations, more than the default budget of 2^12 = 4096")
	assert.Contains(t, msg, "--budget 16384")
	assert.NotContains(t, msg, "--features words")

	msg = exactRefusal(13, perturb.Tokens, 5000).Error()
	assert.Contains(t, msg, "over 13 tokens need 2^13 = 8192 evaluations, more than the budget of 5000")
	assert.Contains(t, msg, "--features words")

	msg = exactRefusal(70, perturb.Tokens, 0).Error()
	assert.Contains(t, msg, "over 70 tokens need 2^70 evaluations, more than exact enumeration's limit")
	assert.Contains(t, msg, "--features words")
}
