// Package quanttest builds int8 quantized copies of a model folder for
// tests, with the repository's own quantizer (scripts/quantize_onnx.py run
// by Debian's /usr/bin/python3 with python3-onnx and python3-numpy), so the
// quantized test graph is made by the test itself and never committed.
package quanttest

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Python is the interpreter the quantizer runs under: Debian's, where
// python3-onnx is installed (a pyenv python3 on PATH may lack onnx).
const Python = "/usr/bin/python3"

// Quantize writes a quantized copy of the model folder src into a new
// temporary folder and returns it; args go to the quantizer
// (--per-channel, --reduce-range, --gemm). root is the repository root.
// The test skips, saying why, when /usr/bin/python3 or its onnx and numpy
// modules are absent (scripts/test installs python3-onnx and python3-numpy).
func Quantize(t testing.TB, root, src string, args ...string) string {
	t.Helper()
	Require(t)
	dst := filepath.Join(t.TempDir(), "quantized")
	cmd := exec.Command(Python, append([]string{filepath.Join(root, "scripts", "quantize_onnx.py"), src, dst}, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("scripts/quantize_onnx.py %s: %v\n%s", src, err, out)
	}
	return dst
}

// Require skips the test when the quantizer cannot run here.
func Require(t testing.TB) {
	t.Helper()
	if _, err := os.Stat(Python); err != nil {
		t.Skipf("skipping: %s is absent (the quantizer needs Debian's python3 with python3-onnx and python3-numpy)", Python)
	}
	if out, err := exec.Command(Python, "-c", "import onnx, numpy").CombinedOutput(); err != nil {
		t.Skipf("skipping: %s cannot import onnx and numpy (apt-get install python3-onnx python3-numpy): %v: %s", Python, err, out)
	}
}
