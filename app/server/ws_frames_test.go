package server_test

import (
	"strings"
	"testing"

	"github.com/fasthttp/websocket"

	"github.com/aiwfe/aiwfe/app/llm/llmtest"
)

// Every length form of RFC 6455 (7-bit, 16-bit, 64-bit) reaches a
// standard client intact and in order, one frame per chunk, and the
// library's control frames share the socket with them.
func TestWSChatFrameLengths(t *testing.T) {
	sizes := []int{1, 125, 126, 200, 65535, 65536, 200_000}
	var reply []string
	for i, n := range sizes {
		reply = append(reply, strings.Repeat(string(rune('a'+i)), n))
	}
	srv, _ := chatServer(t, llmtest.WithReply(reply...))
	c := srv.User(t, "user")
	ws := dialWS(t, srv.URL, "/api/v1/ws/chat", accessTokenOf(t, c))
	ws.conn.SetReadLimit(1 << 20)
	ws.send(map[string]any{"type": "send", "message": "sizes"})
	ws.expect("start")
	done, toks := ws.until("done")
	if done.str("status") != "complete" {
		t.Fatalf("done %v", done)
	}
	if len(toks) != len(reply) {
		t.Fatalf("%d token frames, want %d", len(toks), len(reply))
	}
	for i := range reply {
		if toks[i] != reply[i] {
			t.Fatalf("token %d: %d bytes, want %d", i, len(toks[i]), len(reply[i]))
		}
	}
	// A client ping is answered by the library's pong, under the same
	// write lock as the frames.
	pong := make(chan struct{}, 1)
	ws.conn.SetPongHandler(func(string) error { pong <- struct{}{}; return nil })
	if err := ws.conn.WriteMessage(websocket.PingMessage, []byte("x")); err != nil {
		t.Fatal(err)
	}
	ws.send(map[string]any{"type": "ping"})
	ws.expect("pong")
	select {
	case <-pong:
	default:
		t.Fatal("no pong for the protocol ping")
	}
}
