package server

import (
	"github.com/gofiber/fiber/v2"
)

type registerRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

// registerPOST creates an account: 201 {"user","status"}.
func (s *Server) registerPOST(c *fiber.Ctx) error {
	var req registerRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	reg, err := s.app.Auth.Register(c.UserContext(), req.Email, req.Password, client(c))
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(reg)
}
