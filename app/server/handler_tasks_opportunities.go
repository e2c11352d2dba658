package server

import (
	"github.com/gofiber/fiber/v2"

	"github.com/aiwfe/aiwfe/app/opportunities"
)

// opportunitiesGET lists the caller's opportunities: status (open by
// default, accepted, dismissed or all), source (conversation, document,
// event), conversation_id, document_id, page, per_page.
func (s *Server) opportunitiesGET(c *fiber.Ctx) error {
	page, per, err := queryPage(c, 50)
	if err != nil {
		return err
	}
	conv, err := queryInt(c, "conversation_id", 0)
	if err != nil {
		return err
	}
	doc, err := queryInt(c, "document_id", 0)
	if err != nil {
		return err
	}
	res, err := s.app.Opportunities.List(c.UserContext(), currentUser(c).UserID, opportunities.ListRequest{
		Status: c.Query("status"), SourceKind: c.Query("source"), ConversationID: conv, DocumentID: doc,
		Page: int(min(page, 1<<20)), PerPage: int(min(per, 1<<20))})
	if err != nil {
		return err
	}
	return c.JSON(res)
}

// opportunityGET reads one of the caller's opportunities.
func (s *Server) opportunityGET(c *fiber.Ctx) error {
	id, err := pathID(c, "opportunity")
	if err != nil {
		return err
	}
	o, err := s.app.Opportunities.Get(c.UserContext(), currentUser(c).UserID, id)
	if err != nil {
		return err
	}
	return c.JSON(o)
}

// opportunityAcceptPOST makes the task, with the body's edits (title, due,
// priority, category, notes; an empty body takes the proposal as it is).
func (s *Server) opportunityAcceptPOST(c *fiber.Ctx) error {
	id, err := pathID(c, "opportunity")
	if err != nil {
		return err
	}
	var e opportunities.Edit
	if len(c.Body()) > 0 {
		if err := decodeJSON(c, &e); err != nil {
			return err
		}
	}
	res, err := s.app.Opportunities.Accept(c.UserContext(), currentUser(c).UserID, id, e)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(res)
}

// opportunityDismissPOST dismisses for good.
func (s *Server) opportunityDismissPOST(c *fiber.Ctx) error {
	id, err := pathID(c, "opportunity")
	if err != nil {
		return err
	}
	o, err := s.app.Opportunities.Dismiss(c.UserContext(), currentUser(c).UserID, id)
	if err != nil {
		return err
	}
	return c.JSON(o)
}

// opportunitySettingsGET reads which document collections are read for
// opportunities, and whether quiet conversations are.
func (s *Server) opportunitySettingsGET(c *fiber.Ctx) error {
	res, err := s.app.Opportunities.Settings(c.UserContext(), currentUser(c).UserID)
	if err != nil {
		return err
	}
	return c.JSON(res)
}

// opportunitySettingsPUT changes them: fields left out stay.
func (s *Server) opportunitySettingsPUT(c *fiber.Ctx) error {
	var in opportunities.SettingsPatch
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	res, err := s.app.Opportunities.SetSettings(c.UserContext(), currentUser(c).UserID, in)
	if err != nil {
		return err
	}
	return c.JSON(res)
}

// conversationOpportunitiesPOST is "find tasks in this chat".
func (s *Server) conversationOpportunitiesPOST(c *fiber.Ctx) error {
	id, err := pathID(c, "conversation")
	if err != nil {
		return err
	}
	res, err := s.app.Opportunities.FromConversation(c.UserContext(), currentUser(c).UserID, id)
	if err != nil {
		return err
	}
	return c.JSON(res)
}

// documentOpportunitiesPOST is "find tasks in this document".
func (s *Server) documentOpportunitiesPOST(c *fiber.Ctx) error {
	id, err := pathID(c, "document")
	if err != nil {
		return err
	}
	res, err := s.app.Opportunities.FromDocument(c.UserContext(), currentUser(c).UserID, id)
	if err != nil {
		return err
	}
	return c.JSON(res)
}
