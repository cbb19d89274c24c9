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
	dir      string
	device   string
	threads  int
	sessions int
	library  string
}

func (m *modelFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&m.dir, "model", "", "model folder (model.onnx, tokenizer.json, config.json); default: $LUCID_MODEL or the shipped models/"+models.DefaultName)
	fs.StringVar(&m.device, "device", "cpu", "where to run: cpu, cuda or cuda:N (needs scripts/setup_ort.sh --gpu)")
	fs.IntVar(&m.threads, "threads", 0, "ONNX Runtime intra-op threads per session (default: all CPUs)")
	fs.IntVar(&m.sessions, "sessions", 1, "ONNX Runtime sessions, i.e. batches run at once (more help on GPUs and many-core hosts)")
	fs.StringVar(&m.library, "ort-lib", "", "ONNX Runtime shared library (default: $LUCID_ORT_LIB, then the scripts/setup_ort.sh cache)")
}

// load opens the model the flags name.
func (m *modelFlags) load() (*models.Classifier, error) {
	dev, err := onnx.ParseDevice(m.device)
	if err != nil {
		return nil, usageError{err.Error()}
	}
	if m.threads < 0 {
		return nil, usagef("--threads %d: want 0 (all CPUs) or more", m.threads)
	}
	if m.sessions < 1 {
		return nil, usagef("--sessions %d: want at least 1", m.sessions)
	}
	dir := m.dir
	if dir == "" {
		if dir, err = models.DefaultDir(); err != nil {
			return nil, err
		}
	}
	return models.Load(dir, onnx.WithDevice(dev), onnx.WithThreads(m.threads), onnx.WithSessions(m.sessions), onnx.WithLibrary(m.library))
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

// parse parses args, turning flag errors into usage errors.
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err.Error()}
	}
	return nil
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
