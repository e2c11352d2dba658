package server

import (
	"github.com/gofiber/fiber/v2"
)

// routes is the map of the API: every endpoint is registered here, in one
// place, so any handler is one jump away.
func (s *Server) routes(r *fiber.App) {
	r.Use(s.recoverMiddleware, s.requestIDMiddleware, s.accessLog, s.securityHeaders)

	r.Use(s.redirectHTTPS)
	r.All("/.well-known/acme-challenge/*", s.acmeChallenge)
	r.Get("/health", s.healthGET)

	api := r.Group("/api")
	v1 := api.Group("/v1")
	v1.Get("/health", s.healthGET)

	// --- accounts and sessions (auth) ---

	// --- second factors (2fa, webauthn) ---

	// --- chat, conversations, models, websockets ---

	// --- certificates (admin) ---

	// Unknown API paths answer JSON 404; everything else is the web app.
	api.All("/*", func(c *fiber.Ctx) error { return fiber.ErrNotFound })
	r.All("/*", s.ui.handler)
}
