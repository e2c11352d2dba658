package server

import (
	"github.com/gofiber/fiber/v2"
)

// securityEventsGET pages through the caller's own security events.
func (s *Server) securityEventsGET(c *fiber.Ctx) error {
	page, err := s.app.Auth.Events(c.UserContext(), currentUser(c).UserID, c.QueryInt("page", 1), c.QueryInt("per_page", 20))
	if err != nil {
		return err
	}
	return c.JSON(page)
}

// adminAuditGET pages through everyone's security events (admins).
func (s *Server) adminAuditGET(c *fiber.Ctx) error {
	page, err := s.app.Auth.Events(c.UserContext(), 0, c.QueryInt("page", 1), c.QueryInt("per_page", 20))
	if err != nil {
		return err
	}
	return c.JSON(page)
}
