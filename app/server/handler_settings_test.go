package server_test

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aiwfe/aiwfe/app/config"
	"github.com/aiwfe/aiwfe/app/server/servertest"
)

// A fresh install with no model server: an admin sees why chat cannot
// work, switches on the demo model from the UI, and chat answers at once;
// resetting goes back to the configuration file's server.
func TestAdminModelServer(t *testing.T) {
	srv := servertest.Start(t, func(c *config.Config) {
		c.LLM.Provider = "ollama"
		c.LLM.BaseURL = "http://127.0.0.1:1" // nothing listens
	})
	admin := srv.User(t, "admin")
	user := srv.User(t, "user")
	base := "/api/v1/admin/model-server"
	put := func(v map[string]any) servertest.Request { return servertest.Request{JSON: v} }
	chat := servertest.Request{JSON: map[string]any{"message": "hello"}}

	for _, sc := range []servertest.Scenario{
		{Name: "anonymous gets 401", Client: srv.Client(t), Method: "GET", Path: base, WantStatus: 401},
		{Name: "user gets 403", Client: user, Method: "GET", Path: base, WantStatus: 403, WantCode: "forbidden"},
		{Name: "user cannot change it", Client: user, Method: "PUT", Path: base, Request: put(map[string]any{"provider": "demo"}), WantStatus: 403},
		{Name: "user cannot reset it", Client: user, Method: "DELETE", Path: base, WantStatus: 403},
		// Nothing answers: said in a sentence, no Go error chain.
		{Name: "first run", Method: "GET", Path: base, WantStatus: 200,
			WantContains: []string{`"source":"config"`, `"reachable":false`, `"code":"unreachable"`,
				`"message":"No model server answers at http://127.0.0.1:1."`},
			WantNotContains: []string{"dial tcp", "connection refused", "/api/version"},
			WantHeaders:     map[string]string{"Cache-Control": "no-store"}},
		{Name: "chat fails before", Client: user, Method: "POST", Path: "/api/v1/chat", Request: chat, WantStatus: 503},
		// Bad input names the field and changes nothing.
		{Name: "bad provider", Method: "PUT", Path: base, Request: put(map[string]any{"provider": "gpt"}), WantStatus: 400, WantField: "provider"},
		{Name: "bad url", Method: "PUT", Path: base, Request: put(map[string]any{"provider": "ollama", "base_url": "file:///etc/passwd"}), WantStatus: 400, WantField: "base_url"},
		{Name: "unknown field", Method: "PUT", Path: base, Request: put(map[string]any{"provider": "demo", "debug": true}), WantStatus: 400},
		{Name: "not JSON", Method: "PUT", Path: base, Request: servertest.Request{Form: map[string][]string{"provider": {"demo"}}}, WantStatus: 400},
		{Name: "still from config", Method: "GET", Path: base, WantStatus: 200, WantContains: []string{`"source":"config"`, `"provider":"ollama"`}},
		// "Use the demo model now".
		{Name: "use the demo model", Method: "PUT", Path: base, Request: put(map[string]any{"provider": "demo"}), WantStatus: 200,
			WantContains: []string{`"source":"settings"`, `"provider":"demo"`, `"reachable":true`, `"demo":true`}},
		{Name: "chat answers with the demo model", Client: user, Method: "POST", Path: "/api/v1/chat", Request: chat, WantStatus: 200,
			WantContains: []string{`"demo":true`}},
		{Name: "audited", Method: "GET", Path: "/api/v1/admin/audit?per_page=100", WantStatus: 200,
			WantContains: []string{`"type":"settings_change"`, "the built-in demo model"}},
		// Back to the file's server.
		{Name: "reset", Method: "DELETE", Path: base, WantStatus: 200,
			WantContains: []string{`"source":"config"`, `"provider":"ollama"`, `"reachable":false`}},
		{Name: "chat fails again", Client: user, Method: "POST", Path: "/api/v1/chat", Request: chat, WantStatus: 503},
	} {
		sc.Run(t, admin)
	}
}

// A dead model server: every chat and model list fails in a sentence a
// person can act on, and the log gets the cause once, not a line per
// request (a settings page view asks twice).
func TestDeadModelServerIsSaidOnce(t *testing.T) {
	var logged bytes.Buffer
	var mu sync.Mutex
	log := slog.New(slog.NewTextHandler(&lockedWriter{w: &logged, mu: &mu}, nil))
	srv := servertest.StartLogged(t, log, func(c *config.Config) {
		c.LLM.Provider = "ollama"
		c.LLM.BaseURL = "http://127.0.0.1:1"
	})
	user := srv.User(t, "user")
	for i := 0; i < 3; i++ {
		for _, path := range []string{"/api/v1/ollama/models", "/api/v1/ollama/running"} {
			res := user.Get(path)
			if res.Status != 503 || res.ErrorCode() != "llm_unavailable" {
				t.Fatalf("%s: %s", path, res)
			}
			if strings.Contains(string(res.Body), "dial tcp") || !strings.Contains(string(res.Body), "Admin → Model server") {
				t.Fatalf("%s: the error is not for a person: %s", path, res.Body)
			}
		}
		res := user.Post("/api/v1/chat", map[string]any{"message": "hello"})
		if res.Status != 503 || strings.Contains(string(res.Body), "127.0.0.1:1") {
			t.Fatalf("chat: %s", res)
		}
	}
	count := func() (failing, failed int) {
		mu.Lock()
		defer mu.Unlock()
		return strings.Count(logged.String(), "model server failing"), strings.Count(logged.String(), "request failed")
	}
	failing, failed := count()
	// One line per distinct cause (tags, ps, chat) — not nine.
	if failing != 3 || failed != 0 {
		t.Fatalf("logged %d model-server lines and %d request failures for 9 failed requests, want 3 and 0:\n%s", failing, failed, logged.String())
	}
	srv.Advance(11 * time.Minute)
	user.Get("/api/v1/ollama/models")
	if failing, _ := count(); failing != 4 {
		t.Fatalf("after 11 minutes the cause is not logged again (%d lines)", failing)
	}
}

type lockedWriter struct {
	w  *bytes.Buffer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
