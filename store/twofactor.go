package store

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// TwoFactor is one row of user_two_factor_auth. A user without a row has
// no TOTP and no passkey handle yet.
type TwoFactor struct {
	UserID         int64
	TOTPSecretEnc  string
	TOTPEnabled    bool
	TOTPEnabledAt  *time.Time
	TOTPPendingEnc string
	TOTPPendingAt  *time.Time
	BackupSalt     string
	WebAuthnUserID []byte
}

// TwoFactorByUser reads the user's row; a user without one gets an empty
// TwoFactor (not an error).
func TwoFactorByUser(ctx context.Context, q Querier, userID int64) (*TwoFactor, error) {
	t := &TwoFactor{UserID: userID}
	var enabledAt, pendingAt sql.NullString
	err := q.QueryRowContext(ctx, `SELECT totp_secret_enc, totp_enabled, totp_enabled_at, totp_pending_enc, totp_pending_at,
		backup_salt, webauthn_user_id FROM user_two_factor_auth WHERE user_id = ?`, userID).
		Scan(&t.TOTPSecretEnc, &t.TOTPEnabled, &enabledAt, &t.TOTPPendingEnc, &pendingAt, &t.BackupSalt, &t.WebAuthnUserID)
	if errors.Is(err, sql.ErrNoRows) {
		return t, nil
	}
	if err != nil {
		return nil, err
	}
	if enabledAt.Valid {
		v := tsParse(enabledAt.String)
		t.TOTPEnabledAt = &v
	}
	if pendingAt.Valid {
		v := tsParse(pendingAt.String)
		t.TOTPPendingAt = &v
	}
	return t, nil
}

func ensureTwoFactor(ctx context.Context, q Querier, userID int64, now time.Time) error {
	_, err := q.ExecContext(ctx, `INSERT INTO user_two_factor_auth(user_id, updated_at) VALUES(?, ?)
		ON CONFLICT(user_id) DO NOTHING`, userID, tsText(now))
	return err
}

// SetTOTPPending stores a secret handed out by setup, replacing an earlier
// unconfirmed one; the active secret (if any) stays as it is.
func SetTOTPPending(ctx context.Context, q Querier, userID int64, sealed string, now time.Time) error {
	if err := ensureTwoFactor(ctx, q, userID, now); err != nil {
		return err
	}
	_, err := q.ExecContext(ctx, `UPDATE user_two_factor_auth SET totp_pending_enc = ?, totp_pending_at = ?, updated_at = ?
		WHERE user_id = ?`, sealed, tsText(now), tsText(now), userID)
	return err
}

// EnableTOTP makes the pending secret (sealed again for its new place) the
// active one. It fails with ErrNotFound unless the pending secret is still
// the one the caller verified, so two confirmations cannot cross.
func EnableTOTP(ctx context.Context, q Querier, userID int64, pendingSealed, activeSealed string, now time.Time) error {
	res, err := q.ExecContext(ctx, `UPDATE user_two_factor_auth SET totp_secret_enc = ?, totp_enabled = 1, totp_enabled_at = ?,
		totp_pending_enc = '', totp_pending_at = NULL, updated_at = ? WHERE user_id = ? AND totp_pending_enc = ?`,
		activeSealed, tsText(now), tsText(now), userID, pendingSealed)
	return exactlyOne(res, err)
}

// DisableTOTP turns TOTP off and forgets its secrets and history.
func DisableTOTP(ctx context.Context, q Querier, userID int64, now time.Time) error {
	if _, err := q.ExecContext(ctx, `UPDATE user_two_factor_auth SET totp_secret_enc = '', totp_enabled = 0, totp_enabled_at = NULL,
		totp_pending_enc = '', totp_pending_at = NULL, updated_at = ? WHERE user_id = ?`, tsText(now), userID); err != nil {
		return err
	}
	_, err := q.ExecContext(ctx, "DELETE FROM totp_history WHERE user_id = ?", userID)
	return err
}

// ErrReplay is a one-time code presented again.
var ErrReplay = errors.New("store: code already used")

// UseTOTPStep records that the user's code for a time step was accepted.
// A step at or before one already used answers ErrReplay: a code works
// once, and an older code seen over a shoulder cannot follow a newer one.
// History older than keep is pruned.
func UseTOTPStep(ctx context.Context, q Querier, userID, step int64, now time.Time, keep time.Duration) error {
	var last sql.NullInt64
	if err := q.QueryRowContext(ctx, "SELECT MAX(step) FROM totp_history WHERE user_id = ?", userID).Scan(&last); err != nil {
		return err
	}
	if last.Valid && step <= last.Int64 {
		return ErrReplay
	}
	_, err := q.ExecContext(ctx, "INSERT INTO totp_history(user_id, step, used_at) VALUES(?, ?, ?)", userID, step, tsText(now))
	if isUniqueViolation(err) {
		return ErrReplay
	}
	if err != nil {
		return err
	}
	// Keep the newest row whatever its age: it is the floor for the next code.
	_, err = q.ExecContext(ctx, "DELETE FROM totp_history WHERE user_id = ? AND used_at < ? AND step < ?",
		userID, tsText(now.Add(-keep)), step)
	return err
}

// SetBackupCodes replaces the user's backup codes with the given hashes
// and salt.
func SetBackupCodes(ctx context.Context, q Querier, userID int64, salt string, hashes []string, now time.Time) error {
	if err := ensureTwoFactor(ctx, q, userID, now); err != nil {
		return err
	}
	if _, err := q.ExecContext(ctx, "UPDATE user_two_factor_auth SET backup_salt = ?, updated_at = ? WHERE user_id = ?", salt, tsText(now), userID); err != nil {
		return err
	}
	if _, err := q.ExecContext(ctx, "DELETE FROM backup_codes WHERE user_id = ?", userID); err != nil {
		return err
	}
	for _, h := range hashes {
		if _, err := q.ExecContext(ctx, "INSERT INTO backup_codes(user_id, code_hash, created_at) VALUES(?, ?, ?)", userID, h, tsText(now)); err != nil {
			return err
		}
	}
	return nil
}

// UseBackupCode marks the unused code with this hash used; ErrNotFound
// when there is none (wrong, or already used). The single UPDATE makes two
// concurrent uses of one code impossible.
func UseBackupCode(ctx context.Context, q Querier, userID int64, hash string, now time.Time) error {
	res, err := q.ExecContext(ctx, "UPDATE backup_codes SET used_at = ? WHERE user_id = ? AND code_hash = ? AND used_at IS NULL",
		tsText(now), userID, hash)
	return exactlyOne(res, err)
}

// CountBackupCodes counts the user's unused backup codes.
func CountBackupCodes(ctx context.Context, q Querier, userID int64) (int, error) {
	var n int
	err := q.QueryRowContext(ctx, "SELECT COUNT(*) FROM backup_codes WHERE user_id = ? AND used_at IS NULL", userID).Scan(&n)
	return n, err
}

// DeleteBackupCodes removes every backup code of the user.
func DeleteBackupCodes(ctx context.Context, q Querier, userID int64) error {
	_, err := q.ExecContext(ctx, "DELETE FROM backup_codes WHERE user_id = ?", userID)
	return err
}

// SetWebAuthnUserID stores the user's WebAuthn handle unless one exists,
// and returns the stored one.
func SetWebAuthnUserID(ctx context.Context, q Querier, userID int64, handle []byte, now time.Time) ([]byte, error) {
	if err := ensureTwoFactor(ctx, q, userID, now); err != nil {
		return nil, err
	}
	if _, err := q.ExecContext(ctx, "UPDATE user_two_factor_auth SET webauthn_user_id = ?, updated_at = ? WHERE user_id = ? AND webauthn_user_id IS NULL",
		handle, tsText(now), userID); err != nil {
		return nil, err
	}
	var out []byte
	err := q.QueryRowContext(ctx, "SELECT webauthn_user_id FROM user_two_factor_auth WHERE user_id = ?", userID).Scan(&out)
	return out, err
}

// UserIDByWebAuthnHandle finds the user a WebAuthn user handle belongs to.
func UserIDByWebAuthnHandle(ctx context.Context, q Querier, handle []byte) (int64, error) {
	var id int64
	err := q.QueryRowContext(ctx, "SELECT user_id FROM user_two_factor_auth WHERE webauthn_user_id = ?", handle).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, ErrNotFound
	}
	return id, err
}

// SetTFAEnabled keeps users.tfa_enabled in step with the user's factors.
func SetTFAEnabled(ctx context.Context, q Querier, userID int64, on bool, now time.Time) error {
	_, err := q.ExecContext(ctx, "UPDATE users SET tfa_enabled = ?, updated_at = ? WHERE id = ?", on, tsText(now), userID)
	return err
}

// ResetSecondFactors removes every factor of the user: TOTP, its history,
// backup codes and passkeys (the WebAuthn handle stays: it names the
// account, not a factor).
func ResetSecondFactors(ctx context.Context, q Querier, userID int64, now time.Time) error {
	if err := DisableTOTP(ctx, q, userID, now); err != nil {
		return err
	}
	if err := DeleteBackupCodes(ctx, q, userID); err != nil {
		return err
	}
	if _, err := q.ExecContext(ctx, "DELETE FROM passkey_credentials WHERE user_id = ?", userID); err != nil {
		return err
	}
	return SetTFAEnabled(ctx, q, userID, false, now)
}

// UntrustDevices ends the trust of every device of the user.
func UntrustDevices(ctx context.Context, q Querier, userID int64) error {
	_, err := q.ExecContext(ctx, "UPDATE registered_devices SET trusted = 0, trusted_until = NULL WHERE user_id = ?", userID)
	return err
}

// SecondFactorTables counts one user's rows in the second factors' tables.
var SecondFactorTables = map[string]string{
	"user_two_factor_auth": "SELECT COUNT(*) FROM user_two_factor_auth WHERE user_id = ?",
	"totp_history":         "SELECT COUNT(*) FROM totp_history WHERE user_id = ?",
	"backup_codes":         "SELECT COUNT(*) FROM backup_codes WHERE user_id = ?",
	"passkey_credentials":  "SELECT COUNT(*) FROM passkey_credentials WHERE user_id = ?",
}
