package llm

import (
	"context"
	"sync"
	"testing"
)

func TestSwitchRoutesToTheCurrentProvider(t *testing.T) {
	demo, err := New(Config{Provider: "demo"})
	if err != nil {
		t.Fatal(err)
	}
	down, err := New(Config{Provider: "ollama", BaseURL: "http://127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	sw := NewSwitch(down)
	ctx := context.Background()
	if err := sw.Health(ctx); err == nil {
		t.Fatal("health through a switch to a dead server succeeded")
	}
	if _, ok := Current(sw).(Puller); !ok || sw.Name() != "ollama" {
		t.Fatalf("current = %s, want the ollama provider with its Puller", sw.Name())
	}
	sw.Set(demo)
	if err := sw.Health(ctx); err != nil || sw.Name() != "demo" {
		t.Fatalf("after Set(demo): name %s, health %v", sw.Name(), err)
	}
	if Current(demo) != demo {
		t.Fatal("Current of a plain provider must be itself")
	}
	res, err := sw.Chat(ctx, ChatRequest{Model: "x", Messages: []Message{{Role: "user", Content: "hello"}}}, func(Chunk) error { return nil })
	if err != nil || !res.Demo {
		t.Fatalf("chat through the switch: %+v, %v", res, err)
	}
}

// Set while requests run: every request sees one whole provider (run with
// -race).
func TestSwitchSetDuringRequests(t *testing.T) {
	a, _ := New(Config{Provider: "demo"})
	b, _ := New(Config{Provider: "ollama", BaseURL: "http://127.0.0.1:1"})
	sw := NewSwitch(a)
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 200; j++ {
				if n := sw.Name(); n != "demo" && n != "ollama" {
					t.Errorf("name %q", n)
					return
				}
			}
		}()
	}
	for j := 0; j < 200; j++ {
		if j%2 == 0 {
			sw.Set(b)
		} else {
			sw.Set(a)
		}
	}
	wg.Wait()
}
