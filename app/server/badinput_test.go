package server_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/aiwfe/aiwfe/app/server/servertest"
)

// Hostile or odd input never reaches a 500 or a plain-text answer: a search
// with a NUL answers its results, everything else below a JSON 4xx in the
// one error shape, and every answer carries the usual headers.
func TestBadInputAnswersJSON(t *testing.T) {
	srv := servertest.Start(t)
	u := srv.User(t, "user")
	if res := u.Post("/api/v1/chat", map[string]any{"message": "How do I bake sourdough bread?"}); res.Status != 200 {
		t.Fatalf("chat: %s", res)
	}
	srv.Server.Chat().Wait()
	// Deeper than SQLite's JSON functions go (1000), shallower than Go's
	// decoder refuses (10000).
	deep := strings.Repeat("[", 2000) + strings.Repeat("]", 2000)
	for _, tc := range []struct {
		name, method, path string
		req                servertest.Request
		status             int
		code               string
	}{
		{"NUL in message search", "GET", "/api/v1/messages/search?q=%00", servertest.Request{}, 200, ""},
		{"NUL inside a word in message search", "GET", "/api/v1/messages/search?q=ab%00cd", servertest.Request{}, 200, ""},
		{"NUL in conversation search", "GET", "/api/v1/conversations?q=%00", servertest.Request{}, 200, ""},
		{"NUL after a word in conversation search", "GET", "/api/v1/conversations?q=hello%00", servertest.Request{}, 200, ""},
		{"JSON deeper than SQLite accepts in a profile field", "PUT", "/api/v1/profile",
			servertest.Request{JSON: `{"calendar_event_weights":{"work":` + deep + `}}`}, 400, "bad_request"},
		{"JSON nested deep in a strict body", "POST", "/api/v1/conversations",
			servertest.Request{JSON: `{"title":` + deep + `}`}, 400, "bad_request"},
		{"unknown method", "PROPFIND", "/", servertest.Request{}, 405, "method_not_allowed"},
		{"unknown method on the API", "BREW", "/api/v1/profile", servertest.Request{}, 405, "method_not_allowed"},
		{"oversized headers", "GET", "/health",
			servertest.Request{Headers: map[string]string{"X-Filler": strings.Repeat("a", 16<<10)}}, 431, "request_headers_too_large"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u.T = t
			res := u.Do(tc.method, tc.path, tc.req)
			if res.Status != tc.status {
				t.Fatalf("%s %s: %d, want %d: %s", tc.method, tc.path, res.Status, tc.status, res.Body)
			}
			if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type %q, want JSON: %s", ct, res.Body)
			}
			for _, h := range []string{"Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options", "X-Request-Id"} {
				if res.Header.Get(h) == "" {
					t.Errorf("no %s header", h)
				}
			}
			if tc.code != "" && res.ErrorCode() != tc.code {
				t.Errorf("error code %q, want %q: %s", res.ErrorCode(), tc.code, res.Body)
			}
			if tc.method == "PROPFIND" || tc.method == "BREW" {
				if allow := res.Header.Get("Allow"); !strings.Contains(allow, http.MethodGet) {
					t.Errorf("Allow %q", allow)
				}
			}
		})
	}
}
