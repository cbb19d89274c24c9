package attribution

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/lucid-nlp/lucid/engine"
	"github.com/lucid-nlp/lucid/evaluate"
	"github.com/lucid-nlp/lucid/tokenize"
)

// PathOptions configure IntegratedPath.
type PathOptions struct {
	// Steps is the number of quadrature points along the path (default
	// 16, at most MaxPathSteps).
	Steps int
	// Budget is the most rows (model evaluations) the path may take; 0
	// means no limit. When 2 + 2·tokens·Steps rows exceed it, Steps is
	// lowered to the most that fit, never below MinPathSteps: below that
	// IntegratedPath refuses, naming the rows needed and the budget.
	// PathResult.Steps says how many were used.
	Budget int
	// Rule is the quadrature rule (default Gauss–Legendre).
	Rule Quadrature
	// BaselineID is the token whose embedding replaces every non-special
	// token at the path's start (the pad or mask token).
	BaselineID int64
	Target     int
	Output     evaluate.Output
	// BatchSize is the rows per embeddings run (default 64).
	BatchSize int
	// FullScores, when set, is f(x) for each text of IntegratedGradients,
	// from a forward run the caller already made (the prediction): the
	// f(x) end-point row is then not run again. IntegratedPath ignores it.
	FullScores []float64
	// Epsilon is the finite-difference half-step in path units (default
	// 0.005): small enough that the central difference's O(ε²) error is
	// negligible, large enough that float32 rounding in the model is not.
	Epsilon float64
}

// DefaultPathSteps is the number of quadrature points when none is given.
const DefaultPathSteps = 16

// PathResult is an integrated-gradient-style attribution per token.
type PathResult struct {
	Tokens   []float64 // one per token of the encoding; 0 for special tokens
	Full     float64   // f(x)
	Baseline float64   // f(baseline)
	// Steps is the number of quadrature points used: PathOptions.Steps, or
	// fewer when the budget lowered it.
	Steps       int
	Evaluations int
	Runtime     time.Duration
}

// IntegratedPath attributes f(x) − f(baseline) to the tokens of enc along
// the straight line from the baseline's embeddings to the input's.
//
// It needs no gradient graph (Explain uses IntegratedGradients when the
// model has one, unless Request.FiniteDifferences): each token's path
// derivative is estimated by a central finite difference that moves only that token
// along its own segment: ∂f/∂α_i ≈ [f(γ(α)+ε·d_i) − f(γ(α)−ε·d_i)] / 2ε,
// with d_i = x_i − x'_i. Since the α_i derivatives sum to df(γ(α))/dα,
// the attributions sum to f(x) − f(baseline) up to the quadrature and
// difference errors, which Completeness reports. Cost: 2 rows per
// non-special token per step, plus the two end points; see
// PathOptions.Budget for how that is bounded. A cancelled ctx stops it
// between batches of rows.
func IntegratedPath(ctx context.Context, m engine.EmbeddingModel, enc *tokenize.Encoding, o PathOptions) (*PathResult, error) {
	if o.Steps <= 0 {
		o.Steps = DefaultPathSteps
	}
	if o.Steps > MaxPathSteps {
		return nil, fmt.Errorf("attribution: path method: %d steps is more than the maximum of %d (MaxPathSteps)", o.Steps, MaxPathSteps)
	}
	if o.BatchSize <= 0 {
		o.BatchSize = evaluate.DefaultBatchSize
	}
	if o.Epsilon <= 0 {
		o.Epsilon = 0.005
	}
	if n := len(m.Labels()); o.Target < 0 || o.Target >= n {
		return nil, fmt.Errorf("attribution: target label index %d, the model has %d labels", o.Target, n)
	}
	T := enc.Len()
	baseIDs := make([]int64, T)
	for i, id := range enc.IDs {
		baseIDs[i] = id
		if !enc.Special[i] {
			baseIDs[i] = o.BaselineID
		}
	}
	x, err := m.Embed(ctx, enc.IDs)
	if err != nil {
		return nil, err
	}
	x0, err := m.Embed(ctx, baseIDs)
	if err != nil {
		return nil, err
	}
	H := m.Hidden()
	d := make([]float32, len(x))
	var active []int // tokens that move along the path
	for i := range T {
		moved := false
		for h := range H {
			d[i*H+h] = x[i*H+h] - x0[i*H+h]
			moved = moved || d[i*H+h] != 0
		}
		if moved {
			active = append(active, i)
		}
	}
	plan, err := planPath(len(active), o.Steps, o.Budget)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	alphas, weights := o.Rule.Nodes(plan.steps)

	// Rows: f(x), f(x'), then per step and active token the two shifted points.
	nRows := plan.rows
	row := func(r int, dst []float32) {
		switch {
		case r == 0:
			copy(dst, x)
			return
		case r == 1:
			copy(dst, x0)
			return
		}
		r -= 2
		k, rest := r/(2*len(active)), r%(2*len(active))
		tok, sign := active[rest/2], float32(1)
		if rest%2 == 1 {
			sign = -1
		}
		a := float32(alphas[k])
		for i := range dst {
			dst[i] = x0[i] + a*d[i]
		}
		e := sign * float32(o.Epsilon)
		for h := range H {
			dst[tok*H+h] += e * d[tok*H+h]
		}
	}
	scores := make([]float64, nRows)
	mask := enc.AttentionMask
	res := &PathResult{Tokens: make([]float64, T), Steps: plan.steps}
	for start := 0; start < nRows; start += o.BatchSize {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		n := min(o.BatchSize, nRows-start)
		b := engine.EmbedBatch{Rows: n, SeqLen: T, Hidden: H, Embeds: make([]float32, n*T*H),
			AttentionMask: make([]int64, 0, n*T), TokenTypeIDs: make([]int64, 0, n*T)}
		for i := range n {
			row(start+i, b.Embeds[i*T*H:(i+1)*T*H])
			b.AttentionMask = append(b.AttentionMask, mask...)
			b.TokenTypeIDs = append(b.TokenTypeIDs, enc.TypeIDs...)
		}
		t0 := time.Now()
		logits, err := m.RunEmbeds(ctx, b)
		if err != nil {
			return nil, err
		}
		res.Runtime += runTime(logits, t0)
		for i := range n {
			scores[start+i] = o.Output.Score(logits.Row(i), o.Target)
		}
	}
	res.Evaluations = nRows
	res.Full, res.Baseline = scores[0], scores[1]
	for k := range alphas {
		for j, tok := range active {
			plus, minus := scores[2+k*2*len(active)+2*j], scores[2+k*2*len(active)+2*j+1]
			res.Tokens[tok] += weights[k] * (plus - minus) / (2 * o.Epsilon)
		}
	}
	return res, nil
}

// Completeness is |Σ attributions − (f(x) − f(baseline))|, the path
// method's own check of its numerical error.
func (p *PathResult) Completeness() float64 {
	var sum float64
	for _, v := range p.Tokens {
		sum += v
	}
	return math.Abs(sum - (p.Full - p.Baseline))
}

// runTime is how long a model run took: as the model reports it (without
// waiting for a free session), else as timed from start.
func runTime(l engine.Logits, start time.Time) time.Duration {
	if l.Elapsed > 0 {
		return l.Elapsed
	}
	return time.Since(start)
}
