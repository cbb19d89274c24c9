package onnx

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	ort "github.com/yalue/onnxruntime_go"
)

// LibraryEnv names the environment variable that points at the ONNX Runtime
// shared library when no explicit path is given.
const LibraryEnv = "LUCID_ORT_LIB"

// ErrNoRuntime is returned (wrapped) when no ONNX Runtime library can be found.
var ErrNoRuntime = errors.New("ONNX Runtime library not found")

// Cache folders written by scripts/setup_ort.sh, relative to CacheDir().
var (
	cpuLibrary = filepath.Join("onnxruntime", "1.30.0-cpu", "libonnxruntime.so.1")
	gpuLibrary = filepath.Join("onnxruntime", "1.29.0-gpu", "libonnxruntime.so")
)

// CacheDir is the per-user folder scripts/setup_ort.sh installs into:
// $LUCID_CACHE_DIR, else $XDG_CACHE_HOME/lucid, else ~/.cache/lucid.
func CacheDir() string {
	if d := os.Getenv("LUCID_CACHE_DIR"); d != "" {
		return d
	}
	if d := os.Getenv("XDG_CACHE_HOME"); d != "" {
		return filepath.Join(d, "lucid")
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return filepath.Join(os.TempDir(), "lucid")
	}
	return filepath.Join(home, ".cache", "lucid")
}

// FindLibrary resolves the ONNX Runtime shared library: the explicit path if
// given, then $LUCID_ORT_LIB, then the setup script's cache folder (the GPU
// build first when gpu is true, then the CPU build).
func FindLibrary(explicit string, gpu bool) (string, error) {
	if explicit != "" {
		return checkFile(explicit, "the library path given")
	}
	if env := os.Getenv(LibraryEnv); env != "" {
		return checkFile(env, "$"+LibraryEnv)
	}
	var tried []string
	candidates := []string{cpuLibrary}
	if gpu {
		candidates = []string{gpuLibrary, cpuLibrary}
	}
	for _, c := range candidates {
		p := filepath.Join(CacheDir(), c)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		tried = append(tried, p)
	}
	setup := "scripts/setup_ort.sh"
	if gpu {
		setup = "scripts/setup_ort.sh --gpu"
	}
	return "", fmt.Errorf("%w: $%s is not set and none of %s exists; run %s (from the Lucid repository) or set %s",
		ErrNoRuntime, LibraryEnv, strings.Join(tried, ", "), setup, LibraryEnv)
}

func checkFile(path, what string) (string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("%w at %s (%s): %v; run scripts/setup_ort.sh to install it", ErrNoRuntime, path, what, err)
	}
	if st.IsDir() {
		return "", fmt.Errorf("%w: %s (%s) is a folder, not the shared library file", ErrNoRuntime, path, what)
	}
	return path, nil
}

// The ONNX Runtime environment is process-wide in onnxruntime_go: one
// library, loaded once. runtimeState remembers which, so that a second model
// asking for a different library gets a clear error instead of a crash.
var runtimeState struct {
	sync.Mutex
	path string
}

// initRuntime loads the library at path into this process, once.
func initRuntime(path string) error {
	runtimeState.Lock()
	defer runtimeState.Unlock()
	if ort.IsInitialized() {
		if runtimeState.path != path {
			return fmt.Errorf("onnx: ONNX Runtime is already loaded in this process from %s; cannot also load %s (use one library per process)",
				runtimeState.path, path)
		}
		return nil
	}
	ort.SetSharedLibraryPath(path)
	if err := ort.InitializeEnvironment(ort.WithLogLevelError()); err != nil {
		return fmt.Errorf("onnx: loading ONNX Runtime from %s: %w", path, err)
	}
	runtimeState.path = path
	return nil
}

// RuntimeVersion returns the loaded ONNX Runtime's version string, or "" when
// none is loaded yet.
func RuntimeVersion() string {
	if !ort.IsInitialized() {
		return ""
	}
	return ort.GetVersion()
}

// RuntimeLibrary returns the path of the loaded library, or "".
func RuntimeLibrary() string {
	runtimeState.Lock()
	defer runtimeState.Unlock()
	return runtimeState.path
}
