package server

import (
	"github.com/gofiber/fiber/v2"
)

type deleteAccountRequest struct {
	Password string `json:"password"`
	Confirm  string `json:"confirm"`
}

// profileDELETE deletes the caller's own account and all its data after
// checking the password and the typed confirmation ("DELETE"); every
// session ends and the cookies are cleared.
func (s *Server) profileDELETE(c *fiber.Ctx) error {
	var req deleteAccountRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if err := s.app.DataRights.DeleteAccount(c.UserContext(), currentUser(c), req.Password, req.Confirm, client(c)); err != nil {
		return err
	}
	s.clearSessionCookies(c)
	return c.SendStatus(fiber.StatusNoContent)
}
