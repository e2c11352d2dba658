package server_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

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
	srv.App.Chat.Wait()
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
		// Sent raw (see rawRequest): the server answers and closes while a
		// client such as net/http may still be writing.
		{"oversized headers", "RAW", "/health",
			servertest.Request{Headers: map[string]string{"X-Filler": strings.Repeat("a", 16<<10)}}, 431, "request_headers_too_large"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u.T = t
			var res *servertest.Response
			if tc.method == "RAW" {
				res = rawRequest(t, srv.URL, "GET "+tc.path+" HTTP/1.1\r\nHost: localhost\r\nX-Filler: "+tc.req.Headers["X-Filler"]+"\r\n\r\n")
			} else {
				res = u.Do(tc.method, tc.path, tc.req)
			}
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

// rawRequest writes req in one write on a fresh connection, then reads the
// answer. The kernel takes the whole request at once, so the answer is
// read even when the server closes the connection without reading all of
// it (which resets a client still writing).
func rawRequest(t *testing.T, base, req string) *servertest.Response {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := conn.Write([]byte(req)); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return &servertest.Response{Status: res.StatusCode, Header: res.Header, Body: body}
}
