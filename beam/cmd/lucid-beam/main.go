// Command lucid-beam runs `lucid audit` as an Apache Beam pipeline:
//
//	lucid-beam audit --data 'gs://bucket/logs/*.jsonl' --group-col region \
//	    --out gs://bucket/audit --runner dataflow --project P --region R ...
//
// It takes the flags of `lucid audit` (same names, limits and messages)
// and Beam's runner flags (--runner, default prism in-process;
// --endpoint, --environment_type, --environment_config, --job_name, and
// each runner's own). --data may be a path, a glob, or several of either,
// comma-separated; each must match a file. The report folder --out may be
// local or on a Beam filesystem (gs://...). --shards N splits the scoring
// into N branches: Prism scores one batch per branch at a time, so N is
// its parallelism; Flink, Spark and Dataflow parallelise on their own.
//
// Exit codes as lucid's: 0 done, 1 failure, 2 usage error, 3 a finding at
// or above --fail-on (when --out is local, where the report can be read
// back).
//
// Run without "audit", the binary is a Beam worker (the runner starts it
// so, inside the worker container).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/x/beamx"

	"github.com/lucid-nlp/lucid/audit"
	"github.com/lucid-nlp/lucid/beam/pipeline"
	"github.com/lucid-nlp/lucid/cli/auditcli"
)

const usage = `Usage: lucid-beam audit --data FILES [flags] [beam runner flags]

Runs lucid audit as an Apache Beam pipeline and writes the same
report.json and report.html to --out. FILES: paths or globs, local or on a
Beam filesystem (gs://...), comma-separated. The audit's flags are lucid
audit's (see lucid audit --help); Beam's include --runner (default prism,
in-process), --endpoint, --environment_type, --environment_config.

Flags:
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help") {
		fmt.Fprint(stdout, usage+"  (lucid-beam audit --help lists them)\n")
		return 0
	}
	if len(args) == 0 || args[0] != "audit" {
		// A Beam worker (the runner passes its own flags), or a mistake.
		flag.Parse()
		beam.Init() // a worker runs here and does not return
		fmt.Fprint(stderr, usage)
		return 2
	}
	fs := flag.CommandLine
	af := auditcli.Register(fs)
	af.RegisterModel(fs)
	shards := fs.Int("shards", 1, "independent scoring branches: Prism's parallelism (1 to 1024); leave 1 on Flink, Spark, Dataflow")
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage); fs.PrintDefaults() }
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	beam.Init()
	err := audit1(context.Background(), af, *shards, fs.Args(), stdout)
	var ue auditcli.UsageError
	var found findings
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "lucid-beam audit: %s\nRun 'lucid-beam audit --help' for usage.\n", auditcli.TermSafe(err.Error()))
		return 2
	case errors.As(err, &found):
		fmt.Fprintf(stderr, "lucid-beam audit: %s\n", err)
		return 3
	default:
		fmt.Fprintf(stderr, "lucid-beam audit: %s\n", auditcli.TermSafe(err.Error()))
		return 1
	}
}

type findings struct{ msg string }

func (f findings) Error() string { return f.msg }

func audit1(ctx context.Context, af *auditcli.Flags, shards int, rest []string, stdout io.Writer) error {
	if af.Data == "" {
		return auditcli.Usagef("--data FILES is required")
	}
	if len(rest) > 0 {
		return auditcli.Usagef("unexpected arguments %q: audit reads --data", rest)
	}
	if err := af.ValidateModel(min(4*runtime.NumCPU(), 256)); err != nil {
		return err
	}
	if _, err := af.Config(); err != nil {
		return err
	}
	// An audit with no model (--score-col, --prediction-col, --checks
	// data) takes its class names from --label-names when given, and
	// then reads no model folder at all.
	labels, name := af.Labels, ""
	if !af.ModelFree() || len(labels) == 0 {
		if !af.ModelFree() && len(labels) > 0 {
			return auditcli.Usagef("--label-names names the classes of an audit with no model (--score-col, --prediction-col, --checks data); a model's classes are its config.json's")
		}
		folder, err := af.ModelFolder()
		if err != nil {
			return err
		}
		labels, name = folder.Labels, auditcli.ModelName(folder.Dir)
	}
	if err := af.CheckPositive(labels); err != nil {
		return err
	}
	if err := af.CheckOutputs(labels); err != nil {
		return err
	}
	var files []string
	for _, f := range strings.Split(af.Data, ",") {
		if f = strings.TrimSpace(f); f != "" {
			files = append(files, f)
		}
	}
	p, s := beam.NewPipelineWithRoot()
	if err := pipeline.Build(s, pipeline.Options{Flags: *af, Files: files, Labels: labels,
		ModelName: name, Out: af.Out, Shards: shards}); err != nil {
		return err
	}
	if err := beamx.Run(ctx, p); err != nil {
		return err
	}
	if strings.Contains(af.Out, "://") {
		fmt.Fprintf(stdout, "report: %s/report.html, %s/report.json\n", af.Out, af.Out)
		return nil
	}
	js, err := os.ReadFile(filepath.Join(af.Out, "report.json"))
	if err != nil {
		return err
	}
	// Only what the summary prints: the report's full type round-trips
	// through JSON only one way.
	var rep struct {
		Model   string          `json:"model"`
		Data    string          `json:"data"`
		Rows    int             `json:"rows"`
		Skipped int             `json:"skipped_rows"`
		Summary []audit.Finding `json:"summary"`
	}
	if err := json.Unmarshal(js, &rep); err != nil {
		return fmt.Errorf("reading back report.json: %w", err)
	}
	fmt.Fprintf(stdout, "audit of %s on %s: %d rows scored, %d skipped\n\n", auditcli.TermSafe(rep.Model), auditcli.TermSafe(rep.Data), rep.Rows, rep.Skipped)
	n := 0
	for _, f := range rep.Summary {
		fmt.Fprintf(stdout, "  %-5s %-15s %s\n", strings.ToUpper(auditcli.TermSafe(f.Status)), auditcli.TermSafe(f.Check), auditcli.TermSafe(f.Message))
		if f.Status == "fail" || (af.FailOn == "warn" && f.Status == "warn") {
			n++
		}
	}
	fmt.Fprintf(stdout, "\nreport: %s, %s\n", filepath.Join(af.Out, "report.html"), filepath.Join(af.Out, "report.json"))
	if af.FailOn != "never" && n > 0 {
		return findings{fmt.Sprintf("%d findings at or above --fail-on %s", n, af.FailOn)}
	}
	return nil
}
