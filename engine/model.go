// Package engine defines the boundary between Lucid's explainers and the
// network that runs a model: a batch of padded token rows in, one row of
// logits per input row out.
//
// Explainers, audits and benchmarks depend on the small Model interface here,
// never on ONNX Runtime, so they can be tested against pure-Go models whose
// exact answers are known. The ONNX Runtime implementation lives in
// engine/onnx.
package engine

import (
	"context"
	"fmt"
	"time"
)

// Batch is a rectangle of token rows, stored row-major: element (r, c) of
// InputIDs is InputIDs[r*SeqLen+c]. Rows shorter than SeqLen are padded and
// their padding has AttentionMask 0. TokenTypeIDs may be nil, meaning all
// zeros.
type Batch struct {
	Rows          int
	SeqLen        int
	InputIDs      []int64
	AttentionMask []int64
	TokenTypeIDs  []int64
}

// Validate reports whether the slices have the lengths Rows and SeqLen say.
func (b Batch) Validate() error {
	n := b.Rows * b.SeqLen
	switch {
	case b.Rows <= 0 || b.SeqLen <= 0:
		return fmt.Errorf("engine: batch shape %dx%d: rows and sequence length must be positive", b.Rows, b.SeqLen)
	case len(b.InputIDs) != n:
		return fmt.Errorf("engine: batch %dx%d has %d input ids, want %d", b.Rows, b.SeqLen, len(b.InputIDs), n)
	case len(b.AttentionMask) != n:
		return fmt.Errorf("engine: batch %dx%d has %d attention-mask values, want %d", b.Rows, b.SeqLen, len(b.AttentionMask), n)
	case b.TokenTypeIDs != nil && len(b.TokenTypeIDs) != n:
		return fmt.Errorf("engine: batch %dx%d has %d token-type ids, want %d", b.Rows, b.SeqLen, len(b.TokenTypeIDs), n)
	}
	return nil
}

// EmbedBatch is a rectangle of input embeddings, [Rows, SeqLen, Hidden]
// row-major, with the attention mask and token types of Batch.
type EmbedBatch struct {
	Rows          int
	SeqLen        int
	Hidden        int
	Embeds        []float32
	AttentionMask []int64
	TokenTypeIDs  []int64
}

// Logits is the model's output: Rows rows of Labels values, row-major.
type Logits struct {
	Rows   int
	Labels int
	Data   []float32
	// Elapsed is how long the network itself ran, not counting a wait for
	// a free session; zero when the model does not say.
	Elapsed time.Duration
}

// Row returns row r's logits (a view, not a copy).
func (l Logits) Row(r int) []float32 { return l.Data[r*l.Labels : (r+1)*l.Labels] }

// Model is what explainers need from a classifier: its label names and the
// logits of a batch of rows. Implementations must be safe for concurrent use
// and honour ctx's cancellation.
type Model interface {
	Labels() []string
	Run(ctx context.Context, b Batch) (Logits, error)
}

// EmbeddingModel is a Model that can also run from input embeddings, for
// path attributions: Embed looks token ids up in the word-embedding table and
// RunEmbeds runs the network from (possibly interpolated) embeddings.
type EmbeddingModel interface {
	Model
	Hidden() int
	Embed(ctx context.Context, ids []int64) ([]float32, error)
	RunEmbeds(ctx context.Context, b EmbedBatch) (Logits, error)
}
