package attribution

import (
	"fmt"
	"math"

	"github.com/lucid-nlp/lucid/attribution/edit"
	"github.com/lucid-nlp/lucid/attribution/game"
	"github.com/lucid-nlp/lucid/attribution/lime"
	"github.com/lucid-nlp/lucid/attribution/path"
	"github.com/lucid-nlp/lucid/attribution/shapley"
	"github.com/lucid-nlp/lucid/evaluate"
	"github.com/lucid-nlp/lucid/internal/bytesize"
)

// Limits on what one Request may ask for. Each is checked by
// Request.Validate before anything is allocated, so a CLI or server can
// check its flags against the same constants at parse time.
const (
	// MaxBudget is the most model evaluations one explanation may spend
	// (game.MaxBudget, which says why).
	MaxBudget = game.MaxBudget
	// DefaultPathSteps, MaxPathSteps, MinPathSteps and DefaultPathBudget
	// are the path method's defaults and limits (see package path).
	DefaultPathSteps = path.DefaultSteps
	// DefaultEditBudget is the counterfactual edit search's default budget
	// (see package edit).
	DefaultEditBudget = edit.DefaultBudget
	MaxPathSteps      = path.MaxSteps
	MinPathSteps      = path.MinSteps
	DefaultPathBudget = path.DefaultBudget
	// DefaultEstimateHidden is the embedding width EstimateBytes assumes for
	// the path method when it is not told (BERT-base's 768).
	DefaultEstimateHidden = 768
)

// Validate checks a request's settings against the package's limits and
// says what is wrong with which value. Explain calls it first.
func (r Request) Validate() error {
	switch {
	case r.Budget < 0:
		return fmt.Errorf("attribution: budget %d: want 0 (the default) or a positive number of evaluations", r.Budget)
	case r.Budget > MaxBudget:
		return fmt.Errorf("attribution: budget %d is more than the maximum of %d evaluations (MaxBudget)", r.Budget, MaxBudget)
	case r.Steps < 0:
		return fmt.Errorf("attribution: steps %d: want 0 (the default %d) or more", r.Steps, DefaultPathSteps)
	case r.Steps > MaxPathSteps:
		return fmt.Errorf("attribution: steps %d is more than the maximum of %d quadrature points (MaxPathSteps)", r.Steps, MaxPathSteps)
	case r.KernelWidth < 0 || math.IsNaN(r.KernelWidth) || math.IsInf(r.KernelWidth, 0):
		return fmt.Errorf("attribution: kernel width %v: want 0 (the default %d) or a positive finite number", r.KernelWidth, lime.DefaultKernelWidth)
	case r.EditBudget < 0:
		return fmt.Errorf("attribution: edit budget %d: want 0 (the default %d) or a positive number of evaluations", r.EditBudget, DefaultEditBudget)
	case r.EditBudget > MaxBudget:
		return fmt.Errorf("attribution: edit budget %d is more than the maximum of %d evaluations (MaxBudget)", r.EditBudget, MaxBudget)
	case r.Tolerance < 0 || math.IsNaN(r.Tolerance) || math.IsInf(r.Tolerance, 0):
		return fmt.Errorf("attribution: tolerance %v: want 0 (off) or a positive standard error", r.Tolerance)
	case r.WindowStride < 0:
		return fmt.Errorf("attribution: window stride %d: want 0 (half the window) or a positive number of tokens", r.WindowStride)
	case r.MaxMemoryBytes < 0:
		return fmt.Errorf("attribution: memory limit %d bytes: want 0 (no limit) or a positive number", r.MaxMemoryBytes)
	}
	if r.Method != "" {
		if _, err := ParseMethod(string(r.Method)); err != nil {
			return err
		}
	}
	return nil
}

// EstimateBytes estimates the memory, in bytes, that explaining a text with
// features features and tokens tokens (special tokens included) under req
// takes at its peak, counting what this package and the evaluator allocate
// (coalitions, cached values, design matrices, rows of ids, path
// embeddings) and the garbage Go's collector lets accumulate at its default
// setting, not the model's own activations. Measured against the heap's
// peak growth on a pure-Go model, it errs on the high side by up to 2×:
// KernelSHAP, 40 words, 65,536 evaluations: estimate 199 MiB, peak 133
// MiB; LIME, the same: 156 and 94 MiB; exact, 16 words: 25 and 27 MiB. hidden is the embedding
// width, used by ig, grad-input and saliency only (0 means DefaultEstimateHidden).
// It is an estimate within a small factor, meant for refusing requests that
// cannot fit (Request.MaxMemoryBytes), not for accounting.
func EstimateBytes(req Request, features, tokens, hidden int) int64 {
	// Go's collector lets the heap grow to about twice what is live
	// (GOGC=100) before it collects, and the peak a process shows is that.
	live := liveBytes(req, features, tokens, hidden)
	if req.Method == MethodCounterfactual || req.WhyNot != "" {
		// The edit search runs after the attribution's own memory is
		// garbage.
		live = max(live, edit.LiveBytes(req.EditBudget, features, tokens))
	}
	return 2 * live
}

// liveBytes is what EstimateBytes's explanation holds live at its peak.
func liveBytes(req Request, features, tokens, hidden int) int64 {
	n, T := int64(max(features, 0)), int64(max(tokens, 1))
	words := (n + 63) / 64
	// A coalition: its header and words; cached in the text game under a
	// key of the same words, in a map entry.
	coalition := 48 + 8*words
	cached := 64 + 8*words
	// Rows of ids are built and scored a chunk at a time (textGameChunk):
	// ids, attention mask and token types, and the evaluator's copy.
	rowChunk := int64(textGameChunk) * T * 8 * 6
	budget := int64(req.Budget)
	switch req.Method {
	case MethodExact:
		// Exact refuses, before allocating, more coalitions than its
		// budget allows, so that bounds what it holds.
		if budget == 0 {
			budget = 1 << DefaultExactFeatures
		}
		rows := budget
		if n < 62 {
			rows = min(rows, int64(1)<<n)
		}
		return rows*(coalition+cached+16) + rowChunk
	case MethodOcclusion, MethodCounterfactual:
		return (n+2)*(coalition+cached+16) + rowChunk
	case MethodLIME:
		if budget == 0 {
			budget = DefaultBudget
		}
		// Distinct samples, their counts and values, and the regression's
		// design: the indicators, a centred copy and, for forward
		// selection, a weighted copy.
		return budget*(coalition+cached+32+3*8*n) + rowChunk
	case MethodPath:
		if hidden <= 0 {
			hidden = DefaultEstimateHidden
		}
		if budget == 0 {
			budget = DefaultPathBudget
		}
		steps := int64(req.Steps)
		if steps <= 0 {
			steps = DefaultPathSteps
		}
		rows := min(int64(path.Rows(int(min(T, 1<<20)), int(min(steps, MaxPathSteps)))), budget)
		H := int64(hidden)
		// The input, baseline and direction embeddings; one batch of
		// interpolated embeddings with its mask and types; a score per row.
		// With a gradient graph the rows are steps + 2, fewer than the
		// finite differences' (counted above, so the estimate covers
		// both), but each batch also brings back its gradient, [batch,
		// T, H] float32, which the estimate cannot know the model lacks.
		batch := int64(evaluate.DefaultBatchSize)
		return 3*T*H*4 + batch*T*(H*4+16) + batch*T*H*4 + rows*8 + 16*steps
	case MethodGradInput, MethodSaliency:
		if hidden <= 0 {
			hidden = DefaultEstimateHidden
		}
		// One row (two with Linearization: the input and the
		// zero-embedding row): their embeddings, mask and types, the
		// input's and the baseline's looked-up embeddings, and the
		// gradient output for each row.
		H := int64(hidden)
		rows := int64(1)
		if req.Linearization {
			rows = 2
		}
		return rows*T*(H*4+16) + 2*T*H*4 + rows*T*H*4 + T*16
	default: // KernelSHAP
		if budget == 0 {
			budget = DefaultBudget
		}
		if n <= 30 && int64(1)<<n <= budget {
			rows := int64(1) << n
			return rows*(coalition+cached+16) + rowChunk
		}
		// Per row: the coalition and its cache entry, weights and mates,
		// indicators z and the reduced design twice, the logistic
		// surrogate's design, values and residuals.
		perRow := coalition + cached + 32 + 8*(n+2*(n-1)+(n+1)) + 32
		surrogate := int64(0)
		if n <= shapley.ExactSurrogateFeatures {
			surrogate = (int64(1) << n) * 16
		}
		return budget*perRow + surrogate + rowChunk
	}
}

// checkMemory refuses a request whose estimate exceeds its limit.
func checkMemory(req Request, features, tokens, hidden int) error {
	if req.MaxMemoryBytes <= 0 {
		return nil
	}
	if est := EstimateBytes(req, features, tokens, hidden); est > req.MaxMemoryBytes {
		return fmt.Errorf("attribution: %s on %d features (%d tokens) with budget %d would need about %s, more than the memory limit of %s; lower the budget",
			req.Method, features, tokens, req.Budget, bytesize.Format(est), bytesize.Format(req.MaxMemoryBytes))
	}
	return nil
}
