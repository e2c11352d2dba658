// Package textutil cuts text for storage and display. Every cut falls on
// a rune boundary: cutting at a byte offset splits a multi-byte character
// and leaves invalid UTF-8 in the database, a log line or a JSON answer.
package textutil

import (
	"strings"
	"unicode"
)

// Truncate keeps at most n runes of s (none when n <= 0). Only the kept
// prefix is walked, so a long reply costs no more than a short one.
func Truncate(s string, n int) string {
	if n <= 0 {
		return ""
	}
	runes := 0
	for i := range s {
		if runes == n {
			return s[:i]
		}
		runes++
	}
	return s
}

// Ellipsize is Truncate marking a cut: the kept prefix loses its trailing
// spaces and ends in "…". An uncut s comes back unchanged.
func Ellipsize(s string, n int) string {
	t := Truncate(s, n)
	if len(t) == len(s) {
		return s
	}
	return strings.TrimRightFunc(t, unicode.IsSpace) + "…"
}
