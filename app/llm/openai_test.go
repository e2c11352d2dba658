package llm_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aiwfe/aiwfe/app/llm"
	"github.com/aiwfe/aiwfe/app/llm/llmtest"
)

func TestOpenAIRequestShape(t *testing.T) {
	srv := llmtest.NewOpenAI(t, llmtest.WithModels("gpt-test"), llmtest.WithAPIKey("sk-test"))
	// Base URLs are often written with the /v1 suffix.
	p := newProvider(t, "openai", srv.URL+"/v1/", func(c *llm.Config) { c.APIKey = "sk-test" })
	req := ask("gpt-test", "hi")
	req.Options = map[string]any{"temperature": 0.2, "seed": 7, "num_predict": 3, "num_ctx": 8192}
	res, err := p.Chat(context.Background(), req, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Content != "tok0 tok1 tok2 " || res.DoneReason != "length" || res.Usage.CompletionTokens != 3 {
		t.Fatalf("result = %+v", res)
	}
	r := srv.RequestsTo("/v1/chat/completions")[0]
	if r.Header.Get("Authorization") != "Bearer sk-test" {
		t.Fatalf("Authorization = %q", r.Header.Get("Authorization"))
	}
	body := r.JSON()
	so, _ := body["stream_options"].(map[string]any)
	if body["temperature"] != 0.2 || body["seed"] != 7.0 || body["max_tokens"] != 3.0 || so["include_usage"] != true {
		t.Fatalf("body = %v", body)
	}
	if _, ok := body["num_ctx"]; ok {
		t.Fatalf("an option OpenAI does not know was sent: %v", body)
	}
}

func TestOpenAIWrongKey(t *testing.T) {
	srv := llmtest.NewOpenAI(t, llmtest.WithModels("gpt-test"), llmtest.WithAPIKey("sk-right"))
	p := newProvider(t, "openai", srv.URL, func(c *llm.Config) { c.APIKey = "sk-wrong" })
	_, err := p.Chat(context.Background(), ask("gpt-test", "hi"), nil)
	if !errors.Is(err, llm.ErrUnauthorized) {
		t.Fatalf("chat: err = %v", err)
	}
	if err := p.Health(context.Background()); !errors.Is(err, llm.ErrUnauthorized) {
		t.Fatalf("health: err = %v", err)
	}
}

// Without a usage chunk (servers that ignore stream_options) the completion
// is counted in chunks.
func TestOpenAIUsageFallback(t *testing.T) {
	srv := llmtest.NewOpenAI(t, llmtest.WithModels("m"), llmtest.WithoutUsage())
	p := newProvider(t, "openai", srv.URL)
	res, err := p.Chat(context.Background(), ask("m", "one two three"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Usage.PromptTokens != 0 || res.Usage.CompletionTokens != 5 {
		t.Fatalf("usage = %+v", res.Usage)
	}
}
