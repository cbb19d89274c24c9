package report

import (
	"fmt"
	"strings"
	"time"

	"github.com/lucid-nlp/lucid/internal/tfevents"
)

// TensorBoard export (--tensorboard DIR): one event file per run, holding
// exactly a HistoryRun's figures and verdicts, so metrics.csv, the JSONL
// history and TensorBoard (or W&B, which syncs a TensorBoard folder) say
// the same thing.
//
// Tags: a figure "check.metric" for group g is the scalars
//
//	check/metric[/g]/value   the figure
//	check/metric[/g]/low     its interval's lower end (when it has one)
//	check/metric[/g]/high    its interval's upper end (when it has one)
//	check/metric[/g]/n       the n it rests on
//
// where g has "%" written "%25" and "/" written "%2F" (a tag's slashes
// are TensorBoard's sections), and a fixed last component keeps a group
// named "low" from reading as an interval end. Verdicts are text
// summaries: verdicts/<check> holds that check's findings as markdown;
// run/info names the command, model, data and time.
//
// Step: each run is one step, its index in the folder (0, 1, 2, …;
// tfevents.NextStep): a folder of runs is a trend over run index, not
// over time (TensorBoard's "wall" axis shows the time).

// TensorBoardTag is the tag of m's value; its interval ends and n replace
// the last component "value" with "low", "high" and "n".
func TensorBoardTag(m HistoryMetric) string {
	return tensorBoardBase(m) + "/value"
}

func tensorBoardBase(m HistoryMetric) string {
	check, metric, ok := strings.Cut(m.Name, ".")
	base := check
	if ok {
		base += "/" + metric
	}
	if m.Group != "" {
		base += "/" + strings.NewReplacer("%", "%25", "/", "%2F").Replace(m.Group)
	}
	return base
}

// WriteTensorBoard writes run as a new event file in dir (created if
// missing) at the next step (tfevents.NextStep: the run's index in the
// folder),
// and returns the file's path and the step.
func WriteTensorBoard(dir string, run HistoryRun) (string, int64, error) {
	if dir == "" {
		return "", 0, fmt.Errorf("tensorboard: empty folder name")
	}
	step, err := tfevents.NextStep(dir)
	if err != nil {
		return "", 0, err
	}
	at, err := time.Parse(time.RFC3339, run.GeneratedAt)
	if err != nil {
		// The run's own time when it has one; a run without (a bench) is
		// stamped now.
		at = time.Now()
	}
	w, err := tfevents.Create(dir, step, at)
	if err != nil {
		return "", 0, err
	}
	for _, m := range run.Metrics {
		base := tensorBoardBase(m)
		if err := w.Scalar(base+"/value", m.Value); err != nil {
			w.Abort()
			return "", 0, err
		}
		for _, end := range []struct {
			name string
			v    *float64
		}{{"low", m.Low}, {"high", m.High}} {
			if end.v != nil {
				if err := w.Scalar(base+"/"+end.name, *end.v); err != nil {
					w.Abort()
					return "", 0, err
				}
			}
		}
		if err := w.Scalar(base+"/n", float64(m.N)); err != nil {
			w.Abort()
			return "", 0, err
		}
	}
	info := fmt.Sprintf("**%s** of model `%s` on data `%s`, generated %s", run.Command, mdCode(run.Model), mdCode(run.Data), run.GeneratedAt)
	if err := w.Text("run/info", info); err != nil {
		w.Abort()
		return "", 0, err
	}
	var checks []string
	byCheck := map[string][]string{}
	for _, f := range run.Verdicts {
		if _, seen := byCheck[f.Check]; !seen {
			checks = append(checks, f.Check)
		}
		byCheck[f.Check] = append(byCheck[f.Check], fmt.Sprintf("**%s**: %s", strings.ToUpper(f.Status), f.Message))
	}
	for _, c := range checks {
		if err := w.Text("verdicts/"+c, strings.Join(byCheck[c], "\n\n")); err != nil {
			w.Abort()
			return "", 0, err
		}
	}
	if err := w.Close(); err != nil {
		return "", 0, err
	}
	return w.Path(), step, nil
}

// mdCode keeps a name inside its markdown code span.
func mdCode(s string) string { return strings.ReplaceAll(s, "`", "'") }
