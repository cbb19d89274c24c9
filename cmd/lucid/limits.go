package main

import (
	"bufio"
	"os"
	"runtime"
	"strconv"
	"strings"

	"github.com/lucid-nlp/lucid/attribution"
	"github.com/lucid-nlp/lucid/cli/auditcli"
	"github.com/lucid-nlp/lucid/internal/bytesize"
)

// The CLI's documented limits. Every numeric flag is checked against its
// limit when the flags are parsed, before anything is allocated, so a huge
// value is a usage error (exit 2) rather than an out-of-memory crash.
const (
	// maxBudget is the most model evaluations one explanation may spend
	// (exact Shapley's own ceiling, 2^20 coalitions); maxPathSteps bounds
	// ig's quadrature points. The explainers enforce the same limits.
	maxBudget    = auditcli.MaxBudget
	maxPathSteps = attribution.MaxPathSteps
	// maxBatch is the most rows sent to ONNX Runtime at once.
	maxBatch = auditcli.MaxBatch
	// maxSessions is the most ONNX Runtime sessions (each holds a copy of
	// the network's working memory).
	maxSessions = auditcli.MaxSessions
	// maxThreadsCeiling caps --threads whatever the machine.
	maxThreadsCeiling = 256
	// maxResamples bounds the bootstrap resamples of the group metrics.
	maxResamples = auditcli.MaxResamples
	// maxExplainRows bounds --explain-rows (each row is explained by every
	// method, at --budget evaluations each).
	maxExplainRows = auditcli.MaxExplainRows
	// maxMinGroupSize bounds --min-group-size.
	maxMinGroupSize = auditcli.MaxMinGroupSize
	// maxKernelWidth bounds LIME's kernel width (distances are cosine
	// distances scaled by 100, so widths far beyond 100 are all alike).
	maxKernelWidth = 1e6
	// maxTop bounds --top: it lists features and allocates nothing.
	maxTop = 1_000_000
	// maxGroupValues bounds --max-groups (each kept group is a row of the
	// report and a bootstrap of its own).
	maxGroupValues = auditcli.MaxGroupValues
	// maxSentences, maxSeeds bound the bench's work.
	maxSentences = 100_000
	maxSeeds     = 1_000
)

// maxThreads is the most intra-op threads per session: four per CPU (more
// only oversubscribes the cores), and never above maxThreadsCeiling.
func maxThreads() int { return min(4*runtime.NumCPU(), maxThreadsCeiling) }

// intFlag checks that a flag's value lies in [lo, hi]; the error names the
// flag, the value and the limit.
func intFlag(name string, v, lo, hi int) error {
	return usageFrom(auditcli.IntFlag(name, v, lo, hi))
}

// shareFlag checks that a flag's value is a share in (0, 1), or (0, 1]
// when closed; the error names the flag and the value.
func shareFlag(name string, v float64, closed bool) error {
	return usageFrom(auditcli.ShareFlag(name, v, closed))
}

// firstError returns the first non-nil error.
func firstError(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// byteSize is a memory size flag: a plain byte count or a number with a
// unit, KiB/MiB/GiB/TiB (powers of 1024) or KB/MB/GB/TB (powers of 1000);
// K, M, G, T alone mean the binary units.
type byteSize int64

func (b *byteSize) String() string { return bytesize.Format(int64(*b)) }

func (b *byteSize) Set(s string) error {
	n, err := bytesize.Parse(s)
	if err != nil {
		return err
	}
	*b = byteSize(n)
	return nil
}

// defaultMaxMemory is half the machine's memory (MemTotal in
// /proc/meminfo), or 4 GiB where that cannot be read.
func defaultMaxMemory() int64 {
	if total := memTotal(); total > 0 {
		return total / 2
	}
	return 4 << 30
}

func memTotal() int64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && fields[0] == "MemTotal:" {
			kb, err := strconv.ParseInt(fields[1], 10, 64)
			if err == nil {
				return kb << 10
			}
		}
	}
	return 0
}

// memoryError is the usage error for an estimate above --max-memory.
func memoryError(what string, need, limit int64) error {
	return usagef("%s needs an estimated %s, above --max-memory %s; lower it or raise --max-memory", what, bytesize.Format(need), bytesize.Format(limit))
}
