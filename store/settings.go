package store

import (
	"context"
	"time"
)

// The settings table: appliance-wide flags, one row per key.

// SettingExists reports whether key has been set.
func SettingExists(ctx context.Context, q Querier, key string) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx, "SELECT COUNT(*) FROM settings WHERE key = ?", key).Scan(&n)
	return n > 0, err
}

// SetSetting sets key to value.
func SetSetting(ctx context.Context, q Querier, key, value string, now time.Time) error {
	_, err := q.ExecContext(ctx, `INSERT INTO settings(key, value, updated_at) VALUES(?, ?, ?)
		ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`, key, value, tsText(now))
	return err
}
