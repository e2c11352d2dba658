package server

import (
	_ "embed"

	"github.com/gofiber/fiber/v2"
)

// openAPIDoc is the API description. The canonical file is this package's
// openapi.json; docs/openapi.json is a copy a test keeps identical, and
// another test keeps it in step with the route table.
//
//go:embed openapi.json
var openAPIDoc []byte

// OpenAPI returns the embedded OpenAPI 3.1 document.
func OpenAPI() []byte { return openAPIDoc }

// openAPIGET serves the OpenAPI document (public).
func (s *Server) openAPIGET(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
	c.Set(fiber.HeaderCacheControl, "no-cache")
	return c.Send(openAPIDoc)
}
