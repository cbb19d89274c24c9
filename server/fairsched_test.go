package server

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/engine/batching"
)

// The server's explanation rows reach the batcher as class Explain (the
// evaluator runs its batches under a context of its own, so the class
// must come from the model it is given) and predictions as Predict: the
// batcher's fair scheduling sees them apart.
func TestExplanationRowsAreClassExplain(t *testing.T) {
	var mu sync.Mutex
	rows := map[batching.Class]int{}
	cfg := batchingOn()
	cfg.Batch.OnBatch = func(i batching.BatchInfo) {
		mu.Lock()
		rows[i.Class] += i.Rows
		mu.Unlock()
	}
	_, ts := newTest(t, cfg)
	url := ts.URL + "/v1/models/" + modelName
	code, _, _ := do(t, "POST", url+":predict", `{"instances": ["a gorgeous , witty movie ."]}`)
	require.Equal(t, 200, code)
	mu.Lock()
	assert.Equal(t, map[batching.Class]int{batching.Predict: 1}, rows, "one prediction row, class Predict")
	clear(rows)
	mu.Unlock()
	code, body, _ := do(t, "POST", url+":explain", `{"instances": ["a gorgeous , witty movie ."], "parameters": {"method": "kernelshap", "budget": 32, "seed": 1}}`)
	require.Equal(t, 200, code, "%v", body)
	mu.Lock()
	defer mu.Unlock()
	assert.Positive(t, rows[batching.Explain], "the explanation's rows ran as class Explain")
	assert.Zero(t, rows[batching.Predict], "no explanation row ran as a prediction")
}
