package auditcli

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"

	"github.com/lucid-nlp/lucid/audit"
	"github.com/lucid-nlp/lucid/internal/atomicfile"
	"github.com/lucid-nlp/lucid/report"
)

// ReportFiles are the files a report folder holds. A run writes the first
// three and removes the others it does not write (thresholds.json from an
// earlier --fit-thresholds run), so a folder never mixes two runs' files;
// files of any other name are left alone.
var ReportFiles = []string{"report.json", "metrics.csv", "report.html", "thresholds.json"}

// WriteReport writes an audit's folder, as `lucid audit` does: report.json,
// metrics.csv and report.html (history, when not empty, names the JSONL
// file the run's headline metrics are appended to; report.html plots it).
func WriteReport(dir string, rep *audit.Report, history string) error {
	return WriteReportFiles(dir, rep, audit.MetricRows(rep), history, report.AuditRun(rep),
		func(w io.Writer, runs []report.HistoryRun) error { return report.WriteAuditWithHistory(w, rep, runs) })
}

// PrepareOut checks, before a run starts, that dir can take its report:
// created if missing, a real folder (not a symlink), writable, and none
// of its report files a symlink or anything but a regular file; and that
// the history file, when named, is absent or a regular file.
func PrepareOut(dir, history string) error {
	if err := atomicfile.PrepareDir(dir); err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	for _, name := range ReportFiles {
		if err := atomicfile.CheckTarget(filepath.Join(dir, name)); err != nil {
			return fmt.Errorf("--out: %w", err)
		}
	}
	if history != "" {
		if err := atomicfile.PrepareFile(history); err != nil {
			return fmt.Errorf("--append-history: %w", err)
		}
	}
	return nil
}

// WriteReportFiles writes a report's folder as a whole: report.json (v as
// JSON), metrics.csv (rows; run appended to the history file when one is
// named) and report.html (by html, given the history for its trend chart).
// Every file is written in full to a temporary file before any is renamed
// into place (atomicfile.Set), so a full disk or an error leaves the
// previous report as it was; the history line is appended only once the
// files are written, and the stale files of ReportFiles are removed.
func WriteReportFiles(dir string, v any, rows []audit.MetricRow, history string, run report.HistoryRun, html func(io.Writer, []report.HistoryRun) error) error {
	if err := atomicfile.PrepareDir(dir); err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	js, err := json.MarshalIndent(v, "", " ")
	if err != nil {
		return fmt.Errorf("encoding report.json: %w", err)
	}
	var runs []report.HistoryRun
	if history != "" {
		if runs, err = report.ReadHistory(history); err != nil {
			return err
		}
		runs = report.WithRun(runs, run)
	}
	set := atomicfile.NewSet(dir)
	if err := set.Add("report.json", 0o644, func(w io.Writer) error {
		_, err := w.Write(append(js, '\n'))
		return err
	}); err != nil {
		return err
	}
	if err := set.Add("metrics.csv", 0o644, func(w io.Writer) error { return audit.WriteMetricsCSV(w, rows) }); err != nil {
		return err
	}
	if err := set.Add("report.html", 0o644, func(w io.Writer) error {
		if err := html(w, runs); err != nil {
			return fmt.Errorf("writing report.html: %w", err)
		}
		return nil
	}); err != nil {
		return err
	}
	if history != "" {
		if err := report.AppendHistoryLine(history, run); err != nil {
			set.Abort()
			return err
		}
	}
	if err := set.Commit(); err != nil {
		return err
	}
	for _, name := range ReportFiles[3:] {
		if err := atomicfile.RemoveStale(filepath.Join(dir, name)); err != nil {
			return fmt.Errorf("removing a stale file: %w", err)
		}
	}
	return nil
}
