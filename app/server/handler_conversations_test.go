package server_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/aiwfe/aiwfe/app/server/servertest"
)

func TestConversationsREST(t *testing.T) {
	srv := servertest.Start(t)
	c := srv.User(t, "user")
	ids := map[string]int64{}
	send := func(msg string) int64 {
		res := c.Post("/api/v1/chat", map[string]any{"message": msg})
		if res.Status != 200 {
			t.Fatalf("chat: %s", res)
		}
		var b struct {
			ConversationID int64 `json:"conversation_id"`
		}
		res.JSON(t, &b)
		return b.ConversationID
	}
	ids["whales"] = send("Tell me about humpback whales")
	ids["bread"] = send("How do I bake sourdough bread?")
	ids["tax"] = send("Explain tax brackets")
	srv.App.Chat.Wait()
	p := func(name string) string { return fmt.Sprintf("/api/v1/conversations/%d", ids[name]) }

	for _, sc := range []servertest.Scenario{
		{Name: "list", Method: "GET", Path: "/api/v1/conversations", WantStatus: 200,
			WantContains: []string{`"total":3`, `"page":1`, `"per_page":20`, `"message_count":2`}},
		{Name: "paging", Method: "GET", Path: "/api/v1/conversations?page=2&per_page=2", WantStatus: 200,
			WantContains: []string{`"total":3`, `"page":2`, `"title":"Tell me about humpback whales"`}},
		{Name: "bad page", Method: "GET", Path: "/api/v1/conversations?page=x", WantStatus: 400, WantField: "page"},
		{Name: "full-text search", Method: "GET", Path: "/api/v1/conversations?q=sourdough", WantStatus: 200,
			WantContains: []string{`"total":1`, `"snippet":"`, `[sourdough]`}},
		{Name: "search by prefix", Method: "GET", Path: "/api/v1/conversations?q=humpb", WantStatus: 200, WantContains: []string{`"total":1`}},
		{Name: "search syntax is literal", Method: "GET", Path: "/api/v1/conversations?q=%22OR%20(", WantStatus: 200, WantContains: []string{`"total":0`}},
		{Name: "message search", Method: "GET", Path: "/api/v1/messages/search?q=brackets", WantStatus: 200,
			WantContains: []string{`"conversation_title":"Explain tax brackets"`, `"snippet"`}},
		{Name: "get", Method: "GET", Path: p("tax"), WantStatus: 200, WantContains: []string{`"title":"Explain tax brackets"`, `"pinned":false`}},
		{Name: "rename and pin", Method: "PATCH", Path: p("tax"), Request: servertest.Request{JSON: map[string]any{"title": "Taxes", "pinned": true}},
			WantStatus: 200, WantContains: []string{`"title":"Taxes"`, `"pinned":true`}},
		{Name: "pinned first", Method: "GET", Path: "/api/v1/conversations?per_page=1", WantStatus: 200, WantContains: []string{`"title":"Taxes"`}},
		{Name: "empty title", Method: "PATCH", Path: p("tax"), Request: servertest.Request{JSON: map[string]any{"title": " "}}, WantStatus: 400, WantField: "title"},
		{Name: "bad type", Method: "PATCH", Path: p("tax"), Request: servertest.Request{JSON: map[string]any{"pinned": "yes"}}, WantStatus: 400, WantField: "pinned"},
		{Name: "messages", Method: "GET", Path: p("whales") + "/messages", WantStatus: 200,
			WantContains: []string{`"has_more":false`, `"role":"user"`, `"role":"assistant"`, `"demo":true`}},
		{Name: "messages page", Method: "GET", Path: p("whales") + "/messages?limit=1", WantStatus: 200,
			WantContains: []string{`"has_more":true`, `"role":"assistant"`}, WantNotContains: []string{`"role":"user"`}},
		{Name: "bad id", Method: "GET", Path: "/api/v1/conversations/abc", WantStatus: 404},
		{Name: "create empty", Method: "POST", Path: "/api/v1/conversations", Request: servertest.Request{JSON: map[string]any{"title": "Later", "mode": "research"}},
			WantStatus: 201, WantContains: []string{`"title":"Later"`, `"mode":"research"`, `"message_count":0`}},
		{Name: "create bad mode", Method: "POST", Path: "/api/v1/conversations", Request: servertest.Request{JSON: map[string]any{"mode": "x"}}, WantStatus: 400},
		{Name: "delete", Method: "DELETE", Path: p("bread"), WantStatus: 204},
		{Name: "deleted", Method: "GET", Path: p("bread"), WantStatus: 404},
		{Name: "deleted from search", Method: "GET", Path: "/api/v1/messages/search?q=sourdough", WantStatus: 200, WantContains: []string{`"items":[]`}},
		{Name: "delete again", Method: "DELETE", Path: p("bread"), WantStatus: 404},
		{Name: "unauthenticated", Method: "GET", Path: "/api/v1/conversations", Client: srv.Client(t), WantStatus: 401},
	} {
		sc.Run(t, c)
	}
	if res := c.Get("/api/v1/conversations"); !strings.Contains(res.String(), `"total":3`) {
		t.Fatalf("after: %s", res)
	}
}

func TestChatModesREST(t *testing.T) {
	srv := servertest.Start(t)
	c, other := srv.User(t, "user"), srv.User(t, "user")
	for _, sc := range []servertest.Scenario{
		{Name: "built-ins", Method: "GET", Path: "/api/v1/chat-modes", WantStatus: 200,
			WantContains: []string{`"key":"general"`, `"key":"coding"`, `"key":"research"`,
				`"model_key":"coding_model"`, `"built_in":true`},
			// Their features (retrieval, the interview's profile) do not exist yet.
			WantNotContains: []string{`"key":"documents"`, `"key":"interview"`}},
		{Name: "a hidden mode cannot be used", Method: "POST", Path: "/api/v1/chat", Request: servertest.Request{JSON: map[string]any{"message": "x", "mode": "documents"}},
			WantStatus: 400, WantField: "mode"},
		{Name: "a hidden mode's key is reserved", Method: "POST", Path: "/api/v1/chat-modes",
			Request: servertest.Request{JSON: map[string]any{"key": "interview", "name": "Mine"}}, WantStatus: 409},
		{Name: "create", Method: "POST", Path: "/api/v1/chat-modes",
			Request:    servertest.Request{JSON: map[string]any{"key": "poet", "name": "Poet", "model_key": "chat_model", "system_prompt": "Rhyme."}},
			WantStatus: 201, WantContains: []string{`"key":"poet"`, `"built_in":false`}},
		{Name: "duplicate", Method: "POST", Path: "/api/v1/chat-modes",
			Request: servertest.Request{JSON: map[string]any{"key": "poet", "name": "Poet"}}, WantStatus: 409},
		{Name: "built-in key", Method: "POST", Path: "/api/v1/chat-modes",
			Request: servertest.Request{JSON: map[string]any{"key": "coding", "name": "Mine"}}, WantStatus: 409},
		{Name: "bad key", Method: "POST", Path: "/api/v1/chat-modes",
			Request: servertest.Request{JSON: map[string]any{"key": "no spaces", "name": "x"}}, WantStatus: 400, WantField: "key"},
		{Name: "bad model key", Method: "POST", Path: "/api/v1/chat-modes",
			Request: servertest.Request{JSON: map[string]any{"key": "x", "name": "x", "model_key": "email"}}, WantStatus: 400, WantField: "model_key"},
		{Name: "listed", Method: "GET", Path: "/api/v1/chat-modes", WantStatus: 200, WantContains: []string{`"system_prompt":"Rhyme."`}},
		{Name: "other user does not see it", Method: "GET", Path: "/api/v1/chat-modes", Client: other, WantStatus: 200, WantNotContains: []string{"poet"}},
		{Name: "other user cannot delete it", Method: "DELETE", Path: "/api/v1/chat-modes/poet", Client: other, WantStatus: 404},
		{Name: "chat in it", Method: "POST", Path: "/api/v1/chat", Request: servertest.Request{JSON: map[string]any{"message": "sea", "mode": "poet"}}, WantStatus: 200},
		{Name: "built-in cannot go", Method: "DELETE", Path: "/api/v1/chat-modes/general", WantStatus: 400},
		{Name: "delete", Method: "DELETE", Path: "/api/v1/chat-modes/poet", WantStatus: 204},
		{Name: "gone", Method: "DELETE", Path: "/api/v1/chat-modes/poet", WantStatus: 404},
	} {
		sc.Run(t, c)
	}
}
