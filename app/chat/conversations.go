package chat

import (
	"context"
	"strings"
	"unicode/utf8"

	"github.com/aiwfe/aiwfe/app/apperr"
	"github.com/aiwfe/aiwfe/store"
)

// ConversationPage is one page of a user's conversations.
type ConversationPage struct {
	Items   []*store.Conversation `json:"items"`
	Total   int                   `json:"total"`
	Page    int                   `json:"page"`
	PerPage int                   `json:"per_page"`
}

// MaxPerPage bounds page sizes.
const MaxPerPage = 100

// Conversations lists the user's conversations; query, when not empty, is
// a full-text search over their messages (and titles).
func (s *Service) Conversations(ctx context.Context, userID int64, query string, page, perPage int) (*ConversationPage, error) {
	if page < 1 {
		page = 1
	}
	if perPage < 1 {
		perPage = 20
	}
	if perPage > MaxPerPage {
		perPage = MaxPerPage
	}
	if len(query) > 500 {
		return nil, apperr.Invalid("q", "the search is longer than 500 characters")
	}
	items, total, err := store.ListConversations(ctx, s.store.DB, userID, store.ConversationFilter{
		Query: query, Limit: perPage, Offset: (page - 1) * perPage,
	})
	if err != nil {
		return nil, err
	}
	return &ConversationPage{Items: items, Total: total, Page: page, PerPage: perPage}, nil
}

// NewConversation describes a conversation made before its first message.
type NewConversation struct {
	Title string
	Mode  string
	Model string
}

// CreateConversation makes an empty conversation.
func (s *Service) CreateConversation(ctx context.Context, userID int64, nc NewConversation) (*store.Conversation, error) {
	mode, err := s.Mode(ctx, userID, nc.Mode)
	if err != nil {
		return nil, err
	}
	title := strings.TrimSpace(nc.Title)
	if err := validTitle(title); err != nil {
		return nil, err
	}
	if title == "" {
		title = "New conversation"
	}
	model := strings.TrimSpace(nc.Model)
	if len(model) > 200 {
		return nil, apperr.Invalid("model", "model name is too long")
	}
	c := &store.Conversation{UserID: userID, Title: title, Mode: mode.Key, Model: model}
	if err := store.CreateConversation(ctx, s.store.DB, c, s.now()); err != nil {
		return nil, err
	}
	return c, nil
}

func validTitle(t string) error {
	if utf8.RuneCountInString(t) > 200 {
		return apperr.Invalid("title", "title must be at most 200 characters")
	}
	return nil
}

// Conversation finds one of the user's conversations.
func (s *Service) Conversation(ctx context.Context, userID, id int64) (*store.Conversation, error) {
	c, err := store.GetConversation(ctx, s.store.DB, userID, id)
	return c, storeErr(err, "conversation")
}

// ConversationPatch is what a user may change: title and pinned.
type ConversationPatch struct {
	Title  *string `json:"title"`
	Pinned *bool   `json:"pinned"`
}

// UpdateConversation renames or (un)pins one of the user's conversations.
func (s *Service) UpdateConversation(ctx context.Context, userID, id int64, p ConversationPatch) (*store.Conversation, error) {
	if p.Title != nil {
		t := strings.TrimSpace(*p.Title)
		if t == "" {
			return nil, apperr.Invalid("title", "title must not be empty")
		}
		if err := validTitle(t); err != nil {
			return nil, err
		}
		p.Title = &t
	}
	if err := store.UpdateConversation(ctx, s.store.DB, userID, id, store.ConversationUpdate{Title: p.Title, Pinned: p.Pinned}); err != nil {
		return nil, storeErr(err, "conversation")
	}
	return s.Conversation(ctx, userID, id)
}

// DeleteConversation deletes one of the user's conversations and its
// messages.
func (s *Service) DeleteConversation(ctx context.Context, userID, id int64) error {
	return storeErr(store.DeleteConversation(ctx, s.store.DB, userID, id), "conversation")
}

// MessagePage is a page of a conversation's messages, oldest first.
type MessagePage struct {
	Items   []*store.Message `json:"items"`
	HasMore bool             `json:"has_more"`
}

// Messages pages backwards through one of the user's conversations.
func (s *Service) Messages(ctx context.Context, userID, convID, before int64, limit int) (*MessagePage, error) {
	if _, err := s.Conversation(ctx, userID, convID); err != nil {
		return nil, err
	}
	if limit < 1 {
		limit = 50
	}
	if limit > 200 {
		limit = 200
	}
	items, more, err := store.ListMessages(ctx, s.store.DB, userID, convID, before, limit)
	if err != nil {
		return nil, err
	}
	return &MessagePage{Items: items, HasMore: more}, nil
}

// Search is a full-text search over the user's messages.
func (s *Service) Search(ctx context.Context, userID int64, query string, limit, offset int) ([]*store.MessageHit, error) {
	if limit < 1 || limit > MaxPerPage {
		limit = 20
	}
	return store.SearchMessages(ctx, s.store.DB, userID, query, limit, max(offset, 0))
}
