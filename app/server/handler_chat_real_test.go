package server_test

import (
	"strings"
	"testing"

	"github.com/aiwfe/aiwfe/app/config"
	"github.com/aiwfe/aiwfe/app/llm/llmtest"
	"github.com/aiwfe/aiwfe/app/server/servertest"
)

// These run the appliance against a real Ollama v0.17.4 serving the tiny
// synthetic model (scripts/ollama-testenv.sh builds both; skipped when
// absent unless AIWFE_REQUIRE_OLLAMA=1). The model's words are random:
// they check the protocol, never the text.

func realOllamaServer(t *testing.T) (*servertest.Server, *servertest.Client) {
	t.Helper()
	if testing.Short() {
		t.Skip("real Ollama: skipped with -short")
	}
	url := llmtest.StartRealOllama(t)
	srv := servertest.Start(t, func(c *config.Config) {
		c.LLM.Provider = "ollama"
		c.LLM.BaseURL = url
	})
	return srv, srv.User(t, "user")
}

var realOptions = map[string]any{"temperature": 0, "seed": 1, "num_predict": 16}

func TestRealOllamaModelsAndHealth(t *testing.T) {
	_, c := realOllamaServer(t)
	if res := c.Get("/api/v1/ollama/models"); res.Status != 200 || !strings.Contains(res.String(), `"name":"tiny:latest"`) {
		t.Fatalf("models: %s", res)
	}
	if res := c.Get("/api/v1/ollama/health"); !strings.Contains(res.String(), `"status":"ok"`) {
		t.Fatalf("health: %s", res)
	}
}

func TestRealOllamaChatOverWebSocketAndREST(t *testing.T) {
	srv, c := realOllamaServer(t)
	ws := dialWS(t, srv.URL, "/api/v1/ws/chat", accessTokenOf(t, c))
	ws.send(map[string]any{"type": "send", "model": llmtest.RealModel, "message": "Hello, who are you?", "options": realOptions})
	start := ws.expect("start")
	done, toks := ws.until("done")
	if len(toks) == 0 || done.str("status") != "complete" || done["stopped"] != false {
		t.Fatalf("%d tokens, done %v", len(toks), done)
	}
	usage := done["usage"].(map[string]any)
	if usage["completion_tokens"].(float64) < 1 || usage["prompt_tokens"].(float64) < 1 {
		t.Fatalf("usage %v", usage)
	}
	if timing := done["timing"].(map[string]any); timing["eval_ms"].(float64) <= 0 {
		t.Fatalf("timing %v", timing)
	}
	// The reply stored is exactly what streamed.
	res := c.Get("/api/v1/conversations/" + itoa(start.num("conversation_id")) + "/messages")
	if !strings.Contains(res.String(), `"status":"complete"`) || !strings.Contains(res.String(), jsonQuote(strings.Join(toks, ""))) {
		t.Fatalf("stored: %s\nstreamed: %q", res, strings.Join(toks, ""))
	}

	res = c.Post("/api/v1/chat", map[string]any{"model": llmtest.RealModel, "message": "And again", "options": realOptions,
		"conversation_id": start.num("conversation_id")})
	if res.Status != 200 || !strings.Contains(res.String(), `"status":"complete"`) {
		t.Fatalf("REST chat: %s", res)
	}
	res = c.Post("/api/v1/chat", map[string]any{"model": "not-installed:1b", "message": "x"})
	if res.Status != 404 || res.ErrorCode() != "model_not_found" {
		t.Fatalf("missing model: %s", res)
	}
}

func TestRealOllamaPullOfUnknownModel(t *testing.T) {
	srv, _ := realOllamaServer(t)
	c := srv.User(t, "admin") // pulling is an administrator's
	ws := dialWS(t, srv.URL, "/api/v1/ws/progress", accessTokenOf(t, c))
	if res := c.Post("/api/v1/ollama/pull", map[string]any{"model": "surely-not-a-model-xyz:1b"}); res.Status != 202 {
		t.Fatalf("pull: %s", res)
	}
	for {
		f := ws.expect("event")["data"].(map[string]any)
		if f["done"] != true {
			continue
		}
		e, _ := f["error"].(map[string]any)
		msg, _ := e["message"].(string)
		if f["status"] != "error" || e["code"] == "" || !strings.Contains(msg, "surely-not-a-model-xyz:1b") {
			t.Fatalf("final %v", f)
		}
		t.Logf("pull error: %s: %s", e["code"], msg)
		return
	}
}
