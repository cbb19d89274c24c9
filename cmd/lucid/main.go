// Command lucid runs, explains, audits and benchmarks transformer text
// classifiers exported to ONNX.
//
//	lucid predict [flags] [TEXT...]   classify texts
//	lucid explain [flags] [TEXT...]   explain predictions
//	lucid audit --data FILE [flags]   audit a classifier (and the data) on a file
//	lucid compare [flags]             compare two models, or two datasets
//	lucid augment --data IN --out OUT counterfactual data augmentation
//	lucid bench [flags]               measure speed and accuracy
//	lucid bench serve [flags]         load a running server, report latency
//	lucid serve [flags]               serve models over HTTP (and gRPC)
//	lucid tokenize [flags] [TEXT...]  show ids, tokens, offsets, word map
//
// audit and compare can keep a run's figures over time (--append-history,
// a JSONL file the HTML report plots as trends); audit, compare and bench
// can write them as a TensorBoard event file per run (--tensorboard).
//
// Run `lucid help` or `lucid COMMAND --help` for the flags. Exit codes: 0
// success, 1 a runtime failure (or some inputs failed; a panic caught in a
// command is one too), 2 a usage error, 3 an audit finding at or above
// --fail-on, 130 interrupted (Ctrl-C or SIGTERM: the first stops the
// command after the model batch it is running, keeping what was written; a
// second exits at once). README.md's "Exit codes" table is the reference.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/lucid-nlp/lucid/dataset"
)

// Exit codes, stable for scripts.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
	exitFound   = 3
	// exitInterrupted is the shell's code for a process ended by SIGINT.
	exitInterrupted = 130
)

// usageError marks errors that are the caller's to fix (exit 2).
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return usageError{fmt.Sprintf(format, a...)} }

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error
}

func commands() []command {
	return []command{
		{"predict", "classify texts with a model (default: the shipped sst2-mini-bert)", runPredict},
		{"explain", "explain predictions: KernelSHAP, exact Shapley, LIME, IG, gradients, occlusion, partition, counterfactual edits; --global: per word over a file", runExplain},
		{"audit", "audit fairness, data bias, consistency and explanation faithfulness over a file; fit group thresholds", runAudit},
		{"compare", "compare two models on one file (flips, Δp, explanations) or one model on two files (shift)", runCompare},
		{"augment", "counterfactual data augmentation: copies of rows with identity terms swapped", runAugment},
		{"bench", "measure throughput, explanation cost against the floor, and accuracy", runBench},
		{"serve", "serve models over HTTP: Open Inference Protocol v2, KServe v1 predict/explain, metrics, a web page", runServe},
		{"tokenize", "show a tokenizer's ids, tokens, offsets and word map for texts, to check an export", runTokenize},
	}
}

func usage(w io.Writer) {
	fmt.Fprint(w, `lucid runs, explains, audits and benchmarks transformer text classifiers
exported to ONNX (BERT, DistilBERT, RoBERTa, MiniLM), through ONNX Runtime.

Usage: lucid COMMAND [flags] [arguments]

Commands:
`)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, `
Run 'lucid COMMAND --help' for a command's flags and examples.
ONNX Runtime comes from scripts/setup_ort.sh (or $LUCID_ORT_LIB).
Exit codes: 0 ok, 1 runtime failure or some inputs failed, 2 usage error,
3 audit findings at or above --fail-on, 130 interrupted.
Inputs are capped (a text on standard input at 1 MiB, a line with no end
at 1 GiB, tokenizer.json at 256 MiB) and files are written atomically;
README.md lists the limits.
Ctrl-C stops a command after the model batch it is running (what was
written so far is kept); a second Ctrl-C exits at once.
`)
}

func main() {
	ctx, stop := interruptible(context.Background(), os.Stderr, func() { os.Exit(exitInterrupted) })
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// interruptible returns a context cancelled by the first SIGINT or
// SIGTERM, so the command stops after its current model batch and keeps
// what it wrote; a second signal calls exit (at once, for a user who will
// not wait). stop releases the signals.
func interruptible(parent context.Context, stderr io.Writer, exit func()) (context.Context, func()) {
	ctx, cancel := context.WithCancel(parent)
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case <-sigs:
		case <-done:
			return
		}
		fmt.Fprintln(stderr, "lucid: interrupted; stopping after the current batch (interrupt again to exit now)")
		cancel()
		select {
		case <-sigs:
			exit()
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(sigs)
		close(done)
		cancel()
	}
}

// run is main without the process: tests call it directly.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	name := args[0]
	if name == "help" || name == "-h" || name == "--help" {
		if len(args) > 1 {
			return run(ctx, []string{args[1], "--help"}, stdin, stdout, stderr)
		}
		usage(stdout)
		return exitOK
	}
	for _, c := range commands() {
		if c.name != name {
			continue
		}
		err := runCaught(c, ctx, args[1:], stdin, stdout, stderr)
		var ue usageError
		var fe exitFindings
		var help helpRequest
		switch {
		case err == nil:
			return exitOK
		case errors.As(err, &help):
			fmt.Fprint(stdout, help.text)
			return exitOK
		case errors.As(err, &fe):
			fmt.Fprintf(stderr, "lucid %s: %s\n", name, termSafe(err.Error()))
			return exitFound
		case errors.Is(err, flag.ErrHelp):
			return exitOK
		case ctx.Err() != nil && errors.Is(err, context.Canceled):
			fmt.Fprintf(stderr, "lucid %s: interrupted\n", name)
			return exitInterrupted
		case errors.As(err, &ue):
			fmt.Fprintf(stderr, "lucid %s: %s\nRun 'lucid %s --help' for usage.\n", name, termSafe(err.Error()), name)
			return exitUsage
		case errors.Is(err, dataset.ErrMissingColumn), errors.Is(err, dataset.ErrUnknownFormat):
			// A column the caller named (or the defaults) is not in the
			// file: the caller's to fix, like a bad flag.
			// (dataset.ErrUnknownFormat belongs here too once the reader
			// returns it.)
			fmt.Fprintf(stderr, "lucid %s: %s\nRun 'lucid %s --help' for usage.\n", name, termSafe(err.Error()), name)
			return exitUsage
		default:
			fmt.Fprintf(stderr, "lucid %s: %s\n", name, termSafe(err.Error()))
			return exitFailure
		}
	}
	fmt.Fprintf(stderr, "lucid: unknown command %q", termSafe(name))
	var names []string
	for _, c := range commands() {
		names = append(names, c.name)
	}
	if s := nearest(name, names); s != "" {
		fmt.Fprintf(stderr, "; did you mean %q?", s)
	}
	fmt.Fprintf(stderr, "\nCommands: %s. Run 'lucid help' for usage.\n", strings.Join(names, ", "))
	return exitUsage
}

// panicError is a panic of a command, caught: a runtime failure (exit 1),
// never mistaken for a usage error (2, which is also the code the Go
// runtime gives an uncaught panic).
type panicError struct {
	value any
	stack []byte
}

func (e panicError) Error() string {
	return fmt.Sprintf("internal error (please report it, with the stack trace above): %v", e.value)
}

// runCaught runs c, turning a panic on the command's own goroutine into
// a panicError, with its stack printed to stderr. (A panic on another
// goroutine, or a fatal runtime error such as running out of memory,
// cannot be caught in Go: the runtime ends the process with exit 2.)
func runCaught(c command, ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) (err error) {
	defer func() {
		if r := recover(); r != nil {
			pe := panicError{value: r, stack: debug.Stack()}
			fmt.Fprintf(stderr, "lucid %s: panic: %v\n%s", c.name, r, pe.stack)
			err = pe
		}
	}()
	return c.run(ctx, args, stdin, stdout, stderr)
}
