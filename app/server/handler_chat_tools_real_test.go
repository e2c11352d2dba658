package server_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/aiwfe/aiwfe/app/config"
	"github.com/aiwfe/aiwfe/app/llm/llmtest"
	"github.com/aiwfe/aiwfe/app/server/servertest"
)

// TestRealOllamaChatWithTools sends a reply with tools to the real Ollama
// (its tiny model's template takes tools, so /api/show lists the
// capability). The model's words are random and it calls nothing
// meaningful: the test proves the request carried the tools, that Ollama
// accepted them, and that a reply without calls ends as usual. A recording
// proxy between the appliance and Ollama shows what was sent.
func TestRealOllamaChatWithTools(t *testing.T) {
	if testing.Short() {
		t.Skip("real Ollama: skipped with -short")
	}
	target, err := url.Parse(llmtest.StartRealOllama(t))
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var chats [][]byte
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.FlushInterval = -1 // stream as Ollama writes
	rec := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/chat" {
			body, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
			mu.Lock()
			chats = append(chats, body)
			mu.Unlock()
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(rec.Close)
	srv := servertest.Start(t, func(c *config.Config) {
		c.LLM.Provider = "ollama"
		c.LLM.BaseURL = rec.URL
	})
	c := srv.User(t, "user")
	ws := dialWS(t, srv.URL, "/api/v1/ws/chat", accessTokenOf(t, c))
	ws.send(map[string]any{"type": "send", "model": llmtest.RealModel, "message": "What are my tasks?", "use_tools": true, "options": realOptions})
	if start := ws.expect("start"); start["tools"] != true {
		t.Fatalf("start %v: tools not offered to a model whose capabilities list them", start)
	}
	done, _ := ws.until("done")
	if done.str("status") != "complete" || done["tool_calls"] == nil {
		t.Fatalf("done %v", done)
	}
	mu.Lock()
	first := string(chats[0])
	mu.Unlock()
	for _, want := range []string{`"tools":[`, `"name":"list_tasks"`, `"name":"create_task"`, `"name":"update_task"`, `"type":"function"`} {
		if !strings.Contains(first, want) {
			t.Fatalf("request to Ollama lacks %s: %s", want, first)
		}
	}
	// REST offers the read-only tool only.
	res := c.Post("/api/v1/chat", map[string]any{"model": llmtest.RealModel, "message": "Anything due?", "use_tools": true, "options": realOptions})
	if res.Status != 200 || !strings.Contains(res.String(), `"status":"complete"`) {
		t.Fatalf("REST: %s", res)
	}
	// The REST reply's request (not a title's, which has no tools).
	mu.Lock()
	var rest string
	for _, b := range chats {
		if s := string(b); strings.Contains(s, "Anything due?") && strings.Contains(s, `"tools":[`) {
			rest = s
		}
	}
	mu.Unlock()
	if !strings.Contains(rest, `"name":"list_tasks"`) || strings.Contains(rest, `"name":"create_task"`) {
		t.Fatalf("REST request's tools: %s", rest)
	}
}
