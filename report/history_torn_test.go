package report

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A torn last line (an append cut short) is skipped; a bad line with a
// line after it is still an error naming it; the next append cuts the torn
// tail so the file reads clean again.
func TestHistoryTornLastLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "h.jsonl")
	good := `{"generated_at":"2026-01-01T00:00:00Z","command":"audit","model":"m","data":"d","metrics":[]}`
	if err := os.WriteFile(path, []byte(good+"\n"+good[:30]), 0o644); err != nil {
		t.Fatal(err)
	}
	runs, err := ReadHistory(path)
	if err != nil || len(runs) != 1 {
		t.Fatalf("torn last line: %d runs, %v; want 1 run and no error", len(runs), err)
	}
	runs, err = AppendHistory(path, HistoryRun{GeneratedAt: "2026-01-02T00:00:00Z", Command: "audit"})
	if err != nil || len(runs) != 2 {
		t.Fatalf("append after a torn line: %d runs, %v", len(runs), err)
	}
	b, _ := os.ReadFile(path)
	if strings.Count(string(b), "\n") != 2 || strings.Contains(string(b), good[:30]+"{") {
		t.Fatalf("the torn tail was not cut: %q", b)
	}
	if err := os.WriteFile(path, []byte(good[:30]+"\n"+good+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadHistory(path); err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Fatalf("a bad line in the middle: %v, want an error naming line 1", err)
	}
	link := filepath.Join(t.TempDir(), "link.jsonl")
	os.Symlink(path, link)
	if _, err := AppendHistory(link, HistoryRun{}); err == nil {
		t.Fatal("appended through a symlink")
	}
}
