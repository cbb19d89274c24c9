package auditcli

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// TermSafe returns s with everything that could drive a terminal or
// reorder what it shows written as an escape: C0 and C1 control
// characters except tab and newline (ESC becomes \x1b), DEL, the
// bidirectional embeddings, overrides and isolates U+202A–U+202E and
// U+2066–U+2069, the marks U+200E and U+200F, and bytes that are not
// UTF-8. A text can then neither send escape sequences to the terminal
// nor make one line display as another. JSON output does not use it:
// there encoding/json's escaping keeps texts exact.
func TermSafe(s string) string {
	if !needsEscape(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case unsafeRune(r) && r < 0x80:
			fmt.Fprintf(&b, `\x%02x`, r)
		case unsafeRune(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

func needsEscape(s string) bool {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size == 1) || unsafeRune(r) {
			return true
		}
		i += size
	}
	return false
}

func unsafeRune(r rune) bool {
	switch {
	case r == '\t' || r == '\n':
		return false
	case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e, r == 0x200f:
		return true
	}
	return false
}

// ParseBytes reads a size: a plain byte count or a number with a unit,
// KiB/MiB/GiB/TiB (powers of 1024) or KB/MB/GB/TB (powers of 1000); K, M,
// G, T alone mean the binary units: "2GiB", "512MiB", "1.5G", "1000000".
func ParseBytes(s string) (int64, error) {
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
