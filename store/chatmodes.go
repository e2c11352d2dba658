package store

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// ChatMode is a chat mode a user defined beside the built-in ones: a name,
// which of the user's model assignments it uses, and its system prompt.
type ChatMode struct {
	UserID       int64     `json:"-"`
	Key          string    `json:"key"`
	Name         string    `json:"name"`
	ModelKey     string    `json:"model_key"`
	SystemPrompt string    `json:"system_prompt"`
	CreatedAt    time.Time `json:"created_at"`
}

// ListChatModes lists the user's own modes, oldest first.
func ListChatModes(ctx context.Context, q Querier, userID int64) ([]*ChatMode, error) {
	rows, err := q.QueryContext(ctx, `SELECT user_id, key, name, model_key, system_prompt, created_at
		FROM chat_modes WHERE user_id = ? ORDER BY id`, userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*ChatMode{}
	for rows.Next() {
		m := &ChatMode{}
		var created string
		if err := rows.Scan(&m.UserID, &m.Key, &m.Name, &m.ModelKey, &m.SystemPrompt, &created); err != nil {
			return nil, err
		}
		m.CreatedAt = tsParse(created)
		out = append(out, m)
	}
	return out, rows.Err()
}

// GetChatMode finds one of the user's modes by key.
func GetChatMode(ctx context.Context, q Querier, userID int64, key string) (*ChatMode, error) {
	m := &ChatMode{}
	var created string
	err := q.QueryRowContext(ctx, `SELECT user_id, key, name, model_key, system_prompt, created_at
		FROM chat_modes WHERE user_id = ? AND key = ?`, userID, key).
		Scan(&m.UserID, &m.Key, &m.Name, &m.ModelKey, &m.SystemPrompt, &created)
	if err != nil {
		return nil, chatNoRows(err)
	}
	m.CreatedAt = tsParse(created)
	return m, nil
}

// CreateChatMode adds a mode; a key the user already has answers
// ErrDuplicate.
func CreateChatMode(ctx context.Context, q Querier, m *ChatMode, now time.Time) error {
	_, err := q.ExecContext(ctx, `INSERT INTO chat_modes(user_id, key, name, model_key, system_prompt, created_at)
		VALUES(?, ?, ?, ?, ?, ?)`, m.UserID, m.Key, m.Name, m.ModelKey, m.SystemPrompt, tsText(now))
	if err != nil {
		if isUniqueViolation(err) {
			return ErrDuplicate
		}
		return err
	}
	m.CreatedAt = now.UTC()
	return nil
}

// DeleteChatMode removes one of the user's modes.
func DeleteChatMode(ctx context.Context, q Querier, userID int64, key string) error {
	res, err := q.ExecContext(ctx, "DELETE FROM chat_modes WHERE user_id = ? AND key = ?", userID, key)
	return exactlyOne(res, err)
}

func chatNoRows(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	return err
}
