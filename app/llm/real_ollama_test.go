package llm_test

import (
	"context"
	"errors"
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aiwfe/aiwfe/app/llm"
	"github.com/aiwfe/aiwfe/app/llm/llmtest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	llmtest.StopRealOllama()
	os.Exit(code)
}

// These tests run against a real Ollama v0.17.4 serving a tiny model with
// random weights (scripts/ollama-testenv.sh builds both): they check the
// protocol, never the words.

func realOllama(t *testing.T) llm.Provider {
	t.Helper()
	if testing.Short() {
		t.Skip("real Ollama: skipped with -short")
	}
	return newProvider(t, "ollama", llmtest.StartRealOllama(t))
}

var repeatable = map[string]any{"temperature": 0, "seed": 1, "num_predict": 16}

func TestRealOllamaModels(t *testing.T) {
	p := realOllama(t)
	models, err := p.Models(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !hasModel(models, llmtest.RealModel+":latest") {
		t.Fatalf("models = %+v", models)
	}
	for _, m := range models {
		if m.Family != "llama" || m.Size == 0 || m.ModifiedAt.IsZero() {
			t.Fatalf("model = %+v", m)
		}
	}
	if err := p.Health(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestRealOllamaChat(t *testing.T) {
	p := realOllama(t)
	var chunks []string
	req := ask(llmtest.RealModel, "Hello, who are you?")
	req.Options = repeatable
	res, err := p.Chat(context.Background(), req, collect(&chunks))
	if err != nil {
		t.Fatal(err)
	}
	if len(chunks) == 0 || strings.Join(chunks, "") != res.Content {
		t.Fatalf("%d chunks, content %q", len(chunks), res.Content)
	}
	if res.DoneReason == "" || res.Usage.CompletionTokens == 0 || res.Usage.PromptTokens == 0 {
		t.Fatalf("result = %+v", res)
	}
	if res.Timing.EvalMs <= 0 || res.Timing.TotalMs <= 0 || res.Timing.TokensPerSecond <= 0 {
		t.Fatalf("timing = %+v", res.Timing)
	}

	// The same request with temperature 0 and a seed gives the same reply.
	again, err := p.Chat(context.Background(), req, nil)
	if err != nil {
		t.Fatal(err)
	}
	if again.Content != res.Content {
		t.Fatalf("repeatable chat differs:\n%q\n%q", res.Content, again.Content)
	}
}

func TestRealOllamaGenerate(t *testing.T) {
	p := realOllama(t)
	var chunks []string
	res, err := p.(llm.Generator).Generate(context.Background(), llmtest.RealModel, "Once upon a time", collect(&chunks))
	if err != nil {
		t.Fatal(err)
	}
	if len(chunks) == 0 || res.Usage.CompletionTokens == 0 || res.DoneReason == "" {
		t.Fatalf("%d chunks, result %+v", len(chunks), res)
	}
}

func TestRealOllamaEmbed(t *testing.T) {
	p := realOllama(t)
	vecs, err := p.Embed(context.Background(), llmtest.RealModel, []string{"the first text", "another one"})
	if err != nil {
		t.Fatal(err)
	}
	if len(vecs) != 2 {
		t.Fatalf("%d vectors", len(vecs))
	}
	for _, v := range vecs {
		if len(v) != 64 || math.Abs(dot(v, v)-1) > 1e-3 {
			t.Fatalf("vector of %d dims, norm² %f", len(v), dot(v, v))
		}
	}
}

func TestRealOllamaErrors(t *testing.T) {
	p := realOllama(t)
	ctx := context.Background()
	if _, err := p.Chat(ctx, ask("no-such-model", "hi"), nil); !errors.Is(err, llm.ErrModelNotFound) {
		t.Errorf("chat: %v", err)
	}
	if _, err := p.Embed(ctx, "no-such-model", []string{"x"}); !errors.Is(err, llm.ErrModelNotFound) {
		t.Errorf("embed: %v", err)
	}
	if _, err := p.(llm.Shower).Show(ctx, "no-such-model"); !errors.Is(err, llm.ErrModelNotFound) {
		t.Errorf("show: %v", err)
	}
	// Offline, the registry cannot be reached; online it has no such
	// model. Either way the pull fails with the reason in the message.
	var statuses []string
	err := p.(llm.Puller).Pull(ctx, "aiwfe-no-such-model-xyz", func(pp llm.PullProgress) { statuses = append(statuses, pp.Status) })
	if !errors.Is(err, llm.ErrUnavailable) && !errors.Is(err, llm.ErrModelNotFound) {
		t.Fatalf("pull: err = %v", err)
	}
	if !strings.Contains(err.Error(), "pull aiwfe-no-such-model-xyz") || !strings.Contains(err.Error(), "manifest") {
		t.Fatalf("pull: unclear error %q", err)
	}
	t.Logf("pull of an unknown model: %v (statuses %q)", err, statuses)
}

func TestRealOllamaShowAndRunning(t *testing.T) {
	p := realOllama(t)
	ctx := context.Background()
	info, err := p.(llm.Shower).Show(ctx, llmtest.RealModel)
	if err != nil {
		t.Fatal(err)
	}
	if info.Family != "llama" || info.ContextLength != 2048 || info.EmbeddingSize != 64 || info.Format != "gguf" {
		t.Fatalf("show = %+v", info)
	}
	if _, err := p.Chat(ctx, llm.ChatRequest{Model: llmtest.RealModel, Messages: []llm.Message{{Role: "user", Content: "hi"}}, Options: map[string]any{"num_predict": 2}}, nil); err != nil {
		t.Fatal(err)
	}
	running, err := p.(llm.RunningLister).Running(ctx)
	if err != nil || len(running) == 0 || running[0].Name != llmtest.RealModel+":latest" || running[0].ContextLength == 0 {
		t.Fatalf("running = %+v, %v", running, err)
	}
}

// Cancelling a long generation returns at once, and the server is still
// fine afterwards.
func TestRealOllamaCancel(t *testing.T) {
	p := realOllama(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req := ask(llmtest.RealModel, "Write a long story")
	req.Options = map[string]any{"num_predict": 1500}
	var n int
	var cancelledAt time.Time
	res, err := p.Chat(ctx, req, func(llm.Chunk) error {
		if n++; n == 2 {
			cancelledAt = time.Now()
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v (after %d chunks)", err, n)
	}
	if d := time.Since(cancelledAt); d > time.Second {
		t.Fatalf("Chat returned %s after cancel", d)
	}
	if res.DoneReason != "" || n != 2 {
		t.Fatalf("partial result after %d chunks: %+v", n, res)
	}
	req.Options = map[string]any{"num_predict": 4}
	if _, err := p.Chat(context.Background(), req, nil); err != nil {
		t.Fatalf("chat after a cancelled one: %v", err)
	}
}

// The OpenAI-compatible provider works against Ollama's /v1 endpoints.
func TestRealOllamaOpenAICompat(t *testing.T) {
	if testing.Short() {
		t.Skip("real Ollama: skipped with -short")
	}
	p := newProvider(t, "openai", llmtest.StartRealOllama(t)+"/v1")
	models, err := p.Models(context.Background())
	if err != nil || !hasModel(models, llmtest.RealModel+":latest") {
		t.Fatalf("models = %+v, %v", models, err)
	}
	var chunks []string
	req := ask(llmtest.RealModel, "Hello")
	req.Options = repeatable
	res, err := p.Chat(context.Background(), req, collect(&chunks))
	if err != nil {
		t.Fatal(err)
	}
	if len(chunks) == 0 || res.Usage.CompletionTokens == 0 || res.Usage.PromptTokens == 0 || res.DoneReason == "" {
		t.Fatalf("%d chunks, result %+v", len(chunks), res)
	}
	vecs, err := p.Embed(context.Background(), llmtest.RealModel, []string{"a", "b"})
	if err != nil || len(vecs) != 2 || len(vecs[0]) != 64 {
		t.Fatalf("embed: %d vectors, %v", len(vecs), err)
	}
	if _, err := p.Chat(context.Background(), ask("no-such-model", "hi"), nil); !errors.Is(err, llm.ErrModelNotFound) {
		t.Fatalf("unknown model: %v", err)
	}
}
