package server

import (
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/aiwfe/aiwfe/app/apperr"
	"github.com/aiwfe/aiwfe/app/chat"
)

// queryInt reads an optional whole-number query parameter.
// queryPage reads the page (default 1) and per_page (default perPage)
// parameters every paginated list takes.
func queryPage(c *fiber.Ctx, perPage int64) (page, per int64, err error) {
	if page, err = queryInt(c, "page", 1); err != nil {
		return 0, 0, err
	}
	if per, err = queryInt(c, "per_page", perPage); err != nil {
		return 0, 0, err
	}
	return page, per, nil
}

func queryInt(c *fiber.Ctx, name string, def int64) (int64, error) {
	v := c.Query(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, apperr.Invalid(name, name+" must be a whole number of zero or more")
	}
	return n, nil
}

// conversationsGET lists the caller's conversations, pinned first; q is a
// full-text search over their messages.
func (s *Server) conversationsGET(c *fiber.Ctx) error {
	page, per, err := queryPage(c, 20)
	if err != nil {
		return err
	}
	res, err := s.app.Chat.Conversations(c.UserContext(), currentUser(c).UserID, c.Query("q"), int(min(page, 1<<20)), int(min(per, chat.MaxPerPage)))
	if err != nil {
		return err
	}
	return c.JSON(res)
}

// conversationsPOST makes an empty conversation.
func (s *Server) conversationsPOST(c *fiber.Ctx) error {
	var req struct {
		Title string `json:"title"`
		Mode  string `json:"mode"`
		Model string `json:"model"`
	}
	if len(c.Body()) > 0 {
		if err := decodeJSON(c, &req); err != nil {
			return err
		}
	}
	conv, err := s.app.Chat.CreateConversation(c.UserContext(), currentUser(c).UserID,
		chat.NewConversation{Title: req.Title, Mode: req.Mode, Model: req.Model})
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(conv)
}

// conversationGET shows one of the caller's conversations.
func (s *Server) conversationGET(c *fiber.Ctx) error {
	id, err := pathID(c, "conversation")
	if err != nil {
		return err
	}
	conv, err := s.app.Chat.Conversation(c.UserContext(), currentUser(c).UserID, id)
	if err != nil {
		return err
	}
	return c.JSON(conv)
}

// conversationPATCH renames or (un)pins one of the caller's conversations.
func (s *Server) conversationPATCH(c *fiber.Ctx) error {
	id, err := pathID(c, "conversation")
	if err != nil {
		return err
	}
	var req chat.ConversationPatch
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	conv, err := s.app.Chat.UpdateConversation(c.UserContext(), currentUser(c).UserID, id, req)
	if err != nil {
		return err
	}
	return c.JSON(conv)
}

// conversationDELETE deletes one of the caller's conversations with its
// messages.
func (s *Server) conversationDELETE(c *fiber.Ctx) error {
	id, err := pathID(c, "conversation")
	if err != nil {
		return err
	}
	if err := s.app.Chat.DeleteConversation(c.UserContext(), currentUser(c).UserID, id); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// conversationMessagesGET pages backwards through a conversation: the
// latest limit messages before the message id before, oldest first.
func (s *Server) conversationMessagesGET(c *fiber.Ctx) error {
	id, err := pathID(c, "conversation")
	if err != nil {
		return err
	}
	before, err := queryInt(c, "before", 0)
	if err != nil {
		return err
	}
	limit, err := queryInt(c, "limit", 50)
	if err != nil {
		return err
	}
	page, err := s.app.Chat.Messages(c.UserContext(), currentUser(c).UserID, id, before, int(min(limit, 1000)))
	if err != nil {
		return err
	}
	return c.JSON(page)
}

// messagesSearchGET is a full-text search over the caller's messages.
func (s *Server) messagesSearchGET(c *fiber.Ctx) error {
	limit, err := queryInt(c, "limit", 20)
	if err != nil {
		return err
	}
	offset, err := queryInt(c, "offset", 0)
	if err != nil {
		return err
	}
	q := c.Query("q")
	if len(q) > 500 {
		return apperr.Invalid("q", "the search is longer than 500 characters")
	}
	hits, err := s.app.Chat.Search(c.UserContext(), currentUser(c).UserID, q, int(min(limit, chat.MaxPerPage)), int(min(offset, 1<<30)))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": hits})
}
