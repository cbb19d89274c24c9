package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/lucid-nlp/lucid/engine/onnx"
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
}

func (m *modelFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&m.dir, "model", "", "model folder (model.onnx, tokenizer.json, config.json); default: $LUCID_MODEL, else the copy of models/"+models.DefaultName+" built into this binary")
	fs.StringVar(&m.device, "device", "cpu", "where to run: cpu, cuda or cuda:N (needs scripts/setup_ort.sh --gpu)")
	fs.IntVar(&m.threads, "threads", 0, fmt.Sprintf("ONNX Runtime intra-op threads per session, at most %d (4 per CPU, never above %d; default: all CPUs)", maxThreads(), maxThreadsCeiling))
	fs.IntVar(&m.sessions, "sessions", 1, fmt.Sprintf("ONNX Runtime sessions, i.e. batches run at once, 1 to %d (more help on GPUs and many-core hosts)", maxSessions))
	fs.StringVar(&m.library, "ort-lib", "", "ONNX Runtime shared library (default: $LUCID_ORT_LIB, then the scripts/setup_ort.sh cache)")
	m.maxMemory = byteSize(defaultMaxMemory())
	fs.Var(&m.maxMemory, "max-memory", "refuse work whose estimated memory (rows in flight, model copies, an explanation's coalitions) is above this, e.g. 512MiB or 2GiB (default: half the machine's memory)")
}

// validate checks the flags' values against their limits.
func (m *modelFlags) validate() error {
	if _, err := onnx.ParseDevice(m.device); err != nil {
		return usageError{err.Error()}
	}
	return firstError(
		intFlag("threads", m.threads, 0, maxThreads()),
		intFlag("sessions", m.sessions, 1, maxSessions),
	)
}

// folder reads the model folder the flags name, without loading it, so
// memory estimates can be checked before anything is allocated.
func (m *modelFlags) folder() (*models.Folder, error) {
	if m.dir == "" {
		// $LUCID_MODEL, else the embedded copy: no working directory needed.
		return models.Default()
	}
	return models.ReadFolder(m.dir)
}

// load opens the model folder f, after validate.
func (m *modelFlags) load(f *models.Folder) (*models.Classifier, error) {
	dev, err := onnx.ParseDevice(m.device)
	if err != nil {
		return nil, usageError{err.Error()}
	}
	return models.LoadFolder(f, onnx.WithDevice(dev), onnx.WithThreads(m.threads), onnx.WithSessions(m.sessions), onnx.WithLibrary(m.library))
}

// newFlagSet makes a flag set whose --help prints the given text first.
func newFlagSet(name, help string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), strings.TrimLeft(help, "\n"))
		fmt.Fprintln(fs.Output(), "\nFlags:")
		fs.PrintDefaults()
	}
	return fs
}

// parse parses args, turning flag errors into usage errors. Flags may come
// before, between or after the arguments, as Go users expect; "--" ends
// the flags, so every argument after it is an argument even when it starts
// with "-".
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(permute(fs, args)); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err.Error()}
	}
	return nil
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

// lineReader reads texts one per line, with no limit on line length, so a
// long document is one text and a million lines are never held at once.
type lineReader struct {
	r    *bufio.Reader
	line int
}

func newLineReader(r io.Reader) *lineReader { return &lineReader{r: bufio.NewReaderSize(r, 1<<16)} }

// next returns the next line without its line ending, its 1-based number,
// and io.EOF after the last one.
func (l *lineReader) next() (string, int, error) {
	s, err := l.r.ReadString('\n')
	if err != nil && (err != io.EOF || s == "") {
		return "", l.line, err
	}
	l.line++
	s = strings.TrimSuffix(s, "\n")
	s = strings.TrimSuffix(s, "\r")
	return s, l.line, nil
}

// readTexts hands texts to fn in chunks of at most chunk, each with its
// 1-based argument or line number: the arguments when there are any, else
// standard input line by line, so input of any length streams.
func readTexts(args []string, stdin io.Reader, chunk int, fn func(texts []string, lines []int) error) error {
	texts := make([]string, 0, chunk)
	lines := make([]int, 0, chunk)
	add := func(t string, n int) error {
		texts = append(texts, t)
		lines = append(lines, n)
		if len(texts) < chunk {
			return nil
		}
		err := fn(texts, lines)
		texts, lines = texts[:0], lines[:0]
		return err
	}
	if len(args) > 0 {
		for i, t := range args {
			if err := add(t, i+1); err != nil {
				return err
			}
		}
	} else {
		lr := newLineReader(stdin)
		for {
			t, n, err := lr.next()
			if err == io.EOF {
				break
			}
			if err != nil {
				return fmt.Errorf("reading standard input after line %d: %w", n, err)
			}
			if err := add(t, n); err != nil {
				return err
			}
		}
	}
	if len(texts) == 0 {
		return nil
	}
	return fn(texts, lines)
}
