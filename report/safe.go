package report

import (
	"cmp"
	"fmt"
	"html/template"
	"slices"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/bidi"
)

// This file makes data-derived strings (texts, tokens, group and column
// names, labels, file names, reasons, summary messages) safe to show: none
// can change how the text around it is displayed.
//
//   - Every bidi embedding, override and isolate control (U+202A–U+202E,
//     U+2066–U+2069) is removed as a control, balanced or not, and shown
//     as a visible escape ("\u202e") instead: a group "x\u202e" must not
//     reverse the numbers after it, nor look the same as a group "x".
//   - Other control characters (C0 and C1 except tab and newline, DEL,
//     U+2028/U+2029 line and paragraph separators) and bytes that are not
//     UTF-8 are shown the same way ("\x1b", "\xff"), so an ESC sequence
//     in a text is visible rather than silently dropped by the browser.
//   - In HTML content the string is wrapped in <bdi>, so its own
//     direction (a Hebrew or Arabic name) stays inside it. Escapes are
//     marked <span class="ctl">, so they cannot be confused with a text
//     that happens to contain a backslash.
//   - Where markup cannot go (attributes shown as tooltips, SVG text, the
//     page title) the string is wrapped in U+2068 FIRST STRONG ISOLATE …
//     U+2069 POP DIRECTIONAL ISOLATE instead: the plain-text form of <bdi>.
//
// data-key attributes are not displayed and keep the names exactly as
// report.json has them.

// Plain-text isolation marks: the page adds them, always as a pair.
const (
	fsi = "\u2068"
	pdi = "\u2069"
)

// isBidiControl reports whether r is an embedding, override or isolate
// control: the characters that change the direction of the text after
// them.
func isBidiControl(r rune) bool {
	return (0x202A <= r && r <= 0x202E) || (0x2066 <= r && r <= 0x2069)
}

// needsEscape reports whether r is shown as an escape rather than itself.
func needsEscape(r rune) bool {
	switch {
	case r == '\t' || r == '\n':
		return false
	case r < 0x20, 0x7F <= r && r <= 0x9F:
		return true
	case r == 0x2028 || r == 0x2029:
		return true
	}
	return isBidiControl(r)
}

// visibleParts calls text for each run of s shown as it is and ctl for
// each character (or invalid byte) shown as an escape, in order.
func visibleParts(s string, text func(string), ctl func(esc string, r rune)) {
	start := 0
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		var esc string
		switch {
		case r == utf8.RuneError && size == 1:
			esc = fmt.Sprintf(`\x%02x`, s[i])
			r = -1
		case needsEscape(r) && r < 0x100:
			esc = fmt.Sprintf(`\x%02x`, r)
		case needsEscape(r):
			esc = fmt.Sprintf(`\u%04x`, r)
		default:
			i += size
			continue
		}
		if start < i {
			text(s[start:i])
		}
		ctl(esc, r)
		i += size
		start = i
	}
	if start < len(s) {
		text(s[start:])
	}
}

// visible is s with every control character shown as an escape: for
// plain-text contexts.
func visible(s string) string {
	var b strings.Builder
	visibleParts(s, func(t string) { b.WriteString(t) }, func(esc string, _ rune) { b.WriteString(esc) })
	return b.String()
}

// isolate is visible(s) between FSI and PDI: a data string in a plain-text
// context (a tooltip, SVG text, the page title) that cannot reorder the
// text around it. An empty string stays empty.
func isolate(s string) string {
	if s == "" {
		return ""
	}
	return fsi + visible(s) + pdi
}

// htmlText is s escaped for HTML content with control characters shown as
// marked escapes; it does not isolate s (see bdi).
func htmlText(s string) template.HTML {
	var b strings.Builder
	writeHTMLText(&b, s)
	return template.HTML(b.String())
}

func writeHTMLText(b *strings.Builder, s string) {
	visibleParts(s, func(t string) { b.WriteString(template.HTMLEscapeString(t)) }, func(esc string, r rune) {
		what := "byte that is not UTF-8"
		if r >= 0 {
			what = fmt.Sprintf("control character U+%04X", r)
		}
		fmt.Fprintf(b, `<span class="ctl" title="%s">%s</span>`, what, esc)
	})
}

// bdi is s as isolated HTML content: <bdi>, escaped, control characters
// visible. An empty string renders as nothing.
func bdi(s string) template.HTML {
	if s == "" {
		return ""
	}
	var b strings.Builder
	b.WriteString("<bdi>")
	writeHTMLText(&b, s)
	b.WriteString("</bdi>")
	return template.HTML(b.String())
}

// htmlf formats a sentence whose words are the page's own and whose
// string arguments are data: format is HTML-escaped, each string argument
// is rendered with bdi, a template.HTML argument is inserted as it is (it
// must come from this file's functions), and other arguments are printed
// with fmt.
func htmlf(format string, args ...any) template.HTML {
	out := make([]any, len(args))
	for i, a := range args {
		switch a := a.(type) {
		case string:
			out[i] = string(bdi(a))
		case template.HTML:
			out[i] = string(a)
		default:
			out[i] = a
		}
	}
	return template.HTML(fmt.Sprintf(template.HTMLEscapeString(format), out...))
}

// joinHTML joins the data strings items with sep (the page's own text),
// each isolated.
func joinHTML(items []string, sep string) template.HTML {
	parts := make([]string, len(items))
	for i, s := range items {
		parts[i] = string(bdi(s))
	}
	return template.HTML(strings.Join(parts, template.HTMLEscapeString(sep)))
}

// hasRTL reports whether s holds a right-to-left letter (bidi class R or
// AL), the characters that can move the numbers next to them.
func hasRTL(s string) bool {
	for _, r := range s {
		p, _ := bidi.LookupRune(r)
		if c := p.Class(); c == bidi.R || c == bidi.AL {
			return true
		}
	}
	return false
}

// message renders a sentence made elsewhere (an audit finding) that
// embeds data strings: control characters are shown as escapes, the
// sentence is isolated as left-to-right (it is English) and, since the
// sentence does not say where its data strings are, every occurrence of a
// known name that holds a right-to-left letter is isolated in its own
// <bdi>, so it cannot move the numbers next to it.
func message(msg string, names []string) template.HTML {
	var rtl []string
	for _, n := range names {
		if n != "" && hasRTL(n) {
			rtl = append(rtl, n)
		}
	}
	// Longest first, so a name containing another is matched whole.
	slices.SortStableFunc(rtl, func(a, b string) int { return cmp.Compare(len(b), len(a)) })
	rtl = slices.Compact(rtl)
	var b strings.Builder
	b.WriteString(`<bdi dir="ltr">`)
	for len(msg) > 0 {
		at, name := -1, ""
		for _, n := range rtl {
			if i := strings.Index(msg, n); i >= 0 && (at < 0 || i < at) {
				at, name = i, n
			}
		}
		if at < 0 {
			writeHTMLText(&b, msg)
			break
		}
		writeHTMLText(&b, msg[:at])
		b.WriteString(string(bdi(name)))
		msg = msg[at+len(name):]
	}
	b.WriteString("</bdi>")
	return template.HTML(b.String())
}
