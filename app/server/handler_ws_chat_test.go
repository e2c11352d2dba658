package server_test

import (
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/aiwfe/aiwfe/app/config"
	"github.com/aiwfe/aiwfe/app/llm/llmtest"
	"github.com/aiwfe/aiwfe/app/server"
	"github.com/aiwfe/aiwfe/app/server/servertest"
)

func TestWSChatRelaysTokensBeforeTheUpstreamFinishes(t *testing.T) {
	// The stand-in holds its stream after the first token until the test
	// has seen that token arrive through the appliance.
	srv, up := chatServer(t, llmtest.WithTokens(5), llmtest.WithFault(llmtest.Fault{HoldAfter: 1}))
	c := srv.User(t, "user")
	ws := dialWS(t, srv.URL, "/api/v1/ws/chat", accessTokenOf(t, c))

	ws.send(map[string]any{"type": "send", "message": "Plan my week"})
	start := ws.expect("start")
	if start.num("conversation_id") == 0 || start.num("message_id") == 0 || start.str("model") != "llama3.2:3b" {
		t.Fatalf("start %v", start)
	}
	tok := ws.expect("token")
	if tok.str("content") != "tok0 " {
		t.Fatalf("first token %v", tok)
	}
	if up.Completed() != 0 {
		t.Fatal("the upstream finished before the first token was relayed")
	}
	up.Release()
	done, toks := ws.until("done")
	if got := "tok0 " + strings.Join(toks, ""); got != "tok0 tok1 tok2 tok3 tok4 " {
		t.Fatalf("tokens %q", got)
	}
	usage := done["usage"].(map[string]any)
	if done["stopped"] != false || done["demo"] != false || done.num("message_id") != start.num("message_id") ||
		usage["completion_tokens"].(float64) != 5 || done["timing"] == nil || done.str("status") != "complete" {
		t.Fatalf("done %v", done)
	}
	title := ws.expect("title")
	if title.num("conversation_id") != start.num("conversation_id") || title.str("title") != "tok0 tok1 tok2 tok3 tok4" {
		t.Fatalf("title %v", title)
	}

	// The exchange is stored.
	res := c.Get(fmt.Sprintf("/api/v1/conversations/%d/messages", start.num("conversation_id")))
	if res.Status != 200 || !strings.Contains(res.String(), `"status":"complete"`) || !strings.Contains(res.String(), "Plan my week") {
		t.Fatalf("messages: %s", res)
	}

	// Ping is answered; a second message continues the conversation.
	ws.send(map[string]any{"type": "ping"})
	ws.expect("pong")
	ws.send(map[string]any{"type": "send", "conversation_id": start.num("conversation_id"), "message": "more"})
	if s2 := ws.expect("start"); s2.num("conversation_id") != start.num("conversation_id") || s2["created"] != false {
		t.Fatalf("second start %v", s2)
	}
	ws.until("done")
}

func TestWSChatStopCancelsTheUpstream(t *testing.T) {
	srv, up := chatServer(t, llmtest.WithTokens(10), llmtest.WithFault(llmtest.Fault{HoldAfter: 2}))
	c := srv.User(t, "user")
	ws := dialWS(t, srv.URL, "/api/v1/ws/chat", accessTokenOf(t, c))
	ws.send(map[string]any{"type": "send", "message": "long story please"})
	start := ws.expect("start")
	ws.expect("token")
	ws.expect("token")
	ws.send(map[string]any{"type": "stop"})
	done := ws.expect("done")
	if done["stopped"] != true || done.str("status") != "partial" {
		t.Fatalf("done %v", done)
	}
	if !up.WaitCancelled(5 * time.Second) {
		t.Fatal("the upstream request was not cancelled")
	}
	res := c.Get(fmt.Sprintf("/api/v1/conversations/%d/messages", start.num("conversation_id")))
	if !strings.Contains(res.String(), `"content":"tok0 tok1 ","model":"llama3.2:3b","status":"partial"`) {
		t.Fatalf("stored: %s", res)
	}
	// A stop with nothing streaming is harmless.
	ws.send(map[string]any{"type": "stop"})
	ws.send(map[string]any{"type": "ping"})
	ws.expect("pong")
}

func TestWSChatDroppedUpstreamLeavesPartialMessage(t *testing.T) {
	srv, _ := chatServer(t, llmtest.WithTokens(10), llmtest.WithFault(llmtest.Fault{DropAfter: 3}))
	c := srv.User(t, "user")
	ws := dialWS(t, srv.URL, "/api/v1/ws/chat", accessTokenOf(t, c))
	ws.send(map[string]any{"type": "send", "message": "hi"})
	start := ws.expect("start")
	e, toks := ws.until("error")
	if len(toks) != 3 || e.str("code") != "llm_unavailable" || e.num("message_id") != start.num("message_id") {
		t.Fatalf("error %v after %d tokens", e, len(toks))
	}
	res := c.Get(fmt.Sprintf("/api/v1/conversations/%d/messages", start.num("conversation_id")))
	if !strings.Contains(res.String(), `"content":"tok0 tok1 tok2 "`) || !strings.Contains(res.String(), `"status":"partial"`) {
		t.Fatalf("stored: %s", res)
	}
}

func TestWSChatUpstreamErrors(t *testing.T) {
	srv, up := chatServer(t)
	c := srv.User(t, "user")
	ws := dialWS(t, srv.URL, "/api/v1/ws/chat", accessTokenOf(t, c))

	ws.send(map[string]any{"type": "send", "model": "no-such:7b", "message": "hi"})
	ws.expect("start")
	e := ws.expect("error")
	if e.str("code") != "model_not_found" || !strings.Contains(e.str("message"), "no-such:7b") || !strings.Contains(e.str("message"), "Settings → Models") {
		t.Fatalf("model not found: %v", e)
	}

	up.SetFault(llmtest.Fault{Status: 500, Message: "kaput"})
	ws.send(map[string]any{"type": "send", "message": "hi"})
	ws.expect("start")
	if e := ws.expect("error"); e.str("code") != "llm_unavailable" {
		t.Fatalf("500: %v", e)
	}

	// Bad frames get an error frame and the socket stays usable.
	for _, bad := range []any{"not json", map[string]any{"type": "dance"}, map[string]any{"type": "send", "message": ""},
		map[string]any{"type": "regenerate"}, map[string]any{"type": "send", "message": strings.Repeat("x", 100_001)}} {
		if s, ok := bad.(string); ok {
			ws.conn.WriteMessage(websocket.TextMessage, []byte(s))
		} else {
			ws.send(bad)
		}
		if e := ws.expect("error"); e.str("code") == "" {
			t.Fatalf("bad frame %v: %v", bad, e)
		}
	}
	ws.send(map[string]any{"type": "ping"})
	ws.expect("pong")
}

func TestWSChatIsolatesUsers(t *testing.T) {
	srv, _ := chatServer(t)
	alice, bob := srv.User(t, "user"), srv.User(t, "user")
	wa := dialWS(t, srv.URL, "/api/v1/ws/chat", accessTokenOf(t, alice))
	wa.send(map[string]any{"type": "send", "message": "alice's secret plans"})
	conv := wa.expect("start").num("conversation_id")
	wa.until("done")

	wb := dialWS(t, srv.URL, "/api/v1/ws/chat", accessTokenOf(t, bob))
	wb.send(map[string]any{"type": "send", "conversation_id": conv, "message": "let me in"})
	if e := wb.expect("error"); e.str("code") != "not_found" {
		t.Fatalf("bob streams into alice's conversation: %v", e)
	}
	wb.send(map[string]any{"type": "regenerate", "conversation_id": conv})
	if e := wb.expect("error"); e.str("code") != "not_found" {
		t.Fatalf("bob regenerates alice's reply: %v", e)
	}
	path := fmt.Sprintf("/api/v1/conversations/%d", conv)
	for _, sc := range []servertest.Scenario{
		{Name: "get", Method: "GET", Path: path, WantStatus: 404, WantCode: "not_found"},
		{Name: "messages", Method: "GET", Path: path + "/messages", WantStatus: 404, WantCode: "not_found"},
		{Name: "patch", Method: "PATCH", Path: path, Request: servertest.Request{JSON: map[string]any{"title": "mine"}}, WantStatus: 404},
		{Name: "delete", Method: "DELETE", Path: path, WantStatus: 404},
		{Name: "chat", Method: "POST", Path: "/api/v1/chat", Request: servertest.Request{JSON: map[string]any{"conversation_id": conv, "message": "x"}}, WantStatus: 404},
		{Name: "list", Method: "GET", Path: "/api/v1/conversations?q=secret", WantStatus: 200, WantContains: []string{`"total":0`}},
		{Name: "search", Method: "GET", Path: "/api/v1/messages/search?q=secret", WantStatus: 200, WantNotContains: []string{"secret"}},
	} {
		sc.Run(t, bob)
	}
	// Alice still has it, untouched.
	if res := alice.Get(path + "/messages"); res.Status != 200 || strings.Count(res.String(), `"role"`) != 2 {
		t.Fatalf("alice: %s", res)
	}
}

func TestWSChatClientDisconnectDoesNotLeak(t *testing.T) {
	srv, up := chatServer(t, llmtest.WithTokens(50), llmtest.WithFault(llmtest.Fault{HoldAfter: 1}))
	c := srv.User(t, "user")
	tok := accessTokenOf(t, c)
	// Warm up: one full exchange so pools and lazily started goroutines
	// exist before counting.
	up.Release()
	w := dialWS(t, srv.URL, "/api/v1/ws/chat", tok)
	w.send(map[string]any{"type": "send", "message": "warm up"})
	w.until("done")
	w.expect("title")
	w.conn.Close()
	poll(t, 5*time.Second, "warm-up socket to close", func() bool { return server.WebSockets(srv.Server) == 0 })
	before := runtime.NumGoroutine()

	for i := range 5 {
		up.SetFault(llmtest.Fault{HoldAfter: 1})
		ws := dialWS(t, srv.URL, "/api/v1/ws/chat", tok)
		ws.send(map[string]any{"type": "send", "message": fmt.Sprint("going away ", i)})
		ws.expect("start")
		ws.expect("token")
		ws.conn.Close() // mid-stream, without a close frame
	}
	poll(t, 5*time.Second, "upstream requests to be cancelled", func() bool { return up.Cancelled() >= 5 })
	poll(t, 5*time.Second, "sockets to be released", func() bool { return server.WebSockets(srv.Server) == 0 })
	var now int
	deadline := time.Now().Add(10 * time.Second)
	for {
		runtime.GC()
		if now = runtime.NumGoroutine(); now <= before+2 || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if now > before+2 {
		buf := make([]byte, 1<<20)
		n := runtime.Stack(buf, true)
		t.Fatalf("goroutines: %d before, %d after\n%s", before, now, buf[:n])
	}
	res := c.Get("/api/v1/conversations?per_page=100")
	if strings.Count(res.String(), `"message_count":2`) != 6 {
		t.Fatalf("conversations: %s", res)
	}
}

func TestWSGate(t *testing.T) {
	srv := servertest.Start(t, func(c *config.Config) { c.Auth.WebSocketsPerUser = 2 })
	c := srv.User(t, "user")
	tok := accessTokenOf(t, c)
	status := func(path, token string, h http.Header) int {
		conn, res, err := tryDialWS(srv.URL, path, token, h)
		if err == nil {
			conn.Close()
			return 101
		}
		if res == nil {
			t.Fatalf("dial: %v", err)
		}
		return res.StatusCode
	}
	for _, path := range []string{"/api/v1/ws/chat", "/api/v1/ws/progress", "/api/v1/ws/notifications"} {
		if s := status(path, "", nil); s != 401 {
			t.Errorf("%s without a token: %d", path, s)
		}
		if s := status(path, "not-a-token", nil); s != 401 {
			t.Errorf("%s with a bad token: %d", path, s)
		}
		if s := status(path, tok, http.Header{"Origin": {"https://evil.example"}}); s != 403 {
			t.Errorf("%s cross-site: %d", path, s)
		}
		if s := status(path, tok, http.Header{"Origin": {srv.URL}}); s != 101 {
			t.Errorf("%s same origin: %d", path, s)
		}
	}
	// The cookie works as well as the query parameter.
	poll(t, 5*time.Second, "sockets to close", func() bool { return server.WebSockets(srv.Server) == 0 })
	if s := status("/api/v1/ws/chat", "", http.Header{"Cookie": {"access_token=" + tok}}); s != 101 {
		t.Errorf("cookie auth: %d", s)
	}
	// A plain GET is not a WebSocket.
	if res := c.Get("/api/v1/ws/chat"); res.Status != 426 {
		t.Errorf("plain GET: %s", res)
	}

	poll(t, 5*time.Second, "sockets to close", func() bool { return server.WebSockets(srv.Server) == 0 })
	a := dialWS(t, srv.URL, "/api/v1/ws/chat", tok)
	dialWS(t, srv.URL, "/api/v1/ws/progress", tok)
	poll(t, 5*time.Second, "two sockets", func() bool { return server.WebSockets(srv.Server) == 2 })
	if s := status("/api/v1/ws/notifications", tok, nil); s != 429 {
		t.Fatalf("third socket: %d", s)
	}
	// Another user is not limited by this one's sockets.
	if s := status("/api/v1/ws/chat", accessTokenOf(t, srv.User(t, "user")), nil); s != 101 {
		t.Fatalf("other user: %d", s)
	}
	a.conn.Close()
	poll(t, 5*time.Second, "a slot to free", func() bool { return status("/api/v1/ws/chat", tok, nil) == 101 })
}

func TestWSHeartbeatDropsDeadPeers(t *testing.T) {
	// The pong wait is long against the ping period: on a loaded 2-core
	// machine a live client's goroutine can be held off the CPU for a
	// few hundred milliseconds (150 ms dropped live clients under load).
	defer server.SetWSTimings(20*time.Millisecond, time.Second, time.Second)()
	srv := servertest.Start(t)
	c := srv.User(t, "user")
	// A client that never reads never answers pings.
	conn, _, err := tryDialWS(srv.URL, "/api/v1/ws/chat", accessTokenOf(t, c), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	poll(t, 5*time.Second, "the socket to register", func() bool { return server.WebSockets(srv.Server) == 1 })
	poll(t, 10*time.Second, "the dead peer to be dropped", func() bool { return server.WebSockets(srv.Server) == 0 })

	// A live client (reading, so answering pings) stays connected past
	// twice the pong wait (a hundred pings).
	ws := dialWS(t, srv.URL, "/api/v1/ws/chat", accessTokenOf(t, c))
	go func() {
		for {
			if _, _, err := ws.conn.NextReader(); err != nil {
				return
			}
		}
	}()
	poll(t, 5*time.Second, "the live socket to register", func() bool { return server.WebSockets(srv.Server) == 1 })
	deadline := time.Now().Add(2500 * time.Millisecond)
	for time.Now().Before(deadline) {
		if server.WebSockets(srv.Server) != 1 {
			t.Fatal("a live client was dropped")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestWSChatWithOpenAICompatibleProvider(t *testing.T) {
	up := llmtest.NewOpenAI(t, llmtest.WithTokens(4))
	srv := servertest.Start(t, func(c *config.Config) {
		c.LLM.Provider = "openai"
		c.LLM.BaseURL = up.URL
	})
	c := srv.User(t, "user")
	ws := dialWS(t, srv.URL, "/api/v1/ws/chat", accessTokenOf(t, c))
	ws.send(map[string]any{"type": "send", "message": "hello"})
	ws.expect("start")
	done, toks := ws.until("done")
	if strings.Join(toks, "") != "tok0 tok1 tok2 tok3 " || done.str("status") != "complete" {
		t.Fatalf("tokens %q, done %v", toks, done)
	}
	ws.send(map[string]any{"type": "send", "model": "gpt-nope", "message": "hello"})
	ws.expect("start")
	if e := ws.expect("error"); e.str("code") != "model_not_found" {
		t.Fatalf("missing model: %v", e)
	}
	res := c.Post("/api/v1/chat", map[string]any{"message": "rest too"})
	if res.Status != 200 || !strings.Contains(res.String(), `"content":"tok0 tok1 tok2 tok3 "`) {
		t.Fatalf("REST: %s", res)
	}
	if len(up.RequestsTo("/v1/chat/completions")) < 3 {
		t.Fatal("the OpenAI stand-in was not used")
	}
}

func TestWSProgressCarriesPulls(t *testing.T) {
	srv, _ := chatServer(t, llmtest.WithTokenDelay(time.Millisecond))
	c := srv.User(t, "admin")
	ws := dialWS(t, srv.URL, "/api/v1/ws/progress", accessTokenOf(t, c))
	notes := dialWS(t, srv.URL, "/api/v1/ws/notifications", accessTokenOf(t, c))
	poll(t, 5*time.Second, "subscriptions", func() bool { return srv.App.Hub.Subscribers(mustUserID(t, c)) == 2 })

	res := c.Post("/api/v1/ollama/pull", map[string]any{"model": "llama3.2:1b"})
	if res.Status != 202 || !strings.Contains(res.String(), `"model":"llama3.2:1b"`) {
		t.Fatalf("pull: %s", res)
	}
	var last frame
	statuses := map[string]bool{}
	for {
		f := ws.expect("event")
		if f.str("channel") != "progress" {
			t.Fatalf("frame %v", f)
		}
		last = f["data"].(map[string]any)
		statuses[last.str("status")] = true
		if last["done"] == true {
			break
		}
	}
	if last.str("status") != "success" || !statuses["pulling manifest"] || len(statuses) < 3 {
		t.Fatalf("last %v, statuses %v", last, statuses)
	}
	if res := c.Get("/api/v1/ollama/pulls"); !strings.Contains(res.String(), `"status":"success"`) {
		t.Fatalf("pulls: %s", res)
	}

	// An unknown model fails with a clear error on the channel.
	c.Post("/api/v1/ollama/pull", map[string]any{"model": "no-such-model"})
	for {
		f := ws.expect("event")["data"].(map[string]any)
		if f["done"] == true {
			e, _ := f["error"].(map[string]any)
			if f["status"] != "error" || e["code"] != "model_not_found" || !strings.Contains(e["message"].(string), "registry") {
				t.Fatalf("unknown pull %v", f)
			}
			break
		}
	}
	// Events published on notifications reach that socket only.
	srv.App.Hub.Publish(mustUserID(t, c), "notifications", map[string]string{"title": "hello"})
	if f := notes.expect("event"); f.str("channel") != "notifications" {
		t.Fatalf("notification %v", f)
	}
}

func mustUserID(t *testing.T, c *servertest.Client) int64 {
	t.Helper()
	var id int64
	fmt.Sscan(userID(t, c), &id)
	return id
}

func TestWSClosesWhenTheSessionEnds(t *testing.T) {
	defer server.SetWSTimings(30*time.Millisecond, 5*time.Second, time.Second)()
	srv := servertest.Start(t)
	c := srv.User(t, "user")
	ws := dialWS(t, srv.URL, "/api/v1/ws/progress", accessTokenOf(t, c))
	ws.send(map[string]any{"type": "ping"})
	ws.expect("pong")
	if res := c.Delete("/api/v1/auth/logout"); res.Status >= 300 {
		t.Fatalf("logout: %s", res)
	}
	ws.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		_, _, err := ws.conn.ReadMessage()
		if err == nil {
			continue
		}
		var ce *websocket.CloseError
		if !errors.As(err, &ce) || ce.Code != 4401 {
			t.Fatalf("socket ended with %v, want close 4401", err)
		}
		return
	}
}

func TestWSChatRelaysThinking(t *testing.T) {
	srv, _ := chatServer(t, llmtest.WithThinking("Let ", "me ", "see. "), llmtest.WithTokens(2))
	c := srv.User(t, "user")
	ws := dialWS(t, srv.URL, "/api/v1/ws/chat", accessTokenOf(t, c))
	ws.send(map[string]any{"type": "send", "message": "think first"})
	start := ws.expect("start")
	var thinking, tokens []string
	for {
		f := ws.read(10 * time.Second)
		switch f.str("type") {
		case "thinking":
			if len(tokens) > 0 {
				t.Fatal("thinking after the answer began")
			}
			thinking = append(thinking, f.str("content"))
			continue
		case "token":
			tokens = append(tokens, f.str("content"))
			continue
		case "done":
		default:
			t.Fatalf("frame %v", f)
		}
		break
	}
	if strings.Join(thinking, "") != "Let me see. " || strings.Join(tokens, "") != "tok0 tok1 " {
		t.Fatalf("thinking %q, tokens %q", thinking, tokens)
	}
	// Only the answer is stored.
	res := c.Get(fmt.Sprintf("/api/v1/conversations/%d/messages", start.num("conversation_id")))
	if strings.Contains(res.String(), "Let me") || !strings.Contains(res.String(), `"content":"tok0 tok1 "`) {
		t.Fatalf("stored: %s", res)
	}
}
