package server

import (
	"context"

	"github.com/gofiber/fiber/v2"
)

// The semantic tools: summary, keywords, entities, sentiment, similarity
// and language of a text, a document or a conversation of the caller's.
// The service is app/semantic (docs/research.md).

// semanticBodyLimit admits the longest text the tools take (200,000
// characters; server.body_limit_mb caps every body too); a longer body is 413
// before it is read, a longer text 413 text_too_large.
const semanticBodyLimit = 1 << 20

// semanticTool is the handler of one tool: the request decoded strictly,
// the tool run for the caller, its answer written.
func semanticTool[Req, Ans any](tool func(context.Context, int64, Req) (Ans, error)) fiber.Handler {
	return func(c *fiber.Ctx) error {
		var req Req
		if err := decodeJSON(c, &req); err != nil {
			return err
		}
		out, err := tool(c.UserContext(), currentUser(c).UserID, req)
		if err != nil {
			return err
		}
		return c.JSON(out)
	}
}
