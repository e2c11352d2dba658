package llm_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aiwfe/aiwfe/app/llm"
	"github.com/aiwfe/aiwfe/app/llm/llmtest"
)

func ollamaProvider(t *testing.T, opts ...llmtest.Option) (*llmtest.OllamaServer, llm.Provider) {
	t.Helper()
	srv := llmtest.NewOllama(t, opts...)
	return srv, newProvider(t, "ollama", srv.URL)
}

func TestOllamaPull(t *testing.T) {
	cases := []struct {
		name       string
		model      string
		fault      llmtest.Fault
		want       error
		wantMsg    string
		wantStatus []string // statuses seen, in order, duplicates collapsed
	}{
		{
			name: "pullable", model: "llama3.2:1b",
			wantStatus: []string{"pulling manifest", "pulling ", "verifying sha256 digest", "writing manifest", "success"},
		},
		{
			name: "unknown model", model: "no-such-model", want: llm.ErrModelNotFound,
			wantMsg: "file does not exist", wantStatus: []string{"pulling manifest"},
		},
		{
			name: "offline", model: "llama3.2:1b", want: llm.ErrUnavailable,
			fault:   llmtest.Fault{ErrorAfter: 1, Message: `pull model manifest: Get "https://registry.ollama.ai/v2/library/llama3.2/manifests/1b": dial tcp: lookup registry.ollama.ai: no such host`},
			wantMsg: "no such host", wantStatus: []string{"pulling manifest"},
		},
		{
			name: "connection dropped", model: "llama3.2:1b", want: llm.ErrUnavailable,
			fault: llmtest.Fault{DropAfter: 3}, wantStatus: []string{"pulling manifest", "pulling "},
		},
		{
			name: "bad name", model: "bad name", want: llm.ErrBadRequest, wantMsg: "invalid model name",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv, p := ollamaProvider(t, llmtest.WithFault(tc.fault))
			var statuses []string
			var last llm.PullProgress
			err := p.(llm.Puller).Pull(context.Background(), tc.model, func(pp llm.PullProgress) {
				s := pp.Status
				if strings.HasPrefix(s, "pulling ") && s != "pulling manifest" {
					s = "pulling "
					if pp.Total != 4_000_000 || pp.Digest == "" || pp.Completed < last.Completed {
						t.Errorf("layer progress = %+v after %+v", pp, last)
					}
					last = pp
				}
				if len(statuses) == 0 || statuses[len(statuses)-1] != s {
					statuses = append(statuses, s)
				}
			})
			if !errors.Is(err, tc.want) || (err != nil && !strings.Contains(err.Error(), tc.wantMsg)) {
				t.Fatalf("err = %v, want %v containing %q", err, tc.want, tc.wantMsg)
			}
			if strings.Join(statuses, "|") != strings.Join(tc.wantStatus, "|") {
				t.Fatalf("statuses = %q, want %q", statuses, tc.wantStatus)
			}
			if tc.want == nil {
				if last.Completed != last.Total {
					t.Fatalf("last layer progress = %+v", last)
				}
				models, _ := p.Models(context.Background())
				if !hasModel(models, tc.model) {
					t.Fatalf("pulled model missing from %v", models)
				}
			}
			if n := len(srv.RequestsTo("/api/pull")); n != 1 {
				t.Fatalf("pull sent %d times; a pull is never retried", n)
			}
		})
	}
}

func hasModel(models []llm.Model, name string) bool {
	for _, m := range models {
		if m.Name == name {
			return true
		}
	}
	return false
}

func TestOllamaPullCancel(t *testing.T) {
	srv, p := ollamaProvider(t, llmtest.WithFault(llmtest.Fault{HoldAfter: 2}))
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	err := p.(llm.Puller).Pull(ctx, "llama3.2:1b", func(llm.PullProgress) {
		if n++; n == 2 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	if !srv.WaitCancelled(5 * time.Second) {
		t.Fatal("the stand-in never saw the pull cancelled")
	}
}

func TestOllamaGenerate(t *testing.T) {
	srv, p := ollamaProvider(t, llmtest.WithReply("Once", " upon", " a", " time"))
	var chunks []string
	res, err := p.(llm.Generator).Generate(context.Background(), "llama3.2:3b", "Tell me a story", collect(&chunks))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(chunks, "|") != "Once| upon| a| time" || res.Content != "Once upon a time" {
		t.Fatalf("chunks %q, result %+v", chunks, res)
	}
	if res.Usage != (llm.Usage{PromptTokens: 4, CompletionTokens: 4}) || res.DoneReason != "stop" {
		t.Fatalf("result = %+v", res)
	}
	body := srv.RequestsTo("/api/generate")[0].JSON()
	if body["prompt"] != "Tell me a story" || body["stream"] != true {
		t.Fatalf("request = %v", body)
	}
	if _, err := p.(llm.Generator).Generate(context.Background(), "nope", "x", nil); !errors.Is(err, llm.ErrModelNotFound) {
		t.Fatalf("unknown model: %v", err)
	}
}

func TestOllamaOptionsAndLength(t *testing.T) {
	srv, p := ollamaProvider(t)
	req := ask("llama3.2:3b", "hi")
	req.Options = map[string]any{"temperature": 0, "seed": 1, "num_predict": 2}
	res, err := p.Chat(context.Background(), req, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Content != "tok0 tok1 " || res.DoneReason != "length" {
		t.Fatalf("result = %+v", res)
	}
	opts, _ := srv.RequestsTo("/api/chat")[0].JSON()["options"].(map[string]any)
	if opts["temperature"] != 0.0 || opts["seed"] != 1.0 || opts["num_predict"] != 2.0 {
		t.Fatalf("options sent = %v", opts)
	}
}

func TestOllamaRunningAndShow(t *testing.T) {
	_, p := ollamaProvider(t)
	ctx := context.Background()
	running, err := p.(llm.RunningLister).Running(ctx)
	if err != nil || len(running) != 0 {
		t.Fatalf("before any chat: %v, %v", running, err)
	}
	if _, err := p.Chat(ctx, ask("llama3.2:3b", "hi"), nil); err != nil {
		t.Fatal(err)
	}
	running, err = p.(llm.RunningLister).Running(ctx)
	if err != nil || len(running) != 1 {
		t.Fatalf("after a chat: %v, %v", running, err)
	}
	r := running[0]
	if r.Name != "llama3.2:3b" || r.Size == 0 || r.ContextLength != 4096 || r.Family != "llama" || !r.ExpiresAt.After(time.Now()) {
		t.Fatalf("running = %+v", r)
	}

	info, err := p.(llm.Shower).Show(ctx, "llama3.2:3b")
	if err != nil {
		t.Fatal(err)
	}
	if info.Family != "llama" || info.ContextLength != 131072 || info.EmbeddingSize != 3072 ||
		strings.Join(info.Capabilities, ",") != "completion,tools" || info.Format != "gguf" || info.Quantization != "Q4_K_M" {
		t.Fatalf("show = %+v", info)
	}
	if _, err := p.(llm.Shower).Show(ctx, "nope"); !errors.Is(err, llm.ErrModelNotFound) {
		t.Fatalf("show unknown: %v", err)
	}
}

func TestOllamaVersion(t *testing.T) {
	_, p := ollamaProvider(t)
	v, err := p.(*llm.Ollama).Version(context.Background())
	if err != nil || v != llmtest.OllamaVersion {
		t.Fatalf("version = %q, %v", v, err)
	}
}

// A server that is not Ollama (no /api/version) is unavailable, not a
// missing model.
func TestOllamaWrongServer(t *testing.T) {
	srv := llmtest.NewOpenAI(t)
	p := newProvider(t, "ollama", srv.URL)
	err := p.Health(context.Background())
	if !errors.Is(err, llm.ErrUnavailable) || errors.Is(err, llm.ErrModelNotFound) {
		t.Fatalf("err = %v", err)
	}
}
