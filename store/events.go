package store

import (
	"context"
	"database/sql"
	"errors"
	"math"
	"time"
)

// SecurityEvent is one row of security_events: a login attempt or a
// security change. UserID is 0 for attempts on unknown emails.
type SecurityEvent struct {
	ID         int64
	UserID     int64
	ActorID    int64 // who made the change, when not the user
	Type       string
	Success    bool
	Reason     string
	Email      string
	IP         string
	DeviceID   int64
	DeviceName string
	UserAgent  string
	CreatedAt  time.Time
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// InsertEvent records an event.
func InsertEvent(ctx context.Context, q Querier, e *SecurityEvent) error {
	res, err := q.ExecContext(ctx, `INSERT INTO security_events(user_id, actor_id, type, success, reason, email, ip, device_id, device_name, user_agent, created_at)
		VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		nullID(e.UserID), nullID(e.ActorID), e.Type, e.Success, e.Reason, e.Email, e.IP, nullID(e.DeviceID), e.DeviceName, e.UserAgent, tsText(e.CreatedAt))
	if err != nil {
		return err
	}
	e.ID, err = res.LastInsertId()
	return err
}

// ListEvents pages through events newest first: one user's when userID is
// not 0, everyone's otherwise.
func ListEvents(ctx context.Context, q Querier, userID int64, limit, offset int) ([]*SecurityEvent, int, error) {
	where := " WHERE (? = 0 OR e.user_id = ?)"
	var total int
	if err := q.QueryRowContext(ctx, "SELECT COUNT(*) FROM security_events e"+where, userID, userID).Scan(&total); err != nil {
		return nil, 0, err
	}
	rows, err := q.QueryContext(ctx, `SELECT e.id, COALESCE(e.user_id, 0), COALESCE(e.actor_id, 0), e.type, e.success, e.reason,
		CASE WHEN e.email <> '' THEN e.email ELSE COALESCE(u.email, '') END,
		e.ip, COALESCE(e.device_id, 0), e.device_name, e.user_agent, e.created_at
		FROM security_events e LEFT JOIN users u ON u.id = e.user_id`+where+" ORDER BY e.id DESC LIMIT ? OFFSET ?",
		userID, userID, limit, offset)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var out []*SecurityEvent
	for rows.Next() {
		e := &SecurityEvent{}
		var created string
		if err := rows.Scan(&e.ID, &e.UserID, &e.ActorID, &e.Type, &e.Success, &e.Reason, &e.Email, &e.IP, &e.DeviceID, &e.DeviceName, &e.UserAgent, &created); err != nil {
			return nil, 0, err
		}
		e.CreatedAt = tsParse(created)
		out = append(out, e)
	}
	return out, total, rows.Err()
}

// InsertNotification queues a notification for a user; the notifications
// WebSocket delivers unread ones.
func InsertNotification(ctx context.Context, q Querier, userID int64, kind, title, body string, now time.Time) error {
	_, err := q.ExecContext(ctx, "INSERT INTO notifications(user_id, kind, title, body, created_at) VALUES(?, ?, ?, ?, ?)",
		userID, kind, title, body, tsText(now))
	return err
}

// pruneBatch bounds one DELETE, so a prune never holds the write lock
// for long even when it has a backlog to clear.
const pruneBatch = 10_000

// PruneEvents keeps security_events bounded: rows created before cutoff go,
// and of the rest only the newest keep stay. Ids grow with time, so both
// steps walk the primary key from the oldest row and cost about the rows
// they delete, not the size of the table. It returns the rows deleted.
func PruneEvents(ctx context.Context, q Querier, cutoff time.Time, keep int) (int64, error) {
	// Rows below firstKept go: it is the first row young enough to stay
	// (none means every row is old) ...
	var firstKept int64
	err := q.QueryRowContext(ctx, "SELECT id FROM security_events WHERE created_at >= ? ORDER BY id LIMIT 1", tsText(cutoff)).Scan(&firstKept)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		firstKept = math.MaxInt64
	case err != nil:
		return 0, err
	}
	// ... or the keep-th newest row, if that is later (with fewer rows
	// there is none, and the count takes nothing).
	var newest int64
	err = q.QueryRowContext(ctx, "SELECT id FROM security_events ORDER BY id DESC LIMIT 1 OFFSET ?", keep-1).Scan(&newest)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return 0, err
	default:
		firstKept = max(firstKept, newest)
	}
	var total int64
	for {
		res, err := q.ExecContext(ctx, "DELETE FROM security_events WHERE id IN (SELECT id FROM security_events WHERE id < ? ORDER BY id LIMIT ?)", firstKept, pruneBatch)
		if err != nil {
			return total, err
		}
		n, _ := res.RowsAffected()
		total += n
		if n < pruneBatch {
			return total, nil
		}
	}
}
