package textutil

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestTruncateAndEllipsize(t *testing.T) {
	for _, tc := range []struct {
		name     string
		in       string
		n        int
		truncate string
		ellipsis string
	}{
		{"short", "hello", 10, "hello", "hello"},
		{"exact", "hello", 5, "hello", "hello"},
		{"cut", "hello world", 5, "hello", "hello…"},
		{"trailing space before the mark", "hello world", 6, "hello ", "hello…"},
		// Byte cuts would split these: é is 2 bytes, 日 3, 🙂 4.
		{"two-byte runes", "éééé", 3, "ééé", "ééé…"},
		{"three-byte runes", "日本語のテキスト", 2, "日本", "日本…"},
		{"four-byte runes", "🙂🙂🙂", 1, "🙂", "🙂…"},
		{"mixed", "a🙂b", 2, "a🙂", "a🙂…"},
		{"zero", "abc", 0, "", "…"},
		{"empty", "", 3, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Truncate(tc.in, tc.n); got != tc.truncate {
				t.Errorf("Truncate(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.truncate)
			}
			if got := Ellipsize(tc.in, tc.n); got != tc.ellipsis {
				t.Errorf("Ellipsize(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.ellipsis)
			}
		})
	}
	// Any cut of any text is valid UTF-8 within n runes.
	s := strings.Repeat("aé日🙂", 50)
	for n := range 210 {
		if got := Truncate(s, n); !utf8.ValidString(got) || utf8.RuneCountInString(got) > n {
			t.Fatalf("Truncate(…, %d) = %q", n, got)
		}
	}
}
