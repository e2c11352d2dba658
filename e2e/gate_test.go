package e2e

import (
	"context"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/aiwfe/aiwfe/app/llm"
)

// StreamGate holds a chosen reply of the model part way through, until the
// test releases it or the reply is cancelled (a stop, a server shutdown).
// A test that must act while a reply streams — press stop, restart the
// server — then does not race the model: on a busy machine the browser can
// lag behind the demo model by seconds, and a free-running reply may have
// finished before the click lands.
//
// It can also script a reply: the demo model's own are a few dozen words,
// and a test of long replies needs thousands.
type StreamGate struct {
	mu      sync.Mutex
	match   string // the held reply answers a last message containing this
	after   int    // chunks sent before the hold
	release chan struct{}

	script *script // the next reply to a last message containing its match
}

type script struct {
	match  string
	pieces []string
	pace   time.Duration
}

// Script makes the demo model's next reply to a last message containing
// match the given pieces (tokens), one every pace, instead of its own.
func (g *StreamGate) Script(match string, pieces []string, pace time.Duration) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.script = &script{match: match, pieces: pieces, pace: pace}
}

// Tokens cuts text into streaming pieces as the demo model does: each a
// word with the whitespace before it, so that joined they give text back.
func Tokens(text string) []string { return tokenRe.FindAllString(text, -1) }

var tokenRe = regexp.MustCompile(`\s*\S+|\s+$`)

// scripted claims the script for req, if it is the reply it is for.
func (g *StreamGate) scripted(req llm.ChatRequest) *script {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.script == nil || len(req.Messages) == 0 || !strings.Contains(req.Messages[len(req.Messages)-1].Content, g.script.match) {
		return nil
	}
	sc := g.script
	g.script = nil
	return sc
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
	if sc := p.gate.scripted(req); sc != nil {
		return sc.play(ctx, onChunk)
	}
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

// play streams the script as the demo model streams its replies.
func (sc *script) play(ctx context.Context, onChunk func(llm.Chunk) error) (*llm.Result, error) {
	res := &llm.Result{Model: llm.DemoModel, Demo: true}
	t := time.NewTicker(sc.pace)
	defer t.Stop()
	var content strings.Builder
	for _, piece := range sc.pieces {
		select {
		case <-ctx.Done():
			res.Content = content.String()
			return res, ctx.Err()
		case <-t.C:
		}
		content.WriteString(piece)
		res.Usage.CompletionTokens++
		if err := onChunk(llm.Chunk{Content: piece}); err != nil {
			res.Content = content.String()
			return res, err
		}
	}
	res.Content, res.DoneReason = content.String(), "stop"
	return res, nil
}
