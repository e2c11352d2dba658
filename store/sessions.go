package store

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// RefreshToken is one row of refresh_tokens. A family is one sign-in and
// the tokens rotated from it; the family id is the session id carried in
// access tokens (sid).
type RefreshToken struct {
	ID        int64
	UserID    int64
	FamilyID  string
	DeviceID  int64 // 0 when the device was forgotten
	TokenHash string
	CreatedAt time.Time
	ExpiresAt time.Time
	RetiredAt *time.Time
	RevokedAt *time.Time
}

// InsertRefreshToken stores a new token of a family.
func InsertRefreshToken(ctx context.Context, q Querier, t *RefreshToken, ip string) error {
	var dev any
	if t.DeviceID != 0 {
		dev = t.DeviceID
	}
	res, err := q.ExecContext(ctx, `INSERT INTO refresh_tokens(user_id, family_id, device_id, token_hash, created_at, expires_at, ip)
		VALUES(?, ?, ?, ?, ?, ?, ?)`, t.UserID, t.FamilyID, dev, t.TokenHash, tsText(t.CreatedAt), tsText(t.ExpiresAt), ip)
	if err != nil {
		return err
	}
	t.ID, err = res.LastInsertId()
	return err
}

// RefreshTokenByHash finds a token by the SHA-256 of its value.
func RefreshTokenByHash(ctx context.Context, q Querier, hash string) (*RefreshToken, error) {
	t := &RefreshToken{}
	var created, expires string
	var retired, revoked sql.NullString
	var dev sql.NullInt64
	err := q.QueryRowContext(ctx, `SELECT id, user_id, family_id, device_id, token_hash, created_at, expires_at, retired_at, revoked_at
		FROM refresh_tokens WHERE token_hash = ?`, hash).
		Scan(&t.ID, &t.UserID, &t.FamilyID, &dev, &t.TokenHash, &created, &expires, &retired, &revoked)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	t.DeviceID = dev.Int64
	t.CreatedAt, t.ExpiresAt = tsParse(created), tsParse(expires)
	if retired.Valid {
		x := tsParse(retired.String)
		t.RetiredAt = &x
	}
	if revoked.Valid {
		x := tsParse(revoked.String)
		t.RevokedAt = &x
	}
	return t, nil
}

// RetireRefreshToken marks a token used. It reports false when the token
// was already retired, which is how two concurrent uses of one token are
// told apart: only one of them wins.
func RetireRefreshToken(ctx context.Context, q Querier, id int64, now time.Time) (bool, error) {
	res, err := q.ExecContext(ctx, "UPDATE refresh_tokens SET retired_at = ? WHERE id = ? AND retired_at IS NULL AND revoked_at IS NULL", tsText(now), id)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// RevokeFamily revokes every token of a session.
func RevokeFamily(ctx context.Context, q Querier, familyID string, now time.Time) error {
	_, err := q.ExecContext(ctx, "UPDATE refresh_tokens SET revoked_at = ? WHERE family_id = ? AND revoked_at IS NULL", tsText(now), familyID)
	return err
}

// RevokeUserFamilies revokes all of a user's sessions except keep (which
// may be empty) and returns the families it revoked.
func RevokeUserFamilies(ctx context.Context, q Querier, userID int64, keep string, now time.Time) ([]string, error) {
	return revokeFamiliesWhere(ctx, q, now, "user_id = ? AND family_id <> ?", userID, keep)
}

// RevokeDeviceFamilies revokes the sessions signed in from one device.
func RevokeDeviceFamilies(ctx context.Context, q Querier, userID, deviceID int64, now time.Time) ([]string, error) {
	return revokeFamiliesWhere(ctx, q, now, "user_id = ? AND device_id = ?", userID, deviceID)
}

func revokeFamiliesWhere(ctx context.Context, q Querier, now time.Time, where string, args ...any) ([]string, error) {
	rows, err := q.QueryContext(ctx, "SELECT DISTINCT family_id FROM refresh_tokens WHERE revoked_at IS NULL AND "+where, args...)
	if err != nil {
		return nil, err
	}
	var fams []string
	for rows.Next() {
		var f string
		if err := rows.Scan(&f); err != nil {
			rows.Close()
			return nil, err
		}
		fams = append(fams, f)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, f := range fams {
		if err := RevokeFamily(ctx, q, f, now); err != nil {
			return nil, err
		}
	}
	return fams, nil
}

// FamilyRevoked reports whether a session was revoked; an unknown family
// counts as revoked.
func FamilyRevoked(ctx context.Context, q Querier, familyID string) (bool, error) {
	var revoked bool
	err := q.QueryRowContext(ctx, "SELECT revoked_at IS NOT NULL FROM refresh_tokens WHERE family_id = ? ORDER BY id DESC LIMIT 1", familyID).Scan(&revoked)
	if errors.Is(err, sql.ErrNoRows) {
		return true, nil
	}
	return revoked, err
}

// RevokeAccessToken puts an access token's jti on the revocation list
// until the token's own expiry.
func RevokeAccessToken(ctx context.Context, q Querier, jti string, userID int64, expires, now time.Time) error {
	_, err := q.ExecContext(ctx, `INSERT INTO revoked_tokens(jti, user_id, expires_at, revoked_at) VALUES(?, ?, ?, ?)
		ON CONFLICT(jti) DO NOTHING`, jti, userID, expires.Unix(), tsText(now))
	return err
}

// AccessTokenRevoked reports whether a jti is on the revocation list.
func AccessTokenRevoked(ctx context.Context, q Querier, jti string) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx, "SELECT COUNT(*) FROM revoked_tokens WHERE jti = ?", jti).Scan(&n)
	return n > 0, err
}

// PruneSessions deletes revocations and refresh tokens that have expired
// and can no longer matter.
func PruneSessions(ctx context.Context, q Querier, now time.Time) error {
	if _, err := q.ExecContext(ctx, "DELETE FROM revoked_tokens WHERE expires_at < ?", now.Unix()); err != nil {
		return err
	}
	_, err := q.ExecContext(ctx, "DELETE FROM refresh_tokens WHERE expires_at < ?", tsText(now))
	return err
}

// SessionTables counts one user's rows in the tables of sign-in: devices,
// sessions and revoked tokens, the security audit (as subject or actor)
// and the notifications sign-ins leave. Every ? is the user's id.
var SessionTables = map[string]string{
	"registered_devices": "SELECT COUNT(*) FROM registered_devices WHERE user_id = ?",
	"refresh_tokens":     "SELECT COUNT(*) FROM refresh_tokens WHERE user_id = ?",
	"revoked_tokens":     "SELECT COUNT(*) FROM revoked_tokens WHERE user_id = ?",
	"security_events":    "SELECT COUNT(*) FROM security_events WHERE user_id = ? OR actor_id = ?",
	"notifications":      "SELECT COUNT(*) FROM notifications WHERE user_id = ?",
}
