package lucid

import (
	"fmt"
	"runtime"

	"github.com/lucid-nlp/lucid/attribution"
	"github.com/lucid-nlp/lucid/engine"
	"github.com/lucid-nlp/lucid/engine/onnx"
	"github.com/lucid-nlp/lucid/evaluate"
	"github.com/lucid-nlp/lucid/perturb"
)

// Limits on Open's options, the same as the lucid CLI's flags: each is
// checked by Open, and a value beyond one is an error naming it.
const (
	// MaxSessions is the most ONNX Runtime sessions a Model holds (each
	// holds a copy of the network's working memory).
	MaxSessions = 64
	// MaxThreadsCeiling caps WithThreads whatever the machine; below it the
	// limit is four threads per CPU (MaxThreads).
	MaxThreadsCeiling = 256
	// MaxBatchSize is the most rows sent to ONNX Runtime at once.
	MaxBatchSize = 4096
	// DefaultBatchSize is the rows per ONNX Runtime batch when
	// WithBatchSize is not given: explanations' rows from all callers fill
	// batches of this size.
	DefaultBatchSize = evaluate.DefaultBatchSize
	// DefaultSeed is an explanation's random seed when WithSeed is not
	// given, the lucid CLI's default, so that the library and
	// `lucid explain --json` agree for the same settings.
	DefaultSeed = 1
)

// MaxThreads is the most intra-op threads per session on this machine:
// four per CPU, never above MaxThreadsCeiling.
func MaxThreads() int { return min(4*runtime.NumCPU(), MaxThreadsCeiling) }

// config is what Open's options set.
type config struct {
	threads   int
	sessions  int
	device    string
	library   string
	maxMemory int64
	batchSize int
	head      string
}

// Option configures Open and OpenDefault.
type Option func(*config)

// WithThreads sets ONNX Runtime's intra-op threads per session, 1 to
// MaxThreads() (default: the number of CPUs).
func WithThreads(n int) Option { return func(c *config) { c.threads = n } }

// WithSessions sets how many ONNX Runtime sessions run batches at once, 1
// to MaxSessions (default 1: on a CPU one session with every core is
// fastest; more help on GPUs and many-core hosts).
func WithSessions(n int) Option { return func(c *config) { c.sessions = n } }

// WithDevice sets where the model runs: "cpu" (the default), "cuda" or
// "cuda:N" (needs the CUDA build of ONNX Runtime, scripts/setup_ort.sh --gpu).
func WithDevice(device string) Option { return func(c *config) { c.device = device } }

// WithORTLibrary sets the ONNX Runtime shared library's path (default:
// $LUCID_ORT_LIB, then the folder scripts/setup_ort.sh installs into). One
// process loads one library: every Model in it must agree.
func WithORTLibrary(path string) Option { return func(c *config) { c.library = path } }

// WithMaxMemory bounds each explanation's estimated memory in bytes
// (attribution.EstimateBytes): an explanation estimated above it is
// refused before its coalitions are allocated. 0 (the default) leaves only
// the explainers' own limits (attribution.MaxBudget, MaxPathSteps).
func WithMaxMemory(bytes int64) Option { return func(c *config) { c.maxMemory = bytes } }

// WithHead says how the model's logits become outputs, overriding
// config.json's problem_type: "single-label" (a softmax across labels),
// "multi-label" (a sigmoid per label) or "regression" (one raw score).
// Without it: config.json's problem_type, else transformers' rule (one
// output is regression, more are single-label).
func WithHead(head string) Option { return func(c *config) { c.head = head } }

// WithBatchSize sets the rows per ONNX Runtime batch, 1 to MaxBatchSize
// (default DefaultBatchSize), for predictions and explanations alike.
func WithBatchSize(n int) Option { return func(c *config) { c.batchSize = n } }

func (c config) validate() (onnx.Device, error) {
	dev, err := onnx.ParseDevice(c.device)
	if c.head != "" {
		if _, herr := engine.ParseHead(c.head); herr != nil {
			return dev, fmt.Errorf("lucid: %w", herr)
		}
	}
	switch {
	case err != nil:
		return dev, fmt.Errorf("lucid: %w", err)
	case c.threads < 0 || c.threads > MaxThreads():
		return dev, fmt.Errorf("lucid: threads %d: want 1 to %d (four per CPU, at most %d), or 0 for one per CPU", c.threads, MaxThreads(), MaxThreadsCeiling)
	case c.sessions < 1 || c.sessions > MaxSessions:
		return dev, fmt.Errorf("lucid: sessions %d: want 1 to %d", c.sessions, MaxSessions)
	case c.batchSize < 1 || c.batchSize > MaxBatchSize:
		return dev, fmt.Errorf("lucid: batch size %d: want 1 to %d", c.batchSize, MaxBatchSize)
	case c.maxMemory < 0:
		return dev, fmt.Errorf("lucid: max memory %d bytes: want 0 (no limit) or a positive number of bytes", c.maxMemory)
	}
	return dev, nil
}

// explainConfig is what Explain's options set.
type explainConfig struct {
	req    attribution.Request
	output evaluate.Output
}

// ExplainOption configures one Explain or ExplainBatch call. An option
// given a value it does not know makes the call fail with an error naming
// the value.
type ExplainOption func(*explainConfig) error

// The explanation methods WithMethod takes.
const (
	KernelSHAP          = string(attribution.MethodKernelSHAP)     // Shapley values from sampled coalitions, with standard errors (the default)
	ExactShapley        = string(attribution.MethodExact)          // Shapley values by enumerating every coalition
	LIME                = string(attribution.MethodLIME)           // a weighted linear surrogate
	IntegratedGradients = string(attribution.MethodPath)           // path attributions along the embeddings (needs model_embeds.onnx, embeddings.onnx)
	Occlusion           = string(attribution.MethodOcclusion)      // leave one feature out
	GradientTimesInput  = string(attribution.MethodGradInput)      // gradient × input (needs model_grad.onnx)
	Saliency            = string(attribution.MethodSaliency)       // gradient norm per token (needs model_grad.onnx)
	Counterfactual      = string(attribution.MethodCounterfactual) // occlusion plus the smallest edit that changes the label
	Partition           = string(attribution.MethodPartition)      // Owen values over sentences, phrases and words
)

// WithMethod sets the explanation method: any of the constants above
// (kernelshap by default).
func WithMethod(method string) ExplainOption {
	return func(c *explainConfig) error {
		m, err := attribution.ParseMethod(method)
		if err != nil {
			return fmt.Errorf("lucid: %w", err)
		}
		c.req.Method = m
		return nil
	}
}

// WithBudget sets the model evaluations an explanation may spend, 0 (the
// method's default) to attribution.MaxBudget.
func WithBudget(evaluations int) ExplainOption {
	return func(c *explainConfig) error {
		if evaluations < 0 || evaluations > attribution.MaxBudget {
			return fmt.Errorf("lucid: budget %d: want 0 (the method's default) to %d evaluations", evaluations, attribution.MaxBudget)
		}
		c.req.Budget = evaluations
		return nil
	}
}

// WithTarget sets the label explained, by name (any case) or index
// (default: the predicted label).
func WithTarget(label string) ExplainOption {
	return func(c *explainConfig) error { c.req.Target = label; return nil }
}

// WithOutput sets what is attributed: "prob" (the default), "logit" or
// "logodds".
func WithOutput(output string) ExplainOption {
	return func(c *explainConfig) error {
		o, err := evaluate.ParseOutput(output)
		if err != nil {
			return fmt.Errorf("lucid: %w", err)
		}
		c.output = o
		return nil
	}
}

// WithFeatures sets what is attributed to: "sentences", "phrases",
// "words" (the default) or "tokens".
func WithFeatures(level string) ExplainOption {
	return func(c *explainConfig) error {
		l, err := perturb.ParseLevel(level)
		if err != nil {
			return fmt.Errorf("lucid: %w", err)
		}
		c.req.Level = l
		return nil
	}
}

// WithPunctuation says whether punctuation marks on their own are
// features (true, the default); false leaves them out: never masked, no
// attribution.
func WithPunctuation(on bool) ExplainOption {
	return func(c *explainConfig) error {
		c.req.NoPunctuation = !on
		return nil
	}
}

// WithWhyNot asks for the smallest edit (removal of words) that makes the
// model say label, by name or index, besides the attributions: the
// explanation's Counterfactual, whose EditedText given to Predict gives
// its Label and Probability. evaluations bounds the edit search (0:
// attribution.DefaultEditBudget).
func WithWhyNot(label string, evaluations int) ExplainOption {
	return func(c *explainConfig) error {
		if label == "" {
			return fmt.Errorf("lucid: why-not needs a label, by name or index")
		}
		c.req.WhyNot, c.req.EditBudget = label, evaluations
		return nil
	}
}

// WithMask sets what an absent feature becomes: "mask" (the default),
// "pad", "delete" or "unk"; for ig, the baseline token (mask, pad or unk).
func WithMask(masking string) ExplainOption {
	return func(c *explainConfig) error {
		m, err := perturb.ParseMasking(masking)
		if err != nil {
			return fmt.Errorf("lucid: %w", err)
		}
		c.req.Masking = m
		return nil
	}
}

// WithSeed sets the random seed of the sampled methods (default
// DefaultSeed): the same seed gives the same explanation, whatever else
// runs at the same time.
func WithSeed(seed uint64) ExplainOption {
	return func(c *explainConfig) error { c.req.Seed = seed; return nil }
}

// WithSteps sets ig's quadrature points, 1 to attribution.MaxPathSteps
// (default attribution.DefaultPathSteps).
func WithSteps(steps int) ExplainOption {
	return func(c *explainConfig) error {
		if steps < 1 || steps > attribution.MaxPathSteps {
			return fmt.Errorf("lucid: steps %d: want 1 to %d", steps, attribution.MaxPathSteps)
		}
		c.req.Steps = steps
		return nil
	}
}

// WithRefine turns KernelSHAP's odd refinement on (the default) or off
// (attribution.Request's Plain): refined, the error is about half the
// plain estimator's at the same budget, for a few milliseconds more CPU
// per explanation. Other methods ignore it.
func WithRefine(on bool) ExplainOption {
	return func(c *explainConfig) error { c.req.Plain = !on; return nil }
}
