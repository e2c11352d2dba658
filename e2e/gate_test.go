package e2e

import (
	"context"
	"strings"
	"sync"

	"github.com/aiwfe/aiwfe/app/llm"
)

// StreamGate holds a chosen reply of the model part way through, until the
// test releases it or the reply is cancelled (a stop, a server shutdown).
// A test that must act while a reply streams — press stop, restart the
// server — then does not race the model: on a busy machine the browser can
// lag behind the demo model by seconds, and a free-running reply may have
// finished before the click lands.
type StreamGate struct {
	mu      sync.Mutex
	match   string // the held reply answers a last message containing this
	after   int    // chunks sent before the hold
	release chan struct{}
}

// Hold arms the gate for the next reply whose last message contains match:
// it sends after chunks and then waits. One reply is held per Hold.
func (g *StreamGate) Hold(match string, after int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.match, g.after, g.release = match, after, make(chan struct{})
}

// Release lets a held reply go on.
func (g *StreamGate) Release() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.release != nil {
		close(g.release)
		g.release = nil
	}
	g.match = ""
}

// take claims the hold for req, if it is the reply the gate waits for.
func (g *StreamGate) take(req llm.ChatRequest) (after int, release chan struct{}) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.match == "" || len(req.Messages) == 0 || !strings.Contains(req.Messages[len(req.Messages)-1].Content, g.match) {
		return 0, nil
	}
	g.match = "" // one reply per Hold; the release channel stays for Release
	return g.after, g.release
}

// gated wraps the app's model provider so that the gate can hold its replies.
type gated struct {
	llm.Provider
	gate *StreamGate
}

func (p gated) Chat(ctx context.Context, req llm.ChatRequest, onChunk func(llm.Chunk) error) (*llm.Result, error) {
	after, release := p.gate.take(req)
	if release == nil {
		return p.Provider.Chat(ctx, req, onChunk)
	}
	sent := 0
	return p.Provider.Chat(ctx, req, func(c llm.Chunk) error {
		if sent == after {
			select {
			case <-release:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		sent++
		return onChunk(c)
	})
}
