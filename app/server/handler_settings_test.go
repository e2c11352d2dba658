package server_test

import (
	"testing"

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
