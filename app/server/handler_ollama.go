package server

import (
	"github.com/gofiber/fiber/v2"

	"github.com/aiwfe/aiwfe/app/apperr"
	"github.com/aiwfe/aiwfe/app/auth"
	"github.com/aiwfe/aiwfe/app/chat"
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
// progress goes to the caller's /api/v1/ws/progress. Administrators may
// pull, users only when [llm] allow_user_pulls is set (403 otherwise); one
// pull of a model runs at a time (409 otherwise).
func (s *Server) ollamaPullPOST(c *fiber.Ctx) error {
	p := currentUser(c)
	if !s.mayPull(p) {
		return apperr.Forbidden("only administrators may pull models on this server")
	}
	var req struct {
		Model string `json:"model"`
	}
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	st, err := s.app.Chat.Pull(p.UserID, req.Model)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusAccepted).JSON(st)
}

// ollamaPullsGET lists the caller's pulls (an administrator's: everyone's)
// running or finished a short while ago, and whether the caller may pull.
func (s *Server) ollamaPullsGET(c *fiber.Ctx) error {
	p := currentUser(c)
	var items []chat.PullState
	if p.IsAdmin() {
		items = s.app.Chat.AllPulls()
	} else {
		items = s.app.Chat.Pulls(p.UserID)
	}
	return c.JSON(fiber.Map{"items": items, "can_pull": s.mayPull(p)})
}

// mayPull: models take gigabytes of the host's disk, so pulling is for
// administrators unless the configuration opens it to every user.
func (s *Server) mayPull(p *auth.Principal) bool {
	return p.IsAdmin() || s.app.Config.LLM.AllowUserPulls
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
