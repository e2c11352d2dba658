package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"
	"unicode"
)

// Conversation is one chat thread of one user.
type Conversation struct {
	ID        int64     `json:"id"`
	UserID    int64     `json:"-"`
	Title     string    `json:"title"`
	Mode      string    `json:"mode"`
	Model     string    `json:"model"`
	Pinned    bool      `json:"pinned"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	// MessageCount is filled by ListConversations and GetConversation.
	MessageCount int `json:"message_count"`
	// Snippet is the best-matching message excerpt when listed with a
	// full-text query.
	Snippet string `json:"snippet,omitempty"`
	// SnippetParts is Snippet split into runs, the matches marked.
	SnippetParts []SnippetPart `json:"snippet_parts,omitempty"`
}

const conversationCols = `c.id, c.user_id, c.title, c.mode, c.model, c.pinned, c.created_at, c.updated_at,
	(SELECT COUNT(*) FROM messages m WHERE m.conversation_id = c.id)`

func scanConversation(r interface{ Scan(...any) error }, extra ...any) (*Conversation, error) {
	c := &Conversation{}
	var created, updated string
	dest := append([]any{&c.ID, &c.UserID, &c.Title, &c.Mode, &c.Model, &c.Pinned, &created, &updated, &c.MessageCount}, extra...)
	if err := r.Scan(dest...); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, ErrNotFound
		}
		return nil, err
	}
	c.CreatedAt, c.UpdatedAt = tsParse(created), tsParse(updated)
	return c, nil
}

// CreateConversation inserts c for c.UserID and fills its id and times.
func CreateConversation(ctx context.Context, q Querier, c *Conversation, now time.Time) error {
	res, err := q.ExecContext(ctx, `INSERT INTO conversations(user_id, title, mode, model, pinned, created_at, updated_at)
		VALUES(?, ?, ?, ?, ?, ?, ?)`, c.UserID, c.Title, c.Mode, c.Model, c.Pinned, tsText(now), tsText(now))
	if err != nil {
		return err
	}
	if c.ID, err = res.LastInsertId(); err != nil {
		return err
	}
	c.CreatedAt, c.UpdatedAt = now.UTC(), now.UTC()
	return nil
}

// GetConversation finds one of the user's conversations; another user's
// answers ErrNotFound, exactly like a missing one.
func GetConversation(ctx context.Context, q Querier, userID, id int64) (*Conversation, error) {
	return scanConversation(q.QueryRowContext(ctx,
		"SELECT "+conversationCols+" FROM conversations c WHERE c.id = ? AND c.user_id = ?", id, userID))
}

// ConversationFilter narrows ListConversations. Query is a full-text search
// over the conversation's messages (and a substring match on its title).
type ConversationFilter struct {
	Query  string
	Limit  int
	Offset int
}

// ListConversations lists the user's conversations, pinned first, then
// most recently active, with the total matching count.
func ListConversations(ctx context.Context, q Querier, userID int64, f ConversationFilter) ([]*Conversation, int, error) {
	if f.Limit <= 0 {
		f.Limit = 20
	}
	where := "c.user_id = ?"
	args := []any{userID}
	snippet := "''"
	var snippetArgs []any
	if match := FTSQuery(f.Query); match != "" {
		if err := ensureIndexed(ctx, q); err != nil {
			return nil, 0, err
		}
		where += ` AND (c.id IN (SELECT m.conversation_id FROM messages_fts JOIN messages m ON m.id = messages_fts.rowid
				WHERE messages_fts MATCH ?) OR c.title LIKE ? ESCAPE '\')`
		args = append(args, match, "%"+likeEscape(f.Query)+"%")
		snippet = `COALESCE((SELECT ` + snippetSQL + ` FROM messages_fts
				JOIN messages m ON m.id = messages_fts.rowid
				WHERE messages_fts MATCH ? AND m.conversation_id = c.id ORDER BY rank LIMIT 1), '')`
		snippetArgs = []any{match}
	}
	var total int
	if err := q.QueryRowContext(ctx, "SELECT COUNT(*) FROM conversations c WHERE "+where, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	rows, err := q.QueryContext(ctx, "SELECT "+conversationCols+", "+snippet+" FROM conversations c WHERE "+where+
		" ORDER BY c.pinned DESC, c.updated_at DESC, c.id DESC LIMIT ? OFFSET ?",
		append(append(snippetArgs, args...), f.Limit, f.Offset)...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := []*Conversation{}
	for rows.Next() {
		var snip string
		c, err := scanConversation(rows, &snip)
		if err != nil {
			return nil, 0, err
		}
		c.Snippet, c.SnippetParts = splitSnippet(snip)
		out = append(out, c)
	}
	return out, total, rows.Err()
}

// ConversationUpdate holds the fields a user may change; nil leaves one be.
type ConversationUpdate struct {
	Title  *string
	Pinned *bool
	Mode   *string
	Model  *string
}

// UpdateConversation changes the user's conversation. Pinning or renaming
// does not count as activity, so updated_at moves only when asked (touch).
func UpdateConversation(ctx context.Context, q Querier, userID, id int64, u ConversationUpdate) error {
	var sets []string
	var args []any
	if u.Title != nil {
		sets, args = append(sets, "title = ?"), append(args, *u.Title)
	}
	if u.Pinned != nil {
		sets, args = append(sets, "pinned = ?"), append(args, *u.Pinned)
	}
	if u.Mode != nil {
		sets, args = append(sets, "mode = ?"), append(args, *u.Mode)
	}
	if u.Model != nil {
		sets, args = append(sets, "model = ?"), append(args, *u.Model)
	}
	if len(sets) == 0 {
		_, err := GetConversation(ctx, q, userID, id)
		return err
	}
	args = append(args, id, userID)
	res, err := q.ExecContext(ctx, "UPDATE conversations SET "+strings.Join(sets, ", ")+" WHERE id = ? AND user_id = ?", args...)
	return exactlyOne(res, err)
}

// TouchConversation marks activity on the user's conversation.
func TouchConversation(ctx context.Context, q Querier, userID, id int64, now time.Time) error {
	res, err := q.ExecContext(ctx, "UPDATE conversations SET updated_at = ? WHERE id = ? AND user_id = ?", tsText(now), id, userID)
	return exactlyOne(res, err)
}

// DeleteConversation removes the user's conversation and, by cascade, its
// messages and their index entries.
func DeleteConversation(ctx context.Context, q Querier, userID, id int64) error {
	res, err := q.ExecContext(ctx, "DELETE FROM conversations WHERE id = ? AND user_id = ?", id, userID)
	return exactlyOne(res, err)
}

// CountConversations counts the user's conversations.
func CountConversations(ctx context.Context, q Querier, userID int64) (int, error) {
	var n int
	err := q.QueryRowContext(ctx, "SELECT COUNT(*) FROM conversations WHERE user_id = ?", userID).Scan(&n)
	return n, err
}

// FTSQuery turns what a person typed into a safe FTS5 query: every word
// becomes a quoted term (so operators and punctuation mean nothing), all of
// them required, the last one also matching as a prefix. Empty input gives "".
// A NUL separates words like a space does: FTS5 reads a query string only up
// to its first NUL, so one inside a quoted term leaves the quote open and the
// query fails ("unterminated string").
func FTSQuery(s string) string {
	var terms []string
	for _, w := range strings.FieldsFunc(s, func(r rune) bool { return r == 0 || unicode.IsSpace(r) }) {
		w = strings.ReplaceAll(w, `"`, `""`)
		terms = append(terms, `"`+w+`"`)
	}
	if len(terms) == 0 {
		return ""
	}
	terms[len(terms)-1] += "*"
	return strings.Join(terms, " ")
}

func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(strings.TrimSpace(s))
}

// ReplaceConversationTitle sets the title only while it still is old, so a
// title generated in the background never overwrites one the user chose
// meanwhile. It reports whether it changed the row.
func ReplaceConversationTitle(ctx context.Context, q Querier, userID, id int64, old, title string) (bool, error) {
	res, err := q.ExecContext(ctx, "UPDATE conversations SET title = ? WHERE id = ? AND user_id = ? AND title = ?", title, id, userID, old)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// ChatTables counts one user's rows in the chat tables (messages through
// their conversations).
var ChatTables = map[string]string{
	"conversations": "SELECT COUNT(*) FROM conversations WHERE user_id = ?",
	"messages":      "SELECT COUNT(*) FROM messages WHERE conversation_id IN (SELECT id FROM conversations WHERE user_id = ?)",
	"chat_modes":    "SELECT COUNT(*) FROM chat_modes WHERE user_id = ?",
}
