package server

import "time"

// SetWSTimings shortens the WebSocket heartbeat for a test and returns a
// function that restores it.
func SetWSTimings(ping, pongWait, grace time.Duration) (restore func()) {
	p, w, g := wsPingEvery, wsPongWait, wsShutdownGrace
	wsPingEvery, wsPongWait, wsShutdownGrace = ping, pongWait, grace
	return func() { wsPingEvery, wsPongWait, wsShutdownGrace = p, w, g }
}

// WebSockets counts the server's live sockets.
func WebSockets(s *Server) int { return s.ws.count() }
