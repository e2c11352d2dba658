package server

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/aiwfe/aiwfe/app/auth"
)

// csrfTokenGET issues a CSRF token, in the body and as the csrf_token
// cookie the UI reads back into X-CSRF-TOKEN.
func (s *Server) csrfTokenGET(c *fiber.Ctx) error {
	tok := s.app.Auth.NewCSRFToken()
	c.Cookie(&fiber.Cookie{Name: cookieCSRF, Value: tok, Path: "/", MaxAge: int(auth.CSRFTokenTTL.Seconds()),
		Expires: s.app.Now().Add(auth.CSRFTokenTTL), Secure: s.secureCookies(c), SameSite: fiber.CookieSameSiteLaxMode})
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(fiber.Map{"csrf_token": tok, "expires_in": int(auth.CSRFTokenTTL / time.Second)})
}
