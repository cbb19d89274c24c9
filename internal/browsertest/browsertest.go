// Package browsertest finds the headless browser that the report and server
// tests drive, with one rule for when its absence fails a test and when it
// skips one.
package browsertest

import (
	"os"
	"os/exec"
	"testing"
)

// Chromium returns the path of Debian's Chromium. Its absence is fatal in
// CI (whose set-up installs it) and a skip elsewhere. LUCID_SKIP_BROWSER=1
// skips on request, even in CI: scripts/test --quick sets it, since a
// headless browser run costs tens of seconds on a busy machine and the
// inner loop wants Go answers.
func Chromium(t testing.TB) string {
	t.Helper()
	if os.Getenv("LUCID_SKIP_BROWSER") == "1" {
		t.Skip("LUCID_SKIP_BROWSER=1: browser test skipped (scripts/test without --quick runs it)")
	}
	for _, name := range []string{"chromium", "/usr/bin/chromium"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium not found: the CI set-up must install it (apt-get install chromium)")
	}
	t.Skip("chromium not found; to run the browser test: apt-get install chromium")
	return ""
}
