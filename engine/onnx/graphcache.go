package onnx

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"

	ort "github.com/yalue/onnxruntime_go"
)

// The optimized-graph cache. Opening a graph, ONNX Runtime parses the file
// and rewrites the graph (constant folding, fused attention, GELU and layer
// norm kernels) before the first run; for a BERT-base-sized model that is
// expected to be much of a one-shot command's start. With the cache on,
// the first open of a graph from disk asks ONNX Runtime to save the rewritten graph
// (SetOptimizedModelFilePath) into the cache folder, and later opens read
// that file with the optimizers off, as ONNX Runtime's offline-optimization
// mode intends.
//
// The cache file is keyed by everything that decides the rewritten graph:
// the model file's absolute path, size and modification time plus a hash
// of its first and last MiB (a rewrite that keeps the size and mtime is
// caught unless it touches only the middle), the ONNX Runtime version (its
// optimizers and file format change between versions), the device and the
// optimization level. A changed model therefore gets a new key, never a
// stale graph; old entries are left for the user to delete (the folder is
// named in the README). Graphs held in memory (OpenFS, the embedded default
// model) are small and are not cached. The cache is off unless asked for
// (GraphCacheEnv says why).

// GraphCacheEnv names the environment variable that turns the cache on: a
// folder to keep optimized graphs in. It is off by default because it did
// not pay on this project's CPU machine: opening a BERT-base-shaped graph
// (438 MB) took 0.67 s of CPU at ONNX Runtime's Extended and All levels and
// from a cached graph with the optimizers off alike, the first start
// writing the entry cost 2.2 s more, and each entry holds another copy of
// the weights (README, "Threads and start-up"). A build whose optimizers
// cost more (larger graphs, GPU execution providers) may gain from it.
const GraphCacheEnv = "LUCID_GRAPH_CACHE"

// graphCacheVersion changes when the key's recipe changes.
const graphCacheVersion = "1"

// graphCacheDir returns the folder cached graphs go to: the option, else
// $LUCID_GRAPH_CACHE; "" (the default) or "off" when the cache is off.
func graphCacheDir(opt string) string {
	d := opt
	if d == "" {
		d = os.Getenv(GraphCacheEnv)
	}
	if d == "off" {
		return ""
	}
	return d
}

// graphCacheKey names path's optimized graph for cfg, or returns an error
// when the file cannot be read.
func graphCacheKey(path string, cfg config) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	f, err := os.Open(abs)
	if err != nil {
		return "", err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "", err
	}
	h := sha256.New()
	fmt.Fprintf(h, "lucid graph cache %s\x00%s\x00%d\x00%d\x00%s\x00%s\x00%s\x00",
		graphCacheVersion, abs, st.Size(), st.ModTime().UnixNano(), ort.GetVersion(), cfg.device, cachedLevel)
	const edge = 1 << 20
	if _, err := io.CopyN(h, f, edge); err != nil && err != io.EOF {
		return "", err
	}
	if st.Size() > 2*edge {
		if _, err := f.Seek(-edge, io.SeekEnd); err != nil {
			return "", err
		}
		if _, err := io.Copy(h, f); err != nil {
			return "", err
		}
	}
	sum := hex.EncodeToString(h.Sum(nil))[:32]
	base := filepath.Base(abs)
	return base[:len(base)-len(filepath.Ext(base))] + "-" + sum + ".ort.onnx", nil
}

// cachedLevel is the optimization level of the graphs written to the cache.
// Extended, not All: ONNX Runtime documents that a graph saved after the
// All level's layout rewrites (NCHWc) is tied to the machine's instruction
// set, while Extended's fusions (attention, GELU, layer norm, the ones a
// transformer gains from) are portable.
const cachedLevel ort.GraphOptimizationLevel = ort.GraphOptimizationLevelEnableExtended

// cachePlan says how one session is opened: from the model file (writing
// the optimized graph to save when save is set) or from a cached graph.
type cachePlan struct {
	load string // file ONNX Runtime reads: the model, or the cached graph
	save string // temporary file ONNX Runtime writes the optimized graph to
	dest string // the cache entry save becomes once the session is open
	hit  bool
}

// planCache decides how gf is opened under cfg, and returns a warning
// (for stderr) when the cache should be used but cannot be.
func planCache(gf graphFile, cfg config) (cachePlan, string) {
	p := cachePlan{load: gf.path}
	dir := graphCacheDir(cfg.graphCache)
	if gf.data != nil || dir == "" {
		return p, ""
	}
	key, err := graphCacheKey(gf.path, cfg)
	if err != nil {
		return p, fmt.Sprintf("onnx: not caching the optimized graph of %s: %v", gf.path, err)
	}
	dest := filepath.Join(dir, key)
	if st, err := os.Stat(dest); err == nil && st.Size() > 0 {
		p.load, p.hit = dest, true
		return p, ""
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return p, fmt.Sprintf("onnx: graph cache folder %s is not usable (%v); opening %s without a cached optimized graph (set %s to a writable folder, or to off)",
			dir, err, gf.path, GraphCacheEnv)
	}
	tmp, err := os.CreateTemp(dir, key+".*.tmp")
	if err != nil {
		return p, fmt.Sprintf("onnx: graph cache folder %s is not writable (%v); opening %s without a cached optimized graph (set %s to a writable folder, or to off)",
			dir, err, gf.path, GraphCacheEnv)
	}
	tmp.Close()
	p.save, p.dest = tmp.Name(), dest
	return p, ""
}

// commit moves a freshly written optimized graph into place; the rename is
// atomic, so a concurrent start reads the old state or the whole new file.
func (p cachePlan) commit() string {
	if p.save == "" {
		return ""
	}
	if st, err := os.Stat(p.save); err != nil || st.Size() == 0 {
		os.Remove(p.save)
		return fmt.Sprintf("onnx: ONNX Runtime did not write the optimized graph to %s; the next start optimizes %s again", p.save, p.load)
	}
	if err := os.Rename(p.save, p.dest); err != nil {
		os.Remove(p.save)
		return fmt.Sprintf("onnx: caching the optimized graph of %s: %v", p.load, err)
	}
	return ""
}

// abandon removes the temporary file of a session that failed to open.
func (p cachePlan) abandon() {
	if p.save != "" {
		os.Remove(p.save)
	}
}

// setCacheOptions sets the session options p needs.
func (p cachePlan) setCacheOptions(so *ort.SessionOptions) error {
	switch {
	case p.hit:
		// Already optimized: running the optimizers again would only
		// spend the start-up time the cache saves.
		if err := so.SetGraphOptimizationLevel(ort.GraphOptimizationLevelDisableAll); err != nil {
			return fmt.Errorf("onnx: turning the optimizers off for the cached graph %s: %w", p.load, err)
		}
	case p.save != "":
		if err := so.SetGraphOptimizationLevel(cachedLevel); err != nil {
			return fmt.Errorf("onnx: setting optimization level %s: %w", cachedLevel, err)
		}
		if err := so.SetOptimizedModelFilePath(p.save); err != nil {
			return fmt.Errorf("onnx: asking ONNX Runtime to save the optimized graph to %s: %w", p.save, err)
		}
	}
	return nil
}

// cacheState says, for messages and tests, where a graph was opened from.
func (p cachePlan) String() string {
	switch {
	case p.hit:
		return "cached optimized graph " + p.load
	case p.save != "":
		return "model file (optimized graph saved to " + p.dest + ")"
	}
	return "model file " + p.load
}
