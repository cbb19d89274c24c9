// Package modeltest finds what tests read outside their own folder: the
// module's root, the model shipped in models/, and the data in ../shared
// beside the repository (or beside a folder above it, for a worktree one
// level deeper; $LUCID_SHARED names another place). A test whose data is absent skips with a message that
// says where it looked, so a user's clone without ../shared still passes.
// Only tests import it.
package modeltest

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/lucid-nlp/lucid/engine/onnx"
	"github.com/lucid-nlp/lucid/models"
)

// ModuleRoot is the folder of the go.mod above the test's working folder.
func ModuleRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatalf("modeltest: working folder: %v", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatalf("modeltest: no go.mod above the test's folder")
		}
		dir = parent
	}
}

// ShippedModelDir is the folder of the default model that ships in models/.
func ShippedModelDir(t testing.TB) string {
	return filepath.Join(ModuleRoot(t), "models", models.DefaultName)
}

var (
	shippedOnce sync.Once
	shipped     *models.Classifier
	shippedErr  error
)

// Shipped opens the shipped model once per test binary; it fails the test
// when the model or ONNX Runtime (scripts/setup_ort.sh) is missing.
func Shipped(t testing.TB) *models.Classifier {
	t.Helper()
	dir := ShippedModelDir(t)
	shippedOnce.Do(func() { shipped, shippedErr = models.Load(dir) })
	if shippedErr != nil {
		t.Fatalf("modeltest: the shipped model must load from %s (ONNX Runtime from scripts/setup_ort.sh): %v", dir, shippedErr)
	}
	return shipped
}

// SharedFile is the path of rel (slash-separated) under $LUCID_SHARED
// when it is set, else under ../shared beside the module's root or beside
// a folder above it; the test skips when none holds it.
func SharedFile(t testing.TB, rel string) string {
	t.Helper()
	if dir := os.Getenv("LUCID_SHARED"); dir != "" {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if _, err := os.Stat(p); err != nil {
			t.Skipf("%s is not in LUCID_SHARED=%s: %v", rel, dir, err)
		}
		return p
	}
	root := ModuleRoot(t)
	first := filepath.Join(filepath.Dir(root), "shared", filepath.FromSlash(rel))
	for dir := root; ; {
		p := filepath.Join(filepath.Dir(dir), "shared", filepath.FromSlash(rel))
		if _, err := os.Stat(p); err == nil {
			return p
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	t.Skipf("%s is not available at %s or in a shared/ beside a folder above (../shared is present in CI, not in a user's clone)", rel, first)
	return ""
}

// SST2Dev is the first n sentences of SST-2's dev split (all of them when
// n <= 0); the test skips when ../shared is absent.
func SST2Dev(t testing.TB, n int) []string {
	t.Helper()
	path := SharedFile(t, "data/sst2/dev.tsv")
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("modeltest: %v", err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	for sc.Scan() && (n <= 0 || len(out) < n) {
		_, text, ok := strings.Cut(sc.Text(), "\t")
		if !ok || text == "" {
			t.Fatalf("modeltest: %s: malformed row %q", path, sc.Text())
		}
		out = append(out, text)
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("modeltest: reading %s: %v", path, err)
	}
	if n > 0 && len(out) < n {
		t.Fatalf("modeltest: %s has %d sentences, the test wants %d", path, len(out), n)
	}
	return out
}

// ShippedWithGradients is Shipped when its folder has the gradient graph
// (model_grad.onnx), and skips the test otherwise.
func ShippedWithGradients(t testing.TB) *models.Classifier {
	t.Helper()
	c := Shipped(t)
	if !c.Model.HasGradientGraph() {
		t.Skipf("the shipped model %s has no %s", ShippedModelDir(t), onnx.GradFile)
	}
	return c
}

// ShippedSubset is a fresh folder holding copies of only the named files
// of the shipped model's folder: a folder that lacks the others, to test
// what a model without them is refused or falls back to.
func ShippedSubset(t testing.TB, files ...string) string {
	t.Helper()
	from, dir := ShippedModelDir(t), t.TempDir()
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(from, f))
		if err != nil {
			t.Fatalf("modeltest: %v", err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatalf("modeltest: %v", err)
		}
	}
	return dir
}
