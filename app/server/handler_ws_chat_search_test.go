package server_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/aiwfe/aiwfe/app/llm/llmtest"
)

// The reply's text is indexed off the request path, yet a search made as
// soon as done arrives finds it: searches index what is pending first.
func TestWSChatReplyIsSearchableRightAfterDone(t *testing.T) {
	srv, _ := chatServer(t, llmtest.WithTokens(2000))
	c := srv.User(t, "user")
	ws := dialWS(t, srv.URL, "/api/v1/ws/chat", accessTokenOf(t, c))
	for i := range 3 {
		ws.send(map[string]any{"type": "send", "message": fmt.Sprintf("aardwolf question %d", i)})
		start := ws.expect("start")
		ws.until("done")
		id := fmt.Sprintf(`"id":%d`, int64(start.num("message_id")))
		res := c.Get("/api/v1/messages/search?q=tok1999&per_page=50")
		if res.Status != 200 || !strings.Contains(res.String(), id) {
			t.Fatalf("send %d: search for the reply (%s): %s", i, id, res)
		}
		res = c.Get("/api/v1/conversations?q=aardwolf&per_page=50")
		if res.Status != 200 || !strings.Contains(res.String(), fmt.Sprintf(`"total":%d`, i+1)) {
			t.Fatalf("send %d: conversations by text: %s", i, res)
		}
		ws.expect("title")
	}
}
