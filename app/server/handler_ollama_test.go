package server_test

import (
	"strings"
	"testing"

	"github.com/aiwfe/aiwfe/app/llm/llmtest"
	"github.com/aiwfe/aiwfe/app/server/servertest"
)

func TestOllamaREST(t *testing.T) {
	srv, up := chatServer(t, llmtest.WithFault(llmtest.Fault{HoldAfter: 1, Paths: []string{"/api/pull"}}))
	c := srv.User(t, "user")
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
	if res := c.Get("/api/v1/ollama/health"); !strings.Contains(res.String(), `"status":"down"`) {
		t.Fatalf("health when down: %s", res)
	}
}

func TestOllamaPullNotSupportedByDemo(t *testing.T) {
	srv := servertest.Start(t)
	c := srv.User(t, "user")
	res := c.Post("/api/v1/ollama/pull", map[string]any{"model": "x"})
	if res.Status != 400 || res.ErrorCode() != "not_supported" {
		t.Fatalf("%s", res)
	}
	if res := c.Get("/api/v1/ollama/models"); !strings.Contains(res.String(), `"name":"demo"`) {
		t.Fatalf("demo models: %s", res)
	}
}
