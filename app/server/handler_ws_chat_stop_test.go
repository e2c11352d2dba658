package server_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aiwfe/aiwfe/app/config"
	"github.com/aiwfe/aiwfe/app/llm/llmtest"
	"github.com/aiwfe/aiwfe/app/server/servertest"
)

// A stop at any moment of a reply ends in done with stopped: true, and
// what is stored is what the client was sent: the exchange with the
// tokens relayed before the stop, no more and no less.
func TestWSChatStopAtAnyMoment(t *testing.T) {
	const tokens = 6
	for _, tc := range []struct {
		name string
		// fault holds the model at the moment of the stop (nil: demo mode,
		// where the stop follows the send at once).
		fault *llmtest.Fault
		// the client sends stop once it read start and this many tokens
		// (-1: right after its send, before start).
		before int
		// new conversation (true) or a turn of an existing one.
		fresh bool
		// the reply is a regeneration of the conversation's last one.
		regenerate bool
	}{
		{name: "right after send, demo mode", before: -1, fresh: true},
		{name: "right after send in a conversation, demo mode", before: -1},
		{name: "right after regenerate, demo mode", before: -1, regenerate: true},
		{name: "right after send, model waiting", fault: &llmtest.Fault{FirstTokenDelay: time.Minute}, before: -1, fresh: true},
		{name: "before the first token", fault: &llmtest.Fault{FirstTokenDelay: time.Minute}, fresh: true},
		{name: "between tokens", fault: &llmtest.Fault{HoldAfter: 2}, before: 2, fresh: true},
		// The model has written every token but not yet its final message.
		{name: "after the last token", fault: &llmtest.Fault{HoldAfter: tokens}, before: tokens, fresh: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var srv *servertest.Server
			if tc.fault == nil {
				srv = servertest.Start(t, func(c *config.Config) { c.Demo = true })
			} else {
				srv, _ = chatServer(t, llmtest.WithTokens(tokens), llmtest.WithFault(*tc.fault))
			}
			c := srv.User(t, "user")
			ws := dialWS(t, srv.URL, "/api/v1/ws/chat", accessTokenOf(t, c))
			const prompt = "tell me a long story"
			var conv int64
			if !tc.fresh {
				first := "hello"
				if tc.regenerate {
					first = prompt
				}
				ws.send(map[string]any{"type": "send", "message": first})
				conv = ws.expect("start").num("conversation_id")
				ws.until("done")
			}

			send := map[string]any{"type": "send", "message": prompt}
			if tc.regenerate {
				send = map[string]any{"type": "regenerate"}
			}
			if conv != 0 {
				send["conversation_id"] = conv
			}
			ws.send(send)
			var relayed []string
			var start frame
			if tc.before >= 0 {
				start = ws.expect("start")
				for range tc.before {
					relayed = append(relayed, ws.expect("token").str("content"))
				}
			}
			ws.send(map[string]any{"type": "stop"})

			// start (unless read already), maybe tokens, then done.
			var done frame
			for done == nil {
				f := ws.read(10 * time.Second)
				switch f.str("type") {
				case "start":
					start = f
				case "token":
					relayed = append(relayed, f.str("content"))
				case "title":
				case "done":
					done = f
				default:
					t.Fatalf("frame %v, want start, token or done", f)
				}
			}
			if done["stopped"] != true {
				t.Fatalf("done %v, want stopped", done)
			}
			if start == nil {
				t.Fatalf("no start frame before done %v", done)
			}
			if conv == 0 {
				conv = done.num("conversation_id")
			}
			if conv == 0 || done.num("conversation_id") != conv {
				t.Fatalf("done %v, conversation %d", done, conv)
			}

			// Stored: the user message and the reply with what was relayed.
			res := c.Get(fmt.Sprintf("/api/v1/conversations/%d/messages", conv))
			var page struct {
				Items []struct {
					ID      int64  `json:"id"`
					Role    string `json:"role"`
					Content string `json:"content"`
					Status  string `json:"status"`
				} `json:"items"`
			}
			if err := json.Unmarshal(res.Body, &page); err != nil || res.Status != 200 {
				t.Fatalf("messages: %d %s", res.Status, res)
			}
			n := len(page.Items)
			if n < 2 || page.Items[n-2].Role != "user" || page.Items[n-2].Content != prompt {
				t.Fatalf("stored %+v", page.Items)
			}
			reply := page.Items[n-1]
			wantStatus := "partial"
			if len(relayed) == 0 {
				wantStatus = "error" // stopped before the reply began
			}
			if reply.Role != "assistant" || reply.ID != done.num("message_id") || reply.Content != strings.Join(relayed, "") ||
				reply.Status != wantStatus || done.str("status") != wantStatus {
				t.Fatalf("stored reply %+v, done %v; relayed %q", reply, done, relayed)
			}

			// The socket serves the next message.
			ws.send(map[string]any{"type": "ping"})
			ws.expect("pong")
		})
	}
}
