package store

import (
	"context"
	"database/sql"
	"time"
)

// Queries of the data export (GET /api/v1/profile/export). Every one is
// filtered by the user's id: an export never reads another user's rows.
// Devices, chat modes, passkeys and the second-factor row have their own
// per-user listings (ListDevices, ListChatModes, ListPasskeys,
// TwoFactorByUser).

// WithReadTx runs fn in a read-only transaction: one consistent snapshot
// (WAL) that does not take the write lock, so an export never holds up
// writers.
func (s *Store) WithReadTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.DB.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return err
	}
	defer tx.Rollback()
	return fn(tx)
}

// PutList puts under key, for the archive, the rows a query read (err is
// the query's), each as conv shapes it: an empty list, never null.
func PutList[T, U any](put func(string, any), key string, rows []T, err error, conv func(T) U) error {
	if err != nil {
		return err
	}
	out := make([]U, 0, len(rows))
	for _, r := range rows {
		out = append(out, conv(r))
	}
	put(key, out)
	return nil
}

// UserEvents lists every security event about the user, oldest first.
func UserEvents(ctx context.Context, q Querier, userID int64) ([]*SecurityEvent, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, COALESCE(user_id, 0), COALESCE(actor_id, 0), type, success, reason, email,
		ip, COALESCE(device_id, 0), device_name, user_agent, created_at
		FROM security_events WHERE user_id = ? ORDER BY id`, userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*SecurityEvent{}
	for rows.Next() {
		e := &SecurityEvent{}
		var created string
		if err := rows.Scan(&e.ID, &e.UserID, &e.ActorID, &e.Type, &e.Success, &e.Reason, &e.Email, &e.IP, &e.DeviceID, &e.DeviceName, &e.UserAgent, &created); err != nil {
			return nil, err
		}
		e.CreatedAt = tsParse(created)
		out = append(out, e)
	}
	return out, rows.Err()
}

// Notification is one row of notifications.
type Notification struct {
	ID        int64
	Kind      string
	Title     string
	Body      string
	CreatedAt time.Time
	ReadAt    *time.Time
}

// UserNotifications lists the user's notifications, oldest first.
func UserNotifications(ctx context.Context, q Querier, userID int64) ([]*Notification, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, kind, title, body, created_at, read_at
		FROM notifications WHERE user_id = ? ORDER BY id`, userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*Notification{}
	for rows.Next() {
		n := &Notification{}
		var created string
		var read sql.NullString
		if err := rows.Scan(&n.ID, &n.Kind, &n.Title, &n.Body, &created, &read); err != nil {
			return nil, err
		}
		n.CreatedAt = tsParse(created)
		if read.Valid {
			t := tsParse(read.String)
			n.ReadAt = &t
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// ConversationWithMessages is a conversation and all its messages, oldest
// first.
type ConversationWithMessages struct {
	*Conversation
	Messages []*Message
}

// UserConversations lists all the user's conversations, oldest first, each
// with every message: two queries, whatever the number of conversations.
func UserConversations(ctx context.Context, q Querier, userID int64) ([]*ConversationWithMessages, error) {
	rows, err := q.QueryContext(ctx, "SELECT "+conversationCols+" FROM conversations c WHERE c.user_id = ? ORDER BY c.id", userID)
	if err != nil {
		return nil, err
	}
	out := []*ConversationWithMessages{}
	byID := map[int64]*ConversationWithMessages{}
	for rows.Next() {
		c, err := scanConversation(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		cm := &ConversationWithMessages{Conversation: c, Messages: []*Message{}}
		out = append(out, cm)
		byID[c.ID] = cm
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = q.QueryContext(ctx, "SELECT "+messageCols+` FROM messages m JOIN conversations c ON c.id = m.conversation_id
		WHERE c.user_id = ? ORDER BY m.conversation_id, m.id`, userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, err
		}
		if cm := byID[m.ConversationID]; cm != nil {
			cm.Messages = append(cm.Messages, m)
		}
	}
	return out, rows.Err()
}

// UserClientCerts lists the client certificates issued to the user,
// oldest first.
func UserClientCerts(ctx context.Context, q Querier, userID int64) ([]ClientCert, error) {
	rows, err := q.QueryContext(ctx, "SELECT "+clientCertCols+" FROM client_certs WHERE user_id = ? ORDER BY created_at, serial", userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []ClientCert{}
	for rows.Next() {
		r, err := scanClientCert(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *r)
	}
	return out, rows.Err()
}

// Session is one sign-in session (a refresh-token family) as the export
// shows it: no token hash, no family id.
type Session struct {
	StartedAt    time.Time
	LastActiveAt time.Time
	ExpiresAt    time.Time
	EndedAt      *time.Time
	IP           string
	DeviceID     int64
}

// UserSessions lists the user's sessions, oldest first; the IP is the one
// of the latest renewal.
func UserSessions(ctx context.Context, q Querier, userID int64) ([]*Session, error) {
	rows, err := q.QueryContext(ctx, `SELECT MIN(r.created_at), MAX(r.created_at), MAX(r.expires_at), MAX(r.revoked_at),
		(SELECT l.ip FROM refresh_tokens l WHERE l.family_id = r.family_id AND l.user_id = r.user_id ORDER BY l.id DESC LIMIT 1),
		COALESCE(MAX(r.device_id), 0)
		FROM refresh_tokens r WHERE r.user_id = ? GROUP BY r.family_id ORDER BY MIN(r.id)`, userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*Session{}
	for rows.Next() {
		s := &Session{}
		var started, last, expires string
		var ended sql.NullString
		if err := rows.Scan(&started, &last, &expires, &ended, &s.IP, &s.DeviceID); err != nil {
			return nil, err
		}
		s.StartedAt, s.LastActiveAt, s.ExpiresAt = tsParse(started), tsParse(last), tsParse(expires)
		if ended.Valid {
			t := tsParse(ended.String)
			s.EndedAt = &t
		}
		out = append(out, s)
	}
	return out, rows.Err()
}
