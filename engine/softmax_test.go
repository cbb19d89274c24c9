package engine

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestSoftmax(t *testing.T) {
	p := Softmax([]float32{0, float32(math.Log(3))})
	assert.InDeltaSlice(t, []float64{0.25, 0.75}, p, 1e-7)
	big := Softmax([]float32{1000, 1000, 998})
	assert.InDelta(t, 1, big[0]+big[1]+big[2], 1e-12, "no overflow on large logits")
	assert.InDelta(t, big[2], SoftmaxAt([]float32{1000, 1000, 998}, 2), 1e-15)
}

func TestArgmaxIsTheFirstLargest(t *testing.T) {
	assert.Equal(t, 1, Argmax([]float64{0.2, 0.5, 0.3}))
	assert.Equal(t, 0, Argmax([]float32{0.4, 0.4, 0.2}), "ties go to the first")
	assert.Equal(t, 2, Argmax([]float32{-3, -2, -1}))
	assert.Equal(t, 0, Argmax([]float64{7}))
}
