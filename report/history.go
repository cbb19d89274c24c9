package report

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"

	"github.com/lucid-nlp/lucid/audit"
	"github.com/lucid-nlp/lucid/compare"
	"github.com/lucid-nlp/lucid/internal/atomicfile"
	"github.com/lucid-nlp/lucid/internal/readcap"
)

// HistoryRun is one run's figures: one line of a JSONL history file
// (--append-history), which the HTML report plots as a trend when it
// holds more than one run. Its metrics are metrics.csv's rows (every
// figure with a value: headline, fairness, data scan, thresholds) and the
// count of failing and warning findings; its verdicts the summary's
// findings. The TensorBoard export (WriteTensorBoard) writes exactly
// these.
type HistoryRun struct {
	GeneratedAt string          `json:"generated_at"`
	Command     string          `json:"command"`
	Model       string          `json:"model"`
	Data        string          `json:"data"`
	Metrics     []HistoryMetric `json:"metrics"`
	Verdicts    []audit.Finding `json:"verdicts,omitempty"`
}

// HistoryMetric is one figure with its interval and n: Name is
// "check.metric", Group the row's group (empty for the whole data). An
// undefined bound is written as null.
type HistoryMetric struct {
	Name  string   `json:"name"`
	Group string   `json:"group,omitempty"`
	Value float64  `json:"value"`
	Low   *float64 `json:"low"`
	High  *float64 `json:"high"`
	N     int      `json:"n"`
}

// Limits on a history file: the lines read back, and one line's size.
const (
	// MaxHistoryRuns is how many of the latest runs a report plots.
	MaxHistoryRuns = 200
	// MaxHistoryLine is the longest line of a history file. A run carries
	// every figure (an audit of a column with 1,000 groups and every
	// counterfactual direction is a few MB); AppendHistory refuses a
	// longer one rather than write a file that cannot be read back.
	MaxHistoryLine = 16 << 20
)

// historyMetrics is every row with a finite value, as metrics.csv has it.
func historyMetrics(rows []audit.MetricRow) []HistoryMetric {
	var out []HistoryMetric
	for _, r := range rows {
		if math.IsNaN(r.Value) || math.IsInf(r.Value, 0) {
			continue
		}
		out = append(out, HistoryMetric{Name: r.Check + "." + r.Metric, Group: r.Group, Value: r.Value, Low: bound(r.Low), High: bound(r.High), N: r.N})
	}
	return out
}

func bound(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

// AuditRun is an audit's figures: audit.MetricRows (metrics.csv), the
// number of failing and warning findings, and the findings.
func AuditRun(r *audit.Report) HistoryRun {
	run := HistoryRun{GeneratedAt: r.GeneratedAt, Command: "audit", Model: r.Model, Data: r.Data, Metrics: historyMetrics(audit.MetricRows(r))}
	return withFindings(run, r.Summary)
}

// CompareRun is a comparison's figures: compare.MetricRows (agreement,
// flip rate, accuracies, Δp, explanation agreement, shift tests), the
// number of failing and warning findings, and the findings.
func CompareRun(r *compare.Report) HistoryRun {
	model, data := r.ModelA, r.DataA
	if r.ModelB != "" {
		model += " vs " + r.ModelB
	}
	if r.DataB != "" {
		data += " vs " + r.DataB
	}
	run := HistoryRun{GeneratedAt: r.GeneratedAt, Command: "compare", Model: model, Data: data, Metrics: historyMetrics(compare.MetricRows(r))}
	return withFindings(run, r.Summary)
}

func withFindings(run HistoryRun, summary []audit.Finding) HistoryRun {
	fails, warns := 0, 0
	for _, f := range summary {
		switch f.Status {
		case "fail":
			fails++
		case "warn":
			warns++
		}
	}
	n := len(summary)
	run.Metrics = append(run.Metrics, HistoryMetric{Name: "findings.fail", Value: float64(fails), N: n}, HistoryMetric{Name: "findings.warn", Value: float64(warns), N: n})
	run.Verdicts = summary
	return run
}

// ReadHistory reads a JSONL history for its trend, keeping the latest
// MaxHistoryRuns runs with their whole-data figures (no group) only: the
// per-group figures and the verdicts stay in the file (and in
// TensorBoard), but are not held in memory for 200 runs. A missing file is
// an empty history; a line that is not a run is an error naming the line,
// except a torn last line (no newline after it, and not a run: an append
// that a crash or a full disk cut short), which is skipped with a warning
// on standard error, so one failed append does not fail every later audit.
// The file is read through readcap: one line may be at most MaxHistoryLine
// bytes, and a file that is not lines at all (/dev/zero) is refused.
func ReadHistory(path string) ([]HistoryRun, error) {
	if err := atomicfile.CheckTarget(path); err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	f, err := readcap.Open(context.Background(), path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	runs, torn, err := readHistory(f, path)
	if torn != "" {
		fmt.Fprintf(os.Stderr, "lucid: warning: %s\n", torn)
	}
	return runs, err
}

// readHistory reads runs from r; torn, when not empty, says that a torn
// last line was skipped.
func readHistory(r io.Reader, name string) (runs []HistoryRun, torn string, err error) {
	lines := readcap.NewLines(r, "history "+name, MaxHistoryLine)
	var pending error // the last line's parse error, unless a line follows
	pendingLine := 0
	for {
		b, line, err := lines.Next()
		if err == io.EOF {
			break
		}
		if pending != nil {
			return nil, "", pending
		}
		if err != nil {
			var tl *readcap.LineTooLongError
			if errors.As(err, &tl) {
				return nil, "", fmt.Errorf("%w (a line may be at most %d bytes)", err, MaxHistoryLine)
			}
			return nil, "", err
		}
		b = bytes.TrimSpace(b)
		if len(b) == 0 {
			continue
		}
		var run HistoryRun
		if err := json.Unmarshal(b, &run); err != nil {
			pending = fmt.Errorf("history %s line %d: not a run: %w", name, line, err)
			pendingLine = line
			continue
		}
		runs = append(runs, trendOnly(run))
		if len(runs) > MaxHistoryRuns {
			runs = slices.Delete(runs, 0, 1)
		}
	}
	if pending != nil {
		if !lines.EndedWithNewline() {
			return runs, fmt.Sprintf("history %s line %d is torn (cut short by an interrupted append) and was skipped", name, pendingLine), nil
		}
		return nil, "", pending
	}
	return runs, "", nil
}

// trendOnly is run with its whole-data figures only (ReadHistory).
func trendOnly(run HistoryRun) HistoryRun {
	run.Metrics = slices.DeleteFunc(slices.Clone(run.Metrics), func(m HistoryMetric) bool { return m.Group != "" })
	run.Verdicts = nil
	return run
}

// AppendHistory adds run as one line to the JSONL file at path (created
// if missing) and returns the history with it, latest last, as
// ReadHistory reads it.
func AppendHistory(path string, run HistoryRun) ([]HistoryRun, error) {
	runs, err := ReadHistory(path)
	if err != nil {
		return nil, err
	}
	if err := AppendHistoryLine(path, run); err != nil {
		return nil, err
	}
	return WithRun(runs, run), nil
}

// WithRun is runs with run added last, keeping the latest MaxHistoryRuns.
func WithRun(runs []HistoryRun, run HistoryRun) []HistoryRun {
	runs = append(slices.Clip(runs), trendOnly(run))
	if len(runs) > MaxHistoryRuns {
		runs = runs[len(runs)-MaxHistoryRuns:]
	}
	return runs
}

// AppendHistoryLine appends run to the history at path as one complete
// line: one write of the line and its newline, then fsync
// (atomicfile.AppendLine). A symlink or device at path is refused.
func AppendHistoryLine(path string, run HistoryRun) error {
	b, err := json.Marshal(run)
	if err != nil {
		return err
	}
	if len(b) >= MaxHistoryLine {
		return fmt.Errorf("history %s: this run's line is %d bytes, over the limit of %d a history line may have", path, len(b), MaxHistoryLine)
	}
	if err := atomicfile.AppendLine(path, b, 0o644); err != nil {
		return fmt.Errorf("history: %w", err)
	}
	return nil
}

// trendV is one metric's trend over the runs: a small inline SVG line
// with each run's interval as an error bar.
type trendV struct {
	Name              string
	W, H              int
	Path              string
	Points            []trendPoint
	First, Last, Span string
	Min, Max          string
}

type trendPoint struct {
	X, Y, LY, HY float64
	HasCI        bool
	Title        string
}

const (
	trendW, trendH     = 240, 80
	trendPad, trendTop = 8.0, 8.0
)

// trends charts every whole-data metric (no group: the headline figures;
// the per-group ones are in the history and TensorBoard, too many to
// chart here) of the latest run that at least two runs have; nil with
// fewer than two runs.
func trends(runs []HistoryRun) []trendV {
	if len(runs) < 2 {
		return nil
	}
	var out []trendV
	for _, m := range runs[len(runs)-1].Metrics {
		if m.Group != "" {
			continue
		}
		type pt struct {
			run    int
			v      float64
			lo, hi *float64
			n      int
		}
		var pts []pt
		lo, hi := math.Inf(1), math.Inf(-1)
		for i, r := range runs {
			for _, x := range r.Metrics {
				if x.Name != m.Name || x.Group != "" || math.IsNaN(x.Value) {
					continue
				}
				pts = append(pts, pt{i, x.Value, x.Low, x.High, x.N})
				lo, hi = min(lo, x.Value), max(hi, x.Value)
				if x.Low != nil {
					lo = min(lo, *x.Low)
				}
				if x.High != nil {
					hi = max(hi, *x.High)
				}
				break
			}
		}
		if len(pts) < 2 {
			continue
		}
		if hi == lo {
			hi, lo = hi+0.5, lo-0.5
		}
		y := func(v float64) float64 {
			return round1(trendTop + (hi-v)/(hi-lo)*(trendH-2*trendTop))
		}
		x := func(i int) float64 {
			return round1(trendPad + float64(i)/float64(len(runs)-1)*(trendW-2*trendPad))
		}
		t := trendV{Name: m.Name, W: trendW, H: trendH, Min: strconv.FormatFloat(lo, 'g', 4, 64), Max: strconv.FormatFloat(hi, 'g', 4, 64),
			First: isolate(runs[pts[0].run].GeneratedAt), Last: isolate(runs[pts[len(pts)-1].run].GeneratedAt), Span: strconv.Itoa(len(pts))}
		for k, p := range pts {
			tp := trendPoint{X: x(p.run), Y: y(p.v), Title: fmt.Sprintf("%s: %s (n=%d)", isolate(runs[p.run].GeneratedAt), fmtFloat(p.v, digitsRate), p.n)}
			if p.lo != nil && p.hi != nil {
				tp.HasCI, tp.LY, tp.HY = true, y(*p.lo), y(*p.hi)
				tp.Title += fmt.Sprintf(" [%s, %s]", fmtFloat(*p.lo, digitsRate), fmtFloat(*p.hi, digitsRate))
			}
			cmd := "L"
			if k == 0 {
				cmd = "M"
			}
			t.Path += fmt.Sprintf("%s%g %g ", cmd, tp.X, tp.Y)
			t.Points = append(t.Points, tp)
		}
		out = append(out, t)
	}
	return out
}

// WriteAuditWithHistory writes report.html for an audit with the trend of
// its headline metrics over runs (the history, this run last) when it
// holds two or more runs.
func WriteAuditWithHistory(w io.Writer, r *audit.Report, runs []HistoryRun) error {
	if r == nil {
		return errors.New("report: nil audit report")
	}
	v := buildAudit(r)
	v.History = trends(runs)
	var buf bytes.Buffer
	if err := templates.ExecuteTemplate(&buf, "audit", v); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}
