package server

import (
	"github.com/gofiber/fiber/v2"

	"github.com/aiwfe/aiwfe/app/semantic"
)

// The semantic tools: summary, keywords, entities, sentiment, similarity
// and language of a text, a document or a conversation of the caller's.
// The service is app/semantic (docs/research.md).

// semanticBodyLimit admits the longest text the tools take (200,000
// characters; server.body_limit_mb caps every body too); a longer body is 413
// before it is read, a longer text 413 text_too_large.
const semanticBodyLimit = 1 << 20

func (s *Server) semanticSummaryPOST(c *fiber.Ctx) error {
	var req semantic.SummaryRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	return s.semanticJSON(c)(s.app.Semantic.Summary(c.UserContext(), currentUser(c).UserID, req))
}

func (s *Server) semanticKeywordsPOST(c *fiber.Ctx) error {
	var req semantic.KeywordsRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	return s.semanticJSON(c)(s.app.Semantic.Keywords(c.UserContext(), currentUser(c).UserID, req))
}

func (s *Server) semanticEntitiesPOST(c *fiber.Ctx) error {
	var req semantic.Input
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	return s.semanticJSON(c)(s.app.Semantic.Entities(c.UserContext(), currentUser(c).UserID, req))
}

func (s *Server) semanticSentimentPOST(c *fiber.Ctx) error {
	var req semantic.Input
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	return s.semanticJSON(c)(s.app.Semantic.Sentiment(c.UserContext(), currentUser(c).UserID, req))
}

func (s *Server) semanticLanguagePOST(c *fiber.Ctx) error {
	var req semantic.Input
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	return s.semanticJSON(c)(s.app.Semantic.Language(c.UserContext(), currentUser(c).UserID, req))
}

func (s *Server) semanticSimilarityPOST(c *fiber.Ctx) error {
	var req semantic.SimilarityRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	return s.semanticJSON(c)(s.app.Semantic.Similarity(c.UserContext(), currentUser(c).UserID, req))
}

// semanticJSON writes a tool's answer, or returns its error.
func (s *Server) semanticJSON(c *fiber.Ctx) func(v any, err error) error {
	return func(v any, err error) error {
		if err != nil {
			return err
		}
		return c.JSON(v)
	}
}
