package server

import (
	"encoding/json"

	"github.com/gofiber/contrib/websocket"

	"github.com/aiwfe/aiwfe/app/hub"
)

// wsProgress serves /api/v1/ws/progress: pulls, ingestion, jobs.
func (s *Server) wsProgress(conn *websocket.Conn) { s.wsEvents(hub.Progress)(conn) }

// wsNotifications serves /api/v1/ws/notifications.
func (s *Server) wsNotifications(conn *websocket.Conn) { s.wsEvents(hub.Notifications)(conn) }

// wsEventFrame carries one hub event to the browser.
type wsEventFrame struct {
	Type    string `json:"type"` // event
	Channel string `json:"channel"`
	Data    any    `json:"data"`
}

// wsEvents serves /api/v1/ws/progress and /ws/notifications: every event
// published for the user on the channel goes out as a frame. A client too
// slow to keep up is dropped by the hub and its socket closed (1008), and
// it may reconnect; the only client frame understood is ping.
func (s *Server) wsEvents(channel string) func(*websocket.Conn) {
	return func(conn *websocket.Conn) {
		p := wsPrincipal(conn)
		wc := s.newWSConnFor(conn)
		wc.run(func() {
			sub := s.app.Hub.Subscribe(p.UserID, channel)
			defer sub.Close()
			// The reader answers pings and notices the peer leaving.
			gone := make(chan struct{})
			go func() {
				defer close(gone)
				for {
					_, data, err := conn.ReadMessage()
					if err != nil {
						return
					}
					wc.alive()
					var f struct{ Type string }
					if json.Unmarshal(data, &f) == nil && f.Type == "ping" {
						wc.writeRaw([]byte(`{"type":"pong"}`))
					}
				}
			}()
			defer func() {
				wc.cut()
				<-gone
			}()
			for {
				select {
				case <-gone:
					return
				case ev, ok := <-sub.Events():
					if !ok {
						if sub.Dropped() {
							wc.closeWith(websocket.ClosePolicyViolation, "too slow: events were dropped; reconnect")
						}
						return
					}
					if wc.writeJSON(wsEventFrame{Type: "event", Channel: ev.Channel, Data: ev.Data}) != nil {
						return
					}
				}
			}
		})
	}
}
