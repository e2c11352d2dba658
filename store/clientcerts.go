package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// The client certificate registry in SQLite, shared by the server and the
// CLI through the database file (app/certs adapts it to tlsmgr's
// CertRegistry, so the store knows nothing of certificates' crypto).

// ClientCert is one row of client_certs: an issued client certificate.
// Serial is lower-case hex without leading zeros or colons; UserID 0 is a
// certificate tied to no account.
type ClientCert struct {
	Serial    string
	Name      string
	UserID    int64
	NotBefore time.Time
	NotAfter  time.Time
	CreatedAt time.Time
	RevokedAt *time.Time
}

// Revoked reports whether the certificate has been revoked.
func (r *ClientCert) Revoked() bool { return r.RevokedAt != nil }

const clientCertCols = "serial, name, user_id, not_before, not_after, created_at, revoked_at"

func scanClientCert(r rowScanner) (*ClientCert, error) {
	var rec ClientCert
	var userID sql.NullInt64
	var nb, na, created string
	var revoked sql.NullString
	if err := r.Scan(&rec.Serial, &rec.Name, &userID, &nb, &na, &created, &revoked); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, ErrNotFound
		}
		return nil, err
	}
	rec.UserID = userID.Int64
	rec.NotBefore, rec.NotAfter, rec.CreatedAt = tsParse(nb), tsParse(na), tsParse(created)
	if revoked.Valid {
		t := tsParse(revoked.String)
		rec.RevokedAt = &t
	}
	return &rec, nil
}

// AddClientCert records an issued client certificate. A UserID of 0 is
// stored as NULL (a certificate not tied to a user).
func (s *Store) AddClientCert(ctx context.Context, r ClientCert) error {
	var userID any
	if r.UserID != 0 {
		userID = r.UserID
	}
	_, err := s.DB.ExecContext(ctx, `INSERT INTO client_certs(serial, name, user_id, not_before, not_after, created_at, revoked_at)
		VALUES(?, ?, ?, ?, ?, ?, ?)`,
		r.Serial, r.Name, userID, tsText(r.NotBefore), tsText(r.NotAfter), tsText(r.CreatedAt), tsNull(r.RevokedAt))
	if isUniqueViolation(err) {
		return fmt.Errorf("store: client certificate %s: %w", r.Serial, ErrDuplicate)
	}
	return err
}

// ListClientCerts returns all client certificates, oldest first.
func (s *Store) ListClientCerts(ctx context.Context) ([]ClientCert, error) {
	rows, err := s.DB.QueryContext(ctx, "SELECT "+clientCertCols+" FROM client_certs ORDER BY created_at, serial")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []ClientCert{}
	for rows.Next() {
		rec, err := scanClientCert(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *rec)
	}
	return out, rows.Err()
}

// GetClientCert finds a certificate by serial (ErrNotFound when absent).
func (s *Store) GetClientCert(ctx context.Context, serial string) (*ClientCert, error) {
	return scanClientCert(s.DB.QueryRowContext(ctx, "SELECT "+clientCertCols+" FROM client_certs WHERE serial = ?", serial))
}

// RevokeClientCert marks a certificate revoked at the given time; revoking
// again keeps the first time. Unknown serials answer ErrNotFound.
func (s *Store) RevokeClientCert(ctx context.Context, serial string, at time.Time) error {
	res, err := s.DB.ExecContext(ctx, "UPDATE client_certs SET revoked_at = COALESCE(revoked_at, ?) WHERE serial = ?", tsText(at), serial)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return ErrNotFound
	}
	return nil
}

// ClientCertTables counts one user's client certificates.
var ClientCertTables = map[string]string{
	"client_certs": "SELECT COUNT(*) FROM client_certs WHERE user_id = ?",
}
