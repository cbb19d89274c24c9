package auditcli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/lucid-nlp/lucid/audit"
	"github.com/lucid-nlp/lucid/report"
)

// WriteReport writes an audit's folder, as `lucid audit` does: report.json,
// metrics.csv and report.html (history, when not empty, names the JSONL
// file the run's headline metrics are appended to; report.html plots it).
func WriteReport(dir string, rep *audit.Report, history string) error {
	return WriteReportFiles(dir, rep, audit.MetricRows(rep), history, report.AuditRun(rep),
		func(w io.Writer, runs []report.HistoryRun) error { return report.WriteAuditWithHistory(w, rep, runs) })
}

// WriteReportFiles writes a report's folder: report.json (v as JSON),
// metrics.csv (rows; run appended to the history file when one is named)
// and report.html (by html, given the history for its trend chart).
func WriteReportFiles(dir string, v any, rows []audit.MetricRow, history string, run report.HistoryRun, html func(io.Writer, []report.HistoryRun) error) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating --out folder: %w", err)
	}
	js, err := json.MarshalIndent(v, "", " ")
	if err != nil {
		return fmt.Errorf("encoding report.json: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "report.json"), append(js, '\n'), 0o644); err != nil {
		return err
	}
	runs, err := writeMetrics(dir, rows, history, run)
	if err != nil {
		return err
	}
	h, err := os.Create(filepath.Join(dir, "report.html"))
	if err != nil {
		return err
	}
	if err := html(h, runs); err != nil {
		h.Close()
		return fmt.Errorf("writing report.html: %w", err)
	}
	return h.Close()
}

// writeMetrics writes metrics.csv into dir and, when history names a
// file, appends run to it and returns every run it holds.
func writeMetrics(dir string, rows []audit.MetricRow, history string, run report.HistoryRun) ([]report.HistoryRun, error) {
	h, err := os.Create(filepath.Join(dir, "metrics.csv"))
	if err != nil {
		return nil, err
	}
	if err := audit.WriteMetricsCSV(h, rows); err != nil {
		h.Close()
		return nil, err
	}
	if err := h.Close(); err != nil {
		return nil, err
	}
	if history == "" {
		return nil, nil
	}
	return report.AppendHistory(history, run)
}
