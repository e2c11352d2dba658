package server

import (
	"github.com/gofiber/fiber/v2"

	"github.com/aiwfe/aiwfe/app/chat"
)

// chatModesGET lists the built-in modes and the caller's own.
func (s *Server) chatModesGET(c *fiber.Ctx) error {
	modes, err := s.app.Chat.Modes(c.UserContext(), currentUser(c).UserID)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": modes})
}

// chatModesPOST adds a mode of the caller's own.
func (s *Server) chatModesPOST(c *fiber.Ctx) error {
	var req struct {
		Key          string `json:"key"`
		Name         string `json:"name"`
		ModelKey     string `json:"model_key"`
		SystemPrompt string `json:"system_prompt"`
	}
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	m, err := s.app.Chat.CreateMode(c.UserContext(), currentUser(c).UserID,
		chat.Mode{Key: req.Key, Name: req.Name, ModelKey: req.ModelKey, SystemPrompt: req.SystemPrompt})
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(m)
}

// chatModeDELETE removes one of the caller's modes.
func (s *Server) chatModeDELETE(c *fiber.Ctx) error {
	if err := s.app.Chat.DeleteMode(c.UserContext(), currentUser(c).UserID, c.Params("key")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}
