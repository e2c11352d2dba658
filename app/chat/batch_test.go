package chat

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/aiwfe/aiwfe/app/llm"
	"github.com/aiwfe/aiwfe/app/llm/llmtest"
)

// With Flush set, the relay may hold chunks, but only those already at
// hand: whatever arrived is flushed before the service waits on the model
// (here the upstream holds its stream after the first chunk), for the
// NDJSON and the SSE (blank-line separated) streams alike, and for a
// provider that cannot tell when it waits.
func TestSendFlushesBeforeWaitingOnTheModel(t *testing.T) {
	for _, name := range []string{"ollama", "openai", "demo"} {
		t.Run(name, func(t *testing.T) {
			opts := []llmtest.Option{llmtest.WithTokens(4), llmtest.WithFault(llmtest.Fault{HoldAfter: 1})}
			var p llm.Provider
			var release func()
			var err error
			switch name {
			case "ollama":
				up := llmtest.NewOllama(t, opts...)
				p, err = llm.New(llm.Config{Provider: "ollama", BaseURL: up.URL})
				release = up.Release
			case "openai":
				up := llmtest.NewOpenAI(t, opts...)
				p, err = llm.New(llm.Config{Provider: "openai", BaseURL: up.URL, APIKey: "k"})
				release = up.Release
			case "demo":
				p, release = llm.NewDemo(0), func() {}
			}
			if err != nil {
				t.Fatal(err)
			}
			f := newFixtureWith(t, p)
			u := f.user(t, "a@example.test", nil)
			var mu sync.Mutex
			var held, sent []string
			first := make(chan struct{})
			st := Stream{
				OnToken: func(c string) error {
					mu.Lock()
					defer mu.Unlock()
					held = append(held, c)
					return nil
				},
				Flush: func() error {
					mu.Lock()
					defer mu.Unlock()
					if len(sent) == 0 && len(held) > 0 {
						close(first)
					}
					sent, held = append(sent, held...), nil
					return nil
				},
			}
			done := make(chan error, 1)
			go func() {
				_, err := f.svc.Send(context.Background(), SendRequest{UserID: u, Message: "hi", Stream: st})
				done <- err
			}()
			select {
			case <-first:
			case <-time.After(5 * time.Second):
				t.Fatal("the first chunk was held while the model was awaited")
			}
			release()
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			if len(held) != 0 || len(sent) == 0 {
				t.Fatalf("held %q, sent %q", held, sent)
			}
			f.svc.Wait()
		})
	}
}
