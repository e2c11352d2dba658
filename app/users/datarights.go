package users

import (
	"context"
	"database/sql"
	"time"

	"github.com/aiwfe/aiwfe/store"
)

// DataPart is the users feature's share of a user's data (a
// datarights.Part): the "user" section of the archive, and the rule that
// the last active superuser's account stays.
type DataPart struct{ s *Service }

// DataPart returns the part app.Open registers with the data-rights
// service.
func (s *Service) DataPart() DataPart { return DataPart{s} }

// ExportUser is the profile (preferences, model assignments, profile
// fields) with the account's state and which secrets are set.
type ExportUser struct {
	*Profile
	IsVerified           bool      `json:"is_verified"`
	UpdatedAt            time.Time `json:"updated_at"`
	TOTPEnabled          bool      `json:"totp_enabled"`
	BackupCodesRemaining int       `json:"backup_codes_remaining"`
}

// Tables is the users table.
func (DataPart) Tables() map[string]string { return store.UserTables }

// Export puts the "user" section: no password hash, no encrypted key.
func (d DataPart) Export(ctx context.Context, tx *sql.Tx, userID int64, put func(string, any)) error {
	u, err := store.UserByID(ctx, tx, userID)
	if err != nil {
		return err
	}
	ex := ExportUser{Profile: d.s.profileOf(u), IsVerified: u.IsVerified, UpdatedAt: u.UpdatedAt}
	tf, err := store.TwoFactorByUser(ctx, tx, userID)
	if err != nil {
		return err
	}
	ex.TOTPEnabled = tf.TOTPEnabled && tf.TOTPSecretEnc != ""
	if ex.BackupCodesRemaining, err = store.CountBackupCodes(ctx, tx, userID); err != nil {
		return err
	}
	put("user", ex)
	return nil
}

// Delete refuses to delete the last active superuser (409
// last_superuser): the appliance would have no one to administer it.
func (DataPart) Delete(ctx context.Context, tx *sql.Tx, userID int64) (func(), error) {
	u, err := store.UserByID(ctx, tx, userID)
	if err != nil {
		return nil, err
	}
	return nil, keepLastSuperuser(ctx, tx, u)
}

// keepLastSuperuser fails with ErrLastSuperuser when u is the only active
// superuser (and so may not be demoted, suspended or deleted).
func keepLastSuperuser(ctx context.Context, tx *sql.Tx, u *store.User) error {
	if u.Role != "superuser" || u.Status != "active" {
		return nil
	}
	n, err := store.CountActiveSuperusers(ctx, tx)
	if err != nil {
		return err
	}
	if n <= 1 {
		return ErrLastSuperuser
	}
	return nil
}
