// Package pipeline is `lucid audit` as an Apache Beam pipeline: the same
// audit, over files too large for one machine, on any runner Beam's Go SDK
// supports (Prism in-process, Flink, Spark, Dataflow).
//
// The pipeline is the single-machine audit cut at its seams (audit.State):
//
//	match the input files → read each with audit.ReadBatches, emitting
//	Batches → Reshuffle (spread the batches over workers) → score each
//	Batch into a fresh audit.State with the model, emit its encoding →
//	Combine: merge the States → Finish (the checks that re-run the model
//	on the merged samples) and write report.json and report.html.
//
// Because every accumulator in audit.State merges exactly (integer
// counts, exact float sums, bottom-k samples by hash), the report is the
// one `lucid audit` writes on the concatenated files, however the runner
// splits, orders, retries or merges the work.
//
// Workers open the model once, in a DoFn's Setup, and close it in
// Teardown. The audit's flags reach them as auditcli.Flags inside the
// DoFns (Beam serialises DoFn fields as JSON).
package pipeline

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"time"

	"github.com/lucid-nlp/lucid/internal/gobsnap"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/fileio"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem"
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem/gcs"   // gs:// inputs and --out
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem/local" // local paths
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	"github.com/lucid-nlp/lucid/attribution"
	"github.com/lucid-nlp/lucid/audit"
	"github.com/lucid-nlp/lucid/cli/auditcli"
	"github.com/lucid-nlp/lucid/models"
)

func init() {
	beam.RegisterCoder(reflect.TypeOf(audit.Batch{}), encodeBatch, decodeBatch)
	beam.RegisterCoder(reflect.TypeOf((*stateAcc)(nil)), encodeAcc, decodeAcc)
	register.DoFn3x1[context.Context, fileio.ReadableFile, func(audit.Batch), error](&readFn{})
	register.Emitter1[audit.Batch]()
	register.DoFn3x1[context.Context, audit.Batch, func([]byte), error](&scoreFn{})
	register.Emitter1[[]byte]()
	register.Combiner3[*stateAcc, []byte, []byte](&mergeFn{})
	register.DoFn2x1[context.Context, []byte, error](&finishFn{})
}

// DefaultAttempts is how many times a batch is scored before its error
// fails the bundle (and the runner's own retries take over).
const DefaultAttempts = 3

// Options say what the pipeline audits and where the report goes.
type Options struct {
	// Flags are the audit's flags, as `lucid audit` takes them. Flags.Data
	// names the input (in the report); Files are what is read.
	Flags auditcli.Flags
	// Files are paths or glob patterns (local, or any filesystem
	// registered with Beam: gs://, s3://, ...). Each must match a file.
	// A file matched more than once (named twice, through a symlink, or
	// by overlapping globs) is read once (dedupeFiles).
	Files []string
	// Labels are the model's labels (from its config.json), so the stages
	// that only read or merge need not load the model.
	Labels []string
	// ModelName names the model in the report.
	ModelName string
	// Out is the report folder: a local path, or a folder on a Beam
	// filesystem (gs://bucket/audit), written from a local copy.
	Out string
	// Shards splits the scoring into this many independent branches, each
	// behind its own Reshuffle. Runners that parallelise a stage on their
	// own (Flink, Dataflow) need 1; Prism runs one bundle per stage at a
	// time, so there Shards is the number of batches scored at once.
	Shards int
	// Attempts bounds the scoring of one batch (default DefaultAttempts):
	// a failed attempt's State is discarded, so no row counts twice.
	Attempts int
}

// Build adds the audit to s. It checks the flags as `lucid audit` does
// (an auditcli.UsageError for a bad one) before adding anything.
func Build(s beam.Scope, o Options) error {
	if _, err := o.Flags.Config(); err != nil {
		return err
	}
	if len(o.Files) == 0 {
		return auditcli.Usagef("no input files: name them with --data (a path, a glob, or several comma-separated)")
	}
	if len(o.Labels) < 2 {
		return fmt.Errorf("pipeline: the model's labels %q: want two or more", o.Labels)
	}
	if o.Out == "" {
		return auditcli.Usagef("--out: name the report folder")
	}
	if o.Shards < 1 || o.Shards > 1024 {
		return auditcli.Usagef("--shards %d: want 1 to 1024", o.Shards)
	}
	if o.Attempts == 0 {
		o.Attempts = DefaultAttempts
	}
	if o.Attempts < 1 || o.Attempts > 100 {
		return fmt.Errorf("pipeline: attempts %d: want 1 to 100", o.Attempts)
	}
	s = s.Scope("lucid-audit")
	w := worker{Flags: o.Flags, Labels: o.Labels, ModelName: o.ModelName}

	patterns := beam.CreateList(s, o.Files)
	matched := dedupeFiles(s, fileio.MatchAll(s, patterns, fileio.MatchEmptyDisallow()))
	files := fileio.ReadMatches(s, matched, fileio.ReadDirectorySkip())
	batches := beam.ParDo(s, &readFn{Job: w}, files)

	var scored []beam.PCollection
	if o.Shards == 1 {
		scored = append(scored, beam.ParDo(s, &scoreFn{Job: w, Attempts: o.Attempts}, beam.Reshuffle(s, batches)))
	} else {
		for i := range o.Shards {
			ss := s.Scope(fmt.Sprintf("shard%d", i))
			part := beam.ParDo(ss, &shardFn{Shard: i, Of: o.Shards}, batches)
			scored = append(scored, beam.ParDo(ss, &scoreFn{Job: w, Attempts: o.Attempts}, beam.Reshuffle(ss, part)))
		}
	}
	merged := beam.Combine(s, &mergeFn{Job: w}, beam.Flatten(s, scored...))
	beam.ParDo0(s, &finishFn{Job: w, Out: o.Out}, merged)
	return nil
}

func init() {
	register.DoFn2x0[audit.Batch, func(audit.Batch)](&shardFn{})
}

// shardFn keeps the batches of one shard out of Of.
type shardFn struct {
	Shard int `json:"shard"`
	Of    int `json:"of"`
}

func (f *shardFn) ProcessElement(b audit.Batch, emit func(audit.Batch)) {
	if shardOf(b, f.Of) == f.Shard {
		emit(b)
	}
}

// shardOf spreads batches over n shards by their file and first row's
// line, so the split does not depend on arrival order.
func shardOf(b audit.Batch, n int) int {
	h := uint64(14695981039346656037)
	key := b.Source
	if len(b.Rows) > 0 {
		key += fmt.Sprint(b.Rows[0].Line)
	}
	for i := 0; i < len(key); i++ {
		h = (h ^ uint64(key[i])) * 1099511628211
	}
	return int(h % uint64(n))
}

// worker is what every stage knows: the flags and the model's labels and
// name. Its fields are exported so Beam ships them to the workers.
type worker struct {
	Flags     auditcli.Flags `json:"flags"`
	Labels    []string       `json:"labels"`
	ModelName string         `json:"model_name"`
}

// config rebuilds the audit's configuration from the flags on a worker.
func (w *worker) config() (audit.Config, error) {
	cfg, err := w.Flags.Config()
	if err != nil {
		return audit.Config{}, err
	}
	cfg.Labels = w.Labels
	if !w.Flags.ModelFree() {
		cfg.ModelName = w.ModelName
	}
	return cfg, nil
}

// openModel loads the model once per DoFn instance (nil for a data-only
// audit).
func (w *worker) openModel() (*models.Classifier, error) {
	if w.Flags.ModelFree() {
		return nil, nil
	}
	folder, err := w.Flags.ModelFolder()
	if err != nil {
		return nil, err
	}
	return w.Flags.OpenModel(folder)
}

// open is a model stage's Setup: the configuration and the model (nil for
// a data-only audit), once per DoFn instance.
func (w *worker) open() (audit.Config, *models.Classifier, error) {
	cfg, err := w.config()
	if err != nil {
		return cfg, nil, err
	}
	m, err := w.openModel()
	return cfg, m, err
}

// closeModel is a model stage's Teardown.
func closeModel(m *models.Classifier) error {
	if m == nil {
		return nil
	}
	return m.Close()
}

// readFn reads one file into Batches of --batch rows.
type readFn struct {
	Job  worker `json:"job"`
	opts audit.Config
}

func (f *readFn) Setup() error {
	cfg, err := f.Job.config()
	if err != nil {
		return err
	}
	st, err := audit.NewState(nil, cfg)
	if err != nil {
		return err
	}
	f.opts = cfg
	f.opts.Dataset = st.ReaderOptions()
	return nil
}

func (f *readFn) ProcessElement(ctx context.Context, file fileio.ReadableFile, emit func(audit.Batch)) error {
	r, err := file.Open(ctx)
	if err != nil {
		return fmt.Errorf("opening %s: %w", file.Metadata.Path, err)
	}
	defer r.Close()
	return audit.ReadBatches(ctx, r, file.Metadata.Path, f.opts.Dataset, f.Job.Flags.Batch, func(b audit.Batch) error {
		emit(b)
		return nil
	})
}

// wrapClassifier, when set (by tests), wraps the model a scoring worker
// opens, to inject failures.
var wrapClassifier func(audit.Classifier) audit.Classifier

// scoreFn scores each Batch into a fresh State and emits its encoding.
type scoreFn struct {
	Job      worker `json:"job"`
	Attempts int    `json:"attempts"`

	cfg   audit.Config
	model *models.Classifier
	clf   audit.Classifier
}

func (f *scoreFn) Setup() error {
	var err error
	if f.cfg, f.model, err = f.Job.open(); err != nil {
		return err
	}
	if f.model != nil {
		f.clf = f.model
	}
	if wrapClassifier != nil && f.clf != nil {
		f.clf = wrapClassifier(f.clf)
	}
	return nil
}

func (f *scoreFn) Teardown() error { return closeModel(f.model) }

// ProcessElement scores b. A failed attempt's State may hold part of the
// batch, so each attempt starts from a fresh one: a retried batch counts
// once.
func (f *scoreFn) ProcessElement(ctx context.Context, b audit.Batch, emit func([]byte)) error {
	var errs []error
	for attempt := range max(f.Attempts, 1) {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(time.Duration(attempt) * 100 * time.Millisecond):
			}
		}
		st, err := audit.NewState(f.clf, f.cfg)
		if err != nil {
			return err
		}
		if err = st.Add(ctx, b); err == nil {
			enc, err := st.MarshalBinary()
			if err != nil {
				return err
			}
			emit(enc)
			return nil
		}
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	return fmt.Errorf("scoring %d rows of %s (line %d on) failed %d times: %w", len(b.Rows), b.Source, firstLine(b), len(errs), errors.Join(errs...))
}

func firstLine(b audit.Batch) int {
	if len(b.Rows) == 0 {
		return 0
	}
	return b.Rows[0].Line
}

// stateAcc is the Combine's accumulator: a State, decoded from enc only
// when it is first needed (an accumulator the runner moves between
// workers arrives encoded).
type stateAcc struct {
	enc []byte
	st  *audit.State
}

func encodeAcc(a *stateAcc) ([]byte, error) {
	if a.st != nil {
		return a.st.MarshalBinary()
	}
	return a.enc, nil
}

func decodeAcc(data []byte) (*stateAcc, error) {
	return &stateAcc{enc: bytes.Clone(data)}, nil
}

// mergeFn merges the scored States into one.
type mergeFn struct {
	Job worker `json:"job"`
	cfg *audit.Config
}

// state returns a's State, decoding it under the audit's configuration.
func (f *mergeFn) state(a *stateAcc) (*audit.State, error) {
	if a.st != nil {
		return a.st, nil
	}
	if f.cfg == nil {
		cfg, err := f.Job.config()
		if err != nil {
			return nil, err
		}
		f.cfg = &cfg
	}
	st, err := audit.NewState(nil, *f.cfg)
	if err != nil {
		return nil, err
	}
	if a.enc != nil {
		if err := st.UnmarshalBinary(a.enc); err != nil {
			return nil, err
		}
	}
	a.st, a.enc = st, nil
	return st, nil
}

func (f *mergeFn) CreateAccumulator() *stateAcc { return &stateAcc{} }

func (f *mergeFn) AddInput(a *stateAcc, enc []byte) (*stateAcc, error) {
	return f.MergeAccumulators(a, &stateAcc{enc: enc})
}

func (f *mergeFn) MergeAccumulators(a, b *stateAcc) (*stateAcc, error) {
	sa, err := f.state(a)
	if err != nil {
		return nil, err
	}
	sb, err := f.state(b)
	if err != nil {
		return nil, err
	}
	if err := sa.Merge(sb); err != nil {
		return nil, err
	}
	return a, nil
}

func (f *mergeFn) ExtractOutput(a *stateAcc) ([]byte, error) {
	st, err := f.state(a)
	if err != nil {
		return nil, err
	}
	return st.MarshalBinary()
}

// finishFn runs audit.Finish on the merged State and writes the report
// folder as `lucid audit` does.
type finishFn struct {
	Job worker `json:"job"`
	Out string `json:"out"`

	cfg   audit.Config
	model *models.Classifier
	x     *attribution.Explainer
}

func (f *finishFn) Setup() error {
	var err error
	if f.cfg, f.model, err = f.Job.open(); err != nil {
		return err
	}
	if f.model != nil {
		f.x = f.Job.Flags.Explainer(f.model)
	}
	return nil
}

func (f *finishFn) Teardown() error { return closeModel(f.model) }

func (f *finishFn) ProcessElement(ctx context.Context, enc []byte) error {
	var clf audit.Classifier
	if f.model != nil {
		clf = f.model
	}
	st, err := audit.NewState(clf, f.cfg)
	if err != nil {
		return err
	}
	if err := st.UnmarshalBinary(enc); err != nil {
		return err
	}
	rep, err := audit.Finish(ctx, st, clf, f.x)
	if err != nil {
		return err
	}
	return writeOut(ctx, f.Out, func(dir string) error {
		if err := auditcli.WriteReport(dir, rep, f.Job.Flags.AppendHistory); err != nil {
			return err
		}
		if f.cfg.FitThresholds == "" {
			return nil
		}
		if rep.ThresholdFit == nil {
			return fmt.Errorf("--fit-thresholds: no thresholds written: %s", rep.ThresholdFitError)
		}
		return rep.ThresholdFit.Save(filepath.Join(dir, "thresholds.json"))
	})
}

// writeOut has write fill a local folder: out itself, or, when out is on
// another Beam filesystem (gs://...), a temporary folder whose files are
// then copied there.
func writeOut(ctx context.Context, out string, write func(dir string) error) error {
	if !strings.Contains(out, "://") {
		return write(out)
	}
	tmp, err := os.MkdirTemp("", "lucid-beam-report")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if err := write(tmp); err != nil {
		return err
	}
	fs, err := filesystem.New(ctx, out)
	if err != nil {
		return fmt.Errorf("--out %s: %w", out, err)
	}
	defer fs.Close()
	entries, err := os.ReadDir(tmp)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if err := copyTo(ctx, fs, filepath.Join(tmp, e.Name()), strings.TrimSuffix(out, "/")+"/"+e.Name()); err != nil {
			return err
		}
	}
	return nil
}

func copyTo(ctx context.Context, fs filesystem.Interface, from, to string) error {
	r, err := os.Open(from)
	if err != nil {
		return err
	}
	defer r.Close()
	w, err := fs.OpenWrite(ctx, to)
	if err != nil {
		return fmt.Errorf("writing %s: %w", to, err)
	}
	if _, err := io.Copy(w, r); err != nil {
		w.Close()
		return fmt.Errorf("writing %s: %w", to, err)
	}
	return w.Close()
}

// encodeBatch and decodeBatch are Batch's coder: gob keeps every field
// (the rows, the malformed rows, the reconciliation) exactly.
func encodeBatch(b audit.Batch) ([]byte, error) {
	return gobsnap.Encode("pipeline", "a batch of "+b.Source, b)
}

func decodeBatch(data []byte) (audit.Batch, error) {
	var b audit.Batch
	if err := gobsnap.Decode("pipeline", "a batch", data, &b); err != nil {
		return audit.Batch{}, err
	}
	return b, nil
}
