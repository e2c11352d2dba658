package server

import (
	"github.com/gofiber/fiber/v2"

	"github.com/aiwfe/aiwfe/app/auth"
)

// profileExportGET downloads everything of the caller as one JSON archive
// (auth.Export): profile, devices, security events, notifications,
// conversations with their messages, chat modes, passkeys and client
// certificates, never a secret. Once a minute per user (429).
func (s *Server) profileExportGET(c *fiber.Ctx) error {
	p := currentUser(c)
	ex, err := s.app.Auth.ExportData(c.UserContext(), p, client(c))
	if err != nil {
		return err
	}
	b, err := ex.ExportJSON()
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+auth.ExportFilename(ex.User.Email, ex.ExportedAt)+`"`)
	return c.Send(b)
}
