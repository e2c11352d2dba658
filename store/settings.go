package store

// The settings table: appliance-wide settings, one row a key, the value
// JSON (or a flag's text).

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// Setting is one application setting: a key and its JSON value.
type Setting struct {
	Key       string
	Value     string
	UpdatedAt time.Time
}

// GetSetting reads one setting; ErrNotFound when it was never saved.
func GetSetting(ctx context.Context, q Querier, key string) (*Setting, error) {
	st := &Setting{Key: key}
	var updated string
	err := q.QueryRowContext(ctx, `SELECT value, updated_at FROM settings WHERE key = ?`, key).
		Scan(&st.Value, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	st.UpdatedAt = tsParse(updated)
	return st, nil
}

// PutSetting saves a setting, replacing what was there. Who changed it is
// in the security log.
func PutSetting(ctx context.Context, q Querier, st *Setting) error {
	_, err := q.ExecContext(ctx, `INSERT INTO settings(key, value, updated_at) VALUES(?, ?, ?)
		ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
		st.Key, st.Value, tsText(st.UpdatedAt))
	return err
}

// DeleteSetting forgets a setting (back to the configuration's value).
func DeleteSetting(ctx context.Context, q Querier, key string) error {
	_, err := q.ExecContext(ctx, `DELETE FROM settings WHERE key = ?`, key)
	return err
}

// SettingExists reports whether key has been set.
func SettingExists(ctx context.Context, q Querier, key string) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx, "SELECT COUNT(*) FROM settings WHERE key = ?", key).Scan(&n)
	return n > 0, err
}

// SetSetting sets key to value (flags the appliance sets itself, such as
// the demo seed's marker).
func SetSetting(ctx context.Context, q Querier, key, value string, now time.Time) error {
	return PutSetting(ctx, q, &Setting{Key: key, Value: value, UpdatedAt: now})
}
