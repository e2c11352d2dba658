package server_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/aiwfe/aiwfe/app/llm/llmtest"
	"github.com/aiwfe/aiwfe/app/server/servertest"
)

func TestChatREST(t *testing.T) {
	srv, up := chatServer(t, llmtest.WithTokens(3))
	c := srv.User(t, "user")
	var convID int64
	for _, sc := range []servertest.Scenario{
		{Name: "unauthenticated", Method: "POST", Path: "/api/v1/chat", Client: srv.Client(t),
			Request: servertest.Request{JSON: map[string]any{"message": "hi"}}, WantStatus: 401},
		{Name: "new conversation", Method: "POST", Path: "/api/v1/chat",
			Request:    servertest.Request{JSON: map[string]any{"message": "What is a haiku?"}},
			WantStatus: 200, WantContains: []string{`"conversation_id":`, `"role":"assistant"`, `"content":"tok0 tok1 tok2 "`,
				`"status":"complete"`, `"usage":{"prompt_tokens":`, `"completion_tokens":3`, `"timing":{`, `"first_token_ms":`},
			After: func(t *testing.T, c *servertest.Client, res *servertest.Response) {
				var b struct {
					ConversationID int64 `json:"conversation_id"`
				}
				res.JSON(t, &b)
				convID = b.ConversationID
			}},
		{Name: "continue", Method: "POST", Path: "/api/v1/chat",
			Before: func(t *testing.T, c *servertest.Client) {},
			Request: servertest.Request{JSON: func() any {
				return map[string]any{"conversation_id": &convID, "message": "another", "mode": "coding"}
			}()},
			WantStatus: 200, WantContains: []string{`"status":"complete"`}},
		{Name: "empty message", Method: "POST", Path: "/api/v1/chat",
			Request: servertest.Request{JSON: map[string]any{"message": "  "}}, WantStatus: 400, WantCode: "validation_failed", WantField: "message"},
		{Name: "oversized message", Method: "POST", Path: "/api/v1/chat",
			Request: servertest.Request{JSON: map[string]any{"message": strings.Repeat("é", 100_001)}}, WantStatus: 400, WantField: "message"},
		{Name: "exactly the limit", Method: "POST", Path: "/api/v1/chat",
			Request: servertest.Request{JSON: map[string]any{"message": strings.Repeat("a", 100_000)}}, WantStatus: 200},
		{Name: "unknown field", Method: "POST", Path: "/api/v1/chat",
			Request: servertest.Request{JSON: map[string]any{"message": "x", "nope": 1}}, WantStatus: 400},
		{Name: "unknown mode", Method: "POST", Path: "/api/v1/chat",
			Request: servertest.Request{JSON: map[string]any{"message": "x", "mode": "nope"}}, WantStatus: 400, WantField: "mode"},
		{Name: "missing conversation", Method: "POST", Path: "/api/v1/chat",
			Request: servertest.Request{JSON: map[string]any{"message": "x", "conversation_id": 999999}}, WantStatus: 404, WantCode: "not_found"},
		{Name: "model not found", Method: "POST", Path: "/api/v1/chat",
			Request:    servertest.Request{JSON: map[string]any{"message": "x", "model": "ghost:1b"}},
			WantStatus: 404, WantCode: "model_not_found", WantContains: []string{"ghost:1b", "Settings → Models"}},
		{Name: "single turn", Method: "POST", Path: "/api/v1/conversation",
			Request:    servertest.Request{JSON: map[string]any{"message": "quick one"}},
			WantStatus: 200, WantContains: []string{`"content":"tok0 tok1 tok2 "`, `"model":"llama3.2:3b"`},
			WantNotContains: []string{"conversation_id"}},
		{Name: "single turn empty", Method: "POST", Path: "/api/v1/conversation",
			Request: servertest.Request{JSON: map[string]any{"message": ""}}, WantStatus: 400},
	} {
		sc.Run(t, c)
	}
	// The single turn stored nothing, nor did the failed chat: the
	// conversations are the two of /chat that worked.
	srv.App.Chat.Wait()
	res := c.Get("/api/v1/conversations")
	if !strings.Contains(res.String(), `"total":2`) {
		t.Fatalf("conversations: %s", res)
	}
	// A failure in an existing conversation leaves it as it was.
	res = c.Post("/api/v1/chat", map[string]any{"conversation_id": convID, "message": "x", "model": "ghost:1b"})
	if res.Status != 404 || res.ErrorCode() != "model_not_found" {
		t.Fatalf("model not found in a conversation: %s", res)
	}
	if res := c.Get(fmt.Sprintf("/api/v1/conversations/%d", convID)); !strings.Contains(res.String(), `"mode":"coding"`) ||
		!strings.Contains(res.String(), `"message_count":4`) {
		t.Fatalf("continued conversation: %s", res)
	}

	// The model server down: 503 llm_unavailable, and the appliance lives on.
	up.SetFault(llmtest.Fault{Hangup: true})
	res = c.Post("/api/v1/chat", map[string]any{"message": "anyone there?"})
	if res.Status != 503 || res.ErrorCode() != "llm_unavailable" {
		t.Fatalf("upstream down: %s", res)
	}
	up.SetFault(llmtest.Fault{Status: 500, Message: "broken"})
	if res := c.Post("/api/v1/conversation", map[string]any{"message": "x"}); res.Status != 503 || res.ErrorCode() != "llm_unavailable" {
		t.Fatalf("upstream 500: %s", res)
	}
}

func TestChatRESTDemoModel(t *testing.T) {
	srv := servertest.Start(t) // the harness runs the demo provider
	c := srv.User(t, "user")
	res := c.Post("/api/v1/chat", map[string]any{"message": "hello"})
	if res.Status != 200 || !strings.Contains(res.String(), `"demo":true`) || !strings.Contains(res.String(), "demo model") {
		t.Fatalf("demo: %s", res)
	}
	// Labelled with what answered, not the assignment (llama3.2:3b) the
	// demo model stands in for: in the reply, the history and the
	// conversation list.
	var r struct {
		ConversationID int64 `json:"conversation_id"`
		Message        struct {
			Model string `json:"model"`
		} `json:"message"`
	}
	res.JSON(t, &r)
	if r.Message.Model != "demo" {
		t.Fatalf("reply labelled %q, want demo", r.Message.Model)
	}
	for _, path := range []string{"/api/v1/conversations", "/api/v1/conversations/" + strconv.FormatInt(r.ConversationID, 10) + "/messages"} {
		if body := c.Get(path).String(); strings.Contains(body, "llama3.2") {
			t.Fatalf("%s names a model that did not answer: %s", path, body)
		}
	}
	if res := c.Post("/api/v1/conversation", map[string]any{"message": "quick"}); !strings.Contains(res.String(), `"model":"demo"`) {
		t.Fatalf("single turn: %s", res)
	}
}
