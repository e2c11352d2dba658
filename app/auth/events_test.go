package auth

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// The audit bounds a user agent at 512 characters without splitting one:
// a byte cut stored invalid UTF-8, which the audit's JSON then garbled.
func TestClientEventUserAgentStaysUTF8(t *testing.T) {
	ua := "x" + strings.Repeat("é", 600) // a byte cut at 512 lands inside an é
	got := clientEvent(EventLogin, Client{UserAgent: ua}).UserAgent
	if !utf8.ValidString(got) || utf8.RuneCountInString(got) != 512 || !strings.HasPrefix(ua, got) {
		t.Errorf("user agent cut to %d runes, valid UTF-8 %v", utf8.RuneCountInString(got), utf8.ValidString(got))
	}
}
