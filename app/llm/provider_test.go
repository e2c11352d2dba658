package llm_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aiwfe/aiwfe/app/llm"
	"github.com/aiwfe/aiwfe/app/llm/llmtest"
)

// standIn is what both stand-in servers offer the tests.
type standIn interface {
	SetFault(llmtest.Fault)
	Release()
	WaitCancelled(time.Duration) bool
	Cancelled() int
	Completed() int
	RequestsTo(path string) []llmtest.Request
}

// upstream describes one HTTP provider and its stand-in.
type upstream struct {
	name     string
	chatPath string
	model    string // an installed model
	start    func(t *testing.T, opts ...llmtest.Option) (standIn, string)
}

var upstreams = []upstream{
	{
		name: "ollama", chatPath: "/api/chat", model: "llama3.2:3b",
		start: func(t *testing.T, opts ...llmtest.Option) (standIn, string) {
			s := llmtest.NewOllama(t, opts...)
			return s, s.URL
		},
	},
	{
		name: "openai", chatPath: "/v1/chat/completions", model: "gpt-test",
		start: func(t *testing.T, opts ...llmtest.Option) (standIn, string) {
			s := llmtest.NewOpenAI(t, append([]llmtest.Option{llmtest.WithModels("gpt-test", "text-embedding-test")}, opts...)...)
			return s, s.URL
		},
	},
}

// forEach runs fn once per HTTP provider, against a fresh stand-in.
func forEach(t *testing.T, fn func(t *testing.T, u upstream)) {
	for _, u := range upstreams {
		t.Run(u.name, func(t *testing.T) {
			t.Parallel()
			fn(t, u)
		})
	}
}

func newProvider(t *testing.T, kind, baseURL string, tweak ...func(*llm.Config)) llm.Provider {
	t.Helper()
	cfg := llm.Config{Provider: kind, BaseURL: baseURL}
	for _, f := range tweak {
		f(&cfg)
	}
	p, err := llm.New(cfg)
	if err != nil {
		t.Fatalf("llm.New: %v", err)
	}
	return p
}

func ask(model, text string) llm.ChatRequest {
	return llm.ChatRequest{Model: model, Messages: []llm.Message{{Role: "user", Content: text}}}
}

// collect gathers the chunks of a Chat call.
func collect(chunks *[]string) func(llm.Chunk) error {
	return func(c llm.Chunk) error {
		*chunks = append(*chunks, c.Content)
		return nil
	}
}

func TestChatStreamsChunksInOrder(t *testing.T) {
	forEach(t, func(t *testing.T, u upstream) {
		srv, url := u.start(t)
		p := newProvider(t, u.name, url)
		var chunks []string
		res, err := p.Chat(context.Background(), ask(u.model, "hello there"), collect(&chunks))
		if err != nil {
			t.Fatalf("Chat: %v", err)
		}
		want := []string{"tok0 ", "tok1 ", "tok2 ", "tok3 ", "tok4 "}
		if strings.Join(chunks, "|") != strings.Join(want, "|") {
			t.Fatalf("chunks = %q, want %q", chunks, want)
		}
		if res.Content != strings.Join(want, "") || res.DoneReason != "stop" || res.Model != u.model || res.Demo {
			t.Fatalf("result = %+v", res)
		}
		if res.Usage != (llm.Usage{PromptTokens: 2, CompletionTokens: 5}) {
			t.Fatalf("usage = %+v", res.Usage)
		}
		if res.Timing.TotalMs <= 0 || res.Timing.TokensPerSecond <= 0 {
			t.Fatalf("timing = %+v", res.Timing)
		}
		if srv.Completed() != 1 {
			t.Fatalf("stand-in completed %d streams, want 1", srv.Completed())
		}
		body := srv.RequestsTo(u.chatPath)[0].JSON()
		if body["stream"] != true || body["model"] != u.model {
			t.Fatalf("request body = %v", body)
		}
	})
}

func TestChatThinking(t *testing.T) {
	forEach(t, func(t *testing.T, u upstream) {
		_, url := u.start(t, llmtest.WithThinking("Let me ", "think. "), llmtest.WithReply("Yes", "."))
		p := newProvider(t, u.name, url)
		var got []llm.Chunk
		res, err := p.Chat(context.Background(), ask(u.model, "Is it?"), func(c llm.Chunk) error {
			got = append(got, c)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		want := []llm.Chunk{{Thinking: "Let me "}, {Thinking: "think. "}, {Content: "Yes"}, {Content: "."}}
		if len(got) != len(want) {
			t.Fatalf("chunks = %+v, want %+v", got, want)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("chunks = %+v, want %+v", got, want)
			}
		}
		if res.Content != "Yes." {
			t.Fatalf("content = %q; thinking is not part of it", res.Content)
		}
	})
}

func TestOllamaTimingFromUpstream(t *testing.T) {
	srv := llmtest.NewOllama(t)
	p := newProvider(t, "ollama", srv.URL)
	res, err := p.Chat(context.Background(), ask("llama3.2:3b", "hi"), nil)
	if err != nil {
		t.Fatal(err)
	}
	// The stand-in reports eval_duration 1 ms per token, load 2 ms, prompt 3 ms.
	want := llm.Timing{TotalMs: 17, LoadMs: 2, PromptEvalMs: 3, EvalMs: 5, TokensPerSecond: 1000}
	if res.Timing != want {
		t.Fatalf("timing = %+v, want %+v", res.Timing, want)
	}
}

func TestChatChunksArriveBeforeUpstreamFinishes(t *testing.T) {
	forEach(t, func(t *testing.T, u upstream) {
		srv, url := u.start(t, llmtest.WithFault(llmtest.Fault{HoldAfter: 1}))
		p := newProvider(t, u.name, url)
		first := make(chan string, 1)
		type outcome struct {
			res *llm.Result
			err error
		}
		done := make(chan outcome, 1)
		go func() {
			res, err := p.Chat(context.Background(), ask(u.model, "hi"), func(c llm.Chunk) error {
				select {
				case first <- c.Content:
				default:
				}
				return nil
			})
			done <- outcome{res, err}
		}()
		select {
		case c := <-first:
			if c != "tok0 " {
				t.Fatalf("first chunk = %q", c)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("first chunk did not arrive while the upstream held the stream")
		}
		if srv.Completed() != 0 {
			t.Fatal("upstream finished before the first chunk was seen")
		}
		srv.Release()
		select {
		case o := <-done:
			if o.err != nil || o.res.Content != "tok0 tok1 tok2 tok3 tok4 " {
				t.Fatalf("after release: %+v, %v", o.res, o.err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("Chat did not finish after release")
		}
	})
}

func TestChatCancelAbortsUpstream(t *testing.T) {
	forEach(t, func(t *testing.T, u upstream) {
		srv, url := u.start(t, llmtest.WithFault(llmtest.Fault{HoldAfter: 1}))
		p := newProvider(t, u.name, url)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		start := time.Now()
		res, err := p.Chat(ctx, ask(u.model, "hi"), func(llm.Chunk) error {
			cancel()
			return nil
		})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
		if time.Since(start) > 2*time.Second {
			t.Fatalf("Chat took %s to return after cancel", time.Since(start))
		}
		if res == nil || res.Content != "tok0 " || res.DoneReason != "" {
			t.Fatalf("partial result = %+v", res)
		}
		if !srv.WaitCancelled(5 * time.Second) {
			t.Fatal("the stand-in never saw the request cancelled")
		}
	})
}

// Once cancelled, no further chunk is delivered, even when the upstream has
// already sent more.
func TestChatCancelStopsBufferedChunks(t *testing.T) {
	forEach(t, func(t *testing.T, u upstream) {
		_, url := u.start(t, llmtest.WithTokens(50))
		p := newProvider(t, u.name, url)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		n := 0
		_, err := p.Chat(ctx, ask(u.model, "hi"), func(llm.Chunk) error {
			n++
			cancel()
			return nil
		})
		if !errors.Is(err, context.Canceled) || n != 1 {
			t.Fatalf("after cancel: %d chunks delivered, err = %v", n, err)
		}
	})
}

// A caller's cancellation cause is kept next to context.Canceled.
func TestChatCancelCause(t *testing.T) {
	forEach(t, func(t *testing.T, u upstream) {
		_, url := u.start(t, llmtest.WithFault(llmtest.Fault{HoldAfter: 1}))
		p := newProvider(t, u.name, url)
		ctx, cancel := context.WithCancelCause(context.Background())
		stopped := errors.New("stopped by the user")
		_, err := p.Chat(ctx, ask(u.model, "hi"), func(llm.Chunk) error {
			cancel(stopped)
			return nil
		})
		if !errors.Is(err, context.Canceled) || !errors.Is(err, stopped) {
			t.Fatalf("err = %v, want context.Canceled and the cause", err)
		}
	})
}

func TestChatCallbackErrorAborts(t *testing.T) {
	forEach(t, func(t *testing.T, u upstream) {
		srv, url := u.start(t, llmtest.WithFault(llmtest.Fault{HoldAfter: 2}))
		p := newProvider(t, u.name, url)
		boom := errors.New("client went away")
		n := 0
		res, err := p.Chat(context.Background(), ask(u.model, "hi"), func(llm.Chunk) error {
			if n++; n == 2 {
				return boom
			}
			return nil
		})
		if !errors.Is(err, boom) {
			t.Fatalf("err = %v, want the callback's error", err)
		}
		if res.Content != "tok0 tok1 " {
			t.Fatalf("partial content = %q", res.Content)
		}
		if !srv.WaitCancelled(5 * time.Second) {
			t.Fatal("the stand-in never saw the request cancelled")
		}
	})
}

func TestChatFailures(t *testing.T) {
	cases := []struct {
		name        string
		fault       llmtest.Fault
		model       string // default: the upstream's installed model
		want        error
		wantMsg     string
		wantPartial string
		wantStatus  int
	}{
		{name: "drop mid-stream", fault: llmtest.Fault{DropAfter: 2}, want: llm.ErrUnavailable, wantPartial: "tok0 tok1 "},
		{name: "error line mid-stream", fault: llmtest.Fault{ErrorAfter: 3, Message: "runner process has terminated"},
			want: llm.ErrUnavailable, wantMsg: "runner process has terminated", wantPartial: "tok0 tok1 tok2 "},
		{name: "model not found", model: "nope:1b", want: llm.ErrModelNotFound, wantMsg: "nope:1b", wantStatus: 404},
		{name: "500 with message", fault: llmtest.Fault{Status: 500, Message: "llama runner: out of memory"},
			want: llm.ErrUnavailable, wantMsg: "llama runner: out of memory", wantStatus: 500},
		{name: "503 busy", fault: llmtest.Fault{Status: 503, Message: "server busy, please try again.  maximum pending requests exceeded"},
			want: llm.ErrUnavailable, wantMsg: "server busy", wantStatus: 503},
		{name: "400 bad request", fault: llmtest.Fault{Status: 400, Message: "invalid options"},
			want: llm.ErrBadRequest, wantMsg: "invalid options", wantStatus: 400},
		{name: "connection closed before any answer", fault: llmtest.Fault{Hangup: true}, want: llm.ErrUnavailable},
	}
	forEach(t, func(t *testing.T, u upstream) {
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				srv, url := u.start(t, llmtest.WithFault(tc.fault))
				p := newProvider(t, u.name, url)
				model := tc.model
				if model == "" {
					model = u.model
				}
				var chunks []string
				res, err := p.Chat(context.Background(), ask(model, "hi"), collect(&chunks))
				if !errors.Is(err, tc.want) {
					t.Fatalf("err = %v, want %v", err, tc.want)
				}
				if !strings.Contains(err.Error(), tc.wantMsg) {
					t.Fatalf("err = %q, want it to contain %q", err, tc.wantMsg)
				}
				if res == nil || res.Content != tc.wantPartial || strings.Join(chunks, "") != tc.wantPartial {
					t.Fatalf("partial = %+v (chunks %q), want content %q", res, chunks, tc.wantPartial)
				}
				if res.DoneReason != "" {
					t.Fatalf("DoneReason = %q for a failed stream", res.DoneReason)
				}
				var apiErr *llm.APIError
				if tc.wantStatus != 0 && (!errors.As(err, &apiErr) || apiErr.StatusCode != tc.wantStatus) {
					t.Fatalf("err = %#v, want an APIError with status %d", err, tc.wantStatus)
				}
				if n := len(srv.RequestsTo(u.chatPath)); n != 1 {
					t.Fatalf("chat was sent %d times; a chat is never retried", n)
				}
			})
		}
	})
}

func TestConnectionRefused(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + l.Addr().String()
	l.Close()
	forEach(t, func(t *testing.T, u upstream) {
		p := newProvider(t, u.name, url)
		ctx := context.Background()
		_, chatErr := p.Chat(ctx, ask(u.model, "hi"), nil)
		_, modelsErr := p.Models(ctx)
		_, embedErr := p.Embed(ctx, u.model, []string{"x"})
		healthErr := p.Health(ctx)
		for name, err := range map[string]error{"chat": chatErr, "models": modelsErr, "embed": embedErr, "health": healthErr} {
			if !errors.Is(err, llm.ErrUnavailable) || !errors.Is(err, syscall.ECONNREFUSED) {
				t.Errorf("%s: err = %v, want ErrUnavailable wrapping ECONNREFUSED", name, err)
			}
		}
	})
}

func TestFirstTokenTimeout(t *testing.T) {
	forEach(t, func(t *testing.T, u upstream) {
		srv, url := u.start(t, llmtest.WithFault(llmtest.Fault{FirstTokenDelay: time.Minute}))
		p := newProvider(t, u.name, url, func(c *llm.Config) { c.FirstTokenTimeout = 150 * time.Millisecond })
		start := time.Now()
		_, err := p.Chat(context.Background(), ask(u.model, "hi"), nil)
		if !errors.Is(err, llm.ErrUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v, want ErrUnavailable and DeadlineExceeded", err)
		}
		if !strings.Contains(err.Error(), "first chunk") {
			t.Fatalf("err = %q, want it to name the first chunk", err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("timed out after %s", d)
		}
		if !srv.WaitCancelled(5 * time.Second) {
			t.Fatal("the stand-in never saw the request cancelled")
		}
	})
}

func TestIdleTimeout(t *testing.T) {
	forEach(t, func(t *testing.T, u upstream) {
		_, url := u.start(t, llmtest.WithFault(llmtest.Fault{HoldAfter: 2}))
		p := newProvider(t, u.name, url, func(c *llm.Config) { c.IdleTimeout = 150 * time.Millisecond })
		res, err := p.Chat(context.Background(), ask(u.model, "hi"), nil)
		if !errors.Is(err, llm.ErrUnavailable) || !strings.Contains(err.Error(), "idle") {
			t.Fatalf("err = %v, want an idle ErrUnavailable", err)
		}
		if res.Content != "tok0 tok1 " {
			t.Fatalf("partial = %q", res.Content)
		}
	})
}

// A slow first token (a model loading) is bounded by FirstTokenTimeout, not
// by the shorter idle timeout.
func TestSlowFirstTokenWithinLimit(t *testing.T) {
	forEach(t, func(t *testing.T, u upstream) {
		_, url := u.start(t, llmtest.WithFault(llmtest.Fault{FirstTokenDelay: 400 * time.Millisecond}))
		p := newProvider(t, u.name, url, func(c *llm.Config) { c.IdleTimeout = 100 * time.Millisecond })
		res, err := p.Chat(context.Background(), ask(u.model, "hi"), nil)
		if err != nil || res.Content != "tok0 tok1 tok2 tok3 tok4 " {
			t.Fatalf("Chat = %+v, %v", res, err)
		}
	})
}

// The idle timeout measures upstream silence, not a slow consumer.
func TestSlowConsumerIsNotAStall(t *testing.T) {
	forEach(t, func(t *testing.T, u upstream) {
		_, url := u.start(t)
		p := newProvider(t, u.name, url, func(c *llm.Config) { c.IdleTimeout = 50 * time.Millisecond })
		res, err := p.Chat(context.Background(), ask(u.model, "hi"), func(llm.Chunk) error {
			time.Sleep(120 * time.Millisecond) // a slow websocket write
			return nil
		})
		if err != nil || res.Content != "tok0 tok1 tok2 tok3 tok4 " {
			t.Fatalf("Chat = %+v, %v", res, err)
		}
	})
}

func TestModels(t *testing.T) {
	forEach(t, func(t *testing.T, u upstream) {
		_, url := u.start(t)
		p := newProvider(t, u.name, url)
		models, err := p.Models(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, m := range models {
			names = append(names, m.Name)
			if m.ModifiedAt.IsZero() {
				t.Errorf("%s: no modification time", m.Name)
			}
		}
		want := map[string]string{"ollama": "llama3.2:3b,nomic-embed-text:latest", "openai": "gpt-test,text-embedding-test"}[u.name]
		if strings.Join(names, ",") != want {
			t.Fatalf("models = %v, want %s", names, want)
		}
		if u.name == "ollama" {
			m := models[0]
			if m.Family != "llama" || m.ParameterSize != "3.2B" || m.Quantization != "Q4_K_M" || m.Size == 0 {
				t.Fatalf("details = %+v", m)
			}
		}
	})
}

func TestEmbed(t *testing.T) {
	forEach(t, func(t *testing.T, u upstream) {
		srv, url := u.start(t)
		p := newProvider(t, u.name, url)
		model := map[string]string{"ollama": "nomic-embed-text", "openai": "text-embedding-test"}[u.name]
		in := []string{"first text", "second text", "third"}
		vecs, err := p.Embed(context.Background(), model, in)
		if err != nil {
			t.Fatal(err)
		}
		if len(vecs) != len(in) {
			t.Fatalf("%d vectors for %d inputs", len(vecs), len(in))
		}
		for i, v := range vecs {
			want := llmtest.Vector(in[i], 64)
			if len(v) != 64 || v[0] != want[0] || v[63] != want[63] {
				t.Fatalf("vector %d is not the embedding of %q", i, in[i])
			}
		}
		if _, err := p.Embed(context.Background(), "nope", in); !errors.Is(err, llm.ErrModelNotFound) {
			t.Fatalf("unknown model: err = %v", err)
		}
		if vecs, err := p.Embed(context.Background(), model, nil); err != nil || len(vecs) != 0 {
			t.Fatalf("no input: %v, %v", vecs, err)
		}
		_ = srv
	})
}

func TestHealth(t *testing.T) {
	forEach(t, func(t *testing.T, u upstream) {
		srv, url := u.start(t)
		p := newProvider(t, u.name, url)
		if err := p.Health(context.Background()); err != nil {
			t.Fatalf("healthy: %v", err)
		}
		srv.SetFault(llmtest.Fault{Status: 500, Message: "internal error"})
		if err := p.Health(context.Background()); !errors.Is(err, llm.ErrUnavailable) {
			t.Fatalf("500: err = %v", err)
		}
		srv.SetFault(llmtest.Fault{})
		if err := p.Health(context.Background()); err != nil {
			t.Fatalf("healed: %v", err)
		}
	})
}

// Idempotent calls retry a failed connection; a chat never does.
func TestRetries(t *testing.T) {
	forEach(t, func(t *testing.T, u upstream) {
		srv, url := u.start(t)
		p := newProvider(t, u.name, url)
		modelsPath := map[string]string{"ollama": "/api/tags", "openai": "/v1/models"}[u.name]
		srv.SetFault(llmtest.Fault{Hangup: true, Times: 1, Paths: []string{modelsPath}})
		if _, err := p.Models(context.Background()); err != nil {
			t.Fatalf("Models after one dropped connection: %v", err)
		}
		if n := len(srv.RequestsTo(modelsPath)); n != 2 {
			t.Fatalf("models requested %d times, want 2", n)
		}
		srv.SetFault(llmtest.Fault{Hangup: true, Times: 1, Paths: []string{u.chatPath}})
		if _, err := p.Chat(context.Background(), ask(u.model, "hi"), nil); !errors.Is(err, llm.ErrUnavailable) {
			t.Fatalf("chat: err = %v", err)
		}
		if n := len(srv.RequestsTo(u.chatPath)); n != 1 {
			t.Fatalf("chat sent %d times, want 1", n)
		}
	})
}

// A server that accepts connections but never answers: the small calls give
// up after RequestTimeout.
func TestRequestTimeout(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		var held []net.Conn
		defer func() {
			for _, c := range held {
				c.Close()
			}
		}()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			held = append(held, c)
		}
	}()
	forEach(t, func(t *testing.T, u upstream) {
		p := newProvider(t, u.name, "http://"+l.Addr().String(), func(c *llm.Config) { c.RequestTimeout = 200 * time.Millisecond })
		start := time.Now()
		_, err := p.Models(context.Background())
		if !errors.Is(err, llm.ErrUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v, want ErrUnavailable and DeadlineExceeded", err)
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Fatalf("Models took %s", d)
		}
	})
}

func TestNewConfig(t *testing.T) {
	cases := []struct {
		cfg  llm.Config
		name string
		err  error
	}{
		{llm.Config{}, "ollama", nil},
		{llm.Config{Provider: "Ollama", BaseURL: "http://ollama:11434/"}, "ollama", nil},
		{llm.Config{Provider: "openai", BaseURL: "https://api.example.com/v1"}, "openai", nil},
		{llm.Config{Provider: "demo"}, "demo", nil},
		{llm.Config{Provider: "gpt4all"}, "", llm.ErrBadRequest},
		{llm.Config{Provider: "ollama", BaseURL: "localhost:11434"}, "", llm.ErrBadRequest},
		{llm.Config{Provider: "openai", BaseURL: "ftp://x"}, "", llm.ErrBadRequest},
	}
	for _, tc := range cases {
		p, err := llm.New(tc.cfg)
		if !errors.Is(err, tc.err) {
			t.Errorf("New(%+v): err = %v, want %v", tc.cfg, err, tc.err)
			continue
		}
		if err == nil && p.Name() != tc.name {
			t.Errorf("New(%+v).Name() = %q, want %q", tc.cfg, p.Name(), tc.name)
		}
	}
}
