package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/lucid-nlp/lucid/engine"
	"github.com/lucid-nlp/lucid/engine/onnx"
	"github.com/lucid-nlp/lucid/internal/readcap"
	"github.com/lucid-nlp/lucid/models"
)

// modelFlags are the flags every command that loads a model shares.
type modelFlags struct {
	dir       string
	device    string
	threads   int
	sessions  int
	library   string
	maxMemory byteSize
	// head overrides config.json's problem_type ("" keeps it).
	head string
	// notes, when set, gets the one-line note on how the model's labels
	// or head were defaulted (LABEL_i, transformers' one-output rule).
	notes io.Writer
}

func (m *modelFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&m.dir, "model", "", "model folder (model.onnx, tokenizer.json, config.json); default: $LUCID_MODEL, else the copy of models/"+models.DefaultName+" built into this binary")
	fs.StringVar(&m.device, "device", "cpu", "where to run: cpu, cuda or cuda:N (needs scripts/setup_ort.sh --gpu)")
	fs.IntVar(&m.threads, "threads", 0, fmt.Sprintf("ONNX Runtime intra-op threads per session, at most %d (4 per CPU, never above %d; default: all CPUs, and 1 for the gradient graph, which a second thread does not speed up)", maxThreads(), maxThreadsCeiling))
	fs.IntVar(&m.sessions, "sessions", 1, fmt.Sprintf("ONNX Runtime sessions, i.e. batches run at once, 1 to %d (more help on GPUs and many-core hosts)", maxSessions))
	fs.StringVar(&m.head, "head", "", "how logits become outputs: single-label (softmax), multi-label (a sigmoid per label) or regression (one raw score); default: config.json's problem_type, else regression for a one-output model and single-label otherwise (transformers' rule)")
	fs.StringVar(&m.library, "ort-lib", "", "ONNX Runtime shared library (default: $LUCID_ORT_LIB, then the scripts/setup_ort.sh cache)")
	m.maxMemory = byteSize(defaultMaxMemory())
	fs.Var(&m.maxMemory, "max-memory", "refuse work whose estimated memory (rows in flight, model copies, an explanation's coalitions) is above this, e.g. 512MiB or 2GiB (default: half the machine's memory)")
}

// validate checks the flags' values against their limits.
func (m *modelFlags) validate() error {
	if _, err := onnx.ParseDevice(m.device); err != nil {
		return usageError{err.Error()}
	}
	if m.head != "" {
		if _, err := engine.ParseHead(m.head); err != nil {
			return usagef("--head %q: want single-label, multi-label or regression", termSafe(m.head))
		}
	}
	return firstError(
		intFlag("threads", m.threads, 0, maxThreads()),
		intFlag("sessions", m.sessions, 1, maxSessions),
	)
}

// folder reads the model folder the flags name, without loading it, so
// memory estimates can be checked before anything is allocated.
func (m *modelFlags) folder() (*models.Folder, error) {
	var f *models.Folder
	var err error
	if m.dir == "" {
		// $LUCID_MODEL, else the embedded copy: no working directory needed.
		f, err = models.Default()
	} else {
		f, err = models.ReadFolder(m.dir)
	}
	if err != nil || m.head == "" {
		return f, err
	}
	h, err := engine.ParseHead(m.head)
	if err != nil {
		return nil, usagef("--head %q: want single-label, multi-label or regression", termSafe(m.head))
	}
	f.SetHead(h)
	return f, nil
}

// load opens the model folder f, after validate.
func (m *modelFlags) load(f *models.Folder) (*models.Classifier, error) {
	dev, err := onnx.ParseDevice(m.device)
	if err != nil {
		return nil, usageError{err.Error()}
	}
	clf, err := models.LoadFolder(f, onnx.WithDevice(dev), onnx.WithThreads(m.threads), onnx.WithSessions(m.sessions), onnx.WithLibrary(m.library))
	if err == nil && m.notes != nil {
		if note := clf.HeadNote(); note != "" {
			fmt.Fprintf(m.notes, "note: %s\n", termSafe(note))
		}
	}
	return clf, err
}

// newFlagSet makes a flag set whose --help is the given text followed by
// the flags. The flag package itself prints nothing: on --help, parse
// returns a helpRequest that run prints to standard output (so
// `lucid explain --help | less` works), and a parse error becomes a short
// usage error with a "did you mean" instead of the whole usage. stderr is
// kept in the signature for the commands that pass it.
func newFlagSet(name, help string, stderr io.Writer) *flag.FlagSet {
	_ = stderr
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	helpTexts.Store(fs, help)
	return fs
}

// helpTexts maps a flag set to its help text (flag.FlagSet has no room
// for one).
var helpTexts sync.Map

// helpRequest is parse's answer to -h, -help or --help: the command's full
// help, for run to print to standard output with exit status 0. It wraps
// flag.ErrHelp, so errors.Is(err, flag.ErrHelp) holds.
type helpRequest struct{ text string }

func (h helpRequest) Error() string { return "help requested" }
func (h helpRequest) Unwrap() error { return flag.ErrHelp }

// helpText renders fs's help: the command's text, then its flags.
func helpText(fs *flag.FlagSet) string {
	var b strings.Builder
	if h, ok := helpTexts.Load(fs); ok {
		b.WriteString(strings.TrimLeft(h.(string), "\n"))
	}
	b.WriteString("\nFlags:\n")
	fs.SetOutput(&b)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
	return b.String()
}

// parse parses args, turning flag errors into usage errors. Flags may come
// before, between or after the arguments, as Go users expect; "--" ends
// the flags, so every argument after it is an argument even when it starts
// with "-". An unknown flag's error suggests the nearest known flag.
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(permute(fs, args)); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return helpRequest{helpText(fs)}
		}
		msg := err.Error()
		if name, ok := strings.CutPrefix(msg, "flag provided but not defined: "); ok {
			name = strings.TrimLeft(name, "-")
			msg = fmt.Sprintf("unknown flag --%s", name)
			if s := suggestFlag(fs, name); s != "" {
				msg += fmt.Sprintf("; did you mean --%s?", s)
			}
		}
		return usageError{msg}
	}
	return nil
}

// suggestFlag returns the defined flag nearest to name by edit distance,
// or "" when none is near (at most 2 edits, or a third of the name).
func suggestFlag(fs *flag.FlagSet, name string) string {
	var names []string
	fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
	return nearest(name, names)
}

// nearest returns the candidate nearest to s by edit distance (ties: the
// first), or "" when even that one is too far to be a typo of s.
func nearest(s string, candidates []string) string {
	best, bestD := "", -1
	for _, c := range candidates {
		d := editDistance(strings.ToLower(s), strings.ToLower(c))
		if strings.HasPrefix(c, s) && len(s) >= 3 {
			d = min(d, 1) // a prefix of a flag is nearly that flag
		}
		if bestD < 0 || d < bestD {
			best, bestD = c, d
		}
	}
	if bestD < 0 || bestD > max(2, len([]rune(s))/3) {
		return ""
	}
	return best
}

// editDistance is the Damerau–Levenshtein distance (optimal string
// alignment: insertions, deletions, substitutions and transpositions of
// adjacent runes, each costing 1).
func editDistance(a, b string) int {
	x, y := []rune(a), []rune(b)
	d := make([][]int, len(x)+1)
	for i := range d {
		d[i] = make([]int, len(y)+1)
		d[i][0] = i
	}
	for j := range y {
		d[0][j+1] = j + 1
	}
	for i := 1; i <= len(x); i++ {
		for j := 1; j <= len(y); j++ {
			cost := 1
			if x[i-1] == y[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && x[i-1] == y[j-2] && x[i-2] == y[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(x)][len(y)]
}

// permute moves the flags in args before the arguments, followed by "--"
// and the arguments in their order. A flag's value is the next argument
// unless the flag is boolean or written -flag=value; an argument of
// exactly "-" is an argument (standard input, by convention).
func permute(fs *flag.FlagSet, args []string) []string {
	var flags, rest []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			rest = append(rest, args[i+1:]...)
			break
		}
		if len(a) < 2 || a[0] != '-' {
			rest = append(rest, a)
			continue
		}
		flags = append(flags, a)
		name := strings.TrimLeft(a, "-")
		if strings.Contains(name, "=") {
			continue
		}
		f := fs.Lookup(name)
		if f == nil {
			continue // flag.Parse reports it
		}
		if bf, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && bf.IsBoolFlag() {
			continue
		}
		if i+1 < len(args) {
			i++
			flags = append(flags, args[i])
		}
	}
	return append(append(flags, "--"), rest...)
}

// readTexts hands texts to fn in chunks of at most chunk, each with its
// 1-based argument or line number: the arguments when there are any, else
// standard input line by line, so input of any length streams. Standard
// input is read through readcap: its reads give up when ctx is done (a
// stalled pipe cannot hold off Ctrl-C), and a line over
// readcap.MaxTextBytes is skipped unread and handed to bad (after the
// texts before it, so the output keeps the input's order) rather than
// tokenized at tens of bytes of memory per byte; a run of input with no
// line end at all (/dev/zero) stops at readcap.MaxRunawayLine.
func readTexts(ctx context.Context, args []string, stdin io.Reader, chunk int, fn func(texts []string, lines []int) error, bad func(line int, err error) error) error {
	texts := make([]string, 0, chunk)
	lines := make([]int, 0, chunk)
	flush := func() error {
		if len(texts) == 0 {
			return nil
		}
		err := fn(texts, lines)
		texts, lines = texts[:0], lines[:0]
		return err
	}
	add := func(t string, n int) error {
		texts = append(texts, t)
		lines = append(lines, n)
		if len(texts) < chunk {
			return nil
		}
		return flush()
	}
	if len(args) > 0 {
		for i, t := range args {
			if len(t) > readcap.MaxTextBytes {
				if err := flush(); err != nil {
					return err
				}
				if err := bad(i+1, fmt.Errorf("the text is %d bytes, over the cap of %s", len(t), readcap.FormatBytes(readcap.MaxTextBytes))); err != nil {
					return err
				}
				continue
			}
			if err := add(t, i+1); err != nil {
				return err
			}
		}
		return flush()
	}
	lr := readcap.NewLines(readcap.NewReader(ctx, stdin), "standard input", readcap.MaxTextBytes)
	for {
		b, n, err := lr.Next()
		if err == io.EOF {
			break
		}
		var tl *readcap.LineTooLongError
		if errors.As(err, &tl) {
			if err := flush(); err != nil {
				return err
			}
			if err := bad(n, fmt.Errorf("the line is longer than the cap of %s for one text: skipped", readcap.FormatBytes(readcap.MaxTextBytes))); err != nil {
				return err
			}
			continue
		}
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if ferr := flush(); ferr != nil {
				return ferr
			}
			var runaway *readcap.RunawayLineError
			if errors.As(err, &runaway) {
				return err // it names the input and the line
			}
			return fmt.Errorf("reading standard input after line %d: %w", n, err)
		}
		if err := add(string(b), n); err != nil {
			return err
		}
	}
	return flush()
}
