// Command lucid runs, explains, audits and benchmarks transformer text
// classifiers exported to ONNX.
//
//	lucid predict [flags] [TEXT...]   classify texts
//	lucid explain [flags] [TEXT...]   explain predictions
//	lucid audit --data FILE [flags]   audit a classifier on a labelled file
//	lucid bench [flags]               measure speed and accuracy
//
// Run `lucid help` or `lucid COMMAND --help` for the flags. Exit codes: 0
// success, 1 a runtime failure (or some inputs failed), 2 a usage error, 3
// an audit finding at or above --fail-on.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// Exit codes, stable for scripts.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
	exitFound   = 3
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
		{"explain", "explain predictions: KernelSHAP, exact Shapley, LIME, path (IG) or occlusion", runExplain},
		{"audit", "audit fairness, consistency and explanation faithfulness over a labelled file", runAudit},
		{"bench", "measure throughput, explanation cost against the floor, and accuracy", runBench},
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
3 audit findings at or above --fail-on.
`)
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
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
		err := c.run(ctx, args[1:], stdin, stdout, stderr)
		var ue usageError
		var fe exitFindings
		switch {
		case err == nil:
			return exitOK
		case errors.As(err, &fe):
			fmt.Fprintf(stderr, "lucid %s: %v\n", name, err)
			return exitFound
		case errors.Is(err, flag.ErrHelp):
			return exitOK
		case errors.As(err, &ue):
			fmt.Fprintf(stderr, "lucid %s: %v\nRun 'lucid %s --help' for usage.\n", name, err, name)
			return exitUsage
		default:
			fmt.Fprintf(stderr, "lucid %s: %v\n", name, err)
			return exitFailure
		}
	}
	fmt.Fprintf(stderr, "lucid: unknown command %q\n\n", name)
	usage(stderr)
	return exitUsage
}
