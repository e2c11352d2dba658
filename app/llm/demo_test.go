package llm_test

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/aiwfe/aiwfe/app/llm"
)

func demo(t *testing.T) llm.Provider {
	return newProvider(t, "demo", "")
}

func TestDemoChat(t *testing.T) {
	cases := []struct {
		name     string
		msg      string
		contains []string
	}{
		{"code", "Can you write a Python function that removes empty strings?", []string{"```python\n", "1. ", "“Can you write a Python function"}},
		{"go code", "fix this golang snippet please", []string{"```go\n"}},
		{"sql", "write an sql query to count tasks", []string{"```sql\n", "SELECT"}},
		{"greeting", "hello!", []string{"demo model", "- asking for a plan"}},
		{"planning", "Help me plan my week", []string{"1. **Pick the one outcome**", "“Help me plan my week”"}},
		{"question", "Why is the sky blue?", []string{"“Why is the sky blue”", "- **In short:**"}},
		{"statement", "I bought apples today at the market stall", []string{"“I bought apples"}},
		{"empty", "", []string{"Ask me anything"}},
	}
	p := demo(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var chunks []string
			res, err := p.Chat(context.Background(), ask("llama3.2:3b", tc.msg), collect(&chunks))
			if err != nil {
				t.Fatal(err)
			}
			if !res.Demo || res.Model != "demo" || res.DoneReason != "stop" {
				t.Fatalf("result = %+v", res)
			}
			if len(chunks) < 5 || strings.Join(chunks, "") != res.Content {
				t.Fatalf("%d chunks do not make up the reply", len(chunks))
			}
			for _, c := range chunks[1:] {
				if strings.TrimSpace(c) == "" || strings.Count(strings.TrimSpace(c), " ") > 0 {
					t.Fatalf("chunk %q is not one word", c)
				}
			}
			for _, want := range append(tc.contains, "**demo model**") {
				if !strings.Contains(res.Content, want) {
					t.Errorf("reply lacks %q:\n%s", want, res.Content)
				}
			}
			if res.Usage.CompletionTokens != len(chunks) || res.Usage.PromptTokens != len(strings.Fields(tc.msg)) {
				t.Fatalf("usage = %+v", res.Usage)
			}
			again, _ := p.Chat(context.Background(), ask("other", tc.msg), nil)
			if again.Content != res.Content {
				t.Fatal("same input gave a different reply")
			}
		})
	}
}

// The reply answers the last user message, not earlier ones.
func TestDemoAnswersLastMessage(t *testing.T) {
	p := demo(t)
	res, err := p.Chat(context.Background(), llm.ChatRequest{Model: "demo", Messages: []llm.Message{
		{Role: "system", Content: "You are helpful."},
		{Role: "user", Content: "hello"},
		{Role: "assistant", Content: "Hi!"},
		{Role: "user", Content: "Why do cats purr?"},
	}}, nil)
	if err != nil || !strings.Contains(res.Content, "“Why do cats purr”") {
		t.Fatalf("reply = %q, %v", res.Content, err)
	}
}

func TestDemoDelayAndCancel(t *testing.T) {
	p := newProvider(t, "demo", "", func(c *llm.Config) { c.DemoDelay = 5 * time.Millisecond })
	ctx, cancel := context.WithCancel(context.Background())
	start := time.Now()
	n := 0
	res, err := p.Chat(ctx, ask("demo", "Why is the sky blue?"), func(llm.Chunk) error {
		if n++; n == 3 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) || n != 3 || res.DoneReason != "" {
		t.Fatalf("after cancel: n=%d err=%v res=%+v", n, err, res)
	}
	if d := time.Since(start); d < 15*time.Millisecond {
		t.Fatalf("three words with a 5 ms delay took only %s", d)
	}
}

func TestDemoGenerate(t *testing.T) {
	p := demo(t)
	a, err := p.(llm.Generator).Generate(context.Background(), "demo", "Help me plan my week", nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := p.Chat(context.Background(), ask("demo", "Help me plan my week"), nil)
	if a.Content != b.Content || !a.Demo {
		t.Fatalf("generate %q differs from chat %q", a.Content, b.Content)
	}
}

func TestDemoModelsAndHealth(t *testing.T) {
	p := demo(t)
	models, err := p.Models(context.Background())
	if err != nil || len(models) != 1 || models[0].Name != "demo" || models[0].Family != "demo" {
		t.Fatalf("models = %+v, %v", models, err)
	}
	if err := p.Health(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestDemoEmbed(t *testing.T) {
	p := demo(t)
	in := []string{
		"The cat sat on the mat",
		"A cat sitting on a mat",
		"Quarterly tax filing deadlines",
		"",
	}
	vecs, err := p.Embed(context.Background(), "demo", in)
	if err != nil || len(vecs) != len(in) {
		t.Fatalf("Embed: %d vectors, %v", len(vecs), err)
	}
	for i, v := range vecs {
		if len(v) != 64 {
			t.Fatalf("vector %d has %d dims", i, len(v))
		}
		if n := dot(v, v); math.Abs(n-1) > 1e-5 {
			t.Fatalf("vector %d has norm² %f", i, n)
		}
	}
	if similar, unrelated := dot(vecs[0], vecs[1]), dot(vecs[0], vecs[2]); similar <= unrelated {
		t.Fatalf("similar texts %.3f not closer than unrelated ones %.3f", similar, unrelated)
	}
	again, _ := p.Embed(context.Background(), "demo", in[:1])
	if dot(again[0], vecs[0]) < 1-1e-6 {
		t.Fatal("same text gave a different vector")
	}
}

func dot(a, b []float32) float64 {
	var s float64
	for i := range a {
		s += float64(a[i]) * float64(b[i])
	}
	return s
}
