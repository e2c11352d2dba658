package llm

import (
	"context"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aiwfe/aiwfe/app/llm/llmtest"
)

// A finished stream leaves its connection to the next request: the end of
// the body after the final line is read rather than the connection closed.
func TestStreamReusesConnection(t *testing.T) {
	up := llmtest.NewOllama(t, llmtest.WithTokens(20))
	var dials atomic.Int32
	d := &net.Dialer{}
	client := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		dials.Add(1)
		return d.DialContext(ctx, network, addr)
	}}}
	p, err := New(Config{Provider: "ollama", BaseURL: up.URL, HTTPClient: client})
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		if _, err := p.Chat(context.Background(), ChatRequest{Model: "llama3.2:3b", Messages: []Message{{Role: "user", Content: "hi"}}}, nil); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond) // the end of the body is read in the background
	}
	if n := dials.Load(); n != 1 {
		t.Fatalf("%d connections for 5 streams, want 1", n)
	}
}
