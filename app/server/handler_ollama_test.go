package server_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/aiwfe/aiwfe/app/config"
	"github.com/aiwfe/aiwfe/app/llm/llmtest"
	"github.com/aiwfe/aiwfe/app/server/servertest"
)

func TestOllamaREST(t *testing.T) {
	srv, up := chatServer(t, llmtest.WithFault(llmtest.Fault{HoldAfter: 1, Paths: []string{"/api/pull"}}))
	c := srv.User(t, "admin")
	for _, sc := range []servertest.Scenario{
		{Name: "models", Method: "GET", Path: "/api/v1/ollama/models", WantStatus: 200,
			WantContains: []string{`"name":"llama3.2:3b"`, `"family":"llama"`, `"size":2019393189`, `"parameter_size":"3.2B"`, `"name":"nomic-embed-text:latest"`}},
		{Name: "health", Method: "GET", Path: "/api/v1/ollama/health", WantStatus: 200, WantContains: []string{`"status":"ok"`, `"provider":"ollama"`}},
		{Name: "running", Method: "GET", Path: "/api/v1/ollama/running", WantStatus: 200, WantContains: []string{`"items":[`}},
		{Name: "pull", Method: "POST", Path: "/api/v1/ollama/pull", Request: servertest.Request{JSON: map[string]any{"model": "llama3.2:1b"}},
			WantStatus: 202, WantContains: []string{`"model":"llama3.2:1b"`, `"done":false`}},
		{Name: "same pull again", Method: "POST", Path: "/api/v1/ollama/pull", Request: servertest.Request{JSON: map[string]any{"model": "llama3.2:1b"}},
			WantStatus: 409, WantCode: "conflict"},
		{Name: "pull without model", Method: "POST", Path: "/api/v1/ollama/pull", Request: servertest.Request{JSON: map[string]any{}},
			WantStatus: 400, WantField: "model"},
		{Name: "unauthenticated", Method: "GET", Path: "/api/v1/ollama/models", Client: srv.Client(t), WantStatus: 401},
	} {
		sc.Run(t, c)
	}
	up.Release()
	srv.App.Chat.Wait()

	// After a chat the model shows as loaded.
	c.Post("/api/v1/chat", map[string]any{"message": "hi"})
	if res := c.Get("/api/v1/ollama/running"); !strings.Contains(res.String(), `"name":"llama3.2:3b"`) {
		t.Fatalf("running: %s", res)
	}

	// Down: models 503, health says so.
	up.SetFault(llmtest.Fault{Status: 503, Message: "maintenance"})
	if res := c.Get("/api/v1/ollama/models"); res.Status != 503 || res.ErrorCode() != "llm_unavailable" {
		t.Fatalf("models when down: %s", res)
	}
	// In a sentence with the way on, not the upstream's words.
	if res := c.Get("/api/v1/ollama/health"); !strings.Contains(res.String(), `"status":"down"`) ||
		!strings.Contains(res.String(), "Admin → Model server") || strings.Contains(res.String(), "maintenance") {
		t.Fatalf("health when down: %s", res)
	}
}

func TestOllamaPullNotSupportedByDemo(t *testing.T) {
	srv := servertest.Start(t)
	c := srv.User(t, "admin")
	res := c.Post("/api/v1/ollama/pull", map[string]any{"model": "x"})
	if res.Status != 400 || res.ErrorCode() != "not_supported" {
		t.Fatalf("%s", res)
	}
	if res := c.Get("/api/v1/ollama/models"); !strings.Contains(res.String(), `"name":"demo"`) {
		t.Fatalf("demo models: %s", res)
	}
}

// Pulling fills the host's disk: administrators may, users only when the
// configuration allows it, and nobody sees another user's pulls (but
// administrators see all).
func TestOllamaPullAuthorization(t *testing.T) {
	for _, tc := range []struct {
		name           string
		allowUserPulls bool
	}{
		{name: "default: administrators only"},
		{name: "allow_user_pulls", allowUserPulls: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			up := llmtest.NewOllama(t, llmtest.WithPullable("m-admin", "m-super", "m-alice", "m-bob"))
			srv := servertest.Start(t, func(c *config.Config) {
				c.LLM.Provider = "ollama"
				c.LLM.BaseURL = up.URL
				c.LLM.AllowUserPulls = tc.allowUserPulls
			})
			admin, super, alice, bob := srv.User(t, "admin"), srv.User(t, "superuser"), srv.User(t, "user"), srv.User(t, "user")
			pull := func(model string) servertest.Request {
				return servertest.Request{JSON: map[string]any{"model": model}}
			}
			userStatus, userCode, canPull := 403, "forbidden", `"can_pull":false`
			if tc.allowUserPulls {
				userStatus, userCode, canPull = 202, "", `"can_pull":true`
			}
			for _, sc := range []struct {
				c  *servertest.Client
				sc servertest.Scenario
			}{
				{admin, servertest.Scenario{Name: "admin pulls", Method: "POST", Path: "/api/v1/ollama/pull", Request: pull("m-admin"),
					WantStatus: 202, WantContains: []string{`"model":"m-admin"`}}},
				{super, servertest.Scenario{Name: "superuser pulls", Method: "POST", Path: "/api/v1/ollama/pull", Request: pull("m-super"),
					WantStatus: 202}},
				{alice, servertest.Scenario{Name: "user pulls", Method: "POST", Path: "/api/v1/ollama/pull", Request: pull("m-alice"),
					WantStatus: userStatus, WantCode: userCode, WantHeaders: map[string]string{"Content-Type": "application/json"}}},
				{bob, servertest.Scenario{Name: "another user pulls", Method: "POST", Path: "/api/v1/ollama/pull", Request: pull("m-bob"),
					WantStatus: userStatus, WantCode: userCode}},
				{admin, servertest.Scenario{Name: "admin may pull", Method: "GET", Path: "/api/v1/ollama/pulls",
					WantStatus: 200, WantContains: []string{`"can_pull":true`}}},
				{alice, servertest.Scenario{Name: "user told whether they may pull", Method: "GET", Path: "/api/v1/ollama/pulls",
					WantStatus: 200, WantContains: []string{canPull}}},
			} {
				sc.sc.Run(t, sc.c)
			}
			srv.App.Chat.Wait()

			// Who sees which pulls.
			models := func(c *servertest.Client) []string {
				var out struct {
					Items []struct {
						Model string `json:"model"`
					} `json:"items"`
				}
				c.Get("/api/v1/ollama/pulls").JSON(t, &out)
				var names []string
				for _, p := range out.Items {
					names = append(names, p.Model)
				}
				slices.Sort(names)
				return names
			}
			want := map[*servertest.Client][]string{admin: {"m-admin", "m-super"}, super: {"m-admin", "m-super"}, alice: nil, bob: nil}
			if tc.allowUserPulls {
				want = map[*servertest.Client][]string{admin: {"m-admin", "m-alice", "m-bob", "m-super"},
					super: {"m-admin", "m-alice", "m-bob", "m-super"}, alice: {"m-alice"}, bob: {"m-bob"}}
			}
			for c, names := range want {
				if got := models(c); !slices.Equal(got, names) {
					t.Errorf("%s sees pulls %v, want %v", c.Email, got, names)
				}
			}
		})
	}
}
