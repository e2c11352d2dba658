package server

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/contrib/websocket"
	"github.com/gofiber/fiber/v2"

	"github.com/aiwfe/aiwfe/app/apperr"
	"github.com/aiwfe/aiwfe/app/auth"
)

// WebSocket timing. Variables so tests can shorten them.
var (
	// wsPingEvery is how often the server pings; a peer that answers
	// nothing (no pong, no message) for wsPongWait is dropped.
	wsPingEvery = 30 * time.Second
	wsPongWait  = 75 * time.Second
	// wsWriteWait bounds one frame write: a client that stops reading is
	// dropped rather than holding a reply (and its model request) open.
	wsWriteWait = 10 * time.Second
	// wsShutdownGrace is how long shutdown waits for sockets to close
	// after their close frame before cutting them.
	wsShutdownGrace = 2 * time.Second
)

// wsReadLimit bounds one client frame: a 100,000-character message in
// 4-byte characters plus the JSON around it.
const wsReadLimit = 512 << 10

const (
	localWSPrincipal = "ws_principal"
	localWSToken     = "ws_token"
)

// wsCloseSessionEnded closes a socket whose access token stopped being
// valid (expired, logged out, account suspended): the client should
// refresh its token and reconnect.
const wsCloseSessionEnded = 4401

// wsRegistry tracks live sockets: the per-user limit and shutdown.
type wsRegistry struct {
	limit int
	log   *slog.Logger
	// Timings, copied from the variables when the registry is made.
	pingEvery, pongWait, grace time.Duration

	mu      sync.Mutex
	perUser map[int64]int
	conns   map[*wsConn]struct{}
	closing bool
	wg      sync.WaitGroup
}

func newWSRegistry(limit int, log *slog.Logger) *wsRegistry {
	if limit <= 0 {
		limit = 8
	}
	return &wsRegistry{limit: limit, log: log, perUser: map[int64]int{}, conns: map[*wsConn]struct{}{},
		pingEvery: wsPingEvery, pongWait: wsPongWait, grace: wsShutdownGrace}
}

// full reports whether userID already has as many sockets as allowed (a
// check before the upgrade; add decides).
func (r *wsRegistry) full(userID int64) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.closing || r.perUser[userID] >= r.limit
}

// add registers c, or answers the close frame that refuses it: 1001 when
// the server is shutting down (a socket upgraded just before), 1008 when
// the user has too many.
func (r *wsRegistry) add(c *wsConn) (ok bool, code int, reason string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closing {
		return false, websocket.CloseGoingAway, "server shutting down"
	}
	if r.perUser[c.userID] >= r.limit {
		return false, websocket.ClosePolicyViolation, "too many connections"
	}
	r.perUser[c.userID]++
	r.conns[c] = struct{}{}
	r.wg.Add(1)
	return true, 0, ""
}

func (r *wsRegistry) remove(c *wsConn) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.conns[c]; !ok {
		return
	}
	delete(r.conns, c)
	if r.perUser[c.userID]--; r.perUser[c.userID] <= 0 {
		delete(r.perUser, c.userID)
	}
	r.wg.Done()
}

// count is the number of live sockets.
func (r *wsRegistry) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.conns)
}

// shutdown sends every socket a 1001 "going away" close frame, waits up to
// grace for the handlers to end, then cuts what is left.
func (r *wsRegistry) shutdown() {
	grace := r.grace
	r.mu.Lock()
	r.closing = true
	conns := make([]*wsConn, 0, len(r.conns))
	for c := range r.conns {
		conns = append(conns, c)
	}
	r.mu.Unlock()
	for _, c := range conns {
		c.closeWith(websocket.CloseGoingAway, "server shutting down")
	}
	done := make(chan struct{})
	go func() { r.wg.Wait(); close(done) }()
	select {
	case <-done:
		return
	case <-time.After(grace):
	}
	for _, c := range conns {
		c.cut()
	}
	select {
	case <-done:
	case <-time.After(grace):
		r.log.Warn("websockets still open after shutdown", "count", r.count())
	}
}

// wsConn is one socket: serialised writes (the library's, one frame
// each), a closed flag so nothing is written after the handler returned
// (the library reuses the Conn), and the pinger.
type wsConn struct {
	conn   *websocket.Conn
	nc     net.Conn // kept apart: the library clears conn when the handler returns
	userID int64
	reg    *wsRegistry

	// recheck re-validates the access token the socket opened with.
	recheck func() error

	mu     sync.Mutex
	closed bool
	done   chan struct{}
}

func newWSConn(conn *websocket.Conn, userID int64, reg *wsRegistry) *wsConn {
	return &wsConn{conn: conn, nc: conn.NetConn(), userID: userID, reg: reg, done: make(chan struct{})}
}

// errWSClosed is returned by writes after the socket ended.
var errWSClosed = errors.New("websocket closed")

// writeJSON sends v as one text frame.
func (c *wsConn) writeJSON(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return c.writeRaw(b)
}

// writeRaw sends one text frame.
func (c *wsConn) writeRaw(b []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return errWSClosed
	}
	if err := c.conn.SetWriteDeadline(time.Now().Add(wsWriteWait)); err != nil {
		c.closed = true
		return err
	}
	if err := c.conn.WriteMessage(websocket.TextMessage, b); err != nil {
		c.closed = true // a failed write leaves the stream unusable
		return err
	}
	return nil
}

// closeWith sends a close frame (the handler ends when the peer answers or
// the read fails).
func (c *wsConn) closeWith(code int, reason string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	c.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), time.Now().Add(time.Second))
	c.closed = true // nothing may follow a close frame
	// Wake a reader blocked for long: the peer's close reply arrives soon
	// or the deadline ends the read.
	c.conn.SetReadDeadline(time.Now().Add(c.reg.grace))
}

// cut closes the network connection under the handler (safe at any time,
// also after the handler returned).
func (c *wsConn) cut() {
	if c.nc != nil {
		c.nc.Close()
	}
}

// run registers the socket, pings it, and calls serve; when serve returns
// the socket is unregistered and never written again.
func (c *wsConn) run(serve func()) {
	if ok, code, reason := c.reg.add(c); !ok {
		c.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), time.Now().Add(time.Second))
		return
	}
	defer c.reg.remove(c)
	c.conn.SetReadLimit(wsReadLimit)
	c.conn.SetReadDeadline(time.Now().Add(c.reg.pongWait))
	c.conn.SetPongHandler(func(string) error {
		c.conn.SetReadDeadline(time.Now().Add(c.reg.pongWait))
		return nil
	})
	// The library's own answers to a ping and to a close frame, but under
	// the write lock, so that nothing follows a close frame.
	c.conn.SetPingHandler(func(data string) error {
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.closed {
			return nil
		}
		err := c.conn.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(time.Second))
		if _, ok := err.(net.Error); ok || errors.Is(err, websocket.ErrCloseSent) {
			return nil
		}
		return err
	})
	c.conn.SetCloseHandler(func(code int, _ string) error {
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.closed {
			return nil
		}
		c.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, ""), time.Now().Add(time.Second))
		c.closed = true
		return nil
	})
	go c.ping()
	defer func() {
		c.mu.Lock()
		c.closed = true
		c.mu.Unlock()
		close(c.done)
	}()
	serve()
}

func (c *wsConn) ping() {
	t := time.NewTicker(c.reg.pingEvery)
	defer t.Stop()
	for {
		select {
		case <-c.done:
			return
		case <-t.C:
			c.mu.Lock()
			if c.closed {
				c.mu.Unlock()
				return
			}
			err := c.conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(wsWriteWait))
			c.mu.Unlock()
			if err != nil {
				c.cut() // dead peer: end the read
				return
			}
			// A socket lives longer than its token's checks would: a
			// logout, a suspension or the token's expiry ends it too.
			if c.recheck != nil && c.recheck() != nil {
				c.closeWith(wsCloseSessionEnded, "session ended: refresh the access token and reconnect")
				return
			}
		}
	}
}

// alive extends the read deadline after a message from the peer.
func (c *wsConn) alive() { c.conn.SetReadDeadline(time.Now().Add(c.reg.pongWait)) }

// wsGate runs before the upgrade: a WebSocket request with an allowed
// Origin (403 otherwise, so a cross-site page can never open one with the
// user's cookie), an access token that passes the same checks as
// requireAuth (query parameter token, Bearer header or access_token
// cookie; 401 otherwise), and room under the per-user socket limit (429).
func (s *Server) wsGate(c *fiber.Ctx) error {
	if !websocket.IsWebSocketUpgrade(c) {
		return apperr.New(fiber.StatusUpgradeRequired, "upgrade_required", "this endpoint speaks WebSocket only")
	}
	if !s.originAllowed(c) {
		return errOrigin
	}
	tok := c.Query("token")
	if tok == "" {
		tok = accessToken(c)
	}
	if tok == "" {
		return errNoAuth
	}
	p, err := s.app.Auth.ValidateAccess(c.UserContext(), tok)
	if err != nil {
		return err
	}
	if err := s.app.Auth.AllowAPI(p.UserID); err != nil {
		return err
	}
	if s.ws.full(p.UserID) {
		return apperr.TooMany("too many WebSocket connections for this account", 5*time.Second)
	}
	c.Locals(localWSPrincipal, p)
	c.Locals(localWSToken, tok)
	return c.Next()
}

// newWSConnFor wraps an upgraded socket of the gate's principal.
func (s *Server) newWSConnFor(conn *websocket.Conn) *wsConn {
	p := wsPrincipal(conn)
	tok, _ := conn.Locals(localWSToken).(string)
	wc := newWSConn(conn, p.UserID, s.ws)
	wc.recheck = func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, err := s.app.Auth.ValidateAccess(ctx, tok)
		return err
	}
	return wc
}

func wsPrincipal(conn *websocket.Conn) *auth.Principal {
	p, _ := conn.Locals(localWSPrincipal).(*auth.Principal)
	return p
}

// wsUpgrade wraps a socket handler with the library's upgrader; the gate
// has checked the origin already.
func wsUpgrade(handler func(*websocket.Conn)) fiber.Handler {
	return websocket.New(handler, websocket.Config{
		HandshakeTimeout: 10 * time.Second,
		ReadBufferSize:   4096,
		WriteBufferSize:  4096,
	})
}

// isCloseErr reports a read error that is an ordinary end of the socket.
func isCloseErr(err error) bool {
	if websocket.IsCloseError(err, websocket.CloseNormalClosure, websocket.CloseGoingAway, websocket.CloseNoStatusReceived) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	return errors.Is(err, net.ErrClosed) || strings.Contains(err.Error(), "use of closed")
}
