package auditcli

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lucid-nlp/lucid/audit"
	"github.com/lucid-nlp/lucid/report"
)

// FuzzWriteReport drives the report writer with what reaches it from
// outside: a data file (through a data-only audit, so group values, texts
// and skipped-row reasons are the fuzzer's) and an existing history file.
// Writing must not panic; when it succeeds, report.json is valid JSON,
// the three files are there and the history ends with a complete line that
// is this run; when it fails, the error names the history, and the folder
// holds no temporary files.
func FuzzWriteReport(f *testing.F) {
	f.Add([]byte("text,label,group\nhe liked it,1,a\nshe did not,0,b\n"), []byte(""))
	f.Add([]byte("text,label,group\n\"<script>alert(1)</script>\",1,\"\u202e\x1b[2J\"\n\"unclosed,0,a\n"), []byte("{\"generated_at\":\"x\"}\n{\"gen"))
	f.Add([]byte("text,label,group\nok,1,a\n"), []byte("not json\n{}\n"))
	f.Fuzz(func(t *testing.T, data, history []byte) {
		fs := flag.NewFlagSet("audit", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		fl := Register(fs)
		if err := fs.Parse([]string{"--data", "fuzz.csv", "--checks", "data", "--group-col", "group", "--resamples", "20"}); err != nil {
			t.Fatal(err)
		}
		cfg, err := fl.Config()
		if err != nil {
			t.Fatal(err)
		}
		cfg.Source, cfg.Name, cfg.Labels = bytes.NewReader(data), "fuzz.csv", []string{"0", "1"}
		rep, err := audit.Run(context.Background(), nil, nil, cfg)
		if err != nil {
			return // unreadable data is the reader's to report
		}
		dir := t.TempDir()
		out := filepath.Join(dir, "out")
		hist := filepath.Join(dir, "history.jsonl")
		if err := os.WriteFile(hist, history, 0o644); err != nil {
			t.Fatal(err)
		}
		werr := WriteReport(out, rep, hist)
		es, _ := os.ReadDir(out)
		for _, e := range es {
			if strings.Contains(e.Name(), ".tmp-") {
				t.Fatalf("temporary file left: %s", e.Name())
			}
		}
		if werr != nil {
			if !strings.Contains(werr.Error(), "history") {
				t.Fatalf("write failed for a reason other than the history: %v", werr)
			}
			return
		}
		js, err := os.ReadFile(filepath.Join(out, "report.json"))
		if err != nil || !json.Valid(js) {
			t.Fatalf("report.json: %v (valid %v)", err, json.Valid(js))
		}
		for _, n := range []string{"report.html", "metrics.csv"} {
			if _, err := os.Stat(filepath.Join(out, n)); err != nil {
				t.Fatal(err)
			}
		}
		runs, err := report.ReadHistory(hist)
		if err != nil || len(runs) == 0 {
			t.Fatalf("history after a successful write: %d runs, %v", len(runs), err)
		}
	})
}
