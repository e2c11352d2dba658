package store

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// Device is one row of registered_devices: a browser or app a user signed
// in from, matched by a fingerprint of its user agent and client hints.
type Device struct {
	ID           int64
	UserID       int64
	Fingerprint  string
	Name         string
	UserAgent    string
	FirstSeen    time.Time
	LastSeen     time.Time
	LastIP       string
	Trusted      bool
	TrustedUntil *time.Time
}

const deviceCols = "id, user_id, fingerprint, name, user_agent, first_seen, last_seen, last_ip, trusted, trusted_until"

func scanDevice(r rowScanner) (*Device, error) {
	d := &Device{}
	var first, last string
	var until sql.NullString
	if err := r.Scan(&d.ID, &d.UserID, &d.Fingerprint, &d.Name, &d.UserAgent, &first, &last, &d.LastIP, &d.Trusted, &until); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, ErrNotFound
		}
		return nil, err
	}
	d.FirstSeen, d.LastSeen = tsParse(first), tsParse(last)
	if until.Valid {
		t := tsParse(until.String)
		d.TrustedUntil = &t
	}
	return d, nil
}

// SeeDevice records a sign-in from a device: it updates last_seen and
// last_ip of the user's device with this fingerprint, or registers a new
// one. created says which.
func SeeDevice(ctx context.Context, q Querier, userID int64, fingerprint, name, userAgent, ip string, now time.Time) (d *Device, created bool, err error) {
	res, err := q.ExecContext(ctx, `INSERT INTO registered_devices(user_id, fingerprint, name, user_agent, first_seen, last_seen, last_ip)
		VALUES(?, ?, ?, ?, ?, ?, ?) ON CONFLICT(user_id, fingerprint) DO NOTHING`,
		userID, fingerprint, name, userAgent, tsText(now), tsText(now), ip)
	if err != nil {
		return nil, false, err
	}
	n, _ := res.RowsAffected()
	if n == 0 {
		if _, err := q.ExecContext(ctx, "UPDATE registered_devices SET last_seen = ?, last_ip = ? WHERE user_id = ? AND fingerprint = ?",
			tsText(now), ip, userID, fingerprint); err != nil {
			return nil, false, err
		}
	}
	d, err = scanDevice(q.QueryRowContext(ctx, "SELECT "+deviceCols+" FROM registered_devices WHERE user_id = ? AND fingerprint = ?", userID, fingerprint))
	return d, n > 0, err
}

// DeviceByID finds one of the user's devices; another user's id is
// ErrNotFound.
func DeviceByID(ctx context.Context, q Querier, userID, id int64) (*Device, error) {
	return scanDevice(q.QueryRowContext(ctx, "SELECT "+deviceCols+" FROM registered_devices WHERE id = ? AND user_id = ?", id, userID))
}

// ListDevices lists the user's devices, most recently seen first.
func ListDevices(ctx context.Context, q Querier, userID int64) ([]*Device, error) {
	rows, err := q.QueryContext(ctx, "SELECT "+deviceCols+" FROM registered_devices WHERE user_id = ? ORDER BY last_seen DESC, id DESC", userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Device
	for rows.Next() {
		d, err := scanDevice(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// RenameDevice sets a device's name.
func RenameDevice(ctx context.Context, q Querier, userID, id int64, name string) error {
	res, err := q.ExecContext(ctx, "UPDATE registered_devices SET name = ? WHERE id = ? AND user_id = ?", name, id, userID)
	return exactlyOne(res, err)
}

// TrustDevice marks a device trusted until the given time, or untrusted
// when until is nil.
func TrustDevice(ctx context.Context, q Querier, userID, id int64, until *time.Time) error {
	res, err := q.ExecContext(ctx, "UPDATE registered_devices SET trusted = ?, trusted_until = ? WHERE id = ? AND user_id = ?",
		until != nil, tsNull(until), id, userID)
	return exactlyOne(res, err)
}

// DeleteDevice forgets a device.
func DeleteDevice(ctx context.Context, q Querier, userID, id int64) error {
	res, err := q.ExecContext(ctx, "DELETE FROM registered_devices WHERE id = ? AND user_id = ?", id, userID)
	return exactlyOne(res, err)
}
