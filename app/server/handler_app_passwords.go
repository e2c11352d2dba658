package server

import (
	"github.com/gofiber/fiber/v2"
)

// App passwords for Basic-auth protocols (CalDAV on /dav): app/auth's
// apppasswords.go; the DAV side is handler_dav.go.

// appPasswordsGET lists the caller's app passwords (never a secret).
func (s *Server) appPasswordsGET(c *fiber.Ctx) error {
	items, err := s.app.Auth.AppPasswords(c.UserContext(), currentUser(c).UserID)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(fiber.Map{"items": items})
}

type appPasswordRequest struct {
	Name     string `json:"name"`
	Password string `json:"password"`
}

// appPasswordsPOST creates an app password and answers its secret, once.
func (s *Server) appPasswordsPOST(c *fiber.Ctx) error {
	var req appPasswordRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	ap, err := s.app.Auth.CreateAppPassword(c.UserContext(), currentUser(c), req.Name, req.Password, client(c))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(fiber.StatusCreated).JSON(ap)
}

// appPasswordDELETE revokes one of the caller's app passwords.
func (s *Server) appPasswordDELETE(c *fiber.Ctx) error {
	id, err := pathID(c, "app password")
	if err != nil {
		return err
	}
	if err := s.app.Auth.RevokeAppPassword(c.UserContext(), currentUser(c), id, client(c)); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}
