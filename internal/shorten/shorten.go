// Package shorten cuts a text down for a message: an error that quotes a
// user's input must stay one readable line however long the input was.
package shorten

import "unicode/utf8"

// Bytes is s when it has at most n bytes, else its longest prefix of at
// most n bytes that ends at a character boundary, followed by "…".
func Bytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return Prefix(s, n) + "…"
}

// Prefix is the longest prefix of s of at most n bytes that ends at a
// character boundary.
func Prefix(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
