package server

import (
	"github.com/gofiber/fiber/v2"
)

// adminUserReset2FAPOST removes every second factor of a user (lost
// phone); audited.
func (s *Server) adminUserReset2FAPOST(c *fiber.Ctx) error {
	id, err := pathID(c, "user")
	if err != nil {
		return err
	}
	if err := s.app.MFA.AdminReset(c.UserContext(), currentUser(c), id, client(c)); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}
