package onnx

import (
	"context"
	"fmt"

	ort "github.com/yalue/onnxruntime_go"

	"github.com/lucid-nlp/lucid/engine"
)

// DefaultGradientThreads is the gradient graph's intra-op threads per
// session unless WithThreads sets them for every graph. Measured on the
// shipped model on a 2-CPU machine, a second thread never paid: issue 21
// saw 196 rows/s at 2 threads against 1,170–1,350 at 1 under load, and at
// a load average of 17–22, alternating 10 rounds, 1 thread gave 275, 180
// and 145 rows/s at batch 1, 17 and 64 against 153, 154 and 120 at 2.
const DefaultGradientThreads = 1

// GradientThreads is the intra-op threads the gradient graph's sessions
// use (or will use when opened).
func (m *Model) GradientThreads() int {
	if m.cfg.threadsSet {
		return m.cfg.threads
	}
	return DefaultGradientThreads
}

// HasGradientGraph reports whether the folder has model_grad.onnx, the
// optional graph that returns gradients with respect to the input
// embeddings (and the embedding graphs it needs beside it).
func (m *Model) HasGradientGraph() bool {
	return m.src.has(GradFile) && m.HasEmbeddingGraphs()
}

// openGradient opens model_grad.onnx, once, after the embedding graphs.
func (m *Model) openGradient() error {
	m.gradOnce.Do(func() { m.gradErr = m.loadGradient() })
	return m.gradErr
}

// loadGradient checks model_grad.onnx against the contract: the inputs of
// model_embeds.onnx plus int64 target [batch] and int64 output [1]; float32
// outputs logits [batch, labels] and gradient [batch, seq, hidden].
func (m *Model) loadGradient() error {
	if err := m.openEmbeddings(); err != nil {
		return err
	}
	if !m.src.has(GradFile) {
		return fmt.Errorf("onnx: model folder %s has no %s, the gradient graph (scripts/export_models.py writes it); gradient methods need it", m.dir, GradFile)
	}
	gf, err := m.src.graph(GradFile)
	if err != nil {
		return err
	}
	path := gf.path
	in, out, err := describeGraph(gf)
	if err != nil {
		return err
	}
	extra := map[string]ort.InputOutputInfo{}
	base := map[string]ort.InputOutputInfo{}
	for k, v := range in {
		if k == targetInput || k == scoreInput {
			extra[k] = v
		} else {
			base[k] = v
		}
	}
	names, err := checkInputs(path, base, inputsEmbeds, embedsInput)
	if err != nil {
		return err
	}
	for _, n := range []string{targetInput, scoreInput} {
		info, ok := extra[n]
		if !ok {
			return fmt.Errorf("onnx: %s has no %q input (its inputs: %s); the gradient graph needs %s [batch] and %s [1]",
				path, n, inputList(in), targetInput, scoreInput)
		}
		if info.OrtValueType != ort.ONNXTypeTensor || info.DataType != ort.TensorElementDataTypeInt64 || len(info.Dimensions) != 1 {
			return fmt.Errorf("onnx: %s input %q is %s, want a rank-1 int64 tensor", path, n, info.String())
		}
	}
	n, err := checkLogits(path, out)
	if err != nil {
		return err
	}
	if n > 0 && n != len(m.labels) {
		return fmt.Errorf("onnx: %s outputs %d logits but %s outputs %d", path, n, ModelFile, len(m.labels))
	}
	g, ok := out[gradOutput]
	if !ok {
		return fmt.Errorf("onnx: %s has no %q output (its outputs: %s)", path, gradOutput, inputList(out))
	}
	if g.OrtValueType != ort.ONNXTypeTensor || g.DataType != ort.TensorElementDataTypeFloat || len(g.Dimensions) != 3 ||
		(g.Dimensions[2] > 0 && int(g.Dimensions[2]) != m.hidden) {
		return fmt.Errorf("onnx: %s output %q is %s, want float32 [batch, seq, %d]", path, gradOutput, g.String(), m.hidden)
	}
	names = append(names, targetInput, scoreInput)
	cfg := m.cfg
	if !cfg.threadsSet {
		cfg.threads = DefaultGradientThreads
	}
	if m.grad, err = openGraph(gf, cfg, names, []string{logitsOutput, gradOutput}, in, out); err != nil {
		return err
	}
	m.gradInputs = names
	return nil
}

// Gradient runs model_grad.onnx: each row's logits and the gradient of row
// r's score for label targets[r] with respect to its input embeddings.
func (m *Model) Gradient(ctx context.Context, b engine.EmbedBatch, targets []int, score engine.Score) (engine.Logits, []float32, error) {
	if err := m.openGradient(); err != nil {
		return engine.Logits{}, nil, err
	}
	if err := b.Validate(); err != nil {
		return engine.Logits{}, nil, err
	}
	if b.Hidden != m.hidden {
		return engine.Logits{}, nil, fmt.Errorf("onnx: embed batch hidden size %d, model wants %d", b.Hidden, m.hidden)
	}
	if len(targets) != b.Rows {
		return engine.Logits{}, nil, fmt.Errorf("onnx: %d gradient targets for %d rows, want one per row", len(targets), b.Rows)
	}
	tgt := make([]int64, b.Rows)
	for r, t := range targets {
		if t < 0 || t >= len(m.labels) {
			return engine.Logits{}, nil, fmt.Errorf("onnx: gradient target %d of row %d, the model has %d labels", t, r, len(m.labels))
		}
		tgt[r] = int64(t)
	}
	if score < engine.ScoreProbability || score > engine.ScoreLogOdds {
		return engine.Logits{}, nil, fmt.Errorf("onnx: gradient of %s: want probability, logit or log-odds", score)
	}
	n := b.Rows * b.SeqLen
	shape := ort.NewShape(int64(b.Rows), int64(b.SeqLen))
	inputs := make([]ort.Value, 0, len(m.gradInputs)+2)
	defer func() {
		for _, v := range inputs {
			_ = v.Destroy()
		}
	}()
	for _, name := range m.gradInputs {
		var v ort.Value
		var err error
		switch name {
		case inputsEmbeds:
			v, err = ort.NewTensor(ort.NewShape(int64(b.Rows), int64(b.SeqLen), int64(b.Hidden)), b.Embeds)
		case attentionMask:
			v, err = ort.NewTensor(shape, b.AttentionMask)
		case tokenTypeIDs:
			v, err = ort.NewTensor(shape, typeIDsOrZeros(b.TokenTypeIDs, n))
		case targetInput:
			v, err = ort.NewTensor(ort.NewShape(int64(b.Rows)), tgt)
		default:
			v, err = ort.NewTensor(ort.NewShape(1), []int64{int64(score)})
		}
		if err != nil {
			return engine.Logits{}, nil, fmt.Errorf("onnx: building input %s: %w", name, err)
		}
		inputs = append(inputs, v)
	}
	nIn := len(inputs)
	logits := engine.Logits{Rows: b.Rows, Labels: len(m.labels), Data: make([]float32, b.Rows*len(m.labels))}
	lt, err := ort.NewTensor(ort.NewShape(int64(b.Rows), int64(len(m.labels))), logits.Data)
	if err != nil {
		return engine.Logits{}, nil, fmt.Errorf("onnx: building output: %w", err)
	}
	inputs = append(inputs, lt)
	grads := make([]float32, len(b.Embeds))
	gt, err := ort.NewTensor(ort.NewShape(int64(b.Rows), int64(b.SeqLen), int64(b.Hidden)), grads)
	if err != nil {
		return engine.Logits{}, nil, fmt.Errorf("onnx: building output: %w", err)
	}
	inputs = append(inputs, gt)
	if logits.Elapsed, err = m.grad.run(ctx, inputs[:nIn], []ort.Value{lt, gt}); err != nil {
		return engine.Logits{}, nil, err
	}
	return logits, grads, nil
}

// OpenGradient opens model_grad.onnx now rather than at the first Gradient
// call. ONNX Runtime takes a few hundred milliseconds to optimise the
// gradient graph's ~870 nodes (0.2–1 s on a shared two-core machine); a
// benchmark or a server calls this before it starts its clock or takes
// traffic, so that no explanation pays for it.
func (m *Model) OpenGradient() error {
	if !m.HasGradientGraph() {
		return fmt.Errorf("onnx: model folder %s has no %s, the gradient graph (scripts/export_models.py writes it)", m.dir, GradFile)
	}
	return m.openGradient()
}
