package server

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"runtime/debug"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/cors"

	"github.com/aiwfe/aiwfe/app/apperr"
)

const localRequestID = "request_id"

// requestID gives each request an id (or keeps a sane one a proxy sent),
// echoes it in X-Request-ID and makes it available to logs.
func (s *Server) requestIDMiddleware(c *fiber.Ctx) error {
	setRequestID(c)
	return c.Next()
}

func setRequestID(c *fiber.Ctx) {
	id := c.Get(fiber.HeaderXRequestID)
	if id == "" || len(id) > 64 || strings.ContainsAny(id, " \r\n\t\"") {
		var b [8]byte
		rand.Read(b[:])
		id = hex.EncodeToString(b[:])
	}
	c.Locals(localRequestID, id)
	c.Set(fiber.HeaderXRequestID, id)
}

func requestID(c *fiber.Ctx) string {
	id, _ := c.Locals(localRequestID).(string)
	return id
}

// recoverMiddleware turns a panic into a logged internal error so one bad
// request never takes the appliance down.
func (s *Server) recoverMiddleware(c *fiber.Ctx) (err error) {
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("panic", "request_id", requestID(c), "path", c.Path(), "panic", r, "stack", string(debug.Stack()))
			err = apperr.Internal(fmt.Errorf("panic: %v", r))
		}
	}()
	return c.Next()
}

// accessLog writes one structured line per request. Query strings are left
// out: they may carry tokens (the WebSocket handshake does).
func (s *Server) accessLog(c *fiber.Ctx) error {
	if !s.app.Config.Log.Requests {
		return c.Next()
	}
	start := time.Now()
	err := c.Next()
	status := c.Response().StatusCode()
	if err != nil {
		// The error handler runs after us; report the status it will pick.
		status = apperr.From(err).Status
		if fe, ok := err.(*fiber.Error); ok {
			status = fe.Code
		}
	}
	level := slog.LevelInfo
	if status >= 500 {
		level = slog.LevelError
	}
	s.log.LogAttrs(c.UserContext(), level, "request",
		slog.String("request_id", requestID(c)),
		slog.String("method", c.Method()),
		slog.String("path", c.Path()),
		slog.Int("status", status),
		slog.Float64("ms", float64(time.Since(start).Microseconds())/1000),
		slog.String("ip", c.IP()),
	)
	return err
}

// contentSecurityPolicy allows only our own origin; the UI is built to need
// no inline scripts.
const contentSecurityPolicy = "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self' ws: wss:; font-src 'self' data:; manifest-src 'self'; worker-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"

// securityHeaders sets the headers every response carries; HSTS only over
// HTTPS, where it means something.
func (s *Server) securityHeaders(c *fiber.Ctx) error {
	setSecurityHeaders(c)
	return c.Next()
}

// setSecurityHeaders is securityHeaders' work, also done by the error
// handler: fasthttp refuses some requests (oversized headers, an unknown
// method) before any middleware runs.
func setSecurityHeaders(c *fiber.Ctx) {
	h := &c.Response().Header
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
	h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), publickey-credentials-get=(self), publickey-credentials-create=(self)")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	if c.Protocol() == "https" {
		h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
	}
}

// redirectHTTPS sends plain-HTTP visitors to the HTTPS listener when the
// config asks for it; ACME challenges and /health stay on HTTP.
func (s *Server) redirectHTTPS(c *fiber.Ctx) error {
	cfg := s.app.Config.Server
	if !cfg.RedirectHTTPS || cfg.HTTPS == "" || c.Context().IsTLS() ||
		c.Path() == "/health" || strings.HasPrefix(c.Path(), "/.well-known/acme-challenge/") {
		return c.Next()
	}
	host := c.Hostname()
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if _, port, err := net.SplitHostPort(cfg.HTTPS); err == nil && port != "443" {
		host = net.JoinHostPort(host, port)
	}
	return c.Redirect("https://"+host+c.OriginalURL(), fiber.StatusPermanentRedirect)
}

// acmeChallenge answers ACME HTTP-01 on the plain-HTTP listener.
func (s *Server) acmeChallenge(c *fiber.Ctx) error {
	if s.challenge == nil || c.Context().IsTLS() {
		return fiber.ErrNotFound
	}
	return s.challenge(c)
}

// corsMiddleware lets the browser origins in server.allowed_origins call the
// API with credentials; every other cross-origin caller gets no CORS
// headers, so the browser keeps it out. Without an allow-list it is off.
func (s *Server) corsMiddleware() fiber.Handler {
	origins := s.app.Config.Server.AllowedOrigins
	if len(origins) == 0 {
		return func(c *fiber.Ctx) error { return c.Next() }
	}
	return cors.New(cors.Config{
		AllowOrigins:     strings.Join(origins, ","),
		AllowMethods:     "GET,POST,PUT,PATCH,DELETE",
		AllowHeaders:     "Content-Type,Authorization,X-CSRF-TOKEN,X-Request-ID",
		ExposeHeaders:    "X-Request-ID,Retry-After",
		AllowCredentials: true,
		MaxAge:           600,
	})
}
