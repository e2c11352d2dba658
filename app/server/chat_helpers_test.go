package server_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/aiwfe/aiwfe/app/config"
	"github.com/aiwfe/aiwfe/app/llm/llmtest"
	"github.com/aiwfe/aiwfe/app/server/servertest"
)

// chatServer starts the server with its model provider pointed at an
// Ollama stand-in.
func chatServer(t *testing.T, opts ...llmtest.Option) (*servertest.Server, *llmtest.OllamaServer) {
	t.Helper()
	up := llmtest.NewOllama(t, opts...)
	srv := servertest.Start(t, func(c *config.Config) {
		c.LLM.Provider = "ollama"
		c.LLM.BaseURL = up.URL
	})
	return srv, up
}

// accessTokenOf is the logged-in client's access token (the HttpOnly cookie a
// browser sends with the WebSocket handshake).
func accessTokenOf(t *testing.T, c *servertest.Client) string {
	t.Helper()
	tok := c.Cookie("/", "access_token")
	if tok == "" {
		t.Fatal("client has no access_token cookie")
	}
	return tok
}

// wsURL turns the server's http URL into the ws URL of path.
func wsURL(base, path string) string {
	return "ws" + strings.TrimPrefix(base, "http") + path
}

// dialWS opens a WebSocket with the token in the query; it fails the test
// unless the handshake succeeds.
func dialWS(t *testing.T, base, path, token string) *wsClient {
	t.Helper()
	conn, res, err := tryDialWS(base, path, token, nil)
	if err != nil {
		status := 0
		if res != nil {
			status = res.StatusCode
		}
		t.Fatalf("dial %s: %v (status %d)", path, err, status)
	}
	c := &wsClient{t: t, conn: conn}
	t.Cleanup(func() { conn.Close() })
	return c
}

func tryDialWS(base, path, token string, header http.Header) (*websocket.Conn, *http.Response, error) {
	u := wsURL(base, path)
	if token != "" {
		u += "?token=" + url.QueryEscape(token)
	}
	d := websocket.Dialer{HandshakeTimeout: 5 * time.Second}
	conn, res, err := d.Dial(u, header)
	if res != nil && res.Body != nil {
		res.Body.Close()
	}
	return conn, res, err
}

type wsClient struct {
	t    *testing.T
	conn *websocket.Conn
}

type frame map[string]any

func (f frame) str(k string) string { s, _ := f[k].(string); return s }
func (f frame) num(k string) int64  { n, _ := f[k].(float64); return int64(n) }

func (c *wsClient) send(v any) {
	c.t.Helper()
	if err := c.conn.WriteJSON(v); err != nil {
		c.t.Fatalf("ws write: %v", err)
	}
}

// read returns the next frame, failing the test after timeout.
func (c *wsClient) read(timeout time.Duration) frame {
	c.t.Helper()
	c.conn.SetReadDeadline(time.Now().Add(timeout))
	_, data, err := c.conn.ReadMessage()
	if err != nil {
		c.t.Fatalf("ws read: %v", err)
	}
	var f frame
	if err := json.Unmarshal(data, &f); err != nil {
		c.t.Fatalf("ws frame %q: %v", data, err)
	}
	return f
}

// expect reads the next frame and checks its type. Title frames come
// whenever the background title is ready, so they are skipped unless
// expected.
func (c *wsClient) expect(typ string) frame {
	c.t.Helper()
	f := c.read(10 * time.Second)
	for f.str("type") == "title" && typ != "title" {
		f = c.read(10 * time.Second)
	}
	if f.str("type") != typ {
		c.t.Fatalf("frame %v, want type %s", f, typ)
	}
	return f
}

// until reads frames until one of type typ, returning it and the tokens
// seen on the way.
func (c *wsClient) until(typ string) (frame, []string) {
	c.t.Helper()
	var toks []string
	for {
		f := c.read(10 * time.Second)
		switch f.str("type") {
		case typ:
			return f, toks
		case "token":
			toks = append(toks, f.str("content"))
		case "error":
			if typ != "error" {
				c.t.Fatalf("error frame while waiting for %s: %v", typ, f)
			}
		}
	}
}

// poll waits for cond with a deadline.
func poll(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func jsonQuote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
