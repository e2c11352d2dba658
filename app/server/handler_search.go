package server

import (
	"github.com/gofiber/fiber/v2"

	"github.com/aiwfe/aiwfe/app/research"
	"github.com/aiwfe/aiwfe/app/settings"
)

// Web search through the caller's provider, its status, a page imported
// as a document, and the admin's web search setting. The service is
// app/research (docs/research.md); the setting is app/settings'.

// searchGET searches the web: q, limit (default 10, at most 20).
func (s *Server) searchGET(c *fiber.Ctx) error {
	limit, err := queryInt(c, "limit", 10)
	if err != nil {
		return err
	}
	res, err := s.app.Research.Search(c.UserContext(), currentUser(c).UserID, c.Query("q"), int(min(limit, research.MaxResults)))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(fiber.Map{"results": res})
}

// searchStatusGET says whether the caller can search the web, and with
// which provider, or why not.
func (s *Server) searchStatusGET(c *fiber.Ctx) error {
	return c.JSON(s.app.Research.Status(c.UserContext(), currentUser(c).UserID))
}

type importURLRequest struct {
	URL        string `json:"url"`
	Collection string `json:"collection"`
}

// documentsImportURLPOST reads a web page (through the SSRF guard) and
// stores its main text as a Markdown document, queued for indexing.
func (s *Server) documentsImportURLPOST(c *fiber.Ctx) error {
	var req importURLRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	d, err := s.app.Research.ImportURL(c.UserContext(), currentUser(c).UserID, req.URL, req.Collection)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusAccepted).JSON(d)
}

// adminWebSearchGET reports the web search setting.
func (s *Server) adminWebSearchGET(c *fiber.Ctx) error {
	ws, err := s.app.Settings.WebSearch(c.UserContext())
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(ws)
}

// adminWebSearchPUT saves the web search setting (the switch, the
// default provider).
func (s *Server) adminWebSearchPUT(c *fiber.Ctx) error {
	var req settings.WebSearchUpdate
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	ws, err := s.app.Settings.SetWebSearch(c.UserContext(), currentUser(c).UserID, req)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(ws)
}

// adminWebSearchDELETE forgets the saved setting: the configuration
// file's applies again.
func (s *Server) adminWebSearchDELETE(c *fiber.Ctx) error {
	ws, err := s.app.Settings.ResetWebSearch(c.UserContext(), currentUser(c).UserID)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(ws)
}
