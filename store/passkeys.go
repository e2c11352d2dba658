package store

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// Passkey is one row of passkey_credentials. Credential is go-webauthn's
// credential record as JSON; the store does not look inside.
type Passkey struct {
	ID           int64
	UserID       int64
	CredentialID []byte
	Name         string
	Credential   string
	SignCount    uint32
	CreatedAt    time.Time
	LastUsedAt   *time.Time
}

const passkeyCols = "id, user_id, credential_id, name, credential, sign_count, created_at, last_used_at"

func scanPasskey(r rowScanner) (*Passkey, error) {
	p := &Passkey{}
	var created string
	var last sql.NullString
	if err := r.Scan(&p.ID, &p.UserID, &p.CredentialID, &p.Name, &p.Credential, &p.SignCount, &created, &last); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, ErrNotFound
		}
		return nil, err
	}
	p.CreatedAt = tsParse(created)
	if last.Valid {
		t := tsParse(last.String)
		p.LastUsedAt = &t
	}
	return p, nil
}

// insertUnique runs an INSERT and returns the new row's id; a unique
// constraint it breaks answers ErrDuplicate.
func insertUnique(ctx context.Context, q Querier, query string, args ...any) (int64, error) {
	res, err := q.ExecContext(ctx, query, args...)
	if isUniqueViolation(err) {
		return 0, ErrDuplicate
	}
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}

// InsertPasskey stores a new credential; a credential id already
// registered (by anyone) answers ErrDuplicate.
func InsertPasskey(ctx context.Context, q Querier, p *Passkey) (*Passkey, error) {
	id, err := insertUnique(ctx, q, `INSERT INTO passkey_credentials(user_id, credential_id, name, credential, sign_count, created_at)
		VALUES(?, ?, ?, ?, ?, ?)`, p.UserID, p.CredentialID, p.Name, p.Credential, p.SignCount, tsText(p.CreatedAt))
	if err != nil {
		return nil, err
	}
	return PasskeyByID(ctx, q, p.UserID, id)
}

// PasskeyByID finds one of the user's passkeys; another user's is
// ErrNotFound.
func PasskeyByID(ctx context.Context, q Querier, userID, id int64) (*Passkey, error) {
	return scanPasskey(q.QueryRowContext(ctx, "SELECT "+passkeyCols+" FROM passkey_credentials WHERE id = ? AND user_id = ?", id, userID))
}

// ListPasskeys lists the user's passkeys, oldest first.
func ListPasskeys(ctx context.Context, q Querier, userID int64) ([]*Passkey, error) {
	rows, err := q.QueryContext(ctx, "SELECT "+passkeyCols+" FROM passkey_credentials WHERE user_id = ? ORDER BY id", userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Passkey
	for rows.Next() {
		p, err := scanPasskey(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// CountPasskeys counts the user's passkeys.
func CountPasskeys(ctx context.Context, q Querier, userID int64) (int, error) {
	var n int
	err := q.QueryRowContext(ctx, "SELECT COUNT(*) FROM passkey_credentials WHERE user_id = ?", userID).Scan(&n)
	return n, err
}

// RenamePasskey sets a passkey's name.
func RenamePasskey(ctx context.Context, q Querier, userID, id int64, name string) error {
	res, err := q.ExecContext(ctx, "UPDATE passkey_credentials SET name = ? WHERE id = ? AND user_id = ?", name, id, userID)
	return exactlyOne(res, err)
}

// DeletePasskey removes one of the user's passkeys.
func DeletePasskey(ctx context.Context, q Querier, userID, id int64) error {
	res, err := q.ExecContext(ctx, "DELETE FROM passkey_credentials WHERE id = ? AND user_id = ?", id, userID)
	return exactlyOne(res, err)
}

// UsePasskey stores the credential record after a login and its new sign
// counter. The update only applies while the stored counter is still the
// one the login checked against (prev), so two racing assertions with the
// same counter cannot both pass: the loser gets ErrReplay.
func UsePasskey(ctx context.Context, q Querier, id int64, credential string, prev, next uint32, now time.Time) error {
	res, err := q.ExecContext(ctx, "UPDATE passkey_credentials SET credential = ?, sign_count = ?, last_used_at = ? WHERE id = ? AND sign_count = ?",
		credential, next, tsText(now), id, prev)
	if err := exactlyOne(res, err); errors.Is(err, ErrNotFound) {
		return ErrReplay
	} else if err != nil {
		return err
	}
	return nil
}
