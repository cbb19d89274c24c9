package main

import (
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// update rewrites the golden files: go test ./cmd/lucid -run Golden -update
var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// seconds matches the timings in the terminal output, the one part of it
// that changes from run to run.
var seconds = regexp.MustCompile(`\d+\.\d+s\b`)

// The terminal output (colour off) of every method on fixed sentences,
// summary and counterfactual line included, against testdata/golden.
func TestExplainTerminalGolden(t *testing.T) {
	texts := []string{"not bad at all", "a gorgeous, witty, seductive movie"}
	cases := []struct {
		name string
		args []string
	}{
		{"kernelshap", []string{"--method", "kernelshap"}},
		{"kernelshap_sampled", []string{"--method", "kernelshap", "--budget", "64", "a moving , funny and often wise portrait of friendship that never feels forced"}},
		{"exact", []string{"--method", "exact"}},
		{"lime", []string{"--method", "lime"}},
		{"ig", []string{"--method", "ig"}},
		{"occlusion", []string{"--method", "occlusion"}},
		{"counterfactual", []string{"--method", "counterfactual"}},
		{"why_not", []string{"--method", "kernelshap", "--why-not", "NEGATIVE"}},
		{"why_not_budget", []string{"--method", "occlusion", "--why-not", "0", "--edit-budget", "3"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"explain", "--color", "never", "--threads", "1"}, tc.args...)
			if len(tc.args)%2 == 0 {
				args = append(args, texts...)
			}
			code, stdout, stderr := lucid(t, "", args...)
			require.Equal(t, exitOK, code, stderr)
			got := seconds.ReplaceAllString(stdout, "#.###s")
			path := filepath.Join("testdata", "golden", "explain_"+tc.name+".txt")
			if *update {
				require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
				require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
			}
			want, err := os.ReadFile(path)
			require.NoError(t, err, "run go test ./cmd/lucid -run Golden -update to write it")
			assert.Equal(t, string(want), got)
			assert.Contains(t, got, "summary: The model says")
			if tc.name == "counterfactual" || tc.name == "why_not" || tc.name == "why_not_budget" {
				assert.Contains(t, got, "counterfactual: ")
			}
		})
	}
}
