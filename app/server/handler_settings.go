package server

import (
	"github.com/gofiber/fiber/v2"

	"github.com/aiwfe/aiwfe/app/settings"
)

// Application settings, for admins. The model server: where chats go
// (Ollama, an OpenAI-compatible server, or the built-in demo model),
// whether it answers, and the first-run panel's "use the demo model now".
// The service is app/settings.

// modelServerBody is the setting with the state of the server it names.
type modelServerBody struct {
	Settings *settings.ModelServer `json:"settings"`
	Status   settings.Status       `json:"status"`
}

func (s *Server) modelServerBody(c *fiber.Ctx, ms *settings.ModelServer) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(modelServerBody{Settings: ms, Status: s.app.Settings.Probe(c.UserContext())})
}

// adminModelServerGET reports the model server and whether it answers.
func (s *Server) adminModelServerGET(c *fiber.Ctx) error {
	ms, err := s.app.Settings.ModelServer(c.UserContext())
	if err != nil {
		return err
	}
	return s.modelServerBody(c, ms)
}

// adminModelServerPUT saves a model server; chats use it from the next
// request on.
func (s *Server) adminModelServerPUT(c *fiber.Ctx) error {
	var req settings.ModelServerUpdate
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	ms, err := s.app.Settings.SetModelServer(c.UserContext(), currentUser(c).UserID, req)
	if err != nil {
		return err
	}
	return s.modelServerBody(c, ms)
}

// adminModelServerDELETE forgets the saved model server: the
// configuration file's applies again.
func (s *Server) adminModelServerDELETE(c *fiber.Ctx) error {
	ms, err := s.app.Settings.ResetModelServer(c.UserContext(), currentUser(c).UserID)
	if err != nil {
		return err
	}
	return s.modelServerBody(c, ms)
}
