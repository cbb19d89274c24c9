package attribution

import "github.com/lucid-nlp/lucid/attribution/edit"

// Result is an explanation, the same for every method; its JSON form is
// documented in README.md ("Explanation JSON").
type Result struct {
	Text   string `json:"text"`
	Model  string `json:"model"`
	Method Method `json:"method"`
	// Settings are the method's settings as used (defaults filled in).
	Settings Settings `json:"settings"`
	// Output is what the attributions are in: prob, logit or logodds, or
	// score for a regression head (its raw output; it has no probability).
	Output string `json:"output"`
	// Head is how the model's logits become probabilities: single-label
	// (softmax), multi-label (a sigmoid per label: Probabilities need not
	// sum to 1) or regression (Probabilities holds the raw score).
	Head          string             `json:"head,omitempty"`
	Target        string             `json:"target"`
	TargetIndex   int                `json:"target_index"`
	Predicted     string             `json:"predicted"`
	Probabilities map[string]float64 `json:"probabilities"`
	// FX is f(x), the target's score on the whole input; BaseValue is
	// f(baseline): every feature absent (coalition methods) or the path's
	// start (path method).
	FX          float64              `json:"f_x"`
	BaseValue   float64              `json:"base_value"`
	Features    []FeatureAttribution `json:"features"`
	Evaluations int                  `json:"evaluations"`
	// RuntimeSeconds is the time spent inside the model; WallSeconds the
	// whole call.
	RuntimeSeconds float64 `json:"runtime_seconds"`
	WallSeconds    float64 `json:"wall_seconds"`
	// With texts explained together (ExplainAll), their rows share
	// batches and WallSeconds spans the shared run: BatchTexts is how many
	// texts shared it, BatchWallSeconds its wall time, and
	// WallShareSeconds this text's share of it, in proportion to the
	// model time its own rows took (RuntimeSeconds).
	BatchTexts       int                `json:"batch_texts,omitempty"`
	BatchWallSeconds float64            `json:"batch_wall_seconds,omitempty"`
	WallShareSeconds float64            `json:"wall_share_seconds,omitempty"`
	Diagnostics      map[string]float64 `json:"diagnostics,omitempty"`
	Warnings         []string           `json:"warnings,omitempty"`
	// Summary says in plain words what the numbers show (Summarize);
	// SummaryTechnical says the same with the precise figures
	// (SummarizeTechnical).
	Summary          string `json:"summary"`
	SummaryTechnical string `json:"summary_technical"`
	// Counterfactual is the minimal edit found (--why-not, or the
	// counterfactual method), nil when none was asked for.
	Counterfactual *edit.Edit `json:"counterfactual,omitempty"`
	// Labels, with Request.AllTargets, attributes every label (the
	// target's included) from the same evaluations.
	Labels []LabelAttribution `json:"labels,omitempty"`
	// Windows are the windows of a windowed explanation (Request.Window),
	// in text order; absent otherwise.
	Windows []Window `json:"windows,omitempty"`
	// Windowing, with Request.Window, says how the windows combine and
	// what the model says on the text as lucid predict reads it.
	Windowing *Windowing `json:"windowing,omitempty"`
	// TextPair is the second text of a sentence pair (Request.Pair), nil
	// for one text; PairTruncation says what longest-first truncation cut
	// from each text, nil when nothing was cut.
	TextPair       *string         `json:"text_pair,omitempty"`
	PairTruncation *PairTruncation `json:"pair_truncation,omitempty"`
}

// Settings records how an explanation was computed.
type Settings struct {
	Budget      int     `json:"budget"`
	Steps       int     `json:"steps,omitempty"`
	Quadrature  string  `json:"quadrature,omitempty"`
	Features    string  `json:"features"`
	Mask        string  `json:"mask"`
	Seed        uint64  `json:"seed"`
	KernelWidth float64 `json:"kernel_width,omitempty"`
	// Refine is set when KernelSHAP's odd refinement ran (the default of
	// a sampled KernelSHAP; off with --refine=false, --tolerance, --target
	// all, and when the coalitions were enumerated exactly).
	Refine bool `json:"refine,omitempty"`
	// WindowStride is the stride, in tokens, of a windowed explanation.
	WindowStride int `json:"window_stride,omitempty"`
	// Derivatives says how the gradient methods took their derivatives:
	// DerivativesGradientGraph (model_grad.onnx) or, for ig only,
	// DerivativesFiniteDifferences, with DerivativesReason saying why
	// (no gradient graph, or asked for).
	Derivatives       string `json:"derivatives,omitempty"`
	DerivativesReason string `json:"derivatives_reason,omitempty"`
	// BaseImplied is set when the base value is not a model run but f(x)
	// − Σ attributions: grad-input and saliency without
	// Request.Linearization, which run no baseline row.
	BaseImplied bool `json:"base_implied,omitempty"`
}

// FeatureAttribution is one feature's share of f(x) − base value.
type FeatureAttribution struct {
	Text string `json:"text"`
	// Start and End are character (Unicode code point) offsets into Text;
	// ByteStart and ByteEnd the same span in UTF-8 bytes.
	Start       int      `json:"start"`
	End         int      `json:"end"`
	ByteStart   int      `json:"byte_start"`
	ByteEnd     int      `json:"byte_end"`
	Tokens      []string `json:"tokens"`
	Attribution float64  `json:"attribution"`
	StdErr      *float64 `json:"stderr,omitempty"`
	// Segment is the text of a sentence pair the feature is in: 0 for the
	// first (Result.Text), 1 for the second (Result.TextPair), whose
	// characters Start and End then count. Nil for one text.
	Segment *int `json:"segment,omitempty"`
}
