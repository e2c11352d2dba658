package server

import (
	"github.com/gofiber/fiber/v2"

	"github.com/aiwfe/aiwfe/app/documents"
)

// documentsEmbedderGET says which embedder the caller's documents are
// indexed with: the built-in one (no model server makes embeddings) or
// the model named by their embedding_model. The documents page shows it,
// so a person knows what search quality to expect.
func (s *Server) documentsEmbedderGET(c *fiber.Ctx) error {
	name, err := s.app.Documents.EmbedderName(c.UserContext(), currentUser(c).UserID)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"model": name, "builtin": name == documents.BuiltinModel})
}
