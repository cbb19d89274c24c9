package path

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/lucid-nlp/lucid/engine"
	"github.com/lucid-nlp/lucid/evaluate"
	"github.com/lucid-nlp/lucid/tokenize"
)

// scoreOf maps the evaluator's output to the gradient graph's score; the
// two enums share their order, but an explicit switch keeps that from
// being an accident.
func scoreOf(o evaluate.Output) engine.Score {
	switch o {
	case evaluate.Logit:
		return engine.ScoreLogit
	case evaluate.LogOdds:
		return engine.ScoreLogOdds
	}
	return engine.ScoreProbability
}

// gradRow is one row a gradient call runs: text t's embeddings at path
// position alpha between its baseline (alpha 0) and its input (alpha 1).
type gradRow struct {
	text  int
	alpha float32
	// weight is the quadrature weight; endpoint rows, which are run only
	// for their scores, have weight 0 and endpoint set.
	weight   float64
	endpoint int // 0 none, 1 the input, 2 the baseline
}

// pathText is what IntegratedGradients knows about one text.
type pathText struct {
	enc    *tokenize.Encoding
	target int
	x, x0  []float32 // input and baseline embeddings, [T, H]
}

// IntegratedGradients computes integrated gradients for several texts at
// once with the model's gradient graph, the way captum's
// LayerIntegratedGradients on the embedding layer does: each token's
// attribution is Σ_k w_k Σ_h (x − x')_h · ∂f/∂e_h at e = x' + α_k (x − x'),
// with (α_k, w_k) the quadrature rule's nodes and weights on [0, 1] and x'
// the baseline (o.BaselineID's embedding at every non-special token).
// Each text takes o.Steps gradient rows plus two endpoint rows, f(x) and
// f(x'), for the completeness (convergence) delta, or one endpoint row
// (f(x')) when o.FullScores gives f(x) from a forward run the caller made
// anyway (the explainer's prediction run); rows of all texts and
// steps are batched together, o.BatchSize per run, texts in order of
// length and each batch padded to its longest text (padding is masked, so
// it does not change the result).
// targets[i] is text i's label; o.Target is ignored. o.Budget bounds the
// rows per text as for IntegratedPath (steps are lowered to fit, never
// below MinSteps). A cancelled ctx stops it between batches.
func IntegratedGradients(ctx context.Context, m engine.GradientModel, encs []*tokenize.Encoding, targets []int, o Options) ([]*Result, error) {
	if len(encs) != len(targets) {
		return nil, fmt.Errorf("attribution: %d texts and %d targets: want one target per text", len(encs), len(targets))
	}
	o, err := o.withDefaults("integrated gradients")
	if err != nil {
		return nil, err
	}
	if o.FullScores != nil && len(o.FullScores) != len(encs) {
		return nil, fmt.Errorf("attribution: %d texts and %d known f(x) scores: want one per text or none", len(encs), len(o.FullScores))
	}
	ends := 2 // f(x) and f(x')
	if o.FullScores != nil {
		ends = 1 // f(x) is known
	}
	steps := o.Steps
	if o.Budget > 0 && steps+ends > o.Budget {
		steps = o.Budget - ends
		if steps < MinSteps {
			return nil, fmt.Errorf("attribution: integrated gradients need %d rows per text at the fewest (%d steps and %d end points), more than the budget of %d",
				MinSteps+ends, MinSteps, ends, o.Budget)
		}
	}
	texts, err := pathTexts(ctx, m, encs, targets, o.BaselineID)
	if err != nil {
		return nil, err
	}
	alphas, weights := o.Rule.Nodes(steps)
	// Texts in order of length, so that a batch holds texts of about one
	// length and pads little: a batch is padded to its longest text, and
	// rows in text order mixed a 40-token text's rows into a batch of
	// 8-token ones.
	order := make([]int, len(texts))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return texts[a].enc.Len() - texts[b].enc.Len() })
	var rows []gradRow
	for _, t := range order {
		if o.FullScores == nil {
			rows = append(rows, gradRow{text: t, alpha: 1, endpoint: 1})
		}
		rows = append(rows, gradRow{text: t, alpha: 0, endpoint: 2})
		for k, a := range alphas {
			rows = append(rows, gradRow{text: t, alpha: float32(a), weight: weights[k]})
		}
	}
	results := make([]*Result, len(texts))
	for i, pt := range texts {
		results[i] = &Result{Tokens: make([]float64, pt.enc.Len()), Steps: steps, Evaluations: steps + ends}
		if o.FullScores != nil {
			results[i].Full = o.FullScores[i]
		}
	}
	var runtime time.Duration
	err = runGradientRows(ctx, m, texts, rows, scoreOf(o.Output), o.BatchSize, func(r gradRow, logits []float32, grad []float32) {
		pt, res := texts[r.text], results[r.text]
		switch r.endpoint {
		case 1:
			res.Full = o.Output.Score(logits, pt.target)
			return
		case 2:
			res.Baseline = o.Output.Score(logits, pt.target)
			return
		}
		H := m.Hidden()
		for i := range res.Tokens {
			var dot float64
			for h := range H {
				j := i*H + h
				dot += float64(pt.x[j]-pt.x0[j]) * float64(grad[j])
			}
			res.Tokens[i] += r.weight * dot
		}
	}, &runtime)
	if err != nil {
		return nil, err
	}
	for _, res := range results {
		res.Runtime = rowShare(runtime, res.Evaluations, len(rows))
	}
	return results, nil
}

// pathTexts looks up each text's input and baseline embeddings.
func pathTexts(ctx context.Context, m engine.EmbeddingModel, encs []*tokenize.Encoding, targets []int, baselineID int64) ([]pathText, error) {
	nLabels := len(m.Labels())
	texts := make([]pathText, len(encs))
	for i, enc := range encs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if targets[i] < 0 || targets[i] >= nLabels {
			return nil, fmt.Errorf("attribution: target label index %d for text %d, the model has %d labels", targets[i], i, nLabels)
		}
		if enc == nil || enc.Len() == 0 {
			return nil, fmt.Errorf("attribution: text %d has no tokens", i)
		}
		x, x0, err := embedEnds(ctx, m, enc, baselineID)
		if err != nil {
			return nil, err
		}
		texts[i] = pathText{enc: enc, target: targets[i], x: x, x0: x0}
	}
	return texts, nil
}

// runGradientRows runs rows through m.Gradient, batchSize at a time, each
// batch padded to its longest text, and hands each row's logits and its
// text's slice of the gradient ([T, H]) to use.
func runGradientRows(ctx context.Context, m engine.GradientModel, texts []pathText, rows []gradRow, score engine.Score,
	batchSize int, use func(r gradRow, logits, grad []float32), runtime *time.Duration) error {
	H := m.Hidden()
	for start := 0; start < len(rows); start += batchSize {
		if err := ctx.Err(); err != nil {
			return err
		}
		batch := rows[start:min(start+batchSize, len(rows))]
		S := 0
		for _, r := range batch {
			S = max(S, texts[r.text].enc.Len())
		}
		n := len(batch)
		b := engine.EmbedBatch{Rows: n, SeqLen: S, Hidden: H, Embeds: make([]float32, n*S*H),
			AttentionMask: make([]int64, n*S), TokenTypeIDs: make([]int64, n*S)}
		tg := make([]int, n)
		for i, r := range batch {
			pt := texts[r.text]
			T := pt.enc.Len()
			dst := b.Embeds[i*S*H : i*S*H+T*H]
			for j := range dst {
				dst[j] = pt.x0[j] + r.alpha*(pt.x[j]-pt.x0[j])
			}
			copy(b.AttentionMask[i*S:], pt.enc.AttentionMask)
			copy(b.TokenTypeIDs[i*S:], pt.enc.TypeIDs)
			tg[i] = pt.target
		}
		t0 := time.Now()
		logits, grads, err := m.Gradient(ctx, b, tg, score)
		if err != nil {
			return err
		}
		*runtime += logits.RunTime(t0)
		for i, r := range batch {
			T := texts[r.text].enc.Len()
			use(r, logits.Row(i), grads[i*S*H:i*S*H+T*H])
		}
	}
	return nil
}

// GradientKind names a one-row gradient attribution.
type GradientKind int

const (
	// GradientTimesInput is Σ_h x_h · ∂f/∂x_h per token (captum's
	// InputXGradient on the embedding layer): the first-order share of
	// f(x) − f(zero word embeddings).
	GradientTimesInput GradientKind = iota
	// Saliency is ‖∂f/∂x‖₂ per token: how sensitive the score is to the
	// token's embedding, without sign.
	Saliency
)

// GradientResult is a one-row gradient attribution per token.
type GradientResult struct {
	Tokens []float64 // one per token of the encoding; 0 for special tokens
	Full   float64   // f(x), from the gradient row
	// Zero is f at zero word embeddings (position and token-type
	// embeddings still added), the baseline gradient × input linearises
	// toward; run, in the same batch as x, only when Linearized.
	Zero        float64
	Linearized  bool
	Evaluations int
	Runtime     time.Duration
}

// GradientOptions configure GradientAttributions.
type GradientOptions struct {
	Kind   GradientKind
	Output evaluate.Output
	// Linearize also runs each text at zero word embeddings (one more
	// row per text) so that f(x) − f(0) can be set against gradient ×
	// input's sum, a diagnostic of how far from linear the model is on
	// the way; the attributions do not use it.
	Linearize bool
	// BatchSize is the most gradient rows per run (default 64).
	BatchSize int
}

// GradientAttribution computes gradient × input or saliency for one text:
// one gradient row at the input, plus the zero-embedding row in the same
// run so that f(x) − f(0) can be compared with gradient × input's sum
// (GradientAttributions with Linearize).
func GradientAttribution(ctx context.Context, m engine.GradientModel, enc *tokenize.Encoding, target int, output evaluate.Output, kind GradientKind) (*GradientResult, error) {
	res, err := GradientAttributions(ctx, m, []*tokenize.Encoding{enc}, []int{target},
		GradientOptions{Kind: kind, Output: output, Linearize: true})
	if err != nil {
		return nil, err
	}
	return res[0], nil
}

// GradientAttributions computes gradient × input or saliency for several
// texts at once: one gradient row per text (two with o.Linearize), the
// rows of all texts batched together, o.BatchSize per run, texts in order
// of length and each batch padded to its longest text (padding is
// masked). targets[i] is text i's label. Each result's Runtime is its
// share, by rows, of the runs' model time.
func GradientAttributions(ctx context.Context, m engine.GradientModel, encs []*tokenize.Encoding, targets []int, o GradientOptions) ([]*GradientResult, error) {
	if o.Kind != GradientTimesInput && o.Kind != Saliency {
		return nil, fmt.Errorf("attribution: gradient attribution kind %d: want GradientTimesInput or Saliency", o.Kind)
	}
	if len(encs) != len(targets) {
		return nil, fmt.Errorf("attribution: %d texts and %d targets: want one target per text", len(encs), len(targets))
	}
	if o.BatchSize <= 0 {
		o.BatchSize = evaluate.DefaultBatchSize
	}
	texts, err := pathTexts(ctx, m, encs, targets, 0)
	if err != nil {
		return nil, err
	}
	perText := 1
	if o.Linearize {
		perText = 2
	}
	order := make([]int, len(texts))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return texts[a].enc.Len() - texts[b].enc.Len() })
	var rows []gradRow
	results := make([]*GradientResult, len(texts))
	for i := range texts {
		texts[i].x0 = make([]float32, len(texts[i].x)) // zero word embeddings
		results[i] = &GradientResult{Tokens: make([]float64, texts[i].enc.Len()), Linearized: o.Linearize, Evaluations: perText}
	}
	for _, t := range order {
		rows = append(rows, gradRow{text: t, alpha: 1, endpoint: 1})
		if o.Linearize {
			rows = append(rows, gradRow{text: t, alpha: 0, endpoint: 2})
		}
	}
	H := m.Hidden()
	var runtime time.Duration
	err = runGradientRows(ctx, m, texts, rows, scoreOf(o.Output), o.BatchSize, func(r gradRow, logits, grad []float32) {
		pt, res := texts[r.text], results[r.text]
		if r.endpoint == 2 {
			res.Zero = o.Output.Score(logits, pt.target)
			return
		}
		res.Full = o.Output.Score(logits, pt.target)
		for i := range res.Tokens {
			if pt.enc.Special[i] {
				continue
			}
			var v float64
			for h := range H {
				g := float64(grad[i*H+h])
				if o.Kind == Saliency {
					v += g * g
				} else {
					v += g * float64(pt.x[i*H+h])
				}
			}
			if o.Kind == Saliency {
				v = math.Sqrt(v)
			}
			res.Tokens[i] = v
		}
	}, &runtime)
	if err != nil {
		return nil, err
	}
	for _, res := range results {
		res.Runtime = rowShare(runtime, res.Evaluations, len(rows))
	}
	return results, nil
}

// rowShare is the part of runtime, the model time of rows run for several
// texts, that a text of evaluations rows paid for.
func rowShare(runtime time.Duration, evaluations, rows int) time.Duration {
	return runtime * time.Duration(evaluations) / time.Duration(max(rows, 1))
}
