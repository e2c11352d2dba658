package server_test

import (
	"encoding/json"
	"math/rand/v2"
	"testing"

	"github.com/aiwfe/aiwfe/app/server"
)

// The hand-written token frame decodes to what encoding/json would give.
func TestTokenFrameMatchesEncodingJSON(t *testing.T) {
	cases := []string{"", "plain", `quote " and \ backslash`, "new\nline\r\ttab", "\x00\x01\x1f\x7f",
		"héllo wörld ✓ 日本語 🎉", "\u2028\u2029", "bad \xff\xfe utf8", "</script><b>&amp;", "\xe2\x82"}
	r := rand.New(rand.NewPCG(1, 2))
	for range 500 {
		b := make([]byte, r.IntN(40))
		for i := range b {
			b[i] = byte(r.IntN(256))
		}
		cases = append(cases, string(b))
	}
	for _, s := range cases {
		var got struct{ Type, Content string }
		if err := json.Unmarshal(server.TokenFrame(s), &got); err != nil {
			t.Fatalf("%q: %v: %s", s, err, server.TokenFrame(s))
		}
		ref, _ := json.Marshal(s)
		var want string
		json.Unmarshal(ref, &want)
		if got.Type != "token" || got.Content != want {
			t.Fatalf("%q: got %q, want %q", s, got.Content, want)
		}
	}
}
