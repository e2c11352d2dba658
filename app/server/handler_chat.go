package server

import (
	"github.com/gofiber/fiber/v2"

	"github.com/aiwfe/aiwfe/app/chat"
)

type chatRequest struct {
	ConversationID int64          `json:"conversation_id"`
	Mode           string         `json:"mode"`
	Model          string         `json:"model"`
	Message        string         `json:"message"`
	Options        map[string]any `json:"options"`
	// UseDocuments answers from the user's documents (implied by the
	// documents mode).
	UseDocuments bool `json:"use_documents"`
	// UseTools offers the model the read-only tools (list_tasks): REST
	// cannot ask the user to confirm a change, so tools that create or
	// change data are only offered on the chat WebSocket.
	UseTools bool `json:"use_tools"`
}

// chatPOST sends a message and answers with the whole reply, persisted in
// the conversation (created when conversation_id is absent). When the model
// fails, the exchange is not kept.
func (s *Server) chatPOST(c *fiber.Ctx) error {
	var req chatRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	r, err := s.app.Chat.Send(c.UserContext(), chat.SendRequest{
		UserID: currentUser(c).UserID, ConversationID: req.ConversationID,
		Mode: req.Mode, Model: req.Model, Message: req.Message, Options: req.Options, UseDocuments: req.UseDocuments, UseTools: req.UseTools,
		// The caller learns of a failure only by its status: leave nothing
		// behind, so that trying again is all it takes.
		UndoOnError: true,
	})
	if err != nil {
		return err
	}
	return c.JSON(r)
}

// conversationPOST is the fast single turn: one message, one answer,
// nothing stored.
func (s *Server) conversationPOST(c *fiber.Ctx) error {
	var req struct {
		Mode    string         `json:"mode"`
		Model   string         `json:"model"`
		Message string         `json:"message"`
		Options map[string]any `json:"options"`
	}
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	r, err := s.app.Chat.Converse(c.UserContext(), chat.ConverseRequest{
		UserID: currentUser(c).UserID, Mode: req.Mode, Model: req.Model, Message: req.Message, Options: req.Options,
	})
	if err != nil {
		return err
	}
	return c.JSON(r)
}
