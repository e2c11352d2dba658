package server

import (
	"github.com/gofiber/fiber/v2"

	"github.com/aiwfe/aiwfe/app/auth"
)

// logoutDELETE ends the session: refresh family and access token revoked,
// cookies cleared. It succeeds (204) even with nothing to revoke, so a
// client can always get back to a clean state.
func (s *Server) logoutDELETE(c *fiber.Ctx) error {
	var p *auth.Principal
	if tok := accessToken(c); tok != "" {
		p, _ = s.app.Auth.ValidateAccess(c.UserContext(), tok)
	}
	if err := s.app.Auth.Logout(c.UserContext(), p, c.Cookies(cookieRefresh), client(c)); err != nil {
		return err
	}
	s.clearSessionCookies(c)
	return c.SendStatus(fiber.StatusNoContent)
}

// validateGET answers the caller's user when the access token is good.
func (s *Server) validateGET(c *fiber.Ctx) error {
	u, err := s.app.Auth.Me(c.UserContext(), currentUser(c).UserID)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(fiber.Map{"user": u})
}
