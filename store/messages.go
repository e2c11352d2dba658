package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"
)

// Message statuses: a reply that finished, one cut short (stopped by the
// user or dropped by the model server) with what had arrived, and one that
// failed before any text.
const (
	MessageComplete = "complete"
	MessagePartial  = "partial"
	MessageError    = "error"
)

// Message is one turn of a conversation.
type Message struct {
	ID               int64           `json:"id"`
	ConversationID   int64           `json:"conversation_id"`
	Role             string          `json:"role"` // system | user | assistant
	Content          string          `json:"content"`
	Model            string          `json:"model,omitempty"`
	Status           string          `json:"status"`
	Error            string          `json:"error,omitempty"`
	PromptTokens     int             `json:"prompt_tokens"`
	CompletionTokens int             `json:"completion_tokens"`
	Timing           json.RawMessage `json:"timing,omitempty"`
	Demo             bool            `json:"demo"`
	CreatedAt        time.Time       `json:"created_at"`
}

const messageCols = `m.id, m.conversation_id, m.role, m.content, m.model, m.status, m.error,
	m.prompt_tokens, m.completion_tokens, m.timing, m.demo, m.created_at`

func scanMessage(r interface{ Scan(...any) error }, extra ...any) (*Message, error) {
	m := &Message{}
	var timing, created string
	dest := append([]any{&m.ID, &m.ConversationID, &m.Role, &m.Content, &m.Model, &m.Status, &m.Error,
		&m.PromptTokens, &m.CompletionTokens, &timing, &m.Demo, &created}, extra...)
	if err := r.Scan(dest...); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, ErrNotFound
		}
		return nil, err
	}
	if timing != "" && timing != "{}" {
		m.Timing = json.RawMessage(timing)
	}
	m.CreatedAt = chatParseTS(created)
	return m, nil
}

func timingText(t json.RawMessage) string {
	if len(t) == 0 {
		return "{}"
	}
	return string(t)
}

// InsertMessage adds m to one of the user's conversations and marks the
// conversation active. A conversation that is not the user's answers
// ErrNotFound and nothing is written.
func InsertMessage(ctx context.Context, q Querier, userID int64, m *Message, now time.Time) error {
	if m.Status == "" {
		m.Status = MessageComplete
	}
	res, err := q.ExecContext(ctx, `INSERT INTO messages(conversation_id, role, content, model, status, error,
			prompt_tokens, completion_tokens, timing, demo, created_at)
		SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?
		WHERE EXISTS (SELECT 1 FROM conversations WHERE id = ? AND user_id = ?)`,
		m.ConversationID, m.Role, m.Content, m.Model, m.Status, m.Error,
		m.PromptTokens, m.CompletionTokens, timingText(m.Timing), m.Demo, chatTS(now),
		m.ConversationID, userID)
	if err := exactlyOne(res, err); err != nil {
		return err
	}
	if m.ID, err = res.LastInsertId(); err != nil {
		return err
	}
	m.CreatedAt = now.UTC()
	return TouchConversation(ctx, q, userID, m.ConversationID, now)
}

// FinishMessage writes the outcome of a generated reply into the message
// row made when it started.
func FinishMessage(ctx context.Context, q Querier, userID int64, m *Message) error {
	res, err := q.ExecContext(ctx, `UPDATE messages SET content = ?, model = ?, status = ?, error = ?,
			prompt_tokens = ?, completion_tokens = ?, timing = ?, demo = ?
		WHERE id = ? AND conversation_id IN (SELECT id FROM conversations WHERE user_id = ?)`,
		m.Content, m.Model, m.Status, m.Error, m.PromptTokens, m.CompletionTokens, timingText(m.Timing), m.Demo,
		m.ID, userID)
	return exactlyOne(res, err)
}

// GetMessage finds one of the user's messages.
func GetMessage(ctx context.Context, q Querier, userID, id int64) (*Message, error) {
	return scanMessage(q.QueryRowContext(ctx, "SELECT "+messageCols+` FROM messages m
		JOIN conversations c ON c.id = m.conversation_id WHERE m.id = ? AND c.user_id = ?`, id, userID))
}

// ListMessages pages backwards through a conversation: the latest limit
// messages with an id below before (0: from the end), oldest first, and
// whether older ones remain.
func ListMessages(ctx context.Context, q Querier, userID, conversationID, before int64, limit int) ([]*Message, bool, error) {
	if limit <= 0 {
		limit = 50
	}
	if before <= 0 {
		before = 1<<63 - 1
	}
	rows, err := q.QueryContext(ctx, "SELECT "+messageCols+` FROM messages m
		JOIN conversations c ON c.id = m.conversation_id
		WHERE m.conversation_id = ? AND c.user_id = ? AND m.id < ?
		ORDER BY m.id DESC LIMIT ?`, conversationID, userID, before, limit+1)
	if err != nil {
		return nil, false, err
	}
	defer rows.Close()
	out := []*Message{}
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, false, err
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, false, err
	}
	more := len(out) > limit
	if more {
		out = out[:limit]
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, more, nil
}

// DeleteMessage removes one of the user's messages.
func DeleteMessage(ctx context.Context, q Querier, userID, id int64) error {
	res, err := q.ExecContext(ctx, `DELETE FROM messages WHERE id = ?
		AND conversation_id IN (SELECT id FROM conversations WHERE user_id = ?)`, id, userID)
	return exactlyOne(res, err)
}

// MessageHit is one full-text search result.
type MessageHit struct {
	Message
	ConversationTitle string `json:"conversation_title"`
	Snippet           string `json:"snippet"`
}

// SearchMessages runs a full-text search over the user's messages, best
// matches first. query is what a person typed (see FTSQuery).
func SearchMessages(ctx context.Context, q Querier, userID int64, query string, limit, offset int) ([]*MessageHit, error) {
	match := FTSQuery(query)
	out := []*MessageHit{}
	if match == "" {
		return out, nil
	}
	if limit <= 0 {
		limit = 20
	}
	rows, err := q.QueryContext(ctx, "SELECT "+messageCols+`, c.title, snippet(messages_fts, 0, '[', ']', '…', 12)
		FROM messages_fts
		JOIN messages m ON m.id = messages_fts.rowid
		JOIN conversations c ON c.id = m.conversation_id
		WHERE messages_fts MATCH ? AND c.user_id = ?
		ORDER BY rank LIMIT ? OFFSET ?`, match, userID, limit, offset)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		h := &MessageHit{}
		m, err := scanMessage(rows, &h.ConversationTitle, &h.Snippet)
		if err != nil {
			return nil, err
		}
		h.Message = *m
		out = append(out, h)
	}
	return out, rows.Err()
}
