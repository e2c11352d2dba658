package server_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"testing"
	"testing/fstest"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/aiwfe/aiwfe/app"
	"github.com/aiwfe/aiwfe/app/config"
	"github.com/aiwfe/aiwfe/app/llm/llmtest"
	"github.com/aiwfe/aiwfe/app/server"
	"github.com/aiwfe/aiwfe/app/server/servertest"
	"github.com/aiwfe/aiwfe/store"
)

// On shutdown (SIGTERM cancels serve's context) every socket gets a 1001
// close frame, a reply streaming at that moment is kept as partial, and
// the server stops.
func TestWSShutdownSendsGoingAway(t *testing.T) {
	up := llmtest.NewOllama(t, llmtest.WithTokens(10), llmtest.WithFault(llmtest.Fault{HoldAfter: 2}))
	cfg := config.Default()
	cfg.Data.Dir = t.TempDir()
	cfg.Server.HTTP, cfg.Server.HTTPS, cfg.Server.MTLS = "127.0.0.1:0", "", ""
	cfg.Log.Requests = false
	cfg.Auth.Argon2MemoryKiB, cfg.Auth.Argon2Iterations = 1024, 1
	cfg.LLM.Provider, cfg.LLM.BaseURL = "ollama", up.URL
	a, err := app.Open(context.Background(), cfg, slog.New(slog.DiscardHandler), app.OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	srv, err := server.New(a, server.Options{UI: fstest.MapFS{"index.html": {Data: []byte("<!doctype html>")}}})
	if err != nil {
		t.Fatal(err)
	}
	ls, err := srv.Bind(nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	served := make(chan struct{})
	go func() { defer close(served); srv.Serve(ctx, ls) }()
	base := "http://" + ls[0].Addr.String()

	if _, err := a.Auth.CreateUser(context.Background(), "sd@example.com", servertest.Password, "user"); err != nil {
		t.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	c := &servertest.Client{T: t, Base: base, HTTP: &http.Client{Jar: jar, Timeout: 10 * time.Second}, UserAgent: "test"}
	tok := c.MustLogin("sd@example.com", servertest.Password)

	chat := dialWS(t, base, "/api/v1/ws/chat", tok)
	progress := dialWS(t, base, "/api/v1/ws/progress", tok)
	chat.send(map[string]any{"type": "send", "message": "still talking"})
	start := chat.expect("start")
	chat.expect("token")
	chat.expect("token")

	cancel() // what SIGTERM does in cmd_serve
	for _, ws := range []*wsClient{chat, progress} {
		var ce *websocket.CloseError
		for {
			ws.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
			_, _, err := ws.conn.ReadMessage()
			if err == nil {
				continue // frames sent before the close
			}
			if !errors.As(err, &ce) || ce.Code != websocket.CloseGoingAway {
				t.Fatalf("socket ended with %v, want close 1001", err)
			}
			break
		}
	}
	select {
	case <-served:
	case <-time.After(10 * time.Second):
		t.Fatal("server did not stop")
	}
	m, err := store.GetMessage(context.Background(), a.Store.DB, 1, int64(start.num("message_id")))
	if err != nil || m.Status != store.MessagePartial || m.Content != "tok0 tok1 " {
		t.Fatalf("reply after shutdown: %+v %v", m, err)
	}
	if !up.WaitCancelled(5 * time.Second) {
		t.Fatal("upstream not cancelled on shutdown")
	}
}
