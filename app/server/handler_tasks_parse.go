package server

import (
	"github.com/gofiber/fiber/v2"

	"github.com/aiwfe/aiwfe/app/opportunities"
)

// tasksParsePOST reads a quick-add line into a proposed task (not saved):
// the rules' reading, refined by the user's model where the rules could
// not read it; parsed_by says which.
func (s *Server) tasksParsePOST(c *fiber.Ctx) error {
	var in opportunities.ParseRequest
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	res, err := s.app.Opportunities.ParseTask(c.UserContext(), currentUser(c).UserID, in)
	if err != nil {
		return err
	}
	return c.JSON(res)
}
