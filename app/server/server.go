// Package server is aiwfe's HTTP layer: the fiber app, the one route table,
// middleware, the embedded UI and the listeners. Handlers are thin: they
// parse, call a service with plain Go values, and write JSON.
package server

import (
	"context"
	"io/fs"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/aiwfe/aiwfe/app"
	"github.com/aiwfe/aiwfe/app/dav"
	"github.com/aiwfe/aiwfe/tlsmgr"
)

// Server is the HTTP face of one App.
type Server struct {
	app    *app.App
	log    *slog.Logger
	ui     *spa
	health *healthProbe
	fiber  *fiber.App
	// mtls serves the mutual-TLS listener: /native/* and /api/* only.
	mtls      *fiber.App
	challenge fiber.Handler
	// certs is the certificate manager (nil without TLS listeners); the
	// mTLS listener verifies client certificates with it.
	certs *tlsmgr.Manager
	// ws is the live WebSockets (per-user limit; 1001 close frames at
	// shutdown).
	ws    *wsRegistry
	start time.Time
	// body is the request-body gate's limits and slots (bodylimit.go).
	body *bodyLimits
	// dav is the CalDAV server on /dav (handler_dav.go, app/dav): a
	// net/http handler, so it is built here, in the HTTP layer.
	dav http.Handler

	// upstreamLog keeps a dead model server to one log line per cause.
	upstreamLog onceEvery

	mu         sync.Mutex
	onShutdown []func()
}

// Options are what the server needs beyond the App.
type Options struct {
	// UI is the built web app (index.html at its root).
	UI fs.FS
	// Certs reports certificate state to /health (nil: no TLS listeners).
	Certs CertStatuser
	// TLS is the certificate manager: the mTLS listener's client
	// verification and the admin certificate endpoints use its client CA.
	// Without it the certificate service loads the client CA from the
	// data directory itself, as the CLI does.
	TLS *tlsmgr.Manager
}

// CertStatuser is the part of tlsmgr that /health reads.
type CertStatuser interface {
	Status() []tlsmgr.CertStatus
}

// New builds the server and registers every route.
func New(a *app.App, opt Options) (*Server, error) {
	s := &Server{app: a, log: a.Log, start: a.Now(), upstreamLog: onceEvery{period: 10 * time.Minute}}
	ui, err := newSPA(opt.UI)
	if err != nil {
		return nil, err
	}
	s.ui = ui
	s.health = newHealthProbe(a)
	s.health.AddBackground(context.Background(), "ollama", 10*time.Second, llmCheck(a))
	if opt.Certs != nil {
		s.health.AddBackground(context.Background(), "certificates", 30*time.Second, certificateCheck(opt.Certs))
	}
	s.certs = opt.TLS
	s.body = newBodyLimits(a.Config.Server.BodyLimitMB << 20)
	s.ws = newWSRegistry(a.Config.Auth.WebSocketsPerUser, s.log)
	s.dav = dav.New(dav.Deps{Calendar: a.Calendar, Store: a.Store, Log: s.log, MaxResourceSize: int64(a.Config.Server.BodyLimitMB) << 20})
	// On shutdown every WebSocket gets a 1001 close frame first; the
	// services' background work stops in app.Close, after the drain.
	s.OnShutdown(s.ws.shutdown)
	if opt.TLS != nil {
		a.Certs.UseCA(opt.TLS.ClientCA())
	}
	s.fiber = s.newFiber()
	s.routes(s.fiber)
	if opt.TLS != nil && a.Config.Server.MTLS != "" {
		s.mtls = s.newFiber()
		s.mtlsRoutes(s.mtls)
	}
	return s, nil
}

// Fiber exposes the fiber app (tests use fiber's Test helper).
func (s *Server) Fiber() *fiber.App { return s.fiber }

func (s *Server) newFiber() *fiber.App {
	cfg := s.app.Config
	f := fiber.New(fiber.Config{
		AppName:                 "aiwfe",
		DisableStartupMessage:   true,
		ErrorHandler:            s.errorHandler,
		BodyLimit:               cfg.Server.BodyLimitMB << 20,
		ReadTimeout:             cfg.Server.ReadTimeout.D(),
		WriteTimeout:            cfg.Server.WriteTimeout.D(),
		IdleTimeout:             cfg.Server.IdleTimeout.D(),
		EnableTrustedProxyCheck: true,
		TrustedProxies:          cfg.Server.TrustedProxies,
		ProxyHeader:             proxyHeader(cfg.Server.TrustedProxies),
		// Keep the Server header out: it only helps attackers.
		ServerHeader: "",

		// Bodies are read by bodyGate, within limits, before any handler;
		// fasthttp would otherwise buffer up to BodyLimit first (and a
		// multipart upload whole, to temporary files).
		StreamRequestBody:            true,
		DisablePreParseMultipartForm: true,
		// WebDAV's methods reach the router (CalDAV on /dav); elsewhere
		// refuseUnknownMethods answers them 405 as before.
		RequestMethods: requestMethods,
	})
	s.refuseUnknownMethods(f)
	return f
}

func proxyHeader(trusted []string) string {
	if len(trusted) == 0 {
		return ""
	}
	return fiber.HeaderXForwardedFor
}
