package server

import (
	"context"
	"sync"
	"time"

	"github.com/aiwfe/aiwfe/app/chat"
	"github.com/aiwfe/aiwfe/app/hub"
)

// chatDeps is the chat feature's per-server state: the service, the hub
// it publishes on, and the live WebSockets. It lives beside the Server
// (keyed by it) rather than in it so that the feature can be wired in
// with a single line in the route table.
type chatDeps struct {
	svc *chat.Service
	hub *hub.Hub
	ws  *wsRegistry
}

var chatByServer sync.Map // *Server → *chatDeps

// initChat builds the chat feature once per server and arranges its
// orderly end: on shutdown every WebSocket gets a 1001 close frame, then
// background work (titles, pulls) stops before the store closes.
func (s *Server) initChat() *chatDeps {
	if d, ok := chatByServer.Load(s); ok {
		return d.(*chatDeps)
	}
	h := hub.New(0)
	d := &chatDeps{
		hub: h,
		svc: chat.New(chat.Deps{
			Store: s.app.Store, LLM: s.app.LLM, Hub: h, Log: s.log,
			Now: func() time.Time { return s.app.Now() }, DefaultModel: s.app.Config.LLM.DefaultModel,
			User: s.app.Auth.User,
		}),
		ws: newWSRegistry(s.app.Config.Auth.WebSocketsPerUser, s.log),
	}
	chatByServer.Store(s, d)
	s.OnShutdown(func() {
		d.ws.shutdown()
		h.Close()
		d.svc.Close()
	})
	return d
}

func (s *Server) chat() *chatDeps { return s.initChat() }

// Chat is the chat service (the demo seed and the CLI use it).
func (s *Server) Chat() *chat.Service { return s.chat().svc }

// Hub is the per-user event hub: features publish progress and
// notifications on it and /api/v1/ws/progress and /ws/notifications
// deliver them.
func (s *Server) Hub() *hub.Hub { return s.chat().hub }

// SeedDemo prepares `aiwfe serve --demo`: the demo account and its
// conversations (see chat.SeedDemo). Print the credentials it returns.
func (s *Server) SeedDemo(ctx context.Context) (*chat.DemoCredentials, error) {
	return chat.SeedDemo(ctx, s.Chat(), s.app.Auth, s.app.Config.Data.Dir)
}
