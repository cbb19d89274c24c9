package onnx

import (
	"context"
	"fmt"
	"io/fs"
	"slices"
	"sort"
	"strings"
	"sync"

	ort "github.com/yalue/onnxruntime_go"

	"github.com/lucid-nlp/lucid/engine"
)

// File names of the model-directory contract.
const (
	ModelFile      = "model.onnx"
	EmbedModelFile = "model_embeds.onnx"
	LookupFile     = "embeddings.onnx"
	// GradFile is optional: the gradient graph (scripts/export_models.py
	// writes it) that makes path attributions cost one row per step.
	GradFile = "model_grad.onnx"
)

const (
	inputIDs      = "input_ids"
	attentionMask = "attention_mask"
	tokenTypeIDs  = "token_type_ids"
	inputsEmbeds  = "inputs_embeds"
	logitsOutput  = "logits"
	targetInput   = "target"
	scoreInput    = "output"
	gradOutput    = "gradient"
)

// Model is a model folder opened on ONNX Runtime. It implements
// engine.EmbeddingModel; the embedding graphs are opened on first use, so a
// folder without them still serves Run. Safe for concurrent use.
type Model struct {
	dir        string
	src        source
	cfg        config
	labels     []string
	main       *graph
	mainInputs []string // the inputs the graph takes, in the order we feed them

	embedOnce   sync.Once
	embedErr    error
	embeds      *graph
	embedInputs []string
	// model_embeds.onnx's sessions open at the first RunEmbeds: the
	// gradient methods need only the lookup graph and model_grad.onnx.
	embedsOnce sync.Once
	embedsErr  error
	embedsOpen func() (*graph, error)
	lookup     *graph
	lookupOut  string
	hidden     int

	gradOnce   sync.Once
	gradErr    error
	grad       *graph
	gradInputs []string

	positions int // rows of the position-embedding table, 0 when unknown
}

var _ engine.GradientModel = (*Model)(nil)

// Open loads dir/model.onnx. It checks the graph against the contract:
// int64 inputs input_ids and attention_mask [batch, seq], optional
// token_type_ids, nothing else; a float32 output logits [batch, labels].
func Open(dir string, opts ...Option) (*Model, error) {
	return open(source{dir: dir}, opts)
}

// OpenFS is Open for a model folder held in a file system whose root is
// the folder (the default model embedded in the binary, say): the graphs'
// bytes are handed to ONNX Runtime, so nothing is read from the working
// directory. name labels the folder in messages and is what Dir returns.
func OpenFS(fsys fs.FS, name string, opts ...Option) (*Model, error) {
	if fsys == nil {
		return nil, fmt.Errorf("onnx: model %s: no file system given", name)
	}
	return open(source{dir: name, fsys: fsys}, opts)
}

func open(src source, opts []Option) (*Model, error) {
	cfg := defaults()
	for _, o := range opts {
		o(&cfg)
	}
	lib, err := FindLibrary(cfg.library, cfg.device.CUDA)
	if err != nil {
		return nil, err
	}
	if err := initRuntime(lib); err != nil {
		return nil, err
	}
	gf, err := src.graph(ModelFile)
	if err != nil {
		return nil, err
	}
	path := gf.path
	in, out, err := describeGraph(gf)
	if err != nil {
		return nil, err
	}
	names, err := checkInputs(path, in, inputIDs, int64Input)
	if err != nil {
		return nil, err
	}
	nLabels, err := checkLogits(path, out)
	if err != nil {
		return nil, err
	}
	g, err := openGraph(gf, cfg, names, []string{logitsOutput}, in, out)
	if err != nil {
		return nil, err
	}
	if nLabels == 0 && len(cfg.labels) == 0 {
		// A dynamic label count and no names: one row says how many.
		if nLabels, err = probeLabels(g, names); err != nil {
			g.close()
			return nil, fmt.Errorf("onnx: %s declares a dynamic number of logits and no labels were given (config.json id2label or num_labels); running one row to count them failed: %w", path, err)
		}
	}
	labels, err := resolveLabels(cfg.labels, nLabels, path)
	if err != nil {
		g.close()
		return nil, err
	}
	if !cfg.headSet && len(labels) == 1 {
		cfg.head = engine.Regression
	}
	if cfg.head == engine.SingleLabel && len(labels) == 1 {
		g.close()
		return nil, fmt.Errorf("onnx: %s has one output (%s) and a single-label (softmax) head, whose one probability is always 1: a one-output model is a regression head (or a multi-label head with one sigmoid label); say which with problem_type in config.json or --head", path, labels[0])
	}
	return &Model{dir: src.dir, src: src, cfg: cfg, labels: labels, main: g, mainInputs: names, positions: gf.positions()}, nil
}

// Positions returns the number of rows of model.onnx's position-embedding
// table, the most tokens a sequence may have (RoBERTa-family models use
// two of them for the padding offset), or 0 when the graph does not show
// it. It lets a caller check config.json's max_position_embeddings
// against the graph before the first run.
func (m *Model) Positions() int { return m.positions }

type inputKind int

const (
	int64Input inputKind = iota
	embedsInput
)

// checkInputs returns the graph's input names in feeding order (first, then
// attention_mask, then token_type_ids if present), or an error naming
// whatever does not fit the contract.
func checkInputs(path string, in map[string]ort.InputOutputInfo, first string, kind inputKind) ([]string, error) {
	names := []string{first, attentionMask}
	for _, n := range names {
		if _, ok := in[n]; !ok {
			return nil, fmt.Errorf("onnx: %s has no %q input (its inputs: %s); the model contract needs %s and %s",
				path, n, inputList(in), first, attentionMask)
		}
	}
	known := map[string]bool{first: true, attentionMask: true, tokenTypeIDs: true}
	var unknown []string
	for name := range in {
		if !known[name] {
			unknown = append(unknown, name)
		}
	}
	sort.Strings(unknown)
	if len(unknown) > 0 {
		return nil, fmt.Errorf("onnx: %s has input(s) %s that the model contract does not know (want %s, %s and optionally %s)",
			path, strings.Join(unknown, ", "), first, attentionMask, tokenTypeIDs)
	}
	if _, ok := in[tokenTypeIDs]; ok {
		names = append(names, tokenTypeIDs)
	}
	for _, n := range names {
		info := in[n]
		wantType, wantRank := ort.TensorElementDataType(ort.TensorElementDataTypeInt64), 2
		if n == first && kind == embedsInput {
			wantType, wantRank = ort.TensorElementDataTypeFloat, 3
		}
		if info.OrtValueType != ort.ONNXTypeTensor || info.DataType != wantType || len(info.Dimensions) != wantRank {
			return nil, fmt.Errorf("onnx: %s input %q is %s, want a rank-%d %s tensor", path, n, info.String(), wantRank, wantType)
		}
	}
	return names, nil
}

func inputList(in map[string]ort.InputOutputInfo) string {
	var names []string
	for n := range in {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// checkLogits returns the number of labels from the logits output's shape,
// or 0 when that dimension is dynamic.
func checkLogits(path string, out map[string]ort.InputOutputInfo) (int, error) {
	info, ok := out[logitsOutput]
	if !ok {
		return 0, fmt.Errorf("onnx: %s has no %q output (its outputs: %s)", path, logitsOutput, inputList(out))
	}
	if info.OrtValueType != ort.ONNXTypeTensor || info.DataType != ort.TensorElementDataTypeFloat || len(info.Dimensions) != 2 {
		return 0, fmt.Errorf("onnx: %s output %q is %s, want a float32 [batch, labels] tensor", path, logitsOutput, info.String())
	}
	if n := info.Dimensions[1]; n > 0 {
		return int(n), nil
	}
	return 0, nil
}

// probeLabels runs g on one row of one token (id 0, attended) with the
// output left to ONNX Runtime to allocate, and returns the logits' width.
func probeLabels(g *graph, names []string) (int, error) {
	shape := ort.NewShape(1, 1)
	inputs := make([]ort.Value, 0, len(names))
	defer func() {
		for _, v := range inputs {
			_ = v.Destroy()
		}
	}()
	for _, n := range names {
		val := int64(0)
		if n == attentionMask {
			val = 1
		}
		t, err := ort.NewTensor(shape, []int64{val})
		if err != nil {
			return 0, err
		}
		inputs = append(inputs, t)
	}
	outputs := []ort.Value{nil}
	if _, err := g.run(context.Background(), inputs, outputs); err != nil {
		return 0, err
	}
	if outputs[0] == nil {
		return 0, fmt.Errorf("no %s output came back", logitsOutput)
	}
	defer outputs[0].Destroy()
	dims := outputs[0].GetShape()
	if len(dims) != 2 || dims[0] != 1 || dims[1] < 1 {
		return 0, fmt.Errorf("%s came back with shape %v, want [1, labels]", logitsOutput, dims)
	}
	return int(dims[1]), nil
}

func resolveLabels(given []string, n int, path string) ([]string, error) {
	switch {
	case len(given) > 0 && n > 0 && len(given) != n:
		return nil, fmt.Errorf("onnx: %s outputs %d logits but %d labels were given (%s)", path, n, len(given), strings.Join(given, ", "))
	case len(given) > 0:
		return given, nil
	case n > 0:
		labels := make([]string, n)
		for i := range labels {
			labels[i] = fmt.Sprintf("LABEL_%d", i)
		}
		return labels, nil
	}
	return nil, fmt.Errorf("onnx: %s has a dynamic number of logits and no labels were given: give config.json an id2label or num_labels", path)
}

// GraphSource says where model.onnx's session was opened from: the model
// file, the model file with its optimized graph saved to the cache, or the
// cached optimized graph (see WithGraphCache).
func (m *Model) GraphSource() string { return m.main.from }

// Labels returns the label names, index i naming logit i.
func (m *Model) Labels() []string { return slices.Clone(m.labels) }

// Head says how the logits become probabilities (WithHead; single-label
// by default). It makes Model an engine.HeadModel, so evaluators and
// explainers handed the model score each kind of head right.
func (m *Model) Head() engine.Head { return m.cfg.head }

// Device returns where the model runs.
func (m *Model) Device() Device { return m.cfg.device }

// Dir returns the model folder (for OpenFS, the name it was given).
func (m *Model) Dir() string { return m.dir }

// Inputs returns the names of the inputs model.onnx takes, in feeding order.
func (m *Model) Inputs() []string { return slices.Clone(m.mainInputs) }

// Run scores a batch of padded rows: one row of logits per input row.
func (m *Model) Run(ctx context.Context, b engine.Batch) (engine.Logits, error) {
	if err := b.Validate(); err != nil {
		return engine.Logits{}, err
	}
	shape := ort.NewShape(int64(b.Rows), int64(b.SeqLen))
	return m.runGraph(ctx, m.main, m.mainInputs, b.Rows, func(name string) (ort.Value, error) {
		switch name {
		case inputIDs:
			return ort.NewTensor(shape, b.InputIDs)
		case attentionMask:
			return ort.NewTensor(shape, b.AttentionMask)
		default:
			return ort.NewTensor(shape, typeIDsOrZeros(b.TokenTypeIDs, b.Rows*b.SeqLen))
		}
	})
}

func typeIDsOrZeros(t []int64, n int) []int64 {
	if t != nil {
		return t
	}
	return make([]int64, n)
}

// runGraph builds the inputs named in names with makeInput, runs g and
// returns the logits of rows rows.
func (m *Model) runGraph(ctx context.Context, g *graph, names []string, rows int,
	makeInput func(name string) (ort.Value, error)) (engine.Logits, error) {
	inputs := make([]ort.Value, 0, len(names)+1)
	defer func() {
		for _, v := range inputs {
			_ = v.Destroy()
		}
	}()
	for _, n := range names {
		v, err := makeInput(n)
		if err != nil {
			return engine.Logits{}, fmt.Errorf("onnx: building input %s: %w", n, err)
		}
		inputs = append(inputs, v)
	}
	out := engine.Logits{Rows: rows, Labels: len(m.labels), Data: make([]float32, rows*len(m.labels))}
	ot, err := ort.NewTensor(ort.NewShape(int64(rows), int64(len(m.labels))), out.Data)
	if err != nil {
		return engine.Logits{}, fmt.Errorf("onnx: building output: %w", err)
	}
	inputs = append(inputs, ot) // destroyed with the inputs
	if out.Elapsed, err = g.run(ctx, inputs[:len(names)], []ort.Value{ot}); err != nil {
		return engine.Logits{}, err
	}
	return out, nil
}

// Close releases the sessions. The model must not be used afterwards.
func (m *Model) Close() error {
	m.main.close()
	if m.embeds != nil {
		m.embeds.close()
	}
	if m.lookup != nil {
		m.lookup.close()
	}
	if m.grad != nil {
		m.grad.close()
	}
	return nil
}

// HasEmbeddingGraphs reports whether the folder has the two graphs that path
// attributions need.
func (m *Model) HasEmbeddingGraphs() bool {
	return m.src.has(EmbedModelFile) && m.src.has(LookupFile)
}

// openEmbeddings opens model_embeds.onnx and embeddings.onnx, once.
func (m *Model) openEmbeddings() error {
	m.embedOnce.Do(func() { m.embedErr = m.loadEmbeddings() })
	return m.embedErr
}

func (m *Model) loadEmbeddings() error {
	if !m.HasEmbeddingGraphs() {
		var missing []string
		for _, f := range []string{EmbedModelFile, LookupFile} {
			if !m.src.has(f) {
				missing = append(missing, f)
			}
		}
		// An optimum-style export has model.onnx only: say which files are
		// missing and the command that writes them.
		return fmt.Errorf("onnx: model folder %s lacks %s, which path attributions need; for a BERT, MiniLM, DistilBERT or RoBERTa export, `/usr/bin/python3 scripts/export_models.py grad %s` writes them (and %s) from model.onnx",
			m.dir, strings.Join(missing, " and "), m.dir, GradFile)
	}
	eFile, err := m.src.graph(EmbedModelFile)
	if err != nil {
		return err
	}
	ePath := eFile.path
	in, out, err := describeGraph(eFile)
	if err != nil {
		return err
	}
	names, err := checkInputs(ePath, in, inputsEmbeds, embedsInput)
	if err != nil {
		return err
	}
	n, err := checkLogits(ePath, out)
	if err != nil {
		return err
	}
	if n > 0 && n != len(m.labels) {
		return fmt.Errorf("onnx: %s outputs %d logits but %s outputs %d", ePath, n, ModelFile, len(m.labels))
	}
	lFile, err := m.src.graph(LookupFile)
	if err != nil {
		return err
	}
	lPath := lFile.path
	lin, lout, err := describeGraph(lFile)
	if err != nil {
		return err
	}
	if _, ok := lin[inputIDs]; !ok || len(lin) != 1 {
		return fmt.Errorf("onnx: %s must take exactly one input, %q (its inputs: %s)", lPath, inputIDs, inputList(lin))
	}
	if len(lout) != 1 {
		return fmt.Errorf("onnx: %s must have exactly one output, the embeddings (its outputs: %s)", lPath, inputList(lout))
	}
	var outName string
	var outInfo ort.InputOutputInfo
	for k, v := range lout {
		outName, outInfo = k, v
	}
	hidden := in[inputsEmbeds].Dimensions[2]
	if hidden <= 0 && len(outInfo.Dimensions) == 3 {
		hidden = outInfo.Dimensions[2]
	}
	if outInfo.DataType != ort.TensorElementDataTypeFloat || len(outInfo.Dimensions) != 3 || hidden <= 0 {
		return fmt.Errorf("onnx: %s output %s is %s, want float32 [batch, seq, hidden] with a fixed hidden size", lPath, outName, outInfo.String())
	}
	m.embedsOpen = func() (*graph, error) { return openGraph(eFile, m.cfg, names, []string{logitsOutput}, in, out) }
	if m.lookup, err = openGraph(lFile, m.cfg, []string{inputIDs}, []string{outName}, lin, lout); err != nil {
		return err
	}
	m.embedInputs, m.lookupOut, m.hidden = names, outName, int(hidden)
	return nil
}

// openEmbedsGraph opens model_embeds.onnx's sessions, once, after
// openEmbeddings has checked both embedding graphs and opened the lookup.
func (m *Model) openEmbedsGraph() error {
	if err := m.openEmbeddings(); err != nil {
		return err
	}
	m.embedsOnce.Do(func() { m.embeds, m.embedsErr = m.embedsOpen() })
	return m.embedsErr
}

// OpenEmbeddings opens both embedding graphs now (model_embeds.onnx is
// otherwise opened at the first RunEmbeds), so that a benchmark's first
// timed finite-difference explanation does not pay for it.
func (m *Model) OpenEmbeddings() error { return m.openEmbedsGraph() }

// Hidden returns the embedding width, or 0 when the folder has no embedding
// graphs.
func (m *Model) Hidden() int {
	if m.openEmbeddings() != nil {
		return 0
	}
	return m.hidden
}

// Embed looks ids up in the word-embedding table: len(ids)*Hidden() values.
func (m *Model) Embed(ctx context.Context, ids []int64) ([]float32, error) {
	if err := m.openEmbeddings(); err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return nil, fmt.Errorf("onnx: Embed needs at least one token id")
	}
	shape := ort.NewShape(1, int64(len(ids)))
	in, err := ort.NewTensor(shape, ids)
	if err != nil {
		return nil, fmt.Errorf("onnx: building input %s: %w", inputIDs, err)
	}
	defer in.Destroy()
	data := make([]float32, len(ids)*m.hidden)
	out, err := ort.NewTensor(ort.NewShape(1, int64(len(ids)), int64(m.hidden)), data)
	if err != nil {
		return nil, fmt.Errorf("onnx: building embeddings output: %w", err)
	}
	defer out.Destroy()
	if _, err := m.lookup.run(ctx, []ort.Value{in}, []ort.Value{out}); err != nil {
		return nil, err
	}
	return data, nil
}

// RunEmbeds runs the network from input embeddings.
func (m *Model) RunEmbeds(ctx context.Context, b engine.EmbedBatch) (engine.Logits, error) {
	if err := m.openEmbedsGraph(); err != nil {
		return engine.Logits{}, err
	}
	n := b.Rows * b.SeqLen
	switch {
	case b.Rows <= 0 || b.SeqLen <= 0:
		return engine.Logits{}, fmt.Errorf("onnx: embed batch shape %dx%d: rows and sequence length must be positive", b.Rows, b.SeqLen)
	case b.Hidden != m.hidden:
		return engine.Logits{}, fmt.Errorf("onnx: embed batch hidden size %d, model wants %d", b.Hidden, m.hidden)
	case len(b.Embeds) != n*b.Hidden:
		return engine.Logits{}, fmt.Errorf("onnx: embed batch %dx%dx%d has %d values, want %d", b.Rows, b.SeqLen, b.Hidden, len(b.Embeds), n*b.Hidden)
	case len(b.AttentionMask) != n || (b.TokenTypeIDs != nil && len(b.TokenTypeIDs) != n):
		return engine.Logits{}, fmt.Errorf("onnx: embed batch %dx%d: attention mask or token types have the wrong length", b.Rows, b.SeqLen)
	}
	shape := ort.NewShape(int64(b.Rows), int64(b.SeqLen))
	return m.runGraph(ctx, m.embeds, m.embedInputs, b.Rows, func(name string) (ort.Value, error) {
		switch name {
		case inputsEmbeds:
			return ort.NewTensor(ort.NewShape(int64(b.Rows), int64(b.SeqLen), int64(b.Hidden)), b.Embeds)
		case attentionMask:
			return ort.NewTensor(shape, b.AttentionMask)
		default:
			return ort.NewTensor(shape, typeIDsOrZeros(b.TokenTypeIDs, n))
		}
	})
}
