package server

import (
	"github.com/gofiber/fiber/v2"
)

// profileGET answers the caller's own record, preferences, model
// assignments and profile.
func (s *Server) profileGET(c *fiber.Ctx) error {
	b, err := s.app.Users.ProfileJSON(c.UserContext(), currentUser(c).UserID)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	return c.Send(b)
}

// profilePUT applies any subset of the writable fields.
func (s *Server) profilePUT(c *fiber.Ctx) error {
	patch, err := decodeObject(c)
	if err != nil {
		return err
	}
	p, err := s.app.Users.UpdateProfile(c.UserContext(), currentUser(c).UserID, patch)
	if err != nil {
		return err
	}
	return c.JSON(p)
}

type passwordRequest struct {
	CurrentPassword string `json:"current_password"`
	NewPassword     string `json:"new_password"`
}

// profilePasswordPOST changes the caller's password; other sessions end.
func (s *Server) profilePasswordPOST(c *fiber.Ctx) error {
	var req passwordRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if err := s.app.Auth.ChangePassword(c.UserContext(), currentUser(c), req.CurrentPassword, req.NewPassword, client(c)); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}
