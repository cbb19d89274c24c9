// Package path attributes along a straight path in embedding space, from a
// baseline (every non-special token's embedding replaced by the pad or
// mask token's) to the text: integrated gradients, and gradient × input
// and saliency from one gradient row.
//
// IntegratedGradients runs the model's gradient graph
// (engine.GradientModel, model_grad.onnx): steps + 1 gradient rows per
// text, the quadrature points and the baseline (f(x) comes from the
// caller's prediction run through Options.FullScores), and several texts'
// rows are batched together. A model without a gradient graph uses
// IntegratedPath, which takes each token's derivative by central finite
// differences: 2 + 2·tokens·steps rows, so the steps are fitted to the
// budget (Rows, MinSteps). GradientAttributions gives gradient × input and
// saliency from one gradient row per text, batched across texts. Both
// integrate by Gauss–Legendre quadrature by default (Quadrature), and
// Result.Completeness says how far Σφ is from f(x) − f(baseline).
package path

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/lucid-nlp/lucid/engine"
	"github.com/lucid-nlp/lucid/evaluate"
	"github.com/lucid-nlp/lucid/tokenize"
)

// Options configure IntegratedPath.
type Options struct {
	// Steps is the number of quadrature points along the path (default
	// 16, at most MaxSteps).
	Steps int
	// Budget is the most rows (model evaluations) the path may take; 0
	// means no limit. When 2 + 2·tokens·Steps rows exceed it, Steps is
	// lowered to the most that fit, never below MinSteps: below that
	// IntegratedPath refuses, naming the rows needed and the budget.
	// Result.Steps says how many were used.
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

// embedEnds looks up the path's two ends for enc: the text's embeddings x
// and the baseline's x0, where every non-special token is baselineID.
func embedEnds(ctx context.Context, m engine.EmbeddingModel, enc *tokenize.Encoding, baselineID int64) (x, x0 []float32, err error) {
	baseIDs := make([]int64, enc.Len())
	for i, id := range enc.IDs {
		baseIDs[i] = id
		if !enc.Special[i] {
			baseIDs[i] = baselineID
		}
	}
	if x, err = m.Embed(ctx, enc.IDs); err != nil {
		return nil, nil, err
	}
	if x0, err = m.Embed(ctx, baseIDs); err != nil {
		return nil, nil, err
	}
	return x, x0, nil
}

// withDefaults fills o's zero Steps and BatchSize with the defaults and
// refuses more steps than MaxSteps, naming method.
func (o Options) withDefaults(method string) (Options, error) {
	if o.Steps <= 0 {
		o.Steps = DefaultSteps
	}
	if o.Steps > MaxSteps {
		return o, fmt.Errorf("attribution: %s: %d steps is more than the maximum of %d (MaxSteps)", method, o.Steps, MaxSteps)
	}
	if o.BatchSize <= 0 {
		o.BatchSize = evaluate.DefaultBatchSize
	}
	return o, nil
}

// DefaultSteps is the number of quadrature points when none is given.
const DefaultSteps = 16

// Limits on the path's steps and rows.
const (
	// MaxSteps is the most quadrature points the path method takes.
	// Gauss–Legendre with 1,024 nodes is exact for polynomials of degree
	// 2,047; nodes cost O(steps²) to compute (milliseconds here).
	MaxSteps = 1024
	// MinSteps is the fewest steps the path method lowers itself to
	// when its rows do not fit the budget (see Options.Budget); with fewer
	// the quadrature is too coarse to be worth its rows. Even 4 can be
	// coarse: on a 510-token text the shipped model's completeness error
	// was 12% of f(x) − f(baseline) at 4 steps, which the result's
	// diagnostics report beside the warning that steps were lowered.
	MinSteps = 4
	// DefaultBudget is the path method's row budget when a request
	// gives none: 2 + 2·tokens·steps rows fit it for 127 tokens at the
	// default 16 steps, and a 510-token text gets 4 steps (4,082 rows)
	// instead of 16,322.
	DefaultBudget = 4096
)

// Result is an integrated-gradient-style attribution per token.
type Result struct {
	Tokens   []float64 // one per token of the encoding; 0 for special tokens
	Full     float64   // f(x)
	Baseline float64   // f(baseline)
	// Steps is the number of quadrature points used: Options.Steps, or
	// fewer when the budget lowered it.
	Steps       int
	Evaluations int
	Runtime     time.Duration
}

// IntegratedPath attributes f(x) − f(baseline) to the tokens of enc along
// the straight line from the baseline's embeddings to the input's.
//
// It needs no gradient graph (attribution.Explainer uses IntegratedGradients when the
// model has one, unless attribution.Request.FiniteDifferences): each token's path
// derivative is estimated by a central finite difference that moves only that token
// along its own segment: ∂f/∂α_i ≈ [f(γ(α)+ε·d_i) − f(γ(α)−ε·d_i)] / 2ε,
// with d_i = x_i − x'_i. Since the α_i derivatives sum to df(γ(α))/dα,
// the attributions sum to f(x) − f(baseline) up to the quadrature and
// difference errors, which Completeness reports. Cost: 2 rows per
// non-special token per step, plus the two end points; see
// Options.Budget for how that is bounded. A cancelled ctx stops it
// between batches of rows.
func IntegratedPath(ctx context.Context, m engine.EmbeddingModel, enc *tokenize.Encoding, o Options) (*Result, error) {
	o, err := o.withDefaults("path method")
	if err != nil {
		return nil, err
	}
	if o.Epsilon <= 0 {
		o.Epsilon = 0.005
	}
	if n := len(m.Labels()); o.Target < 0 || o.Target >= n {
		return nil, fmt.Errorf("attribution: target label index %d, the model has %d labels", o.Target, n)
	}
	T := enc.Len()
	x, x0, err := embedEnds(ctx, m, enc, o.BaselineID)
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
	plan, err := planSteps(len(active), o.Steps, o.Budget)
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
	res := &Result{Tokens: make([]float64, T), Steps: plan.steps}
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
		res.Runtime += logits.RunTime(t0)
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
func (p *Result) Completeness() float64 {
	var sum float64
	for _, v := range p.Tokens {
		sum += v
	}
	return math.Abs(sum - (p.Full - p.Baseline))
}

// plan is the path method's quadrature as a budget allows it.
type plan struct {
	steps, rows int
	lowered     bool // steps were lowered to fit the budget
}

// Rows is the rows the path method runs: f(x), f(baseline), and two
// shifted points per moving token per step.
func Rows(tokens, steps int) int { return 2 + 2*tokens*steps }

// planSteps chooses the path method's steps for active moving tokens: the
// requested steps (default DefaultSteps) when their rows fit the
// budget (0 meaning no limit), else the most that fit, but never fewer than
// MinSteps: then it refuses, naming the rows needed and the budget.
func planSteps(active, steps, budget int) (plan, error) {
	if steps <= 0 {
		steps = DefaultSteps
	}
	if steps > MaxSteps {
		return plan{}, fmt.Errorf("attribution: path method: %d steps is more than the maximum of %d (MaxSteps)", steps, MaxSteps)
	}
	rows := Rows(active, steps)
	if budget <= 0 || rows <= budget {
		return plan{steps: steps, rows: rows}, nil
	}
	fit := 0
	if active > 0 {
		fit = (budget - 2) / (2 * active)
	}
	if fit < MinSteps {
		need := Rows(active, min(steps, MinSteps))
		return plan{}, fmt.Errorf("attribution: path method: %d tokens need %d rows at %d steps, and at least %d rows at the minimum of %d steps; the budget is %d rows: raise the budget or use fewer tokens (--features words attributes words, but the path still moves every token)",
			active, rows, steps, need, MinSteps, budget)
	}
	return plan{steps: fit, rows: Rows(active, fit), lowered: true}, nil
}
