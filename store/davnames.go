package store

import (
	"context"
	"database/sql"
	"errors"
)

// The names CalDAV clients gave the calendars they made (app/dav's
// MKCALENDAR): a calendar made at /dav/{user}/calendars/{name}/ answers
// there.

// InsertDAVCalendarName records the name a client made a calendar under;
// a name the user already has answers ErrDuplicate.
func InsertDAVCalendarName(ctx context.Context, q Querier, userID, calendarID int64, name string) error {
	_, err := q.ExecContext(ctx, "INSERT INTO dav_calendar_names(calendar_id, user_id, name) VALUES(?, ?, ?)", calendarID, userID, name)
	if isUniqueViolation(err) {
		return ErrDuplicate
	}
	return err
}

// DAVCalendarByName finds the calendar the user's client made under name.
func DAVCalendarByName(ctx context.Context, q Querier, userID int64, name string) (int64, error) {
	var id int64
	err := q.QueryRowContext(ctx, "SELECT calendar_id FROM dav_calendar_names WHERE user_id = ? AND name = ?", userID, name).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, ErrNotFound
	}
	return id, err
}

// DAVCalendarNames maps the user's calendars that have a client's name to
// it.
func DAVCalendarNames(ctx context.Context, q Querier, userID int64) (map[int64]string, error) {
	rows, err := q.QueryContext(ctx, "SELECT calendar_id, name FROM dav_calendar_names WHERE user_id = ? ORDER BY calendar_id", userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]string{}
	for rows.Next() {
		var id int64
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			return nil, err
		}
		out[id] = name
	}
	return out, rows.Err()
}

// DAVTables counts one user's CalDAV calendar names.
var DAVTables = map[string]string{
	"dav_calendar_names": "SELECT COUNT(*) FROM dav_calendar_names WHERE user_id = ?",
}
