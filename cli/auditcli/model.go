package auditcli

import (
	"flag"
	"os"
	"path/filepath"
	"strings"

	"github.com/lucid-nlp/lucid/attribution"
	"github.com/lucid-nlp/lucid/engine"
	"github.com/lucid-nlp/lucid/engine/onnx"
	"github.com/lucid-nlp/lucid/evaluate"
	"github.com/lucid-nlp/lucid/models"
)

// MaxSessions is the most ONNX Runtime sessions one process may open.
const MaxSessions = 64

// RegisterModel defines the model flags (--model, --device, --threads,
// --sessions, --ort-lib) on fs, filling f, for a command that does not
// define them itself (lucid-beam; `lucid` shares its own across
// subcommands and copies them into f).
func (f *Flags) RegisterModel(fs *flag.FlagSet) {
	fs.StringVar(&f.Model, "model", "", "model folder (model.onnx, tokenizer.json, config.json), readable on every worker; default: $LUCID_MODEL, else the copy of models/"+models.DefaultName+" built into this binary")
	fs.StringVar(&f.Device, "device", "cpu", "where to run: cpu, cuda or cuda:N (needs ONNX Runtime's GPU build)")
	fs.IntVar(&f.Threads, "threads", 0, "ONNX Runtime intra-op threads per session (default: all CPUs)")
	fs.IntVar(&f.Sessions, "sessions", 1, "ONNX Runtime sessions per worker, i.e. batches run at once, 1 to 64")
	fs.StringVar(&f.Head, "head", "", "how logits become outputs: single-label, multi-label or regression (default: config.json's problem_type, else transformers' rule)")
	fs.StringVar(&f.OrtLib, "ort-lib", "", "ONNX Runtime shared library (default: $LUCID_ORT_LIB, then the scripts/setup_ort.sh cache)")
}

// ValidateModel checks the model flags: the device's spelling, threads
// (0 to maxThreads) and sessions (1 to MaxSessions).
func (f *Flags) ValidateModel(maxThreads int) error {
	if _, err := onnx.ParseDevice(f.Device); err != nil {
		return UsageError{err.Error()}
	}
	return firstError(
		IntFlag("threads", f.Threads, 0, maxThreads),
		IntFlag("sessions", f.Sessions, 1, MaxSessions),
	)
}

// ModelFolder reads the model folder the flags name, without loading it:
// --model, else $LUCID_MODEL, else the copy built into the binary.
func (f *Flags) ModelFolder() (*models.Folder, error) {
	var mf *models.Folder
	var err error
	if f.Model == "" {
		mf, err = models.Default()
	} else {
		mf, err = models.ReadFolder(f.Model)
	}
	if err != nil || f.Head == "" {
		return mf, err
	}
	h, err := engine.ParseHead(f.Head)
	if err != nil {
		return nil, UsageError{"--head: " + err.Error()}
	}
	mf.SetHead(h)
	return mf, nil
}

// OpenModel loads the model folder mf (from ModelFolder) with the flags'
// device, threads, sessions and ONNX Runtime library.
func (f *Flags) OpenModel(mf *models.Folder) (*models.Classifier, error) {
	dev, err := onnx.ParseDevice(f.Device)
	if err != nil {
		return nil, UsageError{err.Error()}
	}
	return models.LoadFolder(mf, onnx.WithDevice(dev), onnx.WithThreads(f.Threads), onnx.WithSessions(f.Sessions), onnx.WithLibrary(f.OrtLib))
}

// ModelName is how a report names the model: the built-in model by its
// name, a folder by its path relative to the working directory when it is
// below it, else by the folder's name.
func ModelName(dir string) string {
	if dir == models.EmbeddedName {
		return models.DefaultName
	}
	if wd, err := os.Getwd(); err == nil {
		if rel, err := filepath.Rel(wd, dir); err == nil && !strings.HasPrefix(rel, "..") {
			return rel
		}
	}
	return filepath.Base(dir)
}

// Explainer makes the explainer an audit's faithfulness, stability and
// worst-pair explanations use: clf's model run by an evaluator with
// --sessions runs at once.
func (f *Flags) Explainer(clf *models.Classifier) *attribution.Explainer {
	// Never larger batches than --batch (after fitting --max-memory).
	ev := evaluate.New(clf.Model, evaluate.Options{BatchSize: min(max(f.Batch, 1), evaluate.DefaultBatchSize), PadID: clf.Tokenizer.PadID(), Concurrency: f.Sessions})
	return attribution.NewExplainer(clf.Tokenizer, ev, clf.Folder.Dir)
}
