package chat

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// A long upstream error is cut to 300 characters for the client without
// splitting one (a byte cut sent invalid UTF-8 in the JSON error).
func TestUpstreamMessageCutsOnARune(t *testing.T) {
	msg := upstreamMessage(errors.New("x" + strings.Repeat("日", 400)))
	if !utf8.ValidString(msg) || !strings.HasSuffix(msg, "…") || utf8.RuneCountInString(msg) != 301 {
		t.Errorf("%d runes, valid UTF-8 %v: %q", utf8.RuneCountInString(msg), utf8.ValidString(msg), msg)
	}
}
