// Package bytesize reads and writes sizes in bytes the way flags and
// messages give them: "512MiB", "2GiB", "1.5G", "4 GB" in; "2.0 GiB",
// "100 B" out.
package bytesize

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Parse reads a size: a plain byte count or a number with a unit,
// KiB/MiB/GiB/TiB (powers of 1024) or KB/MB/GB/TB (powers of 1000); K, M,
// G, T alone mean the binary units: "2GiB", "512MiB", "1.5G", "1000000".
func Parse(s string) (int64, error) {
	t := strings.TrimSpace(s)
	i := len(t)
	for i > 0 && (t[i-1] < '0' || t[i-1] > '9') && t[i-1] != '.' {
		i--
	}
	num, unit := t[:i], strings.ToUpper(strings.TrimSpace(t[i:]))
	scale := map[string]float64{
		"": 1, "B": 1,
		"K": 1 << 10, "KI": 1 << 10, "KIB": 1 << 10, "KB": 1e3,
		"M": 1 << 20, "MI": 1 << 20, "MIB": 1 << 20, "MB": 1e6,
		"G": 1 << 30, "GI": 1 << 30, "GIB": 1 << 30, "GB": 1e9,
		"T": 1 << 40, "TI": 1 << 40, "TIB": 1 << 40, "TB": 1e12,
	}[unit]
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || scale == 0 || v <= 0 || math.IsInf(v, 0) || v*scale > math.MaxInt64/2 {
		return 0, fmt.Errorf("size %q: want a positive size such as 512MiB, 2GiB or 4000000000", s)
	}
	return int64(v * scale), nil
}

// Format writes n in the largest binary unit that keeps it ≥ 1.
func Format(n int64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB"}
	v, u := float64(n), 0
	for v >= 1024 && u < len(units)-1 {
		v /= 1024
		u++
	}
	if u == 0 {
		return fmt.Sprintf("%d B", n)
	}
	return fmt.Sprintf("%.1f %s", v, units[u])
}
