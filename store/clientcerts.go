package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/aiwfe/aiwfe/tlsmgr"
)

// The client certificate registry (tlsmgr.CertRegistry) in SQLite, shared
// by the server and the CLI through the database file.

var _ tlsmgr.CertRegistry = (*Store)(nil)

const clientCertCols = "serial, name, user_id, not_before, not_after, created_at, revoked_at"

func scanClientCert(r rowScanner) (*tlsmgr.ClientCertRecord, error) {
	var rec tlsmgr.ClientCertRecord
	var userID sql.NullInt64
	var nb, na, created string
	var revoked sql.NullString
	if err := r.Scan(&rec.Serial, &rec.Name, &userID, &nb, &na, &created, &revoked); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("%w: %w", tlsmgr.ErrNotFound, ErrNotFound)
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
func (s *Store) AddClientCert(ctx context.Context, r tlsmgr.ClientCertRecord) error {
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
func (s *Store) ListClientCerts(ctx context.Context) ([]tlsmgr.ClientCertRecord, error) {
	rows, err := s.DB.QueryContext(ctx, "SELECT "+clientCertCols+" FROM client_certs ORDER BY created_at, serial")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []tlsmgr.ClientCertRecord{}
	for rows.Next() {
		rec, err := scanClientCert(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *rec)
	}
	return out, rows.Err()
}

// GetClientCert finds a certificate by serial; absent answers an error
// matching both tlsmgr.ErrNotFound and ErrNotFound.
func (s *Store) GetClientCert(ctx context.Context, serial string) (*tlsmgr.ClientCertRecord, error) {
	return scanClientCert(s.DB.QueryRowContext(ctx, "SELECT "+clientCertCols+" FROM client_certs WHERE serial = ?", serial))
}

// RevokeClientCert marks a certificate revoked at the given time; revoking
// again keeps the first time. Unknown serials answer tlsmgr.ErrNotFound.
func (s *Store) RevokeClientCert(ctx context.Context, serial string, at time.Time) error {
	res, err := s.DB.ExecContext(ctx, "UPDATE client_certs SET revoked_at = COALESCE(revoked_at, ?) WHERE serial = ?", tsText(at), serial)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return fmt.Errorf("%w: %w", tlsmgr.ErrNotFound, ErrNotFound)
	}
	return nil
}
