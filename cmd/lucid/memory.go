package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/lucid-nlp/lucid/models"
)

// Memory estimates for what grows with a flag: rows in flight (--batch ×
// --sessions × the longest sequence), model copies (--sessions), and an
// explanation's coalitions (--budget × features). They are deliberately
// generous upper estimates, checked against --max-memory before anything is
// allocated, so a flag that cannot fit is refused up front instead of
// crashing the process part-way.

// Sizes assumed when config.json does not give them: BERT-base's.
const (
	assumedHidden = 768
	assumedHeads  = 12
)

// netShape is what the estimates need to know about the network.
type netShape struct {
	maxLen       int   // longest sequence the model reads
	hidden       int   // hidden size
	heads        int   // attention heads
	intermediate int   // feed-forward width
	weightBytes  int64 // model.onnx (and, for ig, the embedding graphs) on disk
}

func shapeOf(f *models.Folder, withEmbeds bool) netShape {
	s := netShape{maxLen: f.MaxLength, hidden: f.Hidden, heads: f.Heads, intermediate: f.Intermediate}
	if s.hidden <= 0 {
		s.hidden = assumedHidden
	}
	if s.heads <= 0 {
		s.heads = assumedHeads
	}
	if s.intermediate <= 0 {
		s.intermediate = 4 * s.hidden
	}
	files := []string{models.ModelFile}
	if withEmbeds {
		files = append(files, "model_embeds.onnx", "embeddings.onnx")
	}
	for _, name := range files {
		if st, err := os.Stat(filepath.Join(f.Dir, name)); err == nil {
			s.weightBytes += st.Size()
		}
	}
	return s
}

// rowBytes estimates the memory one row of seq tokens takes in a run: its
// int64 inputs, the layer activations alive at once (queries, keys,
// values, context, residual and feed-forward buffers, float32) and the
// attention scores and their softmax (heads × seq², float32).
func (s netShape) rowBytes(seq int) int64 {
	n := int64(seq)
	return 3*8*n + 4*n*int64(8*s.hidden+2*s.intermediate) + 2*4*int64(s.heads)*n*n
}

// inferenceBytes estimates the runtime's memory: a copy of the weights per
// session (ONNX Runtime does not share initialisers across sessions) plus
// batch rows of the longest sequence running in each session at once.
func (s netShape) inferenceBytes(batch, sessions int) int64 {
	return int64(sessions) * (2*s.weightBytes + int64(batch)*s.rowBytes(s.maxLen))
}

// encodingBytes estimates one tokenised text of the longest length: ids,
// attention mask, type ids, offsets, word ids and token strings.
func (s netShape) encodingBytes() int64 { return int64(s.maxLen) * 96 }

// checkInference refuses --batch and --sessions whose runs cannot fit.
func checkInference(s netShape, batch, sessions int, limit int64) error {
	if need := s.inferenceBytes(batch, sessions); need > limit {
		return memoryError(fmt.Sprintf("running --batch %d rows of up to %d tokens in each of --sessions %d", batch, s.maxLen, sessions), need, limit)
	}
	return nil
}

// coalitionBytes estimates what one explanation of n features holds per
// evaluation: its coalition bits and design-matrix row (float64 per
// feature, twice: the matrix and its weighted copy) and a cached score.
func coalitionBytes(n int) int64 { return int64(16*n + 128) }

// explanationBytes estimates one explanation's memory at budget
// evaluations over n features.
func explanationBytes(budget, n int) int64 { return int64(budget) * coalitionBytes(n) }
