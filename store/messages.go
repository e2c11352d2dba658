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
	// Sources are the passages of the user's documents a reply was given
	// (a JSON array made by the chat service); nil when the reply did not
	// use documents, [] when nothing matched (NoSources).
	Sources   json.RawMessage `json:"sources,omitempty"`
	NoSources bool            `json:"no_sources,omitempty"`
	// Indexing is how many of the user's documents were still being
	// indexed when a reply from documents was asked for.
	Indexing int `json:"indexing,omitempty"`
	// ToolCalls are the tools a reply called (a JSON array made by the
	// chat service); nil when the reply was not offered tools, [] when it
	// called none.
	ToolCalls json.RawMessage `json:"tool_calls,omitempty"`
	CreatedAt time.Time       `json:"created_at"`
}

const messageCols = `m.id, m.conversation_id, m.role, m.content, m.model, m.status, m.error,
	m.prompt_tokens, m.completion_tokens, m.timing, m.demo, m.sources, m.indexing, m.tool_calls, m.created_at`

func scanMessage(r interface{ Scan(...any) error }, extra ...any) (*Message, error) {
	m := &Message{}
	var timing, created string
	var sources, toolCalls sql.NullString
	dest := append([]any{&m.ID, &m.ConversationID, &m.Role, &m.Content, &m.Model, &m.Status, &m.Error,
		&m.PromptTokens, &m.CompletionTokens, &timing, &m.Demo, &sources, &m.Indexing, &toolCalls, &created}, extra...)
	if err := r.Scan(dest...); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, ErrNotFound
		}
		return nil, err
	}
	if timing != "" && timing != "{}" {
		m.Timing = json.RawMessage(timing)
	}
	if sources.Valid {
		m.Sources = json.RawMessage(sources.String)
		m.NoSources = sources.String == "[]"
	}
	if toolCalls.Valid {
		m.ToolCalls = json.RawMessage(toolCalls.String)
	}
	m.CreatedAt = tsParse(created)
	return m, nil
}

// sourcesValue is a nullable JSON column (sources, tool_calls): NULL when
// the message used no documents (was offered no tools).
func sourcesValue(s json.RawMessage) any {
	if len(s) == 0 {
		return nil
	}
	return string(s)
}

func timingText(t json.RawMessage) string {
	if len(t) == 0 {
		return "{}"
	}
	return string(t)
}

// InsertMessage adds m to one of the user's conversations and marks the
// conversation active. A conversation that is not the user's answers
// ErrNotFound and nothing is written. The message is not full-text indexed
// yet: IndexPendingMessages does that (the search functions run it first).
func InsertMessage(ctx context.Context, q Querier, userID int64, m *Message, now time.Time) error {
	return InsertMessages(ctx, q, userID, now, m)
}

// InsertMessages adds messages to one of the user's conversations, in
// order, and touches the conversation once: an exchange writes the user's
// message and the reply's row together, on the way to the first token.
func InsertMessages(ctx context.Context, q Querier, userID int64, now time.Time, ms ...*Message) error {
	if len(ms) == 0 {
		return nil
	}
	for _, m := range ms {
		if m.ConversationID != ms[0].ConversationID {
			return errors.New("store: InsertMessages: messages of two conversations")
		}
		if m.Status == "" {
			m.Status = MessageComplete
		}
		res, err := q.ExecContext(ctx, `INSERT INTO messages(conversation_id, role, content, model, status, error,
				prompt_tokens, completion_tokens, timing, demo, sources, indexing, tool_calls, created_at)
			SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?
			WHERE EXISTS (SELECT 1 FROM conversations WHERE id = ? AND user_id = ?)`,
			m.ConversationID, m.Role, m.Content, m.Model, m.Status, m.Error,
			m.PromptTokens, m.CompletionTokens, timingText(m.Timing), m.Demo, sourcesValue(m.Sources), m.Indexing,
			sourcesValue(m.ToolCalls), tsText(now),
			m.ConversationID, userID)
		if err := exactlyOne(res, err); err != nil {
			return err
		}
		if m.ID, err = res.LastInsertId(); err != nil {
			return err
		}
		m.CreatedAt = now.UTC()
	}
	return TouchConversation(ctx, q, userID, ms[0].ConversationID, now)
}

// FinishMessage writes the outcome of a generated reply into the message
// row made when it started. Like InsertMessage it leaves the full-text
// index to IndexPendingMessages.
func FinishMessage(ctx context.Context, q Querier, userID int64, m *Message) error {
	res, err := q.ExecContext(ctx, `UPDATE messages SET content = ?, model = ?, status = ?, error = ?,
			prompt_tokens = ?, completion_tokens = ?, timing = ?, demo = ?, sources = ?, indexing = ?, tool_calls = ?
		WHERE id = ? AND conversation_id IN (SELECT id FROM conversations WHERE user_id = ?)`,
		m.Content, m.Model, m.Status, m.Error, m.PromptTokens, m.CompletionTokens, timingText(m.Timing), m.Demo,
		sourcesValue(m.Sources), m.Indexing, sourcesValue(m.ToolCalls),
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
	// SnippetParts is Snippet split into runs, the matches marked.
	SnippetParts []SnippetPart `json:"snippet_parts,omitempty"`
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
	if err := ensureIndexed(ctx, q); err != nil {
		return nil, err
	}
	rows, err := q.QueryContext(ctx, "SELECT "+messageCols+", c.title, "+snippetSQL+`
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
		h.Snippet, h.SnippetParts = splitSnippet(h.Snippet)
		out = append(out, h)
	}
	return out, rows.Err()
}

// ftsBatch is how many messages IndexPendingMessages indexes per
// transaction, so a long backlog never holds the write lock for long.
const ftsBatch = 256

// IndexPendingMessages adds to the full-text index every message whose
// current content is not in it yet (messages.fts_indexed = 0: written since,
// or changed since it was indexed), in transactions of ftsBatch rows that
// index the rows and mark them together. It returns how many it indexed.
// With nothing pending it costs one indexed read and takes no write lock.
func IndexPendingMessages(ctx context.Context, db *sql.DB) (int, error) {
	total := 0
	for {
		var pending bool
		if err := db.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM messages WHERE fts_indexed = 0)").Scan(&pending); err != nil || !pending {
			return total, err
		}
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return total, err
		}
		n, err := indexPendingBatch(ctx, tx)
		if err == nil {
			err = tx.Commit()
		}
		if err != nil {
			tx.Rollback()
			return total, err
		}
		total += n
		if n < ftsBatch {
			return total, nil
		}
	}
}

// indexPendingBatch indexes up to ftsBatch pending messages (the oldest)
// through q, which must hold one transaction.
func indexPendingBatch(ctx context.Context, q Querier) (int, error) {
	var last sql.NullInt64
	if err := q.QueryRowContext(ctx, `SELECT MAX(id) FROM
		(SELECT id FROM messages WHERE fts_indexed = 0 ORDER BY id LIMIT ?)`, ftsBatch).Scan(&last); err != nil || !last.Valid {
		return 0, err
	}
	if _, err := q.ExecContext(ctx, `INSERT INTO messages_fts(rowid, content)
		SELECT id, content FROM messages WHERE fts_indexed = 0 AND id <= ?`, last.Int64); err != nil {
		return 0, err
	}
	res, err := q.ExecContext(ctx, "UPDATE messages SET fts_indexed = 1 WHERE fts_indexed = 0 AND id <= ?", last.Int64)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// ensureIndexed brings the full-text index up to date before a search reads
// it, so a search always sees every message as it is now. q is the database
// itself or one connection (a transaction), where a savepoint keeps each
// batch whole.
func ensureIndexed(ctx context.Context, q Querier) error {
	if db, ok := q.(*sql.DB); ok {
		_, err := IndexPendingMessages(ctx, db)
		return err
	}
	for {
		if _, err := q.ExecContext(ctx, "SAVEPOINT fts_index"); err != nil {
			return err
		}
		n, err := indexPendingBatch(ctx, q)
		if err != nil {
			q.ExecContext(ctx, "ROLLBACK TO fts_index")
			q.ExecContext(ctx, "RELEASE fts_index")
			return err
		}
		if _, err := q.ExecContext(ctx, "RELEASE fts_index"); err != nil {
			return err
		}
		if n < ftsBatch {
			return nil
		}
	}
}
