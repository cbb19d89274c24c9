// Package engine defines the boundary between Lucid's explainers and the
// network that runs a model: a batch of padded token rows in, one row of
// logits per input row out. Two optional extensions serve path and
// gradient attributions: EmbeddingModel runs from input embeddings, and
// GradientModel also returns the gradient of a score with respect to them.
// A model may also say its head (HeadModel, Head: softmax across labels,
// a sigmoid per label, or one regression score); HeadOf treats a model
// that does not as a single-label classifier.
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

// RunTime is how long the run that returned l took: as the model reports
// it (without waiting for a free session), else as timed from start.
func (l Logits) RunTime(start time.Time) time.Duration {
	if l.Elapsed > 0 {
		return l.Elapsed
	}
	return time.Since(start)
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

// Score says which number of a row's logits a gradient is taken of. Its
// values follow evaluate.Output's order.
type Score int

const (
	// ScoreProbability is the target's softmax probability.
	ScoreProbability Score = iota
	// ScoreLogit is the target's raw logit.
	ScoreLogit
	// ScoreLogOdds is log(p / (1 − p)) for the target.
	ScoreLogOdds
)

func (s Score) String() string {
	switch s {
	case ScoreProbability:
		return "probability"
	case ScoreLogit:
		return "logit"
	case ScoreLogOdds:
		return "log-odds"
	}
	return fmt.Sprintf("Score(%d)", int(s))
}

// GradientModel is an EmbeddingModel that can also differentiate: Gradient
// runs the network from b's embeddings and returns each row's logits and
// the gradient of row r's score (of label targets[r]) with respect to its
// input embeddings, [Rows, SeqLen, Hidden] row-major like b.Embeds.
// HasGradientGraph says whether the model can (a model folder without a
// gradient graph cannot; Gradient then returns an error).
type GradientModel interface {
	EmbeddingModel
	HasGradientGraph() bool
	Gradient(ctx context.Context, b EmbedBatch, targets []int, score Score) (Logits, []float32, error)
}

// Validate reports whether the slices have the lengths Rows, SeqLen and
// Hidden say.
func (b EmbedBatch) Validate() error {
	n := b.Rows * b.SeqLen
	switch {
	case b.Rows <= 0 || b.SeqLen <= 0 || b.Hidden <= 0:
		return fmt.Errorf("engine: embed batch shape %dx%dx%d: rows, sequence length and hidden size must be positive", b.Rows, b.SeqLen, b.Hidden)
	case len(b.Embeds) != n*b.Hidden:
		return fmt.Errorf("engine: embed batch %dx%dx%d has %d values, want %d", b.Rows, b.SeqLen, b.Hidden, len(b.Embeds), n*b.Hidden)
	case len(b.AttentionMask) != n:
		return fmt.Errorf("engine: embed batch %dx%d has %d attention-mask values, want %d", b.Rows, b.SeqLen, len(b.AttentionMask), n)
	case b.TokenTypeIDs != nil && len(b.TokenTypeIDs) != n:
		return fmt.Errorf("engine: embed batch %dx%d has %d token-type ids, want %d", b.Rows, b.SeqLen, len(b.TokenTypeIDs), n)
	}
	return nil
}
