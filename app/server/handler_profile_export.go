package server

import (
	"github.com/gofiber/fiber/v2"

	"github.com/aiwfe/aiwfe/app/datarights"
)

// profileExportGET downloads everything of the caller as one JSON archive
// (datarights.Archive: each feature's registered part — profile, devices,
// security events, notifications, conversations with their messages, chat
// modes, passkeys, client certificates), never a secret. Once a minute per
// user (429).
func (s *Server) profileExportGET(c *fiber.Ctx) error {
	p := currentUser(c)
	ex, err := s.app.DataRights.Export(c.UserContext(), p, client(c))
	if err != nil {
		return err
	}
	b, err := ex.JSON()
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+datarights.ExportFilename(p.Email, ex.ExportedAt)+`"`)
	return c.Send(b)
}
