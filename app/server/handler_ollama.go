package server

import (
	"github.com/gofiber/fiber/v2"
)

// ollamaModelsGET lists the models the model server has.
func (s *Server) ollamaModelsGET(c *fiber.Ctx) error {
	ms, err := s.app.Chat.Models(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": ms})
}

// ollamaPullPOST starts downloading a model and answers 202 at once;
// progress goes to the caller's /api/v1/ws/progress. Any active user may
// pull; one pull of a model runs at a time (409 otherwise).
func (s *Server) ollamaPullPOST(c *fiber.Ctx) error {
	var req struct {
		Model string `json:"model"`
	}
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	st, err := s.app.Chat.Pull(currentUser(c).UserID, req.Model)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusAccepted).JSON(st)
}

// ollamaPullsGET lists pulls running or finished since the server started.
func (s *Server) ollamaPullsGET(c *fiber.Ctx) error {
	return c.JSON(fiber.Map{"items": s.app.Chat.Pulls()})
}

// ollamaRunningGET lists the models loaded in memory.
func (s *Server) ollamaRunningGET(c *fiber.Ctx) error {
	ms, err := s.app.Chat.Running(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": ms})
}

// ollamaHealthGET reports whether the model server answers (200 either
// way: the body says ok or down).
func (s *Server) ollamaHealthGET(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(s.app.Chat.Health(c.UserContext()))
}
