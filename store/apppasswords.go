package store

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// AppPassword is one row of app_passwords: a named secret for Basic-auth
// protocols (CalDAV). Hash is the keyed hash app/auth computes; the store
// never sees a secret.
type AppPassword struct {
	ID         int64
	UserID     int64
	Name       string
	Hash       string
	Scope      string
	CreatedAt  time.Time
	LastUsedAt *time.Time
	LastUsedIP string
	RevokedAt  *time.Time
}

const appPasswordCols = "id, user_id, name, hash, scope, created_at, last_used_at, last_used_ip, revoked_at"

func scanAppPassword(r rowScanner) (*AppPassword, error) {
	p := &AppPassword{}
	var created string
	var used, revoked sql.NullString
	if err := r.Scan(&p.ID, &p.UserID, &p.Name, &p.Hash, &p.Scope, &created, &used, &p.LastUsedIP, &revoked); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, ErrNotFound
		}
		return nil, err
	}
	p.CreatedAt = tsParse(created)
	if used.Valid {
		t := tsParse(used.String)
		p.LastUsedAt = &t
	}
	if revoked.Valid {
		t := tsParse(revoked.String)
		p.RevokedAt = &t
	}
	return p, nil
}

func queryAppPasswords(ctx context.Context, q Querier, where string, args ...any) ([]*AppPassword, error) {
	rows, err := q.QueryContext(ctx, "SELECT "+appPasswordCols+" FROM app_passwords WHERE "+where+" ORDER BY id", args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*AppPassword
	for rows.Next() {
		p, err := scanAppPassword(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// InsertAppPassword stores a new app password; a hash already stored
// answers ErrDuplicate.
func InsertAppPassword(ctx context.Context, q Querier, p *AppPassword) (*AppPassword, error) {
	id, err := insertUnique(ctx, q, `INSERT INTO app_passwords(user_id, name, hash, scope, created_at) VALUES(?, ?, ?, ?, ?)`,
		p.UserID, p.Name, p.Hash, p.Scope, tsText(p.CreatedAt))
	if err != nil {
		return nil, err
	}
	return AppPasswordByID(ctx, q, p.UserID, id)
}

// AppPasswordByID finds one of the user's app passwords; another user's is
// ErrNotFound.
func AppPasswordByID(ctx context.Context, q Querier, userID, id int64) (*AppPassword, error) {
	return scanAppPassword(q.QueryRowContext(ctx, "SELECT "+appPasswordCols+" FROM app_passwords WHERE id = ? AND user_id = ?", id, userID))
}

// ListAppPasswords lists the user's app passwords, revoked ones included,
// oldest first.
func ListAppPasswords(ctx context.Context, q Querier, userID int64) ([]*AppPassword, error) {
	return queryAppPasswords(ctx, q, "user_id = ?", userID)
}

// ActiveAppPasswords lists the user's app passwords of scope that are not
// revoked.
func ActiveAppPasswords(ctx context.Context, q Querier, userID int64, scope string) ([]*AppPassword, error) {
	return queryAppPasswords(ctx, q, "user_id = ? AND scope = ? AND revoked_at IS NULL", userID, scope)
}

// CountActiveAppPasswords counts the user's app passwords not revoked.
func CountActiveAppPasswords(ctx context.Context, q Querier, userID int64) (int, error) {
	var n int
	err := q.QueryRowContext(ctx, "SELECT COUNT(*) FROM app_passwords WHERE user_id = ? AND revoked_at IS NULL", userID).Scan(&n)
	return n, err
}

// RevokeAppPassword marks one of the user's app passwords revoked; one
// already revoked keeps its first revocation time.
func RevokeAppPassword(ctx context.Context, q Querier, userID, id int64, now time.Time) error {
	res, err := q.ExecContext(ctx, "UPDATE app_passwords SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ? AND user_id = ?",
		tsText(now), id, userID)
	return exactlyOne(res, err)
}

// TouchAppPassword records a use of an app password, at most once per
// every: a DAV client authenticates every request, and a write per
// request would only churn the database.
func TouchAppPassword(ctx context.Context, q Querier, id int64, ip string, now time.Time, every time.Duration) error {
	_, err := q.ExecContext(ctx, `UPDATE app_passwords SET last_used_at = ?, last_used_ip = ?
		WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ? OR last_used_ip <> ?)`,
		tsText(now), ip, id, tsText(now.Add(-every)), ip)
	return err
}

// AppPasswordTables counts one user's app passwords.
var AppPasswordTables = map[string]string{
	"app_passwords": "SELECT COUNT(*) FROM app_passwords WHERE user_id = ?",
}
