package chat

import (
	"context"
	"database/sql"
	"time"

	"github.com/aiwfe/aiwfe/store"
)

// DataPart is the chat's share of a user's data (a datarights.Part):
// conversations with their messages, and chat modes.
type DataPart struct{}

// DataPart returns the part app.Open registers with the data-rights
// service.
func (s *Service) DataPart() DataPart { return DataPart{} }

// ExportConversation is a conversation with all its messages.
type ExportConversation struct {
	ID        int64            `json:"id"`
	Title     string           `json:"title"`
	Mode      string           `json:"mode"`
	Model     string           `json:"model"`
	Pinned    bool             `json:"pinned"`
	CreatedAt time.Time        `json:"created_at"`
	UpdatedAt time.Time        `json:"updated_at"`
	Messages  []*store.Message `json:"messages"`
}

// Tables is the chat tables.
func (DataPart) Tables() map[string]string { return store.ChatTables }

// Export puts "conversations" and "chat_modes".
func (DataPart) Export(ctx context.Context, tx *sql.Tx, userID int64, put func(string, any)) error {
	convs, err := store.UserConversations(ctx, tx, userID)
	if err := store.PutList(put, "conversations", convs, err, func(cv *store.ConversationWithMessages) ExportConversation {
		return ExportConversation{ID: cv.ID, Title: cv.Title, Mode: cv.Mode, Model: cv.Model,
			Pinned: cv.Pinned, CreatedAt: cv.CreatedAt, UpdatedAt: cv.UpdatedAt, Messages: cv.Messages}
	}); err != nil {
		return err
	}
	modes, err := store.ListChatModes(ctx, tx, userID)
	if err != nil {
		return err
	}
	if modes == nil {
		modes = []*store.ChatMode{}
	}
	put("chat_modes", modes)
	return nil
}

// Delete leaves the rows to the cascade; the full-text index follows the
// messages by its triggers.
func (DataPart) Delete(context.Context, *sql.Tx, int64) (func(), error) { return nil, nil }
